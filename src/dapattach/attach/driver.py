"""How an agent gets into a process: the `Driver` an attach goes through, and the direct PEP 768 driver.

An attach (`attempt.Attempt`) asks its driver four things: where to place the files the target reads and
the socket its agent connects to (`place`), to ask the target to run the bootstrap (`inject`), whether a
connection to that socket comes from the target itself (`verify_peer`), and to take back a request the
target has not run yet (`withdraw`). Checks, the bootstrap, the secret, the snapshot stand-in and the link
are the same whichever driver is used, so another way in (a target in its own mount or PID namespace,
seen through `/proc/PID/root`; `sys.remote_exec` run by the target's own interpreter) is another driver.

`DirectDriver` speaks PEP 768 itself (`pep768`, Linux): any 3.14+ version, any thread of the target.
"""

import socket
import tempfile
import time
from typing import Literal, Protocol

from dapattach import peers
from dapattach.attach import pep768
from dapattach.attach.checks import AttachError, disabled_error, permission_error
from dapattach.attach.folder import AttachFolder, remove_stale
from dapattach.attach.target import Target

MAIN_THREAD_GRACE = 0.03


class Driver(Protocol):
    name: str

    def place(self, target: Target) -> AttachFolder:
        """A fresh private folder the target can read and connect in (its `seen_as` is the target's view)."""
        ...

    def inject(self, target: Target, script: str) -> object:
        """Ask the target to run the file `script` (a path as the target sees it); returns a handle for
        `withdraw`. Blocking (run it in a worker thread); failures are `AttachError`s for the user."""
        ...

    def withdraw(self, injection: object) -> bool:
        """Take the request back; True when it was still pending (the target will never run it)."""
        ...

    def verify_peer(self, target: Target, connection: socket.socket) -> str | None:
        """None when the kernel says `connection` comes from the target; else why not, for the log."""
        ...


def choose(target: Target) -> Driver:
    """The driver for `target`: the direct one, the only one so far."""
    return DirectDriver()


class DirectDriver:
    name = "pep768"
    _cleaned: set[str] = set()

    def place(self, target: Target) -> AttachFolder:
        parent = tempfile.gettempdir()
        if parent not in self._cleaned:
            self._cleaned.add(parent)
            remove_stale(parent)
        return AttachFolder.create(parent, target.uid)

    def inject(self, target: Target, script: str) -> pep768.InjectResult:
        """The main thread first: it costs a millisecond, and a busy or briefly sleeping main thread takes
        it at once. If it has not within `MAIN_THREAD_GRACE` it is blocked (sleep, accept, an idle loop):
        withdraw the request and let `pep768` pick a thread that runs Python now (sampled for 16-100 ms)."""
        injection = _inject(target.pid, script, "main")
        if _picked_up(injection, MAIN_THREAD_GRACE) or not self.withdraw(injection):
            return injection
        return _inject(target.pid, script, "auto")

    def withdraw(self, injection: object) -> bool:
        assert isinstance(injection, pep768.InjectResult)
        try:
            return pep768.cancel(injection)
        except OSError, pep768.AttachError:
            return False

    def verify_peer(self, target: Target, connection: socket.socket) -> str | None:
        pid, uid = peers.unix_peer(connection)
        if pid != target.pid:
            return f"it comes from PID {pid} (uid {uid}), not from process {target.pid}"
        if not target.alive():
            return f"process {target.pid} has exited, so PID {pid} may be another process now"
        return None


def _picked_up(injection: pep768.InjectResult, within: float) -> bool:
    """Whether the target starts the script within `within` seconds. The protocol's only completion
    signal is the pending flag the target clears, so it is read (about 20 µs a read) every millisecond."""
    deadline = time.monotonic() + within
    while pep768.is_pending(injection):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.001)
    return True


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
