"""The process being attached to, held by a pidfd from the first check to the end of the attach.

A PID alone can be reused once its process is gone; the pidfd cannot. While `alive()` is true, the PID
still names the process we checked, which is what makes "this connection comes from PID N" (the kernel's
`SO_PEERCRED`) mean "it comes from the target". The pidfd also tells when the target exits, without polling.
"""

import asyncio
import contextlib
import os
import select
import signal

from dapattach.attach.checks import AttachError


class Target:
    def __init__(self, pid: int, pidfd: int, uid: int) -> None:
        self.pid = pid
        """The PID as the adapter sees it."""
        self.uid = uid
        """The uid the target opens files and connects sockets with (its filesystem uid)."""
        self._pidfd = pidfd
        self._exit: asyncio.Future[None] | None = None

    @classmethod
    def open(cls, pid: int) -> Target:
        try:
            pidfd = os.pidfd_open(pid)
        except ProcessLookupError:
            raise AttachError(pid, f"no process with PID {pid}: it exited while attaching") from None
        try:
            return cls(pid, pidfd, _filesystem_uid(pid))
        except BaseException:
            os.close(pidfd)
            raise

    def exit_status(self) -> int | None:
        """The exit code of the dead process while its parent has not collected it (shell-style: 128 + the
        signal for a signal), from `/proc/PID/stat`; None while it runs or once it is collected. The pidfd
        held meanwhile keeps the PID from naming another process."""
        if self._pidfd < 0:
            return None
        try:
            with open(f"/proc/{self.pid}/stat", "rb") as file:
                fields = file.read().rpartition(b")")[2].split()
            if fields[0] != b"Z":
                return None
            status = int(fields[49])
        except OSError, IndexError, ValueError:
            return None
        if os.WIFSIGNALED(status):
            return 128 + os.WTERMSIG(status)
        return os.WEXITSTATUS(status)

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


def _filesystem_uid(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"Uid:"):
                    return int(line.split()[4])
    except FileNotFoundError, ProcessLookupError:
        pass
    raise AttachError(pid, f"no process with PID {pid}: it exited while attaching")
