"""One agent thread for work done a little at a time: sending program output, noticing new modules.

Nothing runs until a feature asks (`add`), so an agent without those features has no thread and costs
nothing. The thread runs each task in turn every `INTERVAL` seconds while there is work; after `IDLE_AFTER`
rounds in which no task did anything (a service waiting for requests, a program that prints nothing), it
waits `IDLE_INTERVAL` instead, so an idle program attached for hours is woken a few times a second rather
than twenty. A task says it did something by returning a true value. Work that arrives during the long
wait ends it at once where the agent sees it arrive (`nudge`: a write that reaches an empty output queue,
a log message); what it cannot see (a block-buffered stream's own buffer, a new module) waits at most
`IDLE_INTERVAL`.

The thread is started with `_thread` for the reason `worker.py` gives (threading's bootstrap is Python
code that could stop in an all-stop), registers itself as an agent thread, so it never stops at a
breakpoint, and names itself `THREAD_NAME`, so that `top -H` or a profiler shows whose thread it is.

`release()` (detach) runs every task a last time and joins the thread, waiting at most `JOIN_WAIT`: a task
blocked in the target's I/O (a flush of a full pipe) is left to end by itself rather than hold up the detach.
"""

import _thread
import contextlib
import threading

from . import suspend

INTERVAL = 0.05
IDLE_INTERVAL = 0.25
IDLE_AFTER = 20
"""Rounds with nothing done (a second, at `INTERVAL`) before the ticker waits `IDLE_INTERVAL`."""
THREAD_NAME = "dapattach-tick"
JOIN_WAIT = 2.0
_tasks = {}
_state = {"handle": None, "wake": None, "stop": None, "idle": False}
_lock = threading.Lock()


def add(owner, task):
    """Run `task()` on every tick until `remove(owner)` or `release()`; starts the thread if needed."""
    with _lock:
        _tasks[owner] = task
        if _state["handle"] is None:
            wake, stop = threading.Event(), threading.Event()
            _state.update(wake=wake, stop=stop, idle=False)
            _state["handle"] = _thread.start_joinable_thread(lambda: _run(wake, stop), daemon=True)


def remove(owner):
    with _lock:
        _tasks.pop(owner, None)


def nudge():
    """From any thread, when work arrives: if the ticker is in its long idle wait, end that wait now.
    While it ticks at `INTERVAL` this does nothing, so that a chatty program's output is still sent in
    a round's worth at a time, not a write at a time."""
    if _state["idle"]:
        _state["idle"] = False
        wake = _state["wake"]
        if wake is not None:
            wake.set()


def _run(wake, stop):
    ident = threading.get_ident()
    suspend.add_agent_thread(ident)
    with contextlib.suppress(Exception):
        _thread.set_name(THREAD_NAME)
    quiet = 0
    try:
        while True:
            idle = quiet >= IDLE_AFTER
            _state["idle"] = idle
            wake.wait(IDLE_INTERVAL if idle else INTERVAL)
            _state["idle"] = False
            wake.clear()
            stopping = stop.is_set()
            busy = False
            for task in list(_tasks.values()):
                with contextlib.suppress(Exception):
                    busy = bool(task()) or busy
            quiet = 0 if busy else quiet + 1
            if stopping:
                return
    finally:
        suspend.remove_agent_thread(ident)


def release():
    """Stop the thread after a last round of every task."""
    with _lock:
        handle, wake, stop = _state["handle"], _state["wake"], _state["stop"]
        _state.update(handle=None, wake=None, stop=None, idle=False)
    if handle is not None:
        stop.set()
        wake.set()
        with contextlib.suppress(Exception):
            handle.join(JOIN_WAIT)
    with _lock:
        _tasks.clear()


def forget_after_fork():
    """In a forked child the thread does not exist: forget it (and the lock a parent thread may hold)."""
    global _lock
    _lock = threading.Lock()
    _tasks.clear()
    _state.update(handle=None, wake=None, stop=None, idle=False)
