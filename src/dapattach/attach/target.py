"""The process being attached to, held from the first check to the end of the attach.

A PID alone can be reused once its process is gone; a hold cannot. While `alive()` is true, the PID still
names the process we checked, which is what makes "this connection comes from PID N" (the kernel's word)
mean "it comes from the target". Two ways to hold one:

- `PidfdTarget` (Linux): a pidfd. The kernel says when the process exits (the pidfd turns readable, no
  polling) and signals go to that very process.
- `PsutilTarget` (every platform psutil supports): the PID with its start time, which psutil compares
  before it answers or signals, so a reused PID is never taken for the target. Its exit is seen by a
  look every `POLL_EVERY` seconds.

On Linux a target in a container has another PID inside (`pid_inside`) and may see another filesystem
(`shares_filesystem` is False): its files are then reached through `open_root`. Elsewhere there are no
such namespaces: the PID is the same and the filesystem shared.

asyncio is imported only by the waits for the exit: a target is opened before the adapter has loaded
asyncio when the first attach request is made early (`greeting.attach_early`).
"""

import contextlib
import os
import select
import struct
import sys
from typing import TYPE_CHECKING, Any

from dapattach import host
from dapattach.attach.checks import AttachError
from dapattach.attach.credentials import Credentials

if TYPE_CHECKING:
    import asyncio

TERM, KILL = 15, 9
"""The POSIX numbers of SIGTERM and SIGKILL: a shell-style exit code is 128 + the one that ended it."""
POLL_EVERY = 0.05


def _gone(pid: int) -> AttachError:
    return AttachError(pid, f"no process with PID {pid}: it exited while attaching")


class Target:
    pid: int
    """The PID as the adapter sees it."""
    uid: int | None
    """The uid the target opens files and connects sockets with (its filesystem uid on Linux, as we see
    it; its effective uid elsewhere); None on Windows, which has no uids."""
    credentials: Credentials | None = None
    """What the target may open (Linux: ids, groups, capabilities, user namespace); None elsewhere."""
    pid_inside: int
    """The PID the target has in its own PID namespace (the same as `pid` outside containers)."""
    shares_filesystem: bool = True
    """Whether the target names files as the adapter does (same mount namespace and root)."""

    @staticmethod
    def open(pid: int, *, pidfd: bool = host.LINUX) -> Target:
        """Hold process `pid`: by a pidfd where the system has them (unless `pidfd` is False)."""
        return PidfdTarget.open(pid) if pidfd else PsutilTarget.open(pid)

    def _learn_namespaces(self) -> None:
        """Read the credentials, the PID inside and the filesystem the target sees (Linux)."""
        self.pid_inside = self.pid
        if sys.platform == "linux":
            from dapattach import namespaces

            try:
                self.credentials = Credentials.of(self.pid)
                self.uid = self.credentials.uid
                self.pid_inside = namespaces.pid_inside(self.pid)
                self.shares_filesystem = namespaces.shares_filesystem(self.pid)
            except FileNotFoundError, ProcessLookupError:
                raise _gone(self.pid) from None

    def describe(self) -> str:
        """How messages name the process: "process N", with its own PID when it has another one inside."""
        if self.pid_inside == self.pid:
            return f"process {self.pid}"
        return f"process {self.pid} (PID {self.pid_inside} in its PID namespace)"

    def open_root(self) -> int:
        """An `O_PATH` descriptor of the target's root directory: its filesystem as it sees it (Linux)."""
        if sys.platform != "linux":
            raise OSError(f"the filesystem of process {self.pid} is reached through /proc (Linux only)")
        from dapattach import namespaces

        gone = _gone(self.pid)
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
        """Whether the process has not exited (a zombie has). Once `close`d, a target counts as gone:
        nothing tells any more that its PID is still the same process."""
        raise NotImplementedError

    async def exited(self, timeout: float | None) -> bool:
        """Wait until the process exits; False when `timeout` passes first. Any number may wait at once."""
        raise NotImplementedError

    def exit_status(self) -> int | None:
        """The exit code of the dead process while its parent has not collected it (shell-style: 128 + the
        signal for a signal); None while it runs, once it is collected, or where the system does not say."""
        return None

    def end(self, forcefully: bool) -> None:
        """Ask this very process to end (SIGTERM; TerminateProcess on Windows), or force it (SIGKILL)."""
        raise NotImplementedError

    def send_signal(self, number: int) -> None:
        """Send a signal to this very process (never to a later one that reuses its PID)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class PidfdTarget(Target):
    def __init__(self, pid: int, pidfd: int, uid: int) -> None:
        self.pid = pid
        self.uid = uid
        self._pidfd = pidfd
        self._exit: asyncio.Future[None] | None = None

    @classmethod
    def open(cls, pid: int) -> PidfdTarget:  # type: ignore[override]
        if sys.platform != "linux":
            raise OSError("pidfds exist on Linux only")
        try:
            pidfd = os.pidfd_open(pid)
        except ProcessLookupError:
            raise _gone(pid) from None
        try:
            target = cls(pid, pidfd, _filesystem_uid(pid))
            target._learn_namespaces()
            return target
        except BaseException:
            os.close(pidfd)
            raise

    def exit_status(self) -> int | None:
        """From `/proc/PID/stat` while its parent has not collected it, then from the pidfd (Linux
        6.15+). The pidfd held meanwhile keeps the PID from naming another process."""
        return None if self._pidfd < 0 else exit_code(self.pid, self._pidfd)

    def alive(self) -> bool:
        """A zombie's pidfd is readable."""
        if self._pidfd < 0 or sys.platform != "linux":
            return False
        poller = select.poll()
        poller.register(self._pidfd, select.POLLIN)
        return not poller.poll(0)

    async def exited(self, timeout: float | None) -> bool:
        import asyncio

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

    def end(self, forcefully: bool) -> None:
        self.send_signal(KILL if forcefully else TERM)

    def send_signal(self, number: int) -> None:
        if self._pidfd < 0 or sys.platform != "linux":
            return
        import signal

        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(self._pidfd, number)

    def close(self) -> None:
        if self._exit is not None and not self._exit.done():
            self._exit.get_loop().remove_reader(self._pidfd)
            self._exit.cancel()
        if self._pidfd >= 0:
            os.close(self._pidfd)
            self._pidfd = -1


