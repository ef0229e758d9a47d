"""Read every thread's stack (and asyncio tasks) of a Python process, as plain JSON-able data.

`_remote_debugging` only reads a process of its own major.minor version, so this module must also run
*under the target's interpreter*: it imports nothing but the stdlib, stays valid on 3.14 and 3.15, and
doubles as a script (`python -I -S pyinfo.py PID` prints one JSON object). The same script asks a process
to run a file (`python -I -S pyinfo.py --remote-exec PID PATH`, `sys.remote_exec`, which also talks only
to its own major.minor): the portable attach driver runs it with the target's interpreter. The adapter side
(`dapattach.snapshot`) turns that data into typed objects either way, so both paths share this code.

`python -I -S pyinfo.py --own-view PID` reads a process that names its files otherwise (a container): see
`enter_view`.

Output: `{"python": "3.14.10", "threads": [{"id": TID, "interpreter": ID | null, "frames": [FRAME, ...],
"status": [WORD, ...]}],
"tasks": [{"id", "name", "threadId", "frames", "awaitedBy": [task id, ...]}], "tasksError": str | null}` with
FRAME = `{"path", "line", "function"}`, innermost frame first. On failure: `{"error": {"type", "message"}}`
and exit status 1.
"""

import json
import os
import stat
import sys
from typing import Any

Json = dict[str, Any]

_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_BIND, _MS_REC, _MS_PRIVATE = 2, 4, 8, 4096, 16384, 1 << 18
_VIEW_NAMES = ("python", "_asyncio")
"""`_remote_debugging` opens the mapped files whose names hold these, by the names the maps give."""
_VIEW_FILE_LIMIT = 256 << 20


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


_STATUS_WORDS = (
    ("THREAD_STATUS_HAS_GIL", "holds the GIL"),
    ("THREAD_STATUS_GIL_REQUESTED", "waits for the GIL"),
    ("THREAD_STATUS_HAS_EXCEPTION", "handles an exception"),
)


def _status(module: Any, thread: Any) -> list[str]:
    """What 3.15's unwinder tells of the thread (its `status` flags), in words; nothing on 3.14."""
    flags = getattr(thread, "status", None)
    if not isinstance(flags, int):
        return []
    return [word for name, word in _STATUS_WORDS if flags & getattr(module, name, 0)]


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
            "status": _status(_remote_debugging, thread),
        }
        for interpreter, thread in _threads(_settled_stack_trace(unwinder))
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


_READS = 4


def _settled_stack_trace(unwinder: Any) -> Any:
    """The unwinder's stack trace, read again when a read caught a frame chain mid-change.

    The outside read races the running program: a thread pushing or popping frames in a
    sub-interpreter makes about one read in 250 fail with "Failed to parse initial frame in chain"
    (3.15). The next read sees the chain settled. A failure caused by the OS (permission, the process
    gone) is final and raised at once.
    """
    for _ in range(_READS - 1):
        try:
            return unwinder.get_stack_trace()
        except RuntimeError as error:
            if _root_type(error) != "RuntimeError":
                raise
    return unwinder.get_stack_trace()


def enter_view(pid: int) -> None:
    """Make the interpreter files process `pid` maps readable here under the names its maps give them.

    `_remote_debugging` finds a process's runtime by opening, by name, the files it maps; a process in a
    container maps them under names that mean nothing here (or another file). So this process (alone,
    single-threaded, as root) moves into a mount namespace of its own, puts a fresh tmpfs as its root
    with `/proc` in it, and copies each such file there from `/proc/PID/map_files`, which is the very file
    the process maps; no name in the container is ever followed. The caller's filesystem is not touched.
    Call it after `_remote_debugging` and everything else is imported: the files it came from are gone.
    """
    if sys.platform != "linux":
        raise OSError("a process's own view of its files is entered on Linux only")
    import ctypes  # here, not above: the cross-version helper may run on an interpreter without it

    libc = ctypes.CDLL(None, use_errno=True)

    def mount(source: str | None, target: str, kind: str | None, flags: int, data: str | None = None) -> None:
        encoded = [None if value is None else value.encode() for value in (source, target, kind, data)]
        if libc.mount(encoded[0], encoded[1], encoded[2], ctypes.c_ulong(flags), encoded[3]) != 0:
            code = ctypes.get_errno()
            raise OSError(code, f"mount {target}: {os.strerror(code)}")

    os.unshare(os.CLONE_NEWNS)
    mount(None, "/", None, _MS_REC | _MS_PRIVATE)
    mount("dapattach-view", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, "mode=0700")
    os.mkdir("/tmp/proc")
    mount("/proc", "/tmp/proc", None, _MS_BIND | _MS_REC)
    os.chroot("/tmp")
    os.chdir("/")
    with open(f"/proc/{pid}/maps", encoding="utf-8", errors="surrogateescape") as maps:
        lines = maps.read().splitlines()
    for line in lines:
        fields = line.split(maxsplit=5)
        if len(fields) < 6 or not fields[5].startswith("/") or os.path.lexists(fields[5]):
            continue
        if any(name in os.path.basename(fields[5]) for name in _VIEW_NAMES):
            start, _, end = fields[0].partition("-")
            _copy_mapped(f"/proc/{pid}/map_files/{int(start, 16):x}-{int(end, 16):x}", fields[5])


def _copy_mapped(source: str, destination: str) -> None:
    """Copy the regular file mapped at `source` to `destination` (nothing else: no device is opened)."""
    if sys.platform != "linux":
        return
    handle = os.open(source, os.O_PATH | os.O_CLOEXEC)
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _VIEW_FILE_LIMIT:
            return
        reading = os.open(f"/proc/self/fd/{handle}", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.close(handle)
    try:
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        writing = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            while os.sendfile(writing, reading, None, 1 << 24):
                pass
        finally:
            os.close(writing)
    finally:
        os.close(reading)


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


def remote_exec(pid: int, path: str) -> Json:
    """Ask `pid` to run the file `path` at its main thread's next bytecode; returns at once."""
    sys.remote_exec(pid, path)
    return {"python": "{}.{}.{}".format(*sys.version_info[:3])}


def _in_own_view(pid: int) -> Json:
    import _remote_debugging  # type: ignore[import-not-found,unused-ignore]  # noqa: F401

    enter_view(pid)
    return read_stacks(pid)


def main(argv: list[str]) -> int:
    match argv:
        case [pid] if pid.isdigit():
            run: Any = lambda: read_stacks(int(pid))  # noqa: E731
        case ["--own-view", pid] if pid.isdigit():
            run = lambda: _in_own_view(int(pid))  # noqa: E731
        case ["--remote-exec", pid, path] if pid.isdigit():
            run = lambda: remote_exec(int(pid), path)  # noqa: E731
        case _:
            print("usage: pyinfo.py [--own-view] PID | pyinfo.py --remote-exec PID PATH", file=sys.stderr)
            return 2
    try:
        result = run()
    except Exception as error:
        result = {"error": error_json(error)}
        print(json.dumps(result))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
