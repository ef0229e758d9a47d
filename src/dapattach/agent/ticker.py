"""One agent thread for work done a little at a time: sending program output, noticing new modules.

Nothing runs until a feature asks (`add`), so an agent without those features has no thread and costs
nothing; the thread wakes every `INTERVAL` seconds and runs each task in turn. It is started with `_thread`
for the reason `worker.py` gives (threading's bootstrap is Python code that could stop in an all-stop) and
registers itself as an agent thread, so it never stops at a breakpoint.

`release()` (detach) runs every task a last time and joins the thread, waiting at most `JOIN_WAIT`: a task
blocked in the target's I/O (a flush of a full pipe) is left to end by itself rather than hold up the detach.
"""

import _thread
import contextlib
import threading

from . import suspend

INTERVAL = 0.05
JOIN_WAIT = 2.0
_tasks = {}
_state = {"handle": None, "stop": None}
_lock = threading.Lock()


def add(owner, task):
    """Run `task()` on every tick until `remove(owner)` or `release()`; starts the thread if needed."""
    with _lock:
        _tasks[owner] = task
        if _state["handle"] is None:
            stop = threading.Event()
            _state["stop"] = stop
            _state["handle"] = _thread.start_joinable_thread(lambda: _run(stop), daemon=True)


def remove(owner):
    with _lock:
        _tasks.pop(owner, None)


def _run(stop):
    ident = threading.get_ident()
    suspend.add_agent_thread(ident)
    try:
        while True:
            stopping = stop.wait(INTERVAL)
            for task in list(_tasks.values()):
                with contextlib.suppress(Exception):
                    task()
            if stopping:
                return
    finally:
        suspend.remove_agent_thread(ident)


def release():
    """Stop the thread after a last round of every task."""
    with _lock:
        handle, stop = _state["handle"], _state["stop"]
        _state["handle"] = _state["stop"] = None
    if handle is not None:
        stop.set()
        with contextlib.suppress(Exception):
            handle.join(JOIN_WAIT)
    with _lock:
        _tasks.clear()


def forget_after_fork():
    """In a forked child the thread does not exist: forget it (and the lock a parent thread may hold)."""
    global _lock
    _lock = threading.Lock()
    _tasks.clear()
    _state["handle"] = _state["stop"] = None