class PsutilTarget(Target):
    def __init__(self, pid: int, process: Any, uid: int | None) -> None:
        self.pid = pid
        self.uid = uid
        self._process: Any = process

    @classmethod
    def open(cls, pid: int) -> PsutilTarget:  # type: ignore[override]
        psutil = host.psutil()
        try:
            process = psutil.Process(pid)
            uid = None if host.WINDOWS else (_filesystem_uid(pid) if host.LINUX else process.uids().effective)
        except psutil.NoSuchProcess:
            raise _gone(pid) from None
        target = cls(pid, process, uid)
        target._learn_namespaces()
        return target

    def alive(self) -> bool:
        if self._process is None:
            return False
        psutil = host.psutil()
        try:
            return bool(self._process.is_running() and self._process.status() != psutil.STATUS_ZOMBIE)
        except psutil.NoSuchProcess:
            return False
        except psutil.AccessDenied:
            return bool(self._process.is_running())

    async def exited(self, timeout: float | None) -> bool:
        import asyncio

        try:
            async with asyncio.timeout(timeout):
                while self.alive():
                    await asyncio.sleep(POLL_EVERY)
            return True
        except TimeoutError:
            return False

    def exit_status(self) -> int | None:
        """On Linux, read from `/proc/PID/stat` once psutil (which compares the start time) says the
        process is our target's zombie; elsewhere the system keeps it from us."""
        if self._process is None or not host.LINUX:
            return None
        psutil = host.psutil()
        try:
            if self._process.status() != psutil.STATUS_ZOMBIE:
                return None
        except psutil.Error:
            return None
        return exit_code(self.pid)

    def end(self, forcefully: bool) -> None:
        if self._process is None:
            return
        psutil = host.psutil()
        with contextlib.suppress(psutil.NoSuchProcess):
            # psutil checks the start time first: a PID reused since is left alone.
            self._process.kill() if forcefully else self._process.terminate()

    def send_signal(self, number: int) -> None:
        if self._process is None:
            return
        psutil = host.psutil()
        with contextlib.suppress(psutil.NoSuchProcess):
            self._process.send_signal(number)

    def close(self) -> None:
        self._process = None


def _filesystem_uid(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"Uid:"):
                    return int(line.split()[4])
    except FileNotFoundError, ProcessLookupError:
        pass
    raise _gone(pid)


_PIDFD_GET_INFO = (3 << 30) | (64 << 16) | (0xFF << 8) | 11
"""`_IOWR(PIDFS_IOCTL_MAGIC, 11, struct pidfd_info)` for the 64-byte first version of the struct."""
_PIDFD_INFO_EXIT = 0x8
_EXIT_CODE_OFFSET = 60


def exit_code(pid: int, pidfd: int | None = None) -> int | None:
    """The exit code of an ended process as a shell shows it (128 + signal for a signal), or None when the
    kernel cannot say: a zombie has it in `/proc/PID/stat`; once reaped, Linux 6.15+ keeps it with the
    pidfd (`PIDFD_GET_INFO`)."""
    if sys.platform == "win32":
        return None
    for status in (_zombie_status(pid), None if pidfd is None else _reaped_status(pidfd)):
        if status is not None:
            if os.WIFSIGNALED(status):
                return 128 + os.WTERMSIG(status)
            return os.WEXITSTATUS(status)
    return None


def _zombie_status(pid: int) -> int | None:
    if sys.platform != "linux":
        return None
    from dapattach import procfs

    try:
        fields = procfs.stat_fields(pid)
        return int(fields[49]) if fields[0] == b"Z" else None  # exit_code, field 52
    except OSError, IndexError, ValueError:
        return None


def _reaped_status(pidfd: int) -> int | None:
    if sys.platform != "linux":
        return None
    import fcntl

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
