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
raised is `EvaluationInterrupted`, a `KeyboardInterrupt`: the target's code sees an interruption, as it
would a Ctrl-C, and `except Exception` in it does not swallow it. Either way a call blocked in C
(`time.sleep`, a lock, a socket) finishes its wait first: the exception is raised at the first event
after it returns. For such a thread (`narrow`) the global events give way to local ones on the code
objects on its stack, so that the rest of the program does not pay for a wait that may last long.
"""

import sys
import threading
import time

from . import monitor as monitoring
from . import suspend
from .monitor import E, monitor

EVENTS = E.LINE | E.JUMP | E.PY_START | E.PY_RESUME
LOCAL_EVENTS = E.LINE | E.JUMP
OWNER = "interrupt"
_AGENT_DIR = monitoring._AGENT_DIR
_events = {"wide": False, "kept": False}
_tidying = threading.Lock()


class EvaluationInterrupted(KeyboardInterrupt):
    """Raised by the debugger into code it ran for a request (an expression, a repr) to stop it."""


class Section:
    """One stretch of the target's code run for a request on this thread, until `deadline`."""

    __slots__ = ("deadline", "delivered_at", "ended", "ident", "interrupted_at", "narrowed", "reason")

    def __init__(self, deadline):
        self.ident = threading.get_ident()
        self.deadline = deadline
        self.reason = None
        self.interrupted_at = None
        self.delivered_at = None
        self.ended = False
        self.narrowed = ()

    def interrupt(self, reason):
        """Ask the section's thread to raise `EvaluationInterrupted` (from the agent thread)."""
        if self.ended:
            return False
        if self.interrupted_at is None:
            self.reason = reason
            self.interrupted_at = time.monotonic()
        monitoring.interrupts[self.ident] = self
        tidy()
        return True

    def narrow(self):
        """The thread is blocked in C: watch for its return only in the code it runs for the request
        (the frames on its stack above the agent's), not in every thread's every line. Without the GIL its
        frames cannot be walked while it may run: the events stay on for every thread."""
        if suspend.free_threaded():
            return
        frame = sys._current_frames().get(self.ident)
        codes = []
        while frame is not None and not frame.f_code.co_filename.startswith(_AGENT_DIR):
            codes.append(frame.f_code)
            frame = frame.f_back
        for code in codes:
            monitor.set_local(self._owner(), code, LOCAL_EVENTS)
        self.narrowed = tuple(codes) or (None,)
        tidy()

    def _owner(self):
        return f"{OWNER}-{id(self)}"

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
        if self.interrupted_at is None:
            return
        if monitoring.interrupts.get(self.ident) is self:
            monitoring.interrupts.pop(self.ident, None)
        self._forget_codes()
        tidy()

    def _forget_codes(self):
        codes, self.narrowed = self.narrowed, ()
        for code in codes:
            if code is not None:
                monitor.set_local(self._owner(), code, 0)


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
    """Forget interruptions of sections that ended, and have exactly the events the others need: every
    thread's while one is not narrowed, and no LINE location disabled while one is."""
    with _tidying:
        _tidy()


def _tidy():
    for ident, section in list(monitoring.interrupts.items()):
        if section.ended:
            monitoring.interrupts.pop(ident, None)
            section._forget_codes()
    pending = list(monitoring.interrupts.values())
    wide = any(not section.narrowed for section in pending)
    kept = any(section.narrowed for section in pending)
    if wide != _events["wide"]:
        _events["wide"] = wide
        monitor.want(OWNER, EVENTS) if wide else monitor.unwant(OWNER)
    if kept != _events["kept"]:
        _events["kept"] = kept
        monitoring.keep_lines(OWNER, kept)


monitoring.on(E.JUMP, lambda code, source, destination: None)
