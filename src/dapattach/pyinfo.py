"""Read every thread's stack (and asyncio tasks) of a Python process, as plain JSON-able data.

`_remote_debugging` only reads a process of its own major.minor version, so this module must also run
*under the target's interpreter*: it imports nothing but the stdlib, stays valid on 3.14 and 3.15, and
doubles as a script (`python -I -S pyinfo.py PID` prints one JSON object). The adapter side
(`dapattach.snapshot`) turns that data into typed objects either way, so both paths share this code.

Output: `{"python": "3.14.10", "threads": [{"id": TID, "interpreter": ID | null, "frames": [FRAME, ...]}],
"tasks": [{"id", "name", "threadId", "frames", "awaitedBy": [task id, ...]}], "tasksError": str | null}` with
FRAME = `{"path", "line", "function"}`, innermost frame first. On failure: `{"error": {"type", "message"}}`
and exit status 1.
"""

import json
import sys
from typing import Any

Json = dict[str, Any]


def _frame(info: Any) -> Json:
    # 3.14 gives FrameInfo(filename, lineno, funcname); 3.15 moved the line into `location`.
    line = getattr(info, "lineno", None)
    if line is None:
        location = getattr(info, "location", None)
        line = getattr(location, "lineno", None)
    return {"path": info.filename, "line": line or 0, "function": info.funcname}


def _threads(trace: list[Any]) -> list[tuple[int | None, Any]]:
    """(interpreter id, thread) pairs. 3.15 groups threads by interpreter (InterpreterInfo.threads), so
    a thread that runs code in a sub-interpreter comes twice; 3.14 returns the newest interpreter's
    threads, with no id (see `remote_frames.py`)."""
    threads: list[tuple[int | None, Any]] = []
    for item in trace:
        if hasattr(item, "threads"):
            threads.extend((item.interpreter_id, thread) for thread in item.threads)
        else:
            threads.append((None, item))
    return threads


def _coro_frames(coroutine_stack: list[Any]) -> list[Json]:
    return [_frame(frame) for coro in coroutine_stack for frame in coro.call_stack]


def _tasks(awaited: list[Any]) -> list[Json]:
    tasks = []
    for per_thread in awaited:
        for task in per_thread.awaited_by:
            tasks.append(
                {
                    "id": task.task_id,
                    "name": str(task.task_name),
                    "threadId": per_thread.thread_id,
                    "frames": _coro_frames(task.coroutine_stack),
                    "awaitedBy": [coro.task_name for coro in task.awaited_by],
                }
            )
    return tasks


def read_stacks(pid: int) -> Json:
    """Stacks of every thread of `pid`, read from outside without stopping it."""
    import _remote_debugging  # type: ignore[import-not-found,unused-ignore]

    unwinder = _remote_debugging.RemoteUnwinder(pid, all_threads=True)
    threads = [
        {
            "id": thread.thread_id,
            "interpreter": interpreter,
            "frames": [_frame(frame) for frame in thread.frame_info],
        }
        for interpreter, thread in _threads(unwinder.get_stack_trace())
    ]
    tasks: list[Json] = []
    tasks_error = None
    try:
        tasks = _tasks(unwinder.get_all_awaited_by())
    except RuntimeError as error:
        # Raised when the target never imported asyncio: it simply has no tasks.
        tasks_error = str(error)
    return {
        "python": "{}.{}.{}".format(*sys.version_info[:3]),
        "threads": threads,
        "tasks": tasks,
        "tasksError": tasks_error,
    }


def error_json(error: BaseException) -> Json:
    """The failure as the helper reports it: the innermost cause's type, and the whole chain's text."""
    return {"type": _root_type(error), "message": _describe(error)}


def _describe(error: BaseException) -> str:
    # The unwinder wraps the OS error (permission, vanished process) as the cause of a RuntimeError.
    messages = [str(error)]
    cause = error.__cause__ or error.__context__
    while cause is not None and len(messages) < 4:
        messages.append(f"{type(cause).__name__}: {cause}")
        cause = cause.__cause__ or cause.__context__
    return " <- ".join(messages)


def _root_type(error: BaseException) -> str:
    while error.__cause__ is not None or error.__context__ is not None:
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return type(error).__name__


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: pyinfo.py PID", file=sys.stderr)
        return 2
    try:
        result = read_stacks(int(argv[0]))
    except Exception as error:
        result = {"error": error_json(error)}
        print(json.dumps(result))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
