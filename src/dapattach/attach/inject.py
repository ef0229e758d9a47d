"""Getting the agent into a live process: checks, the bootstrap, the PEP 768 request, and the hello.

Every way this can fail becomes an `AttachError` whose message names the PID, what went wrong and what to
do. The bootstrap is written into a fresh 0700 directory next to the socket the agent connects back to;
the target deletes the script as soon as it runs it, and the adapter removes the directory once the agent
is in. The request goes through `pep768` rather than `sys.remote_exec`, which works across minor versions
and lets a thread that runs Python take the bootstrap when the main thread is blocked; a request nobody
picked up is withdrawn (`pep768.cancel`) before the directory goes.
"""

import asyncio
import compileall
import contextlib
import functools
import hmac
import json
import logging
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

from dapattach.attach import pep768
from dapattach.attach.link import AgentLink, EventHandler

log = logging.getLogger(__name__)

AGENT_DIR = Path(__file__).resolve().parent.parent / "agent"
MODULE_NAME = "_dapattach_agent"
PROTOCOL = 1
HELLO_TIMEOUT = 5.0
MAIN_THREAD_GRACE = 0.03
LINE_LIMIT = 64 * 1024 * 1024

BOOTSTRAP = """\
def _dapattach_bootstrap():
    import os, sys
    directory, socket_path, secret = {directory!r}, {socket_path!r}, {secret!r}
    for path in (os.path.join(directory, "bootstrap.py"),):
        try:
            os.unlink(path)
        except OSError:
            pass
    try:
        loaded = sys.modules.get({module!r})
        if loaded is not None:
            message = "process %d already has a dapattach agent attached (adapter PID %s)" % (
                os.getpid(), loaded.attached.get("adapter_pid"))
            loaded.refuse(socket_path, secret, message)
            return
        import importlib.util
        spec = importlib.util.spec_from_file_location(
            {module!r}, {init!r}, submodule_search_locations=[{agent_dir!r}])
        module = importlib.util.module_from_spec(spec)
        sys.modules[{module!r}] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop({module!r}, None)
            sys.path_importer_cache.pop({agent_dir!r}, None)
            raise
        module.start(socket_path, secret, {module!r}, {adapter_pid!r})
    except Exception as error:
        import json, socket
        try:
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(1.0)
                sock.connect(socket_path)
                hello = {{"type": "hello", "protocol": 1, "secret": secret, "pid": os.getpid(),
                          "error": "%s: %s" % (type(error).__name__, error)}}
                sock.sendall(json.dumps(hello).encode() + b"\\n")
        except OSError:
            try:
                os.rmdir(directory)
            except OSError:
                pass


try:
    _dapattach_bootstrap()
except Exception:
    pass
del _dapattach_bootstrap
"""


class AttachError(Exception):
    """Attaching failed; the message says why and what to do."""

    def __init__(self, pid: int, message: str) -> None:
        super().__init__(message)
        self.pid = pid


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _permission_error(pid: int) -> AttachError:
    try:
        owner = os.stat(f"/proc/{pid}").st_uid
        whose = f"owned by uid {owner}, the adapter runs as uid {os.geteuid()}"
    except OSError:
        whose = f"the adapter runs as uid {os.geteuid()}"
    try:
        scope = _read("/proc/sys/kernel/yama/ptrace_scope").decode().strip()
        yama = f"; kernel.yama.ptrace_scope is {scope} (0 lets a user attach to any of their own processes)"
    except OSError:
        yama = ""
    return AttachError(
        pid,
        f"permission denied attaching to process {pid} ({whose}): run the adapter as the target's user, "
        f"or give it CAP_SYS_PTRACE (e.g. run it as root){yama}",
    )


def _python_version(pid: int, exe: str) -> tuple[int, int] | None:
    found = re.search(r"python(\d+)\.(\d+)", os.path.basename(exe))
    if found is None:
        try:
            maps = _read(f"/proc/{pid}/maps").decode(errors="replace")
        except PermissionError:
            raise _permission_error(pid) from None
        except OSError:
            maps = ""
        found = re.search(r"libpython(\d+)\.(\d+)", maps)
    return None if found is None else (int(found[1]), int(found[2]))


def _remote_debug_disabled(pid: int) -> str | None:
    try:
        environ = _read(f"/proc/{pid}/environ").split(b"\0")
        cmdline = _read(f"/proc/{pid}/cmdline").split(b"\0")
    except OSError:
        return None
    for entry in environ:
        name, _, value = entry.partition(b"=")
        if name == b"PYTHON_DISABLE_REMOTE_DEBUG" and value:
            return "PYTHON_DISABLE_REMOTE_DEBUG is set in its environment"
    for index, arg in enumerate(cmdline):
        option = arg[2:] if arg.startswith(b"-X") and len(arg) > 2 else None
        if arg == b"-X" and index + 1 < len(cmdline):
            option = cmdline[index + 1]
        if option == b"disable-remote-debug":
            return "it was started with -X disable-remote-debug"
    return None


