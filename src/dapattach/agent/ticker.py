"""One agent thread for work done a little at a time: sending program output, noticing new modules.

Nothing runs until a feature asks (`add`), so an agent without those features has no thread and costs
nothing. Each round the thread runs every task in turn. A task returns what it did:

- work it found only by looking (a block-buffered stream's own buffer flushed, a new module): any other
  true value. Such work comes unannounced, so the thread looks again every `INTERVAL` seconds until
  `IDLE_AFTER` rounds have found nothing that way;
- work that was announced (`ANNOUNCED`): the program's own writes and log messages, each of which calls
  `nudge` when it reaches an empty queue. Such work is waited for, not looked for: one round per
  announcement, unless announcements come in quick succession (two rounds that did such work less than
  `2 * INTERVAL` apart: a chatty program), when the thread goes on with a round every `INTERVAL`, each
  gathering a round's worth of writes into one send, until a round finds none;
- nothing: a false value.

Otherwise the thread waits for a `nudge`. Whether unannounced work has come meanwhile, each task can
tell by a quick check of its own (`add`'s `peek`: a text stream holding text, a module count that
changed), which the agent thread runs on the ticks it wakes for anyway (`look`, at most every
`IDLE_INTERVAL`) and which nudges this thread when it finds something. While that goes on, this thread
wakes only for a nudge, and every `BACKSTOP` seconds to look for itself (in case a peek missed what a
round would find); while it does not (a task with no peek, an agent thread busy elsewhere or gone) it
looks every `IDLE_INTERVAL`. So an idle program attached for hours is woken by this thread once every
`BACKSTOP` seconds rather than twenty times a second, and a service that logs a line now and then once a
line; what no hook announces (a stream's own buffer, a new module) waits at most about `IDLE_INTERVAL`.
During the rounds at `INTERVAL`, a `nudge` does not cut the wait short: a chatty program's output is sent
a round's worth at a time, not a write at a time.

A nudge comes from the program's threads, in the middle of their writes, and may come from a signal
handler that interrupted a thread inside a nudge of its own. So it takes no lock that could be held: the
wait is on a bare `_thread` lock that the ticker holds while no nudge is pending and that a nudge
releases (a lock already released stays so), both single calls into C.

The thread is started with `_thread` for the reason `worker.py` gives (threading's bootstrap is Python
code that could stop in an all-stop), registers itself as an agent thread, so it never stops at a
breakpoint, and names itself `THREAD_NAME`, so that `top -H` or a profiler shows whose thread it is.

`release()` (detach) runs every task a last time and joins the thread, waiting at most `JOIN_WAIT`: a task
blocked in the target's I/O (a flush of a full pipe) is left to end by itself rather than hold up the detach.
"""

import _thread
import contextlib
import threading
import time

from . import suspend

INTERVAL = 0.05
IDLE_INTERVAL = 0.25
BACKSTOP = 2.0
"""Seconds the thread waits at most for a nudge while `look` is being called for it."""
LOOKER_GONE = 1.0
"""Seconds since the last `look` after which the thread looks every `IDLE_INTERVAL` itself again."""
IDLE_AFTER = 20
"""Rounds that found nothing by looking (a second, at `INTERVAL`) before the ticker stops looking."""
ANNOUNCED = "announced"
"""A task's answer when the work it did had been announced with `nudge` (see the module's docstring)."""
THREAD_NAME = "dapattach-tick"
JOIN_WAIT = 2.0
_tasks = {}
"""owner: (task, peek), as given to `add`."""
_state = {"handle": None, "wake": None, "stop": None, "looked": -1.0}
_lock = threading.Lock()


def add(owner, task, peek=None):
    """Run `task()` on every tick until `remove(owner)` or `release()`; starts the thread if needed.
    `peek()`, when given, says quickly and from any thread whether a round would find work by looking
    (`nothing_to_find` for a task whose work is always announced); without one, the thread looks."""
    with _lock:
        _tasks[owner] = (task, peek)
        if _state["handle"] is None:
            wake, stop = _thread.allocate_lock(), threading.Event()
            wake.acquire()  # held: no nudge pending
            _state.update(wake=wake, stop=stop)
            _state["handle"] = _thread.start_joinable_thread(lambda: _run(wake, stop), daemon=True)


def remove(owner):
    with _lock:
        _tasks.pop(owner, None)


def nothing_to_find():
    """The `peek` of a task that only ever does announced work."""
    return False


def look():
    """From the agent thread, on its ticks: nudge the ticker when a task's `peek` finds work, so that the
    ticker need not wake to look for it (see the module's docstring)."""
    if _state["wake"] is None:
        return
    _state["looked"] = time.monotonic()
    for _, peek in list(_tasks.values()):
        if peek is None:
            continue  # the ticker looks for that task itself
        try:
            found = peek()
        except Exception:
            found = True
        if found:
            nudge()
            return


def _looked_after():
    """Whether `look` is being called and every task has a `peek`: the thread may wait for a nudge."""
    recent = time.monotonic() - _state["looked"] < LOOKER_GONE
    return recent and all(peek is not None for _, peek in list(_tasks.values()))


def nudge():
    """From any thread, when work arrives: the ticker's next wait for an announcement ends at once (the
    one under way, or the next one, so a nudge that comes as a round ends is not lost)."""
    wake = _state["wake"]
    if wake is not None:
        with contextlib.suppress(RuntimeError):  # a nudge is pending already
            wake.release()


def _run(wake, stop):
    ident = threading.get_ident()
    suspend.add_agent_thread(ident)
    with contextlib.suppress(Exception):
        _thread.set_name(THREAD_NAME)
    looked_ago = IDLE_AFTER - 1  # one round soon, to look at what a feature just added may have
    chatty = False  # announcements come in quick succession: a round every INTERVAL gathers them
    announced_at = -1.0
    try:
        while True:
            if looked_ago < IDLE_AFTER or chatty:
                stop.wait(INTERVAL)
            else:
                wake.acquire(timeout=BACKSTOP if _looked_after() else IDLE_INTERVAL)
            wake.acquire(blocking=False)  # what a nudge announced meanwhile, this round takes
            now = time.monotonic()
            stopping = stop.is_set()
            looked = announced = False
            for task, _ in list(_tasks.values()):
                with contextlib.suppress(Exception):
                    done = task()
                    if done is ANNOUNCED:
                        announced = True
                    elif done:
                        looked = True
            looked_ago = 0 if looked else looked_ago + 1
            chatty = announced and (chatty or now - announced_at < 2 * INTERVAL)
            if announced:
                announced_at = now
            if stopping:
                return
    finally:
        suspend.remove_agent_thread(ident)


def release():
    """Stop the thread after a last round of every task."""
    with _lock:
        handle, wake, stop = _state["handle"], _state["wake"], _state["stop"]
        _state.update(handle=None, wake=None, stop=None)
    if handle is not None:
        stop.set()
        with contextlib.suppress(RuntimeError):
            wake.release()
        with contextlib.suppress(Exception):
            handle.join(JOIN_WAIT)
    with _lock:
        _tasks.clear()
    _state["looked"] = -1.0


def forget_after_fork():
    """In a forked child the thread does not exist: forget it (and the lock a parent thread may hold)."""
    global _lock
    _lock = threading.Lock()
    _tasks.clear()
    _state.update(handle=None, wake=None, stop=None, looked=-1.0)
