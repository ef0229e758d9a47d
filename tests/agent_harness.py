"""Helpers for end-to-end tests: run a real target program, attach the agent, look inside afterwards.

`start_target(...)` runs a program from `tests/targets/` (or any path) under Python 3.14, waits for its
ready line and keeps reading its stdout so a test can `await target.expect(pattern)`. `attach(target)`
injects the agent and returns an `AgentLink`. `probe(pid)` runs a small script in the target through
`sys.remote_exec` and returns what it saw (threads, sys.monitoring tools, modules, fds), so a test can
check that a detach left nothing behind.
"""

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import dapattach
import interpreters
from dapattach.agent.ticker import THREAD_NAME
from dapattach.attach import pep768
from dapattach.attach.attempt import inject_agent
from dapattach.attach.link import AgentLink
from interpreters import TARGET

TARGETS = Path(__file__).parent / "targets"
OURS = (str(Path(dapattach.__file__).parent), "/dapattach-")
"""What marks a path as the agent's: the installed package, and the adapter's private temporary folders.
(Not the word "dapattach" alone: the checkout the targets run from may well be called that.)"""


class Target:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.pid = process.pid
        self.lines: list[str] = []
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            text = line.decode(errors="replace").rstrip("\n")
            self.lines.append(text)
            self._queue.put_nowait(text)
        self._queue.put_nowait(None)

    async def expect(self, pattern: str, timeout: float = 10.0) -> re.Match[str]:
        """The next stdout line matching `pattern` (earlier lines are consumed)."""
        async with asyncio.timeout(timeout):
            while True:
                line = await self._queue.get()
                if line is None:
                    raise EOFError(f"target {self.pid} closed stdout before printing {pattern!r}")
                if found := re.search(pattern, line):
                    return found

    def drain(self) -> None:
        """Forget lines printed so far, so the next `expect` sees only new output."""
        while not self._queue.empty():
            self._queue.get_nowait()

    async def stop(self) -> None:
        """Kill the target and read what it printed last. A child it forked may still hold its stdout
        (one stopped at a breakpoint after a failed test): the reader is given a few seconds, not for ever,
        so the failure shows instead of a hang."""
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(self._reader, 5)