def _disabled_error(pid: int, why: str) -> AttachError:
    return AttachError(
        pid, f"remote debugging is disabled in process {pid} ({why}): restart it without that to attach"
    )


def check_target(pid: int) -> None:
    """Raise `AttachError` unless `pid` looks like a Python 3.14+ process this adapter can attach to.

    These are cheap checks on `/proc` that give the most specific message; the attach protocol itself
    (`pep768`) checks again from the target's memory.
    """
    if pid <= 0:
        raise AttachError(pid, f"{pid} is not a valid process id")
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except FileNotFoundError:
        if not os.path.exists(f"/proc/{pid}"):
            raise AttachError(
                pid,
                f"no process with PID {pid}: it may have exited (list Python processes with `dapattach ps`)",
            ) from None
        raise AttachError(pid, f"process {pid} is not a Python process (it has no executable)") from None
    except PermissionError:
        raise _permission_error(pid) from None
    version = _python_version(pid, exe)
    if version is None and not os.path.basename(exe).startswith("python"):
        raise AttachError(pid, f"process {pid} ({exe}) is not a Python process: pick a Python 3.14+ process")
    if version is not None and version < (3, 14):
        raise AttachError(
            pid, f"process {pid} runs Python {version[0]}.{version[1]}; attaching needs Python 3.14 or newer"
        )
    why = _remote_debug_disabled(pid)
    if why is not None:
        raise _disabled_error(pid, why)


def _picked_up(injection: pep768.InjectResult, within: float) -> bool:
    """Whether the target starts the script within `within` seconds. The protocol's only completion
    signal is the pending flag the target clears, so it is read (about 20 µs a read) every millisecond."""
    deadline = time.monotonic() + within
    while pep768.is_pending(injection):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.001)
    return True


def _send(pid: int, script: str) -> pep768.InjectResult:
    """Ask the target to run `script`, in the thread most likely to run it soon.

    The main thread first: it costs a millisecond, and a busy or briefly sleeping main thread takes it at
    once. If it has not within `MAIN_THREAD_GRACE` it is blocked (sleep, accept, an idle loop): withdraw
    the request and let `pep768` pick a thread that runs Python now (it samples them for 16-100 ms).
    """
    injection = _inject(pid, script, "main")
    if _picked_up(injection, MAIN_THREAD_GRACE) or not _withdraw(injection):
        return injection
    return _inject(pid, script, "auto")


def _inject(pid: int, script: str, thread: Literal["main", "auto"]) -> pep768.InjectResult:
    try:
        return pep768.inject(pid, script, thread=thread)
    except pep768.NoSuchProcessError:
        raise AttachError(pid, f"no process with PID {pid}: it exited while attaching") from None
    except pep768.AttachPermissionError:
        raise _permission_error(pid) from None
    except pep768.RemoteDebugDisabledError:
        raise _disabled_error(pid, "remote debugging is turned off in it") from None
    except pep768.AttachError as error:
        raise AttachError(pid, str(error)) from None
    except PermissionError:
        raise _permission_error(pid) from None
    except ProcessLookupError:
        raise AttachError(pid, f"no process with PID {pid}: it exited while attaching") from None


def _bootstrap_text(directory: Path, socket_path: Path, secret: str) -> str:
    return BOOTSTRAP.format(
        directory=str(directory),
        socket_path=str(socket_path),
        secret=secret,
        module=MODULE_NAME,
        init=str(AGENT_DIR / "__init__.py"),
        agent_dir=str(AGENT_DIR),
        adapter_pid=os.getpid(),
    )


def _write_private(path: Path, text: str, owner: int | None) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
    if owner is not None:
        os.chown(path, owner, -1)


type Arrival = tuple[asyncio.StreamReader, asyncio.StreamWriter, dict[str, Any]]


def _hello_handler(secret: str, arrived: asyncio.Future[Arrival], pid: int) -> Any:
    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(HELLO_TIMEOUT):
                line = await reader.readline()
            hello = json.loads(line)
        except TimeoutError, ValueError, OSError, asyncio.LimitOverrunError:
            hello = None
        match hello:
            case {"type": "hello", "protocol": 1, "secret": str(theirs)} if hmac.compare_digest(
                theirs.encode(), secret.encode()
            ):
                if not arrived.done():
                    arrived.set_result((reader, writer, hello))
                    return
            case _:
                log.warning("refused a connection to the agent socket for PID %s: bad hello or secret", pid)
        writer.close()

    return on_connect


