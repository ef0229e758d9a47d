"""How an agent gets into a process: the `Driver` an attach goes through, and which one a target gets.

An attach (`attempt.Attempt`) asks its driver these things: how to hold the target (`pidfd`), where to
place the files the target reads (`place`) and the socket its agent connects to (`listen`), to ask the
target to run the bootstrap (`inject`), whether the target has started it (`picked_up`), to give the
request to another thread when the one asked is blocked (`hand_on`), whether the target has taken that
request (`taken`), whether a connection to that socket comes from the target itself (`verify_peer`), to
take back a request the target has not run yet (`withdraw`), and whether another debugger's request took
its place (`displaced`, then `resend`). Checks, the bootstrap, the secret, the snapshot stand-in and the
link are the same whichever driver is used.

- `direct.DirectDriver` (Linux): speaks PEP 768 itself, writing the target's memory: any 3.14+ version,
  any thread, a pending request taken back, any namespaces (`placement` puts the files inside a
  container's own filesystem; `SO_PEERCRED` gives the peer's PID as the adapter sees it).
- `portable.PortableDriver` (every platform CPython's remote debugging runs on): `sys.remote_exec`, run by
  the target's own interpreter; the main thread only, a request cannot be taken back, and a target in a
  container is left to the direct driver.
- `HandOverDriver`, for a child process's session: nothing is injected, the agent is sent over by the
  session that found the child; otherwise it is the driver above that `choose` gives.

`DAPATTACH_DRIVER=direct|portable` forces one (the tests run the whole suite with each), and
`DAPATTACH_CHANNEL=unix|tcp` the portable driver's agent channel.
"""

import os
import socket
import sys
from typing import Protocol

from dapattach import host
from dapattach.attach.folder import AttachFolder
from dapattach.attach.target import Target

DRIVER_VARIABLE = "DAPATTACH_DRIVER"
CHANNEL_VARIABLE = "DAPATTACH_CHANNEL"


class Driver(Protocol):
    @property
    def name(self) -> str:
        """How the log and the attach's progress name this way in."""
        ...

    @property
    def pidfd(self) -> bool:
        """Whether to hold the target by a pidfd (`target.PidfdTarget`) rather than by psutil."""
        ...

    def place(self, target: Target) -> AttachFolder:
        """A fresh private folder the target can read and connect in (its `seen_as` is the target's view)."""
        ...

    def listen(self, folder: AttachFolder) -> tuple[socket.socket, str]:
        """The listening socket the agent connects to, and its address as the bootstrap names it."""
        ...

    def inject(self, target: Target, script: str) -> object:
        """Ask the target to run the file `script` (a path as the target sees it); returns a handle for
        `withdraw`. Blocking but quick (run it in a worker thread); failures are `AttachError`s for the
        user."""
        ...

    def picked_up(self, injection: object) -> bool:
        """Whether the target has started running the script; quick. A driver that cannot tell says True
        (the attach then waits for the agent's hello instead)."""
        ...

    def pickup_within(self, target: Target, injection: object) -> float:
        """Seconds the thread asked may take to start the script although it is not blocked (0: at once)."""
        ...

    @property
    def hello_within(self) -> float | None:
        """For a driver that cannot see the request picked up: seconds an agent's hello takes from a target
        that is not blocked, after which the attach is answered from the snapshot; None otherwise."""
        ...

    def hand_on(self, target: Target, script: str, injection: object) -> object:
        """The request, given to a thread that runs Python now if the one asked has not started it (it is
        blocked in C); returns the handle in effect. Blocking (run it in a worker thread)."""
        ...

    def withdraw(self, injection: object) -> bool:
        """Take the request back; True when it was still pending (the target will never run it)."""
        ...

    def taken(self, injection: object) -> bool | None:
        """Whether the target has started on the request (it then opens the bootstrap at once); None
        when this driver cannot tell."""
        ...

    def defuse(self, folder: AttachFolder) -> bool:
        """When `withdraw` could not: make the pending request harmless, leaving `folder` for the target
        to remove when it runs it; False when that cannot be done (the request has started, or the
        target may not remove the folder)."""
        ...

    def verify_peer(self, target: Target, connection: socket.socket) -> str | None:
        """None when the kernel says `connection` comes from the target; else why not, for the log."""
        ...

    def displaced(self, injection: object) -> bool:
        """Whether the target took the request's place while it held another debugger's request, so that
        ours will not run. Cheap: called every few milliseconds until the agent says hello."""
        ...

    def resend(self, target: Target, script: str) -> object:
        """Ask again, after a displacement; returns the new handle. Blocking, like `inject`."""
        ...


