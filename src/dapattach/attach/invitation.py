"""What an attach puts in place for the agent, and the request that has the target come in.

`invite` checks the target, has the driver place a private folder with the bootstrap and open the socket
the agent connects to, checks that the target sees the bootstrap as the adapter wrote it, and asks the
target to run it. All of it is blocking and none of it needs asyncio, so the adapter can do it for the
client's first `attach` before it has imported the rest of itself (`greeting.attach_early`): the target
loads the agent meanwhile. `attempt.Attempt` takes the invitation over, wherever it was made, and
follows it up to the agent's hello.
"""

import errno
import logging
import os
import secrets
import socket
import sys
import time
from typing import TYPE_CHECKING

from dapattach import host
from dapattach.attach import driver as drivers
from dapattach.attach.checks import AttachError, check_target
from dapattach.attach.folder import AttachFolder, HandOverError
from dapattach.attach.inject import bootstrap_text, place_agent
from dapattach.attach.target import Target

if TYPE_CHECKING:
    from dapattach.attach.watch import OpenWatch

log = logging.getLogger(__name__)

BOOTSTRAP = "bootstrap.py"


class Invitation:
    """A target asked to run the bootstrap, with all that was placed for it; `close` removes it all."""

    def __init__(
        self,
        target: Target,
        driver: drivers.Driver,
        folder: AttachFolder,
        sock: socket.socket,
        socket_path: str,
        secret: str,
    ) -> None:
        self.target = target
        self.driver = driver
        self.folder: AttachFolder | None = folder
        self.sock = sock
        """The listening socket the agent connects to (a connection waits in its backlog until accepted)."""
        self.socket_path = socket_path
        """Where the agent connects, as the target sees it."""
        self.secret = secret
        """What the agent's hello must carry."""
        self.script = ""
        """The bootstrap's path, as the target sees it."""
        self.watch: OpenWatch | None = None
        """The target's open of the bootstrap, seen by inotify (None where that is not to be had)."""
        self.injection: object | None = None
        """The driver's handle of the request, once made."""
        self.made_at = time.monotonic()
        self.taken = False
        """Set once an attempt took it over: what was placed is the attempt's to remove from then on."""

    def close(self) -> None:
        """Remove what was placed and let go of the target (a request made stays with the target)."""
        if self.watch is not None:
            self.watch.close()
            self.watch = None
        self.sock.close()
        if self.folder is not None:
            self.folder.remove()
            self.folder = None
        self.target.close()


def invite(pid: int, driver: drivers.Driver | None = None) -> Invitation:
    """Check process `pid`, place the bootstrap and the agent's socket, and ask the target to run it.

    Raises `AttachError` with the user's message when the target cannot be attached; nothing stays behind
    then. The driver is `drivers.choose()`'s unless given.
    """
    check_target(pid)
    try:
        driver = driver or drivers.choose()
        target = Target.open(pid, pidfd=driver.pidfd)
    except drivers.DriverChoiceError as error:
        raise AttachError(pid, f"cannot attach to process {pid}: {error}") from None
    try:
        log.info(
            "%s runs as uid %s%s; attaching with the %s driver",
            target.describe(),
            target.uid,
            "" if target.shares_filesystem else " in a filesystem of its own",
            driver.name,
        )
        invitation = _place(target, driver)
    except BaseException:
        target.close()
        raise
    try:
        invitation.injection = driver.inject(target, invitation.script)
    except BaseException:
        invitation.close()
        raise
    return invitation


def _place(target: Target, driver: drivers.Driver) -> Invitation:
    """The folder, the agent's socket, the agent (a copy for another user's target) and the bootstrap."""
    try:
        folder = driver.place(target)
    except OSError as error:
        raise _unwritable(target, None, error) from None
    log.info("%s: attach folder %s (%s for the target)", target.describe(), folder.path, folder.seen_as)
    sock: socket.socket | None = None
    try:
        sock, socket_path = driver.listen(folder)
        secret = secrets.token_hex(32)
        invitation = Invitation(target, driver, folder, sock, socket_path, secret)
        agent_dir = place_agent(folder, target.uid, target.shares_filesystem)
        text = bootstrap_text(folder, socket_path, secret, agent_dir, target.pid_inside)
        invitation.script = folder.write(BOOTSTRAP, text.encode())
        why = _not_seen(target, folder)
        if why is not None:
            where = f"cannot place the attach files where {target.describe()} can open them"
            raise AttachError(target.pid, f"{where}: {why}")
        invitation.watch = _watch(folder)
        return invitation
    except BaseException as error:
        if sock is not None:
            sock.close()
        folder.remove()
        if isinstance(error, HandOverError):
            raise AttachError(
                target.pid,
                f"cannot hand the attach files to uid {target.uid}, which process {target.pid} runs as: "
                f"the adapter (uid {host.own_uid()}) may trace it but not give files away (no CAP_CHOWN); "
                f"run the adapter as root or as uid {target.uid}",
            ) from None
        if isinstance(error, OSError):
            raise _unwritable(target, folder, error) from None
        raise


_REMEDIES = {
    errno.ENOSPC: "free some space there",
    errno.EDQUOT: "free some space there",
    errno.EROFS: "make it writable",
    errno.EACCES: "make it writable",
}


def _unwritable(target: Target, folder: AttachFolder | None, error: OSError) -> AttachError:
    """What to tell the user when the attach files could not be written (a full or read-only disk)."""
    where = "the temporary folder" if folder is None else os.path.dirname(folder.seen_as)
    if not target.shares_filesystem:
        where += f" of {target.describe()}'s own filesystem (a container)"
    what = [_REMEDIES[error.errno]] if error.errno in _REMEDIES else []
    if target.shares_filesystem:
        what.append("start the adapter with TMPDIR set to a folder the target can read")
    advice = f"; {', or '.join(what)}" if what else ""
    return AttachError(
        target.pid,
        f"cannot write the attach files for {target.describe()} in {where}: {error.strerror or error}"
        f"{advice}. Nothing was left there, and the process was not touched",
    )


def _not_seen(target: Target, folder: AttachFolder) -> str | None:
    """Why the target would not open the bootstrap the adapter wrote (`placement.not_seen`, Linux); None
    when it would, or where this cannot be told beforehand."""
    if sys.platform != "linux" or target.credentials is None:
        return None
    from dapattach.attach import placement

    return placement.not_seen(target, folder, BOOTSTRAP)


def _watch(folder: AttachFolder) -> OpenWatch | None:
    """A watch for the target's open of the bootstrap; None where inotify is not to be had (the attach
    then only loses the early report of a failed open)."""
    try:
        return folder.watch(BOOTSTRAP)
    except OSError as error:
        log.info("cannot watch the bootstrap for the target's open: %s", error)
        return None