class PendingAttach:
    """An injection the target has been asked to run; the agent arrives when one of its threads runs it.

    A target whose every thread is blocked in C (an idle server in `accept()`) runs the bootstrap only when
    it next executes Python code, which may be much later: `wait` can be called with a short timeout and
    again later, and `cancel` withdraws the request if the user gives up.
    """

    def __init__(self, pid: int, on_event: EventHandler | None) -> None:
        self.pid = pid
        self.injection: pep768.InjectResult | None = None
        self._on_event = on_event
        self._secret = secrets.token_hex(32)
        self._directory = Path(tempfile.mkdtemp(prefix="dapattach-"))
        self._socket_path = self._directory / "agent.sock"
        self._arrived: asyncio.Future[Arrival] = asyncio.get_running_loop().create_future()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        check_target(self.pid)
        await asyncio.to_thread(_compile_agent)
        owner = os.stat(f"/proc/{self.pid}").st_uid if os.geteuid() == 0 else None
        owner = None if owner == os.geteuid() else owner
        self._server = await asyncio.start_unix_server(
            _hello_handler(self._secret, self._arrived, self.pid), path=self._socket_path, limit=LINE_LIMIT
        )
        bootstrap = self._directory / "bootstrap.py"
        if owner is not None:
            os.chown(self._directory, owner, -1)
            os.chown(self._socket_path, owner, -1)
        _write_private(bootstrap, _bootstrap_text(self._directory, self._socket_path, self._secret), owner)
        self.injection = await asyncio.to_thread(_send, self.pid, str(bootstrap))

    @property
    def running_python(self) -> bool:
        """Whether the thread asked to run the bootstrap was executing Python when asked."""
        return bool(self.injection and self.injection.thread.running_python)

    async def wait(self, timeout: float | None) -> AgentLink:
        """The authenticated link once the agent says hello; `TimeoutError` leaves the request pending."""
        async with asyncio.timeout(timeout):
            reader, writer, hello = await asyncio.shield(self._arrived)
        self._tidy()
        if "refused" in hello or "error" in hello:
            writer.close()
            if "refused" in hello:
                raise AttachError(self.pid, f"{hello['refused']}: detach that session first")
            raise AttachError(self.pid, f"the agent could not start in process {self.pid}: {hello['error']}")
        writer.write(json.dumps({"type": "welcome", "protocol": PROTOCOL}).encode() + b"\n")
        await writer.drain()
        return AgentLink(reader, writer, hello, self._on_event)

    async def cancel(self) -> None:
        """Withdraw the request; an agent that started anyway is told to go (it sees the socket close)."""
        withdrawn = self.injection is not None and await asyncio.to_thread(_withdraw, self.injection)
        if not withdrawn and self.injection is not None and not _gone(self.pid):
            with contextlib.suppress(TimeoutError, AttachError):
                link = await self.wait(HELLO_TIMEOUT)
                await link.detach()
        self._tidy()

    def discard(self) -> None:
        """The target is gone: there is no request left to withdraw, only our directory to remove."""
        self._tidy()

    def _tidy(self) -> None:
        if self._server is not None:
            self._server.close()
        shutil.rmtree(self._directory, ignore_errors=True)


def _gone(pid: int) -> bool:
    """Whether the process has exited (a zombie not yet reaped by its parent counts as exited)."""
    try:
        return _read(f"/proc/{pid}/stat").rpartition(b")")[2].split()[0] in (b"Z", b"X")
    except OSError, IndexError:
        return True


@functools.cache
def _compile_agent() -> None:
    """Write the agent's bytecode once, so targets of our version load it without compiling (30 ms less
    per attach, and less memory churn in the target). Skipped where the user asked for no bytecode files."""
    if sys.dont_write_bytecode:
        return
    with contextlib.suppress(OSError):
        compileall.compile_dir(AGENT_DIR, quiet=2)


def _withdraw(injection: pep768.InjectResult) -> bool:
    try:
        return pep768.cancel(injection)
    except OSError, pep768.AttachError:
        return False


async def start_attach(pid: int, *, on_event: EventHandler | None = None) -> PendingAttach:
    """Check `pid`, then ask it to load the agent; returns at once, before the target has run anything."""
    pending = PendingAttach(pid, on_event)
    try:
        await pending.start()
    except BaseException:
        pending._tidy()
        raise
    return pending


def blocked_message(pid: int, waited: float) -> str:
    return (
        f"process {pid} did not run the attach bootstrap within {waited:g} s: its main thread seems "
        "blocked (sleep, input(), a socket accept, an idle event loop or a long C call) and no other thread "
        "ran Python code. Attach again once it runs Python code"
    )


async def inject_agent(pid: int, *, timeout: float = 10.0, on_event: EventHandler | None = None) -> AgentLink:
    """Load the agent into process `pid` and return the authenticated link to it."""
    pending = await start_attach(pid, on_event=on_event)
    try:
        return await pending.wait(timeout)
    except TimeoutError:
        await pending.cancel()
        raise AttachError(pid, blocked_message(pid, timeout)) from None
    except BaseException:
        await pending.cancel()
        raise
