"""asyncio tasks as entries of their own in `threads`, each with its await chain as its stack.

DAP has no level between a thread and its frames, and clients show exactly two things for a program:
a list of threads and, for the one chosen, a list of frames. So a task is a thread entry of its own
(`Task 'worker-3' (asyncio, MainThread)`), listed after the OS threads, and its `stackTrace` is its
await chain: the coroutine frames from where it waits (innermost, where it will go on, first, as DAP
orders every stack) out to the coroutine the task runs, then a label naming the future it waits for and
the tasks that await it. VS Code shows such entries in its Call Stack, nvim-dap in its threads widget and
dape in its threads list, each with frames that open the source and whose variables can be inspected:
a suspended coroutine's frame is a frame like any other. The running task's chain is the top of its
thread's stack. Library coroutines (asyncio's own `sleep`, a stream's `readline`) are marked `subtle`
with `justMyCode`.

Task entries have ids from `TASK_BASE` (2**30) up, derived from the task's address as `get_all_awaited_by`
reports it from outside, so a snapshot taken before the agent was in names a task with the same id; OS
thread ids are below 2**22 (Linux's `pid_max` limit), so the two never clash.

Tasks are found without running the target's code and without importing asyncio into a program that has
not: a loop runs where a thread has `BaseEventLoop.run_forever` on its stack (its `self` is the loop), and
`asyncio.all_tasks(loop)` (C, in 3.14) lists the loop's tasks from any thread. Option `asyncioTasks`
(default true) turns the entries off.
"""

import re
import sys
import threading
import weakref

from . import context, inspection, suspend
from .commands import RequestError

TASK_BASE = 1 << 30
_SPAN = 1 << 30
_known = weakref.WeakValueDictionary()
"""{DAP id: task} of the tasks listed so far: a task is looked up by id until it is gone."""


def task_dap_id(address):
    """The DAP id of the task at `address` (`id(task)`, or the task id a snapshot reports)."""
    return TASK_BASE + ((address >> 4) % _SPAN)


def is_task_id(thread_id):
    return isinstance(thread_id, int) and thread_id >= TASK_BASE


def _run_forever_code():
    base_events = sys.modules.get("asyncio.base_events")
    loop_class = getattr(base_events, "BaseEventLoop", None)
    function = getattr(loop_class, "run_forever", None)
    return getattr(function, "__code__", None)


def running_loops():
    """[(thread ident, loop)] for every thread that runs an asyncio loop now."""
    code = _run_forever_code()
    if code is None:
        return []
    found = []
    for ident, frame in suspend.walkable_frames().items():
        if suspend.is_agent_ident(ident):
            continue
        while frame is not None:
            if frame.f_code is code:
                loop = frame.f_locals.get("self")
                if loop is not None:
                    found.append((ident, loop))
                break
            frame = frame.f_back
    return found


def tasks_of(loop):
    """The loop's pending tasks, in a stable order."""
    asyncio_tasks = sys.modules.get("asyncio.tasks")
    if asyncio_tasks is None:
        return []
    for _attempt in range(3):
        try:
            found = list(asyncio_tasks.all_tasks(loop))
            break
        except RuntimeError:  # a task was added while the Python fallback iterated its WeakSet
            continue
    else:
        return []
    return sorted(found, key=id)


def task_name(task):
    name = task.get_name()
    return name if isinstance(name, str) else object.__repr__(name)


REPORTED_TASKS = 256
"""At most this many task entries are reported stopped with their loop's thread (non-stop mode)."""
_reported = {}
"""{thread ident: DAP ids of the task entries reported stopped with it}."""


def _loop_on_this_thread(frame):
    code = _run_forever_code()
    while code is not None and frame is not None:
        if frame.f_code is code:
            return frame.f_locals.get("self")
        frame = frame.f_back
    return None


def _stopped_with_thread(frame):
    """Non-stop: a thread that runs an asyncio loop stopped, and with it every task of that loop, which
    clients show as running unless told (all-stop says it once for everything)."""
    if suspend.all_stop() or not context.option("asyncioTasks"):
        return
    loop = _loop_on_this_thread(frame)
    if loop is None:
        return
    ident = threading.get_ident()
    ids = []
    for task in tasks_of(loop)[:REPORTED_TASKS]:
        dap_id = _remember(task)
        ids.append(dap_id)
        body = {"reason": "pause", "threadId": dap_id, "allThreadsStopped": False, "preserveFocusHint": True,
                "description": "its event loop's thread is stopped"}  # fmt: skip
        context.emit("stopped", body)
    _reported[ident] = ids


def _resumed(kind, idents):
    """The tasks reported stopped with a thread that goes on go on with it."""
    for ident in list(_reported) if idents is None else idents:
        for dap_id in _reported.pop(ident, ()):
            context.emit("continued", {"threadId": dap_id, "allThreadsContinued": False})


def _remember(task):
    dap_id = task_dap_id(id(task))
    while _known.get(dap_id, task) is not task:  # two live tasks 16 GiB apart: rare, not fatal
        dap_id = TASK_BASE + (dap_id + 1 - TASK_BASE) % _SPAN
    _known[dap_id] = task
    return dap_id


