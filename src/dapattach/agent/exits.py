"""The target's exit code, reported as an `exited` event on its way out.

A Python program's exit code is decided when its main thread's outermost frame ends: it returns (0), or
an exception leaves it — `SystemExit(n)` gives n (None: 0, not a number: 1), `KeyboardInterrupt` ends the
process by SIGINT (a shell says 130), anything else 1. CPython keeps that number in C only, so the agent
watches that one frame: PY_RETURN on its code object alone, and PY_UNWIND, which cannot be enabled per
code object and so calls in for every frame an exception leaves while attached; while nothing else wants
PY_UNWIND that is a lean callback of its own (`monitor.solo`), about 70 ns per frame an exception leaves,
and the normal path costs nothing. The code is sent from an `atexit` hook, which runs when the last
non-daemon thread has ended, right before the interpreter finalizes: a program whose main thread
returned may still run for hours.

`os._exit()` and signals run no Python: then the adapter looks at the exit status the kernel keeps for a
dead process until its parent reaps it, and says when it cannot know.
"""

import atexit
import sys
import threading

from . import context, suspend
from . import monitor as monitoring
from .monitor import E, monitor

KEYBOARD_INTERRUPT = 130
_watch = {"bottom": None, "main": None, "code": None, "registered": False}


def watch():
    """Start watching the main thread's outermost frame (called once the adapter is connected)."""
    main = threading.main_thread().ident
    frame = sys._current_frames().get(main)
    if frame is None or suspend.free_threaded():
        return  # without the GIL a running thread's frames are not walked: the kernel tells the code
    while frame.f_back is not None:
        frame = frame.f_back
    _watch.update(bottom=frame.f_code, main=main, code=None)
    monitor.set_local("exits", frame.f_code, E.PY_RETURN)
    monitor.want("exits", E.PY_UNWIND)
    atexit.register(_report)
    _watch["registered"] = True


def forget():
    """Detach: nothing of the agent stays registered with `atexit`."""
    if _watch["registered"]:
        atexit.unregister(_report)
        _watch["registered"] = False
    _watch.update(bottom=None, main=None)


def _code_of(exception):
    match exception:
        case SystemExit(code=None):
            return 0
        case SystemExit(code=int(code)):
            return code & 0xFF
        case SystemExit():
            return 1
        case KeyboardInterrupt():
            return KEYBOARD_INTERRUPT
    return 1


def _on_return(code, offset, value):
    if code is _watch["bottom"] and threading.get_ident() == _watch["main"]:
        _watch["code"] = 0
    return None


def _on_unwind(code, offset, exception):
    if code is _watch["bottom"] and threading.get_ident() == _watch["main"]:
        _watch["code"] = _code_of(exception)
    return None


def _report():
    code = _watch["code"]
    if code is not None:
        context.emit("exited", {"exitCode": code}, context.exit_deadline())


monitoring.on(E.PY_RETURN, _on_return)
monitoring.on(E.PY_UNWIND, _on_unwind)
monitoring.solo[E.PY_UNWIND] = ("exits", _on_unwind)
