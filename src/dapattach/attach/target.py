"""The process being attached to, held by a pidfd from the first check to the end of the attach.

A PID alone can be reused once its process is gone; the pidfd cannot. While `alive()` is true, the PID
still names the process we checked, which is what makes "this connection comes from PID N" (the kernel's
`SO_PEERCRED`) mean "it comes from the target". The pidfd also tells when the target exits, without polling.

A target in a container has another PID inside (`pid_inside`) and may see another filesystem
(`shares_filesystem` is False): its files are then reached through `open_root`.
"""

import asyncio
import contextlib
import fcntl
import os
import select
import signal
import struct

from dapattach import namespaces
from dapattach.attach.checks import AttachError
from dapattach.attach.credentials import Credentials


class Target:
    def __init__(
        self,
        pid: int,
        pidfd: int,
        credentials: Credentials,
        pid_inside: int | None = None,
        shares_filesystem: bool = True,
    ) -> None:
        self.pid = pid
        """The PID as the adapter sees it."""
        self.credentials = credentials
        self.uid = credentials.uid
        """The uid the target opens files and connects sockets with (its filesystem uid, as we see it)."""
        self.pid_inside = pid if pid_inside is None else pid_inside
        """The PID the target has in its own PID namespace (the same as `pid` outside containers)."""
        self.shares_filesystem = shares_filesystem
        """Whether the target names files as the adapter does (same mount namespace and root)."""
        self._pidfd = pidfd
        self._exit: asyncio.Future[None] | None = None

    @classmethod
    def open(cls, pid: int) -> Target:
        try:
            pidfd = os.pidfd_open(pid)
        except ProcessLookupError:
            raise AttachError(pid, f"no process with PID {pid}: it exited while attaching") from None
        try:
            credentials = Credentials.of(pid)
            inside = namespaces.pid_inside(pid)
            shares = namespaces.shares_filesystem(pid)
            return cls(pid, pidfd, credentials, inside, shares)
        except FileNotFoundError, ProcessLookupError:
            os.close(pidfd)
            raise AttachError(pid, f"no process with PID {pid}: it exited while attaching") from None
        except BaseException:
            os.close(pidfd)
            raise

    def exit_status(self) -> int | None:
        """The exit code of the dead process, shell-style (128 + the signal for a signal): from
        `/proc/PID/stat` while its parent has not collected it, then from the pidfd (Linux 6.15+); None
        while it runs, or when the kernel cannot say. The pidfd held meanwhile keeps the PID from naming
        another process."""
        return None if self._pidfd < 0 else exit_code(self.pid, self._pidfd)

    def describe(self) -> str:
        """How messages name the process: "process N", with its own PID when it has another one inside."""
        if self.pid_inside == self.pid:
            return f"process {self.pid}"
        return f"process {self.pid} (PID {self.pid_inside} in its PID namespace)"

    def open_root(self) -> int:
        """An `O_PATH` descriptor of the target's root directory: its filesystem as it sees it."""
        gone = AttachError(self.pid, f"no process with PID {self.pid}: it exited while attaching")
        try:
            proc = os.open(f"/proc/{self.pid}", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise gone from None
        try:
            if not self.alive():  # the directory opened is this process's, not a later one's
                raise gone
            return namespaces.open_root(proc)
        except FileNotFoundError, ProcessLookupError:
            raise gone from None
        finally:
            os.close(proc)

    def alive(self) -> bool:
        """Whether the process has not exited (a zombie has: its pidfd is readable). Once `close`d, a
        target counts as gone: nothing tells any more that its PID is still the same process."""
        if self._pidfd < 0:
            return False
        poller = select.poll()
        poller.register(self._pidfd, select.POLLIN)
        return not poller.poll(0)

    async def exited(self, timeout: float | None) -> bool:
        """Wait until the process exits; False when `timeout` passes first. Any number may wait at once."""
        if not self.alive():
            return True
        if self._exit is None:
            loop = asyncio.get_running_loop()
            exit_ = self._exit = loop.create_future()

            def readable() -> None:
                loop.remove_reader(self._pidfd)
                if not exit_.done():
                    exit_.set_result(None)

            loop.add_reader(self._pidfd, readable)
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(self._exit)
            return True
        except TimeoutError:
            return False

    def send_signal(self, number: signal.Signals) -> None:
        """Send a signal to this very process (never to a later one that reuses its PID)."""
        if self._pidfd < 0:
            return
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(self._pidfd, number)

    def close(self) -> None:
        if self._exit is not None and not self._exit.done():
            self._exit.get_loop().remove_reader(self._pidfd)
            self._exit.cancel()
        if self._pidfd >= 0:
            os.close(self._pidfd)
            self._pidfd = -1


_PIDFD_GET_INFO = (3 << 30) | (64 << 16) | (0xFF << 8) | 11
"""`_IOWR(PIDFS_IOCTL_MAGIC, 11, struct pidfd_info)` for the 64-byte first version of the struct."""
_PIDFD_INFO_EXIT = 0x8
_EXIT_CODE_OFFSET = 60


def exit_code(pid: int, pidfd: int) -> int | None:
    """The exit code of an ended process as a shell shows it (128 + signal for a signal), or None when the
    kernel cannot say: a zombie has it in `/proc/PID/stat`; once reaped, Linux 6.15+ keeps it with the
    pidfd (`PIDFD_GET_INFO`)."""
    for status in (_zombie_status(pid), _reaped_status(pidfd)):
        if status is not None:
            if os.WIFSIGNALED(status):
                return 128 + os.WTERMSIG(status)
            return os.WEXITSTATUS(status)
    return None


def _zombie_status(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            fields = file.read().rpartition(b")")[2].split()
        return int(fields[49]) if fields[0] == b"Z" else None  # exit_code, field 52
    except OSError, IndexError, ValueError:
        return None


def _reaped_status(pidfd: int) -> int | None:
    buffer = bytearray(64)
    struct.pack_into("=Q", buffer, 0, _PIDFD_INFO_EXIT)
    try:
        fcntl.ioctl(pidfd, _PIDFD_GET_INFO, buffer)
    except OSError:
        return None
    (mask,) = struct.unpack_from("=Q", buffer, 0)
    if not mask & _PIDFD_INFO_EXIT:
        return None
    (status,) = struct.unpack_from("=i", buffer, _EXIT_CODE_OFFSET)
    return int(status)
