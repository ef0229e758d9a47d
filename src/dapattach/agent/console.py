"""Console messages made on the program's own threads (logpoints, their errors): queued, never waited for.

A logpoint runs on the thread that reached its line. Sent from there, its message would cost that thread
a JSON encoding and a system call, and, once the adapter reads more slowly than the line runs (a hot
line, a busy editor, an adapter stopped or on a host that hangs), the socket fills and the thread waits
for the adapter: the service slows to the console's pace, or stops. So `say` only appends to a bounded
queue, which the ticker thread (`ticker.py`) sends from, at most `BATCH` messages a round; when `LIMIT`
messages wait, later ones are dropped and counted, and the console is told how many it missed.

Messages go out ahead of a stop being reported (so a log line printed before a breakpoint shows before
it), on detach, and at exit (waiting for the adapter no longer than `context.exit_deadline()`). In a
sub-interpreter, whose agent has no ticker (a thread of ours left running there would make closing the
interpreter fail), `say` sends at once, as before.
"""

import _thread
import atexit
import collections
import contextlib
import threading

from . import context, suspend, ticker, wire

LIMIT = 10_000
"""Messages waiting at most; more are dropped (and counted) until the ticker has sent some."""
BATCH = 1_000
"""Messages the ticker sends at most each round (`ticker.INTERVAL` while there are any): 20,000 a second."""
_waiting = collections.deque()
_state = {"started": False, "dropped": 0}
_starting = threading.Lock()
_sending = threading.Lock()


def say(category, text, **extra):
    """From any thread: an `output` event for the console, sent soon. Never waits for the adapter."""
    if len(_waiting) >= LIMIT:
        _state["dropped"] += 1
        return
    body = {"category": category, "output": text, **extra}
    if not _state["started"] and not _start():
        context.emit("output", body)
        return
    _waiting.append(body)
    if len(_waiting) == 1:
        ticker.nudge()


def _start():
    with _starting:
        if not _state["started"]:
            if not _thread._is_main_interpreter():
                return False  # a sub-interpreter must be left with no thread of ours when it is closed
            ticker.add("console", _tick, ticker.nothing_to_find)
            suspend.before_report.append(_send_waiting)
            atexit.register(_at_exit)
            _state["started"] = True
    return True


def _send_waiting(limit=None, deadline=None):
    """Send what waits (at most `limit` messages), then say how many were dropped. Another thread that is
    sending is waited for; with a `deadline` (the exit's), all of it gives up when that has passed."""
    if not wire.acquire_by(_sending, deadline):
        return False
    try:
        count = len(_waiting) if limit is None else min(limit, len(_waiting))
        for _ in range(count):
            if not context.emit("output", _waiting.popleft(), deadline):
                return True  # on the way out, and the adapter takes nothing: the rest is not sent
        dropped, _state["dropped"] = _state["dropped"], 0
        if dropped:
            text = (
                f"dapattach: {dropped:,} log messages are not shown here: they came faster than the "
                f"console takes them ({LIMIT:,} may wait at once).\n"
            )
            context.emit("output", {"category": "console", "output": text}, deadline)
        return bool(count or dropped)
    finally:
        _sending.release()


def _tick():
    """A round of the ticker: each message was announced by `say`'s nudge."""
    return ticker.ANNOUNCED if _send_waiting(BATCH) else False


def _at_exit():
    _send_waiting(deadline=context.exit_deadline())


def release():
    """Detach: send what waits, and stop."""
    if _state["started"]:
        _send_waiting()
        ticker.remove("console")
        atexit.unregister(_at_exit)
        with _starting:
            _state["started"] = False
        with contextlib.suppress(ValueError):
            suspend.before_report.remove(_send_waiting)
    _waiting.clear()
    _state["dropped"] = 0


def forget_after_fork():
    """In a forked child: the parent's messages are the parent's to send; the locks start free."""
    global _starting, _sending
    _starting = threading.Lock()
    _sending = threading.Lock()
    _waiting.clear()
    if _state["started"]:
        atexit.unregister(_at_exit)
    _state.update(started=False, dropped=0)
