"""Getting the agent into a live process: checks, the bootstrap, `sys.remote_exec`, and the hello.

Every way this can fail becomes an `AttachError` whose message names the PID, what went wrong and what to
do. The bootstrap is written into a fresh 0700 directory next to the socket the agent connects back to;
the target deletes the script as soon as it runs it, and the adapter removes the directory once the agent
is in. If the target never runs it (its main thread is blocked), the script is left for the target to run
and delete later, so a late run ends quietly instead of printing "can't open debugger script".
"""

import asyncio
import contextlib
import hmac
import json
import logging
import os
import re
import secrets
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from dapattach.attach.link import AgentLink, EventHandler

log = logging.getLogger(__name__)

AGENT_DIR = Path(__file__).resolve().parent.parent / "agent"
MODULE_NAME = "_dapattach_agent"
PROTOCOL = 1
HELLO_TIMEOUT = 5.0
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
    """Raise `AttachError` unless `pid` looks like a Python process this adapter can attach to."""
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
    mine = sys.version_info[:2]
    if version is not None and version < (3, 14):
        raise AttachError(
            pid, f"process {pid} runs Python {version[0]}.{version[1]}; attaching needs Python 3.14 or newer"
        )
    if version is not None and version != mine:
        raise AttachError(
            pid,
            f"process {pid} runs Python {version[0]}.{version[1]} but the adapter runs on Python "
            f"{mine[0]}.{mine[1]}; attaching across versions is not supported yet: run dapattach with a "
            f"Python {version[0]}.{version[1]} interpreter",
        )
    why = _remote_debug_disabled(pid)
    if why is not None:
        raise _disabled_error(pid, why)
    if not sys.is_remote_debug_enabled():
        raise AttachError(
            pid,
            "remote debugging is disabled in the adapter's own interpreter: unset "
            "PYTHON_DISABLE_REMOTE_DEBUG / drop -X disable-remote-debug for dapattach",
        )


def _remote_exec(pid: int, script: str) -> None:
    try:
        sys.remote_exec(pid, script)
    except PermissionError:
        raise _permission_error(pid) from None
    except ProcessLookupError, FileNotFoundError:
        raise AttachError(pid, f"no process with PID {pid}: it exited while attaching") from None
    except (RuntimeError, OSError) as error:
        text = str(error)
        if "not enabled" in text:
            raise _disabled_error(pid, "remote debugging is turned off in it") from None
        if "Can't send commands" in text:
            raise AttachError(pid, f"process {pid}: {text}; run dapattach with the target's Python") from None
        if "PyRuntime" in text:
            raise AttachError(
                pid, f"process {pid} is not a Python 3.14+ process (no Python runtime found in its memory)"
            ) from None
        raise AttachError(pid, f"sys.remote_exec failed for process {pid}: {text}") from None


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


async def inject_agent(pid: int, *, timeout: float = 10.0, on_event: EventHandler | None = None) -> AgentLink:
    """Load the agent into process `pid` and return the authenticated link to it."""
    check_target(pid)
    owner = os.stat(f"/proc/{pid}").st_uid if os.geteuid() == 0 else None
    owner = None if owner == os.geteuid() else owner
    secret = secrets.token_hex(32)
    directory = Path(tempfile.mkdtemp(prefix="dapattach-"))
    socket_path = directory / "agent.sock"
    bootstrap = directory / "bootstrap.py"
    arrived: asyncio.Future[Arrival] = asyncio.get_running_loop().create_future()
    server = await asyncio.start_unix_server(
        _hello_handler(secret, arrived, pid), path=socket_path, limit=LINE_LIMIT
    )
    keep_directory = False
    try:
        if owner is not None:
            os.chown(directory, owner, -1)
            os.chown(socket_path, owner, -1)
        _write_private(bootstrap, _bootstrap_text(directory, socket_path, secret), owner)
        await asyncio.to_thread(_remote_exec, pid, str(bootstrap))
        try:
            async with asyncio.timeout(timeout):
                reader, writer, hello = await arrived
        except TimeoutError:
            keep_directory = bootstrap.exists()
            raise AttachError(
                pid,
                f"process {pid} did not run the attach bootstrap within {timeout:g} s: its main thread "
                "seems blocked (sleep, input(), a socket accept, an idle event loop or a long C call). "
                "Attach again once it runs Python code",
            ) from None
    finally:
        server.close()
        with contextlib.suppress(OSError):
            socket_path.unlink()
        if not keep_directory:
            shutil.rmtree(directory, ignore_errors=True)
    if "refused" in hello or "error" in hello:
        writer.close()
        if "refused" in hello:
            raise AttachError(pid, f"{hello['refused']}: detach that session first")
        raise AttachError(pid, f"the agent could not start in process {pid}: {hello['error']}")
    writer.write(json.dumps({"type": "welcome", "protocol": PROTOCOL}).encode() + b"\n")
    await writer.drain()
    return AgentLink(reader, writer, hello, on_event)
