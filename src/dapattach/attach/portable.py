"""The portable driver: `sys.remote_exec`, run by the target's own interpreter, on every platform CPython's
remote debugging supports (Linux, macOS, Windows).

`sys.remote_exec` talks only to a process of its own major.minor (and build), so the request is made by a
short helper run under the target's executable (`pyinfo.py --remote-exec`, stdlib only, isolated mode):
any 3.14+ target is reached whatever Python runs the adapter. CPython then does on each system what the
direct driver does on Linux (`process_vm_writev`; `mach_vm_write` on macOS; `WriteProcessMemory` on
Windows). What it cannot do, and the direct driver can: ask another thread than the main one (a target
whose main thread is blocked runs the request when that thread next runs Python code; until then the
snapshot stand-in answers, as with the direct driver), take a pending request back, tell when the target
took it, or see a request displaced by another debugger's. Nor does it reach into a container (a target in
another mount or PID namespace): that is the direct driver's, and `place` says so.

The agent's channel is a Unix socket in the attach folder where there are Unix sockets, else loopback TCP
(`tcp=True` forces it). Either way the kernel must name the target as the other end: `SO_PEERCRED` /
`LOCAL_PEERPID` for a Unix socket, for TCP the process that holds the peer's socket (`peers.held_by`).
"""

import contextlib
import json
import socket
import subprocess
import sys

from dapattach import host, peers, pyinfo
from dapattach.attach.checks import AttachError, disabled_error, permission_error
from dapattach.attach.driver import DRIVER_VARIABLE
from dapattach.attach.folder import AttachFolder, remove_stale
from dapattach.attach.target import Target

HELPER_TIMEOUT = 10.0
HELLO_WITHIN = 0.5
"""The request is in place once the helper returns: a main thread that runs Python takes it at its next
bytecode, and its agent says hello within milliseconds (longer on a loaded machine)."""
DEFUSED = """\
def _dapattach_withdrawn():
    import os
    for name in ("bootstrap.py", "agent.sock"):
        try:
            os.unlink(os.path.join({directory!r}, name))
        except OSError:
            pass
    try:
        os.rmdir({directory!r})
    except OSError:
        pass


_dapattach_withdrawn()
del _dapattach_withdrawn
"""
"""What a withdrawn request runs: it removes the attach folder (it is the target's user's own)."""