@contextlib.asynccontextmanager
async def start_target(
    program: str | Path,
    *args: str,
    python: str = TARGET,
    python_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    ready: str = "READY",
    run_as: Sequence[str] = (),
    stdin: bool = False,
) -> AsyncIterator[Target]:
    """Run `program` (a name in tests/targets/ or a path) and yield it once it printed `ready`.

    `run_as` is a command prefix that runs it as another user (`users.AS_NOBODY`); with `stdin`, the test
    writes the target's standard input (`target.process.stdin`)."""
    path = Path(program) if os.sep in str(program) else TARGETS / program
    process = await asyncio.create_subprocess_exec(
        *run_as, python, *python_args, str(path), *args,
        stdin=asyncio.subprocess.PIPE if stdin else None,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    target = Target(process)
    try:
        await target.expect(re.escape(ready))
        yield target
    finally:
        await target.stop()


async def frame_of(link: AgentLink, thread_name: str, function: str) -> dict[str, Any]:
    threads = (await link.request("threads"))["threads"]
    thread_id = next(thread["id"] for thread in threads if thread["name"] == thread_name)
    frames = (await link.request("stackTrace", {"threadId": thread_id}))["stackFrames"]
    return next(frame for frame in frames if frame["name"] == function)


async def variables(link: AgentLink, reference: int, **arguments: Any) -> dict[str, dict[str, Any]]:
    body = await link.request("variables", {"variablesReference": reference, **arguments})
    return {variable["name"]: variable for variable in body["variables"]}


async def locals_of(link: AgentLink, thread_name: str, function: str) -> dict[str, dict[str, Any]]:
    frame = await frame_of(link, thread_name, function)
    scopes = (await link.request("scopes", {"frameId": frame["id"]}))["scopes"]
    return await variables(link, scopes[0]["variablesReference"])


async def pause(link: AgentLink) -> dict[str, Any]:
    await link.request("pause", {"threadId": 0})
    return await link.wait_for_event("stopped", 10)


async def attach(target: Target | int, timeout: float = 10.0) -> AgentLink:
    return await inject_agent(target if isinstance(target, int) else target.pid, timeout=timeout)


PROBE = """\
def _probe():
    import json, os, socket, sys, threading
    for thread in threading.enumerate():
        if thread.name.startswith("dapattach"):
            thread.join(1.0)
    fds = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds[fd] = os.readlink("/proc/self/fd/" + fd)
        except OSError:
            pass
    tools = {tool: sys.monitoring.get_tool(tool) for tool in range(6)}
    report = {
        "threads": sorted(thread.name for thread in threading.enumerate()),
        "tools": {tool: name for tool, name in tools.items() if name},
        "events": {tool: sys.monitoring.get_events(tool) for tool, name in tools.items() if name},
        "switchinterval": sys.getswitchinterval(),
        "modules": sorted(name for name in sys.modules if "dapattach" in name),
        "path": list(sys.path),
        "importer_cache": sorted(
            str(entry) for entry in sys.path_importer_cache if any(mark in str(entry) for mark in %(ours)r)
        ),
        "main_names": sorted(name for name in vars(sys.modules["__main__"]) if "dapattach" in name),
        "fds": fds,
        "streams": {
            name: [id(stream), sorted(vars(stream))]
            for name, stream in (
                ("stdout", sys.stdout),
                ("stderr", sys.stderr),
                ("stdout.buffer", getattr(sys.stdout, "buffer", None)),
                ("stderr.buffer", getattr(sys.stderr, "buffer", None)),
            )
            if hasattr(stream, "__dict__")
        },
        "buffering": {
            name: [getattr(stream, "line_buffering", None), getattr(stream, "write_through", None)]
            for name, stream in (("stdout", sys.stdout), ("stderr", sys.stderr))
        },
    }
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(%(socket)s)
        sock.sendall(json.dumps(report).encode())


_probe()
del _probe
"""


async def probe(pid: int, timeout: float = 10.0, *, main_interpreter: bool = False) -> dict[str, Any]:
    """Run the probe script in `pid` and return its report (see `run_in_target`)."""
    script = PROBE % {"ours": OURS, "socket": "%r"}
    return await run_in_target(pid, script, timeout, main_interpreter=main_interpreter)


async def run_in_target(
    pid: int, script_template: str, timeout: float = 10.0, *, main_interpreter: bool = False
) -> dict[str, Any]:
    """Run `script_template` (with `%r` for a Unix socket path) in `pid` through `sys.remote_exec`, and
    return the JSON object it sends to that socket. A target of another user gets the files as its own.

    `sys.remote_exec` asks the main thread of the *newest* interpreter, a sub-interpreter when there is
    one; `main_interpreter` asks the main interpreter's main thread instead (`pep768.inject`)."""
    with tempfile.TemporaryDirectory(prefix="target-probe-") as directory:
        socket_path = os.path.join(directory, "probe.sock")
        script = os.path.join(directory, "probe.py")
        received: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            received.set_result(await reader.read())
            writer.close()

        server = await asyncio.start_unix_server(on_connect, path=socket_path)
        try:
            Path(script).write_text(script_template % socket_path)
            owner = os.stat(f"/proc/{pid}").st_uid
            if owner != os.geteuid():
                for path in (directory, socket_path, script):
                    os.chown(path, owner, -1)
            if main_interpreter:
                await asyncio.to_thread(pep768.inject, pid, script)
            else:
                await asyncio.to_thread(_remote_exec, pid, script)
            async with asyncio.timeout(timeout):
                report: dict[str, Any] = json.loads(await received)
        finally:
            server.close()
        return report


def _remote_exec(pid: int, script: str) -> None:
    """`sys.remote_exec(pid, script)`, made by an interpreter of the target's version: CPython sends
    commands only to its own minor version."""
    major, minor, _ = pep768.read_version(pid)
    if (major, minor) == sys.version_info[:2]:
        sys.remote_exec(pid, script)
        return
    python = interpreters.find(f"{major}.{minor}")
    if python is None:
        raise RuntimeError(f"no Python {major}.{minor} here to send process {pid} a script")
    subprocess.run([python, "-I", "-c", REMOTE_EXEC, str(pid), script], check=True, timeout=30)


REMOTE_EXEC = "import sys; sys.remote_exec(int(sys.argv[1]), sys.argv[2])"


# x86-64 syscalls a target sits in while blocked: accept, futex, clock_nanosleep, epoll_wait, accept4,
# epoll_pwait, epoll_pwait2.
BLOCKING_SYSCALLS = {"43", "202", "230", "232", "288", "281", "441"}


async def sigstop(target: Target) -> None:
    """Stop `target` with SIGSTOP and return once every thread of it is stopped. The signal stops a
    process only when one of its threads takes it; until then the others run on (and may answer a
    request). The kernel tells the parent, which the test is, when the whole group has stopped."""
    os.kill(target.pid, signal.SIGSTOP)
    flags = os.WSTOPPED | os.WNOWAIT
    await asyncio.wait_for(asyncio.to_thread(os.waitid, os.P_PID, target.pid, flags), 10)


def wait_until_blocked(pid: int, timeout: float = 10.0, *, threads: Sequence[int] = ()) -> None:
    """Wait until every thread (or those of `threads`, by native id) sleeps in a blocking call, so the
    snapshot has one right answer.

    A ready line is printed just *before* the target blocks; the kernel tells us when it got there.
    All threads asleep at once is stable: nobody can be waiting for a GIL that a sleeper holds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            tasks = [str(tid) for tid in threads] or os.listdir(f"/proc/{pid}/task")
            states = [
                Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()[0] for tid in tasks
            ]
            calls = [Path(f"/proc/{pid}/task/{tid}/syscall").read_text().split()[0] for tid in tasks]
        except FileNotFoundError, ProcessLookupError:  # a thread exited while we looked
            continue
        if all(state == "S" for state in states) and all(call in BLOCKING_SYSCALLS for call in calls):
            return
        os.sched_yield()
    raise AssertionError(f"PID {pid} did not block within {timeout} s (states {states}, syscalls {calls})")


async def until_stopped(link: AgentLink, thread_name: str, timeout: float = 10.0) -> int:
    """Wait until thread `thread_name` is stopped (all-stop stops a thread sleeping in C only when it next
    runs Python; no event says so); returns its id. Each look is a round trip to the agent."""
    threads = (await link.request("threads"))["threads"]
    thread_id = next(thread["id"] for thread in threads if thread["name"] == thread_name)
    check = (
        f"any(entry.thread_id == {thread_id} for entry in "
        "__import__('sys').modules['_dapattach_agent.suspend'].stopped().values())"
    )
    async with asyncio.timeout(timeout):
        while (await link.request("evaluate", {"expression": check, "context": "watch"}))["result"] != "True":
            pass
    return int(thread_id)


def agent_threads(pid: int) -> list[str]:
    """The names of the agent's threads in `pid` (Python 3.14 names OS threads after `threading`'s); a
    thread that ends while they are read is not one of them any more."""
    return [name for _, name in _agent_tasks(pid)]


def _agent_tasks(pid: int) -> list[tuple[int, str]]:
    tasks = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as file:
                tasks.append((int(tid), file.read().strip()))
        except FileNotFoundError:
            continue
    return [(tid, name) for tid, name in tasks if name.startswith("dapattach")]


PIDFD_THREAD = os.O_EXCL
"""`pidfd_open`'s flag for a thread (Linux 6.9): its descriptor turns readable when that thread ends."""


