"""Interrupting the target's code that a request runs, by raising into it on its own thread.

A request that runs the target's code (an expression, a `__repr__`, a property) runs on the stopped thread
itself (`jobs.py`), and that code can loop or hang; `cancel`, `continue`, a detach, the adapter's death
and time limits must stop it. Two ways exist without a C extension of our own:

- `PyThreadState_SetAsyncExc` through `ctypes`: raises at the thread's next eval-breaker check. But it
  loads `ctypes` and libffi into the target, and libffi keeps a file descriptor open on its own library
  for the life of the process (a trace no detach can remove); the exception is delivered from another
  thread at a moment we do not choose, so it can land in the agent's own code, holding one of its locks,
  or, after a race, in the target's code once the request is over; and a build without `_ctypes` could
  not interrupt at all.
- `sys.monitoring`: the thread that must stop raises the exception itself, from our callback, at its next
  LINE, JUMP, PY_START or PY_RESUME event. Nothing is loaded and it is exact: the callback raises only
  while the section it was asked to stop is still running on that thread, and only in code that is not
  the agent's. A thread inside a monitoring callback gets no events (CPython guards against re-entry), and
  a stopped thread is inside one; so a stopped thread runs its jobs through `sys.call_tracing`, which
  lifts that guard for the call (the tool CPython offers debuggers for exactly this).

So it is `sys.monitoring`. The events are switched on only while an interruption is pending, for every
thread (a global event cannot be narrowed to one thread), and off again when it has landed. What is
raised is `EvaluationInterrupted`, a `KeyboardInterrupt`: the target's code sees an interruption, and
`except Exception` in it does not swallow it. Either way a call blocked in C (`time.sleep`, a lock, a
socket) finishes its wait first: the exception is raised at the first event after it returns.
"""

import threading
import time

from . import monitor as monitoring
from .monitor import E, monitor

EVENTS = E.LINE | E.JUMP | E.PY_START | E.PY_RESUME
OWNER = "interrupt"
_events = {"on": False}


class EvaluationInterrupted(KeyboardInterrupt):
    """Raised by the debugger into code it ran for a request (an expression, a repr) to stop it."""


class Section:
    """One stretch of the target's code run for a request on this thread, until `deadline`."""

    __slots__ = ("deadline", "delivered_at", "ended", "ident", "interrupted_at", "reason")

    def __init__(self, deadline):
        self.ident = threading.get_ident()
        self.deadline = deadline
        self.reason = None
        self.interrupted_at = None
        self.delivered_at = None
        self.ended = False

    def interrupt(self, reason):
        """Ask the section's thread to raise `EvaluationInterrupted` (from the agent thread)."""
        if self.ended:
            return False
        if self.interrupted_at is None:
            self.reason = reason
            self.interrupted_at = time.monotonic()
        monitoring.interrupts[self.ident] = self
        if not _events["on"]:
            _events["on"] = True
            monitor.want(OWNER, EVENTS)
        return True

    @property
    def undelivered(self):
        """Seconds since the interruption was asked for, while the thread has not raised it yet."""
        if self.interrupted_at is None or self.delivered_at is not None or self.ended:
            return 0.0
        return time.monotonic() - self.interrupted_at

    def raise_here(self):
        """On the section's thread, from a monitoring callback: raise, once per request to interrupt."""
        self.delivered_at = time.monotonic()
        raise EvaluationInterrupted(self.reason)

    def end(self):
        self.ended = True
        if monitoring.interrupts.get(self.ident) is self:
            monitoring.interrupts.pop(self.ident, None)
        tidy()


def run(section, work):
    """`work()` in `section`: (value, None), or (None, reason) when interrupted. Exceptions propagate."""
    try:
        return work(), None
    except EvaluationInterrupted:
        if section.reason is None:
            raise
        return None, section.reason
    finally:
        section.end()


def tidy():
    """Forget interruptions of sections that ended; switch the events off when none is left."""
    for ident, section in list(monitoring.interrupts.items()):
        if section.ended:
            monitoring.interrupts.pop(ident, None)
    if _events["on"] and not monitoring.interrupts:
        _events["on"] = False
        monitor.unwant(OWNER)


monitoring.on(E.JUMP, lambda code, source, destination: None)
