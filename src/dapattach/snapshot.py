"""Every thread's stack of a live Python process, read from outside without stopping it.

The adapter answers `threads`/`stackTrace` from a snapshot while the agent is still waiting to get in (a
target blocked in `accept()` runs no injected code until a request arrives). `_remote_debugging` only
reads a process of its own major.minor, so for any other version the reading step runs under the
target's own interpreter (`<its executable> -I -S pyinfo.py PID`) and its JSON is parsed here.

On Linux a process in a container names its files otherwise: the reading step then runs in a helper of our
own interpreter that sees the target's interpreter files under the target's names (`pyinfo.enter_view`);
for another Python version there, the adapter reads the stacks itself with the offsets the target's runtime
publishes (`remote_frames`; no asyncio tasks then). An interpreter from inside a container is never run.
Thread ids are the target's own (those its agent reports too); in another PID namespace each thread also
has the id it has here (`host_id`).
"""

import json
import os
import subprocess
import sys
import sysconfig
from typing import Any

from dapattach import host, pyinfo
from dapattach.processes import Problem, ProcessError, ProcessInfo, describe_process
from dapattach.protocol import deferred

HELPER_TIMEOUT = 10.0


class SnapshotError(Exception):
    """A snapshot that could not be taken; the message names the PID and what to do."""


@deferred.frozen
class Frame:
    function: str
    path: str
    line: int

    def to_json(self) -> dict[str, Any]:
        return {"function": self.function, "path": self.path, "line": self.line}


@deferred.frozen
class ThreadStack:
    id: int
    """The native thread id as the process knows it (the main thread's is its PID inside)."""
    name: str
    frames: tuple[Frame, ...]
    """Innermost first, as DAP's stackTrace orders them; a thread that runs code in a sub-interpreter has
    its frames there above its frames in the interpreter it entered it from."""
    interpreter: int = 0
    """The interpreter whose code the thread runs now (0: the main one)."""
    host_id: int = 0
    """The same thread's id here (what `ps -L` and /proc/PID/task show); `id` outside PID namespaces."""
    state: tuple[str, ...] = ()
    """What it was doing as it was read, in words: the kernel's state of the thread (running, sleeping,
    ...; Linux) and, on 3.15, whether it held or waited for the GIL."""


@deferred.frozen
class TaskStack:
    id: int
    name: str
    thread_id: int
    frames: tuple[Frame, ...]
    awaited_by: tuple[str, ...]