async def agent_gone(pid: int, timeout: float = 5.0) -> None:
    """Wait until the agent's threads have ended in `pid`: its main thread closes its socket (which ends
    the detach the adapter waits for) as the last thing before it returns. Each thread is waited on
    through a pidfd of its own; a kernel older than 6.9 has none, and the threads are polled instead."""
    async with asyncio.timeout(timeout):
        for tid, _ in _agent_tasks(pid):
            try:
                pidfd = os.pidfd_open(tid, PIDFD_THREAD)
            except ProcessLookupError:
                continue  # ended already
            except OSError:
                while agent_threads(pid):
                    await asyncio.sleep(0.005)
                return
            try:
                await _readable(pidfd)
            finally:
                os.close(pidfd)


async def _readable(fd: int) -> None:
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_reader(fd)


async def ticker_task(pid: int, timeout: float = 10.0) -> int:
    """The native id of the agent's periodic thread in `pid`, found by its name (which the thread gives
    itself as it starts, a moment after the feature that needs it was turned on)."""
    async with asyncio.timeout(timeout):
        while True:
            for tid in os.listdir(f"/proc/{pid}/task"):
                try:
                    with open(f"/proc/{pid}/task/{tid}/comm") as file:
                        if file.read().strip() == THREAD_NAME:
                            return int(tid)
                except FileNotFoundError:
                    continue
            await asyncio.sleep(0.01)


def wakeups(pid: int, tid: int) -> int:
    """How many times the thread has gone to sleep of its own accord (each wait of a round is one)."""
    with open(f"/proc/{pid}/task/{tid}/status") as file:
        for line in file:
            if line.startswith("voluntary_ctxt_switches:"):
                return int(line.split()[1])
    raise AssertionError("no voluntary_ctxt_switches line")