def natural_key(name):
    """`conn-2` before `conn-10`: names compared by their runs of digits as numbers."""
    return [
        (0, int(part)) if part.isdigit() else (1, part.lower()) for part in re.split(r"(\d+)", name) if part
    ]


def listing(thread_names):
    """[(dap id, name, task, thread ident)] of every task of every running loop (`asyncioTasks`), by
    thread and then by task name in natural order."""
    if not context.option("asyncioTasks"):
        return []
    result = []
    for ident, loop in running_loops():
        thread = thread_names.get(ident, f"thread {ident}")
        for task in tasks_of(loop):
            dap_id = _remember(task)
            result.append((dap_id, f"Task {task_name(task)!r} (asyncio, {thread})", task, ident))
    result.sort(key=lambda entry: (entry[3], natural_key(task_name(entry[2]))))
    return result


def find(dap_id):
    """(task, thread ident) for a task entry's id, or None when the task is gone or its loop stopped."""
    task = _known.get(dap_id)
    if task is None or task.done():
        return None
    for ident, loop in running_loops():
        if task.get_loop() is loop:
            return task, ident
    return None


def require(dap_id):
    """`find`, or a `RequestError` saying the id names nothing now."""
    found = find(dap_id)
    if found is None:
        raise RequestError(
            f"no thread with id {dap_id} in the target: no asyncio task has it now (the task has finished, "
            "or its event loop no longer runs)"
        )
    return found


def _awaited(coroutine):
    """What a suspended coroutine (or generator, async generator) waits on, or None."""
    for attribute in ("cr_await", "gi_yieldfrom", "ag_await"):
        value = getattr(coroutine, attribute, None)
        if value is not None:
            return value
    return None


def _frame_of(awaitable):
    for attribute in ("cr_frame", "gi_frame", "ag_frame"):
        frame = getattr(awaitable, attribute, None)
        if frame is not None:
            return frame
    return None


def chain(task, thread_top):
    """The task's frames, innermost first. A running task's are the top of its thread's stack, down to
    the coroutine the task runs (`thread_top` is that thread's innermost frame); a suspended task's are
    its coroutines, each waiting on the next."""
    coroutine = task.get_coro()
    outermost = _frame_of(coroutine)
    if outermost is None:
        return []
    if getattr(coroutine, "cr_running", False) or getattr(coroutine, "gi_running", False):
        frames = []
        frame = thread_top
        while frame is not None:
            frames.append(frame)
            if frame is outermost:
                return [f for f in frames if not f.f_code.co_filename.startswith(suspend._AGENT_DIR)]
            frame = frame.f_back
        return [outermost]
    frames = []
    current = coroutine
    while current is not None and len(frames) < 1000:
        frame = _frame_of(current)
        if frame is None:
            break
        frames.append(frame)
        current = _awaited(current)
    frames.reverse()
    return frames


def waits_for(task):
    """A short text for what a suspended task waits on, and for the tasks that await it."""
    parts = []
    waiter = getattr(task, "_fut_waiter", None)
    if waiter is not None:
        if hasattr(waiter, "get_coro"):
            parts.append(f"waits for task {task_name(waiter)!r}")
        else:
            parts.append(f"waits for a {type(waiter).__name__}")
    awaiting = [t for t in (getattr(task, "_asyncio_awaited_by", None) or ()) if hasattr(t, "get_name")]
    if awaiting:
        names = ", ".join(repr(task_name(t)) for t in sorted(awaiting, key=id)[:5])
        parts.append(f"awaited by {names}")
    return "; ".join(parts)


def innermost_user_frame(task, thread_top):
    """The frame a step of a suspended task is about: its innermost coroutine of user code."""
    frames = chain(task, thread_top)
    for frame in frames:
        if context.is_user(frame.f_code):
            return frame
    return frames[0] if frames else None


def stack_trace(arguments, frame_handles, sources):
    """The `stackTrace` of a task entry: its await chain, then a label saying what it waits for."""
    thread_id = arguments.get("threadId")
    task, ident = require(thread_id)
    top = suspend.stopped_frame(ident) or suspend.walkable_frames().get(ident)
    frames = chain(task, top)
    dim = context.option("justMyCode")
    items = [(frame, "subtle" if dim and not context.is_user(frame.f_code) else None) for frame in frames]
    note = waits_for(task)
    if note:
        items.append((None, note))

    def render(item):
        frame, hint = item
        if frame is None:
            return {"id": frame_handles.add(None, ident), "name": hint, "line": 0, "column": 0,
                    "presentationHint": "label"}  # fmt: skip
        return inspection.frame_body(frame, frame_handles, sources, ident, hint)

    return inspection.page(items, arguments, render)


def task_of(frame, ident):
    """The task of the loop on thread `ident` whose await chain holds `frame`, or None."""
    top = suspend.stopped_frame(ident) or suspend.walkable_frames().get(ident)
    for loop_ident, loop in running_loops():
        if loop_ident != ident:
            continue
        for task in tasks_of(loop):
            if any(candidate is frame for candidate in chain(task, top)):
                return task
    return None


suspend.reported_hooks.append(_stopped_with_thread)
suspend.resume_hooks.append(_resumed)
