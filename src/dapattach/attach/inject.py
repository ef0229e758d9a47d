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
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

from dapattach.attach import pep768
from dapattach.attach.checks import (
    AttachError,
    blocked_message,
    check_target,
    disabled_error,
    gone,
    permission_error,
)
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
        raise permission_error(pid) from None
    except pep768.RemoteDebugDisabledError:
        raise disabled_error(pid, "remote debugging is turned off in it") from None
    except pep768.AttachError as error:
        raise AttachError(pid, str(error)) from None
    except PermissionError:
        raise permission_error(pid) from None
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
        if not withdrawn and self.injection is not None and not gone(self.pid):
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