class DriverChoiceError(ValueError):
    """`DAPATTACH_DRIVER` or `DAPATTACH_CHANNEL` names something that does not exist here."""


class HandOverDriver:
    """For the session of a child process: its agent is sent over by the session that found the process
    (`rehome`), so nothing is injected and there is nothing to take back. The hold, the folder, the socket
    and the checks on the agent's connection are those of the driver `choose` gives (`base`), so a child
    session's agent comes over the same kind of channel, with the same proofs, as an injected one."""

    def __init__(self, base: Driver | None = None) -> None:
        self._chosen = base

    @property
    def _base(self) -> Driver:
        """Chosen when the attach starts, where a `DriverChoiceError` is reported like any other."""
        if self._chosen is None:
            self._chosen = choose()
        return self._chosen

    @property
    def name(self) -> str:
        return f"hand-over ({self._base.name})"

    @property
    def pidfd(self) -> bool:
        return self._base.pidfd

    def place(self, target: Target) -> AttachFolder:
        return self._base.place(target)

    def listen(self, folder: AttachFolder) -> tuple[socket.socket, str]:
        return self._base.listen(folder)

    def inject(self, target: Target, script: str) -> None:
        return None

    def picked_up(self, injection: object) -> bool:
        """Nothing was asked of a thread: the attach waits for the agent's hello."""
        return True

    def pickup_within(self, target: Target, injection: object) -> float:
        return 0.0

    @property
    def hello_within(self) -> float | None:
        """None: the agent is sent over by another session, which takes its own time (the caller's)."""
        return None

    def hand_on(self, target: Target, script: str, injection: object) -> None:
        return None

    def withdraw(self, injection: object) -> bool:
        return True

    def taken(self, injection: object) -> bool | None:
        return None

    def defuse(self, folder: AttachFolder) -> bool:
        return False

    def verify_peer(self, target: Target, connection: socket.socket) -> str | None:
        return self._base.verify_peer(target, connection)

    def displaced(self, injection: object) -> bool:
        return False

    def resend(self, target: Target, script: str) -> None:
        return None


def choose() -> Driver:
    """The direct driver on Linux, the portable one elsewhere, unless `DAPATTACH_DRIVER` says otherwise."""
    wanted = os.environ.get(DRIVER_VARIABLE) or ("direct" if host.LINUX else "portable")
    channel = os.environ.get(CHANNEL_VARIABLE) or ("unix" if host.HAS_UNIX_SOCKETS else "tcp")
    if channel not in ("unix", "tcp") or (channel == "unix" and not host.HAS_UNIX_SOCKETS):
        raise DriverChoiceError(
            f"{CHANNEL_VARIABLE}={channel!r}: use 'tcp'" + ("" if host.WINDOWS else " or 'unix'")
        )
    if wanted == "portable":
        from dapattach.attach.portable import PortableDriver

        return PortableDriver(tcp=channel == "tcp")
    if wanted == "direct":
        if sys.platform == "linux":
            from dapattach.attach.direct import DirectDriver

            return DirectDriver()
        raise DriverChoiceError(f"{DRIVER_VARIABLE}=direct: the direct driver exists on Linux only")
    raise DriverChoiceError(f"{DRIVER_VARIABLE}={wanted!r}: use 'direct' or 'portable'")