class PortableDriver:
    pidfd = False
    hello_within = HELLO_WITHIN
    _cleaned: set[str] = set()

    def __init__(self, *, tcp: bool = not host.HAS_UNIX_SOCKETS) -> None:
        self.tcp = tcp
        self.name = "portable (sys.remote_exec run by the target's own interpreter; agent channel: " + (
            "loopback TCP)" if tcp else "Unix socket)"
        )

    def place(self, target: Target) -> AttachFolder:
        if (apart := self._apart(target)) is not None:
            raise AttachError(
                target.pid,
                f"{target.describe()} runs in a container ({apart} of its own): the portable attach driver "
                f"({DRIVER_VARIABLE}=portable) reaches only processes that share the adapter's; attach "
                "with the direct driver (the default on Linux)",
            )
        if host.WINDOWS:
            from dapattach.attach.plainfolder import PlainFolder

            return PlainFolder.create()  # type: ignore[return-value]
        parent = host.temp_dir()
        if parent not in self._cleaned:
            self._cleaned.add(parent)
            remove_stale(parent)
        return AttachFolder.create(parent, target.uid)

    def _apart(self, target: Target) -> str | None:
        """The namespace the target has of its own that this driver cannot reach across, or None: a
        mount or PID namespace (the request and the files), a network one when the channel is TCP."""
        if not target.shares_filesystem or target.pid_inside != target.pid:
            return "a mount or PID namespace"
        if self.tcp and sys.platform == "linux":
            from dapattach import namespaces

            with contextlib.suppress(OSError):
                if "net" in namespaces.differing(target.pid):
                    return "a network namespace, which loopback TCP does not cross"
        return None

    def listen(self, folder: AttachFolder) -> tuple[socket.socket, str]:
        return folder.listen_tcp() if self.tcp else folder.listen("agent.sock")

    def inject(self, target: Target, script: str) -> str:
        interpreter = host.executable_of(target.pid)
        if interpreter is None:
            raise AttachError(target.pid, f"cannot tell which program process {target.pid} runs")
        command = [interpreter, "-I", "-S", pyinfo.__file__, "--remote-exec", str(target.pid), script]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=HELPER_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            raise AttachError(
                target.pid, f"asking process {target.pid} to attach took more than {HELPER_TIMEOUT:.0f} s"
            ) from None
        except OSError as error:
            raise AttachError(
                target.pid,
                f"cannot run the interpreter of process {target.pid} ({interpreter}) to ask it to attach: "
                f"{error.strerror}",
            ) from None
        try:
            answer = json.loads(done.stdout.strip().splitlines()[-1])
        except ValueError, IndexError:
            raise AttachError(
                target.pid,
                f"the interpreter of process {target.pid} ({interpreter}) could not ask it to attach "
                f"(exit status {done.returncode}): {done.stderr.strip()[-500:]}",
            ) from None
        if "error" in answer:
            raise _explain(target, answer["error"])
        return script

    def picked_up(self, injection: object) -> bool:
        """Nothing tells: the attach waits for the agent's hello."""
        return True

    def pickup_within(self, target: Target, injection: object) -> float:
        return 0.0

    def hand_on(self, target: Target, script: str, injection: object) -> object:
        """Only the main thread can be asked: the request stays with it."""
        return injection

    def taken(self, injection: object) -> bool | None:
        return None

    def withdraw(self, injection: object) -> bool:
        """`sys.remote_exec` has no way to take a request back (see `defuse`)."""
        return False

    def defuse(self, folder: AttachFolder) -> bool:
        """Replace the bootstrap the target has not run yet by one that only removes the folder: the
        request stays, but when the target runs it, it finds a file (no error on its stderr) and leaves
        nothing behind. Only for a target of our own user: another user may not remove our folder."""
        if not folder.for_own_user or not folder.holds("bootstrap.py"):
            return False
        try:
            folder.replace("bootstrap.py", DEFUSED.format(directory=folder.seen_as).encode())
        except OSError:
            return False
        return True

    def displaced(self, injection: object) -> bool:
        return False

    def resend(self, target: Target, script: str) -> str:
        return self.inject(target, script)

    def verify_peer(self, target: Target, connection: socket.socket) -> str | None:
        if connection.family == getattr(socket, "AF_UNIX", None):
            pid, uid = peers.unix_peer(connection)
            if pid != target.pid:
                return f"it comes from PID {pid} (uid {uid}), not from process {target.pid}"
        else:
            theirs, ours = connection.getpeername()[:2], connection.getsockname()[:2]
            if not peers.held_by(target.pid, local=theirs, remote=ours):
                holder = peers.tcp_holder(local=theirs, remote=ours)
                if holder is None:
                    return f"the socket at {theirs[0]}:{theirs[1]} is not one of process {target.pid}'s"
                return f"it comes from PID {holder[0]} (uid {holder[1]}), not from process {target.pid}"
        if not target.alive():
            return f"process {target.pid} has exited, so its PID may be another process now"
        return None


def _explain(target: Target, error: dict[str, str]) -> AttachError:
    kind, message = error.get("type"), error.get("message", "")
    pid = target.pid
    if not target.alive():
        return AttachError(pid, f"no process with PID {pid}: it exited while attaching")
    if kind == "PermissionError" or "Operation not permitted" in message:
        return permission_error(pid)
    if "not enabled" in message:
        return disabled_error(pid, "remote debugging is turned off in it")
    return AttachError(pid, f"process {pid} could not be asked to attach: {message}")