@deferred.frozen
class Snapshot:
    pid: int
    python: str
    threads: tuple[ThreadStack, ...]
    tasks: tuple[TaskStack, ...]
    process: ProcessInfo
    cross_version: bool
    """True when the target's own interpreter read the stacks (its version differs from ours)."""
    pid_inside: int = 0
    """The PID the process has in its own PID namespace (`pid` outside PID namespaces)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "pidInside": self.pid_inside or self.pid,
            "python": self.python,
            "crossVersion": self.cross_version,
            "remoteDebug": self.process.remote_debug,
            "threads": [
                {
                    "id": thread.id,
                    "hostId": thread.host_id or thread.id,
                    "name": thread.name,
                    "interpreter": thread.interpreter,
                    "state": list(thread.state),
                    "frames": [f.to_json() for f in thread.frames],
                }
                for thread in self.threads
            ],
            "tasks": [
                {
                    "id": task.id,
                    "name": task.name,
                    "threadId": task.thread_id,
                    "frames": [f.to_json() for f in task.frames],
                    "awaitedBy": list(task.awaited_by),
                }
                for task in self.tasks
            ],
        }


def _thread_name(pid: int, tid: int, main: bool) -> str:
    # Python 3.14+ gives each threading.Thread its name at the OS level (cut to 15 bytes by Linux).
    if main:
        return "MainThread"
    return host.thread_name(pid, tid) or f"Thread {tid}"


def _frames(raw: list[dict[str, Any]]) -> tuple[Frame, ...]:
    return tuple(Frame(function=f["function"], path=f["path"], line=int(f["line"])) for f in raw)


def _run_helper(info: ProcessInfo) -> dict[str, Any]:
    """Read the stacks with the target's own interpreter: same version, stdlib only, isolated mode."""
    interpreter = info.executable
    if interpreter is None or not os.access(interpreter, os.X_OK):
        interpreter = host.executable_of(info.pid) or interpreter or "python"
    command = [interpreter, "-I", "-S", pyinfo.__file__, str(info.pid)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=HELPER_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise SnapshotError(
            f"reading the stacks of PID {info.pid} with its own interpreter ({interpreter}) "
            f"took more than {HELPER_TIMEOUT:.0f} s"
        ) from None
    except OSError as error:
        raise SnapshotError(
            f"PID {info.pid} runs Python {info.version}, and its interpreter {interpreter} cannot be run "
            f"from here to read its stacks ({error.strerror}); run dapattach with Python {info.version}"
        ) from None
    try:
        data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except json.JSONDecodeError, IndexError:
        raise SnapshotError(
            f"the Python {info.version} interpreter of PID {info.pid} ({interpreter}) could not read "
            f"its stacks (exit status {done.returncode}): {done.stderr.strip()[-500:]}"
        ) from None
    return data


def _run_in_view(info: ProcessInfo) -> dict[str, Any]:
    """Read the stacks of a process in a container with our own interpreter, in a helper that sees its
    interpreter files under its names (`pyinfo.enter_view`; needs root, as attaching there does)."""
    command = [sys.executable, "-I", "-S", pyinfo.__file__, "--own-view", str(info.pid)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=HELPER_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise SnapshotError(f"reading the stacks of PID {info.pid} took over {HELPER_TIMEOUT:g} s") from None
    try:
        data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except json.JSONDecodeError, IndexError:
        raise SnapshotError(
            f"could not read the stacks of PID {info.pid}, which runs in a filesystem of its own (a "
            f"container; exit status {done.returncode}): {done.stderr.strip()[-500:]}"
        ) from None
    return data


def _read_by_offsets(info: ProcessInfo) -> dict[str, Any]:
    """Read the stacks of a process of another Python version in a container ourselves, with the offsets
    its runtime publishes (`remote_frames`): its own interpreter is never run from here, and
    `_remote_debugging` reads only a process of our own version. Every interpreter's threads are read;
    asyncio tasks are not (the threads' stacks show where each loop is)."""
    if sys.platform == "linux":
        from dapattach import remote_frames
        from dapattach.attach.pep768 import AttachError

        try:
            threads = remote_frames.read_stacks(info.pid)
        except AttachError as error:
            raise SnapshotError(
                f"could not read the stacks of PID {info.pid} (Python {info.version}, in a container): "
                f"{error}"
            ) from None
        return {
            "python": info.python or info.version,
            "threads": threads,
            "tasks": [],
            "tasksError": "asyncio tasks are not read from a container of another Python version",
            "everyInterpreter": True,
        }
    raise SnapshotError(f"PID {info.pid} runs in a container, which is read on Linux only")


def _read_here(pid: int) -> dict[str, Any]:
    try:
        return pyinfo.read_stacks(pid)
    except Exception as error:
        return {"error": pyinfo.error_json(error)}


def _explain(info: ProcessInfo, error: dict[str, Any]) -> SnapshotError:
    kind, message = error.get("type"), error.get("message", "")
    if not host.exists(info.pid):
        return SnapshotError(f"PID {info.pid} exited while its stacks were being read")
    if kind == "PermissionError":
        return SnapshotError(
            f"permission denied reading the memory of PID {info.pid} (user {info.user}): run dapattach "
            "as the same user or as root (CAP_SYS_PTRACE)"
        )
    return SnapshotError(f"could not read the stacks of PID {info.pid} (Python {info.version}): {message}")


def _namespaces(pid: int) -> tuple[bool, int, dict[int, int]]:
    """Whether `pid` shares our filesystem, its PID inside, and its threads' ids here by their own (Linux;
    elsewhere there are no such namespaces)."""
    if sys.platform != "linux":
        return True, pid, {}
    from dapattach import namespaces

    try:
        shares = namespaces.shares_filesystem(pid)
        inside = namespaces.pid_inside(pid)
    except OSError:
        return True, pid, {}
    return shares, inside, namespaces.threads_inside(pid) if inside != pid else {}


def take_snapshot(pid: int) -> Snapshot:
    """Stacks of every thread (and asyncio task) of `pid`; the target keeps running throughout."""
    try:
        info = describe_process(pid)
    except ProcessError as error:
        raise SnapshotError(str(error)) from None
    # Reading memory does not need PEP 768's switch: a process with remote debugging disabled still works.
    if info.problem not in (None, Problem.REMOTE_DEBUG_DISABLED):
        raise SnapshotError(f"cannot take a snapshot: {info.reason}")
    ours = "{}.{}".format(*sys.version_info[:2])
    free_threaded = (info.python or "").endswith("t")
    # `_remote_debugging` reads only a process of its own version and build (GIL or free-threaded).
    cross_version = info.version != ours or free_threaded != bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    shares, inside, host_ids = _namespaces(pid)
    if not shares and cross_version and free_threaded:
        raise SnapshotError(
            f"PID {pid} runs the free-threaded Python {info.python} in a filesystem of its own (a "
            f"container), and this dapattach runs on Python {ours}: it reads such a process only with "
            "its own interpreter (it never runs one from inside a container); run dapattach with "
            f"Python {info.version}t"
        )
    match shares, cross_version:
        case True, True:
            data = _run_helper(info)
        case True, False:
            data = _read_here(pid)
        case False, False:
            data = _run_in_view(info)
        case _:
            data = _read_by_offsets(info)
    if "error" in data:
        raise _explain(info, data["error"])
    if info.version == "3.14" and not free_threaded and not data.get("everyInterpreter"):
        data["threads"] = _every_interpreter(pid, data["threads"])
    threads = _merged(pid, data["threads"], inside, host_ids)
    task_names = {task["id"]: task["name"] for task in data["tasks"]}
    tasks = tuple(
        TaskStack(
            id=task["id"],
            name=task["name"],
            thread_id=task["threadId"],
            frames=_frames(task["frames"]),
            awaited_by=tuple(str(task_names.get(waiter, waiter)) for waiter in task["awaitedBy"]),
        )
        for task in data["tasks"]
    )
    main_first = tuple(sorted(threads, key=lambda thread: (thread.id != inside, thread.id)))
    return Snapshot(
        pid=pid,
        python=info.python or data["python"],
        threads=main_first,
        tasks=tasks,
        process=info,
        cross_version=cross_version,
        pid_inside=inside,
    )


def _every_interpreter(pid: int, threads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """3.14 reads the newest interpreter only: with sub-interpreters, read every one ourselves (Linux:
    through the direct driver's memory reader; elsewhere the newest interpreter's stacks stay)."""
    if sys.platform == "linux":
        from dapattach import remote_frames
        from dapattach.attach.pep768 import AttachError

        try:
            if remote_frames.count_interpreters(pid) > 1:
                return remote_frames.read_stacks(pid)
        except AttachError:
            pass
    return threads


def _merged(
    pid: int, raw: list[dict[str, Any]], inside: int, host_ids: dict[int, int]
) -> tuple[ThreadStack, ...]:
    """One stack per OS thread: the frames of the interpreters it runs in, the newest interpreter's on
    top (a sub-interpreter is entered from an older one), named with the interpreter it runs code in."""
    by_thread: dict[int, list[dict[str, Any]]] = {}
    for thread in raw:
        by_thread.setdefault(thread["id"], []).append(thread)
    result = []
    for thread_id, parts in by_thread.items():
        parts.sort(key=lambda part: -(part.get("interpreter") or 0))
        frames = tuple(frame for part in parts for frame in _frames(part["frames"]))
        running = next((part.get("interpreter") or 0 for part in parts if part["frames"]), 0)
        host_id = host_ids.get(thread_id, thread_id)
        name = _thread_name(pid, host_id, thread_id == inside)
        if running:
            name = f"{name} (interpreter {running})"
        said = dict.fromkeys(word for part in parts for word in part.get("status") or ())
        state = (*_kernel_state(pid, host_id), *said)
        result.append(
            ThreadStack(
                id=thread_id, name=name, frames=frames, interpreter=running, host_id=host_id, state=state
            )
        )
    return tuple(result)


def _kernel_state(pid: int, host_id: int) -> tuple[str, ...]:
    """The kernel's word for what thread `host_id` of `pid` does, as `ps` and psutil say it (Linux;
    nothing elsewhere, or when it has ended meanwhile)."""
    if sys.platform != "linux":
        return ()
    from dapattach import procfs

    word = procfs.STATES.get(procfs.thread_state(pid, host_id))
    return () if word is None else (word,)


def format_snapshot(snapshot: Snapshot) -> str:
    inside = snapshot.pid_inside
    own = f" (PID {inside} in its PID namespace)" if inside and inside != snapshot.pid else ""
    lines = [f"PID {snapshot.pid}{own} — Python {snapshot.python} — {len(snapshot.threads)} thread(s)"]
    if snapshot.process.remote_debug is False:
        lines.append("(remote debugging is disabled in this process: stacks can be read, attaching cannot)")
    for thread in snapshot.threads:
        lines.append("")
        here = f", thread {thread.host_id} here" if thread.host_id and thread.host_id != thread.id else ""
        state = f" [{', '.join(thread.state)}]" if thread.state else ""
        lines.append(f'Thread {thread.id} "{thread.name}"{here}{state} (most recent call first):')
        lines.extend(f'  File "{f.path}", line {f.line}, in {f.function}' for f in thread.frames)
    for task in snapshot.tasks:
        lines.append("")
        waiter = f", awaited by {', '.join(map(repr, task.awaited_by))}" if task.awaited_by else ""
        lines.append(f"Task {task.name!r} on thread {task.thread_id}{waiter} (await chain, outermost first):")
        lines.extend(f'  File "{f.path}", line {f.line}, in {f.function}' for f in reversed(task.frames))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    import argparse  # here, not at the top: the adapter imports this module and never needs it

    parser = argparse.ArgumentParser(
        prog="dapattach snapshot",
        description="Print every thread's stack of a running Python 3.14+ process without stopping it.",
    )
    parser.add_argument("pid", type=int, help="process id of the target")
    parser.add_argument("--json", action="store_true", help="print one JSON object (for tools)")
    options = parser.parse_args(argv)
    try:
        snapshot = take_snapshot(options.pid)
    except SnapshotError as error:
        print(f"dapattach snapshot: {error}", file=sys.stderr)
        return 1
    if options.json:
        print(json.dumps(snapshot.to_json(), ensure_ascii=False, indent=1))
    else:
        print(format_snapshot(snapshot))
    return 0
