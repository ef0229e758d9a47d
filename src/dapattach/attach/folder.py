"""The attach folder: the bootstrap, the agent's socket and, for another user's target, a copy of the agent.

The target's user must read these and nobody else may, and only the adapter's user may ever change them.
For a target of another user (the adapter runs as root) the layout is:

    $TMPDIR/dapattach-<adapter PID>-<adapter start time>-<random>/   adapter's, 0711: only it writes
        bootstrap.py                                                 target user's, 0400
        agent.sock                                                   target user's, 0600
        agent/  agent/__pycache__/                                   adapter's, 0755 (importlib lists them)
            *.py  *.pyc                                              target user's, 0400

For a target of the adapter's own user the folder is 0700 and everything in it the user's, 0600. So it is
for a target in another user namespace (rootless Podman), except that everything is its user's: the adapter
makes them *as* that user (`acting_as`: its filesystem uid and gid, on the one thread that makes them),
since a filesystem mounted in that namespace takes no file of a uid it cannot map, and a uid it can map
is one its own root controls anyway.

Nothing here follows a name someone else could change: every call goes through this folder's descriptor
(`*at` calls; on Linux the socket is bound through `/proc/self/fd/N/`, on macOS by its path in this folder
no one else can write or rename), files are created `O_EXCL|O_NOFOLLOW` and
handed over with `fchown`/`fchmod` on their descriptors, the socket with `AT_SYMLINK_NOFOLLOW` in a folder
only the adapter writes. Removal goes through descriptors too, and enters no other mount. The folder's name
carries the adapter's PID and start time, so a later adapter can prove a leftover is dapattach's and its
adapter gone (`remove_stale`), e.g. after a SIGKILL.

The agent's socket is a Unix socket here (`listen`); `listen_tcp` gives the loopback TCP channel instead,
for systems without Unix sockets or when asked. POSIX only: on Windows the attach files live in a fresh
folder of the user's own temporary directory (`plainfolder.PlainFolder`). Acting as another user, the
open watch and mount ids are Linux's.
"""

import contextlib
import ctypes
import functools
import logging
import os
import re
import secrets
import socket
import stat
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from dapattach import host
from dapattach.attach.channel import loopback_listener

if TYPE_CHECKING:
    from dapattach.attach.watch import OpenWatch

log = logging.getLogger(__name__)

PREFIX = "dapattach-"
_LEFTOVER = re.compile(r"dapattach-(\d+)-(\d+)-[0-9a-f]{8}")
_NO_LINKS = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_DIRECTORY: int = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NO_LINKS
_NEW_FILE: int = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NO_LINKS


type Owner = tuple[int, int]
"""(uid, gid) the adapter makes files as, instead of its own."""


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


class HandOverError(PermissionError):
    """The adapter may not give a file to the target's user (no CAP_CHOWN)."""


class AttachFolder:
    """A fresh private folder, used through its descriptor (and its parent's) only."""

    def __init__(
        self,
        fd: int,
        path: str,
        seen_as: str,
        reader: int | None,
        parent_fd: int | None = None,
        acting: Owner | None = None,
    ) -> None:
        self.path = path
        """The folder's path as the adapter names it."""
        self.seen_as = seen_as
        """The same folder as the target names it (another path if it lives in another mount namespace)."""
        self._fd = fd
        self._reader = reader
        self._parent_fd = parent_fd
        self._acting = acting
        self._owner = host.own_uid() if acting is None else acting[0]

    @classmethod
    def create(cls, parent: str, reader_uid: int | None, seen_as_parent: str | None = None) -> AttachFolder:
        """A new folder in `parent` that only uid `reader_uid` (besides the adapter's user) can read in."""
        if sys.platform == "win32":
            raise OSError("attach folders made through descriptors need POSIX")
        return cls.create_at(os.open(parent, _DIRECTORY), parent, seen_as_parent or parent, reader_uid)

    @classmethod
    def create_at(
        cls,
        parent_fd: int,
        parent: str,
        seen_as_parent: str,
        reader_uid: int | None,
        acting: Owner | None = None,
    ) -> AttachFolder:
        """The same in the folder open as `parent_fd` (which it takes over): `parent` is how the adapter
        names it (for messages), `seen_as_parent` how the target does. With `acting`, everything in it is
        made as that (uid, gid), which is then the reader's own."""
        if sys.platform == "win32":
            raise OSError("attach folders made through descriptors need POSIX")
        owner = os.geteuid() if acting is None else acting[0]
        reader = None if reader_uid in (None, owner) else reader_uid
        try:
            with acting_as(acting):
                name = _new_folder(parent_fd)
                fd = os.open(name, _DIRECTORY, dir_fd=parent_fd)
        except BaseException:
            os.close(parent_fd)
            raise
        try:
            if os.fstat(fd).st_uid != owner:
                raise PermissionError(f"the attach folder {name} in {parent} was replaced by someone else's")
            os.fchmod(fd, 0o700 if reader is None else 0o711)  # whatever the umask
        except BaseException:
            os.close(fd)
            os.close(parent_fd)
            raise
        path = os.path.join(parent, name)
        return cls(fd, path, os.path.join(seen_as_parent, name), reader, parent_fd, acting)

    def write(self, name: str, data: bytes, *, mtime_ns: int | None = None) -> str:
        """Create file `name` holding `data`, readable by the target's user only; returns its target path."""
        if sys.platform == "win32":
            raise OSError("POSIX only")
        with acting_as(self._acting):
            fd = os.open(name, _NEW_FILE, 0o600, dir_fd=self._fd)
        try:
            if self._reader is not None:
                _hand_over(fd, self._reader)
                os.fchmod(fd, 0o400)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if mtime_ns is not None:
                os.utime(fd, ns=(mtime_ns, mtime_ns))
        finally:
            os.close(fd)
        return os.path.join(self.seen_as, name)

    @property
    def for_own_user(self) -> bool:
        """Whether the target runs as the adapter's user (who then owns everything in the folder)."""
        return self._reader is None

    def replace(self, name: str, data: bytes) -> None:
        """Put `data` in place of file `name` in one step (a reader sees the old file or the new one)."""
        if sys.platform == "win32":
            raise OSError("POSIX only")
        fresh = f".{name}.{secrets.token_hex(4)}"
        self.write(fresh, data)
        try:
            os.replace(fresh, name, src_dir_fd=self._fd, dst_dir_fd=self._fd)
        except BaseException:
            os.unlink(fresh, dir_fd=self._fd)
            raise

    def holds(self, name: str) -> bool:
        """Whether an entry `name` is (still) in the folder."""
        if self._fd < 0:
            return False
        try:
            os.stat(name, dir_fd=self._fd, follow_symlinks=False)
        except OSError:
            return False
        return True

    def folder(self, name: str) -> AttachFolder:
        """A subfolder the target's user may list and read in, but not write."""
        if sys.platform == "win32":
            raise OSError("POSIX only")
        with acting_as(self._acting):
            os.mkdir(name, 0o700 if self._reader is None else 0o755, dir_fd=self._fd)
        fd = os.open(name, _DIRECTORY, dir_fd=self._fd)
        if self._reader is not None:
            os.fchmod(fd, 0o755)  # whatever the umask
        path, seen_as = os.path.join(self.path, name), os.path.join(self.seen_as, name)
        return AttachFolder(fd, path, seen_as, self._reader, acting=self._acting)

    def listen(self, name: str) -> tuple[socket.socket, str]:
        """A listening Unix socket `name` only the target's user may connect to; returns it and its target
        path. Connections still have to pass the driver's peer check: the mode is only the first fence."""
        if sys.platform == "win32":
            raise OSError("Windows has no Unix sockets here: use listen_tcp")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with acting_as(self._acting):
                sock.bind(f"/proc/self/fd/{self._fd}/{name}" if host.LINUX else os.path.join(self.path, name))
            os.chmod(name, 0o600, dir_fd=self._fd, follow_symlinks=False)
            if self._reader is not None:
                try:
                    os.chown(name, self._reader, -1, dir_fd=self._fd, follow_symlinks=False)
                except PermissionError as error:
                    raise HandOverError(error.errno, error.strerror) from None
            sock.listen(8)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        return sock, os.path.join(self.seen_as, name)

    def listen_tcp(self) -> tuple[socket.socket, str]:
        """A listening loopback TCP socket and its address for the agent (`tcp:127.0.0.1:PORT`). Anyone
        local may connect to it: the driver's peer check and the secret are all the fence there is."""
        return loopback_listener()

    def copy_from(self, source: str, names: list[str]) -> None:
        """Copy files `names` of folder `source` in, with their modification times (so bytecode caches
        that record them stay valid)."""
        for name in names:
            with open(os.path.join(source, name), "rb") as file:
                data = file.read()
                mtime = os.fstat(file.fileno()).st_mtime_ns
            self.write(name, data, mtime_ns=mtime)

    def remove(self) -> None:
        """Remove everything in the folder and the folder itself, and let go of it.

        Only what this descriptor holds is removed, never following a symlink or entering another mount
        (someone who may rename things in the parent, such as a container's root user, could have moved
        the folder or mounted something where it was); its name goes only while it still names it."""
        if self._parent_fd is None:
            self.close()
            return
        if self._fd >= 0:
            _empty(self._fd, _mount_id(self._fd), self._owner)
            name = os.path.basename(self.path)
            with contextlib.suppress(OSError):
                if _same(os.stat(name, dir_fd=self._parent_fd, follow_symlinks=False), os.fstat(self._fd)):
                    os.rmdir(name, dir_fd=self._parent_fd)
        self.close()
        os.close(self._parent_fd)
        self._parent_fd = None

    def watch(self, name: str) -> OpenWatch:
        """Start watching file `name` for the target's open (see `watch.OpenWatch`); `OSError` where
        there is no inotify (off Linux)."""
        if not host.LINUX:
            raise OSError("no inotify on this system")
        from dapattach.attach.watch import OpenWatch

        return OpenWatch(self._fd, name)

    def read_note(self, name: str, limit: int = 1000) -> str | None:
        """The start of regular file `name`, as one line of printable text; None when there is no such
        file. The target may have written it: no link is followed, nothing but a regular file is opened,
        and no more than `limit` bytes are read."""
        try:
            if not stat.S_ISREG(os.stat(name, dir_fd=self._fd, follow_symlinks=False).st_mode):
                return None
            fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _NO_LINKS, dir_fd=self._fd)
        except OSError:
            return None
        try:
            data = os.read(fd, limit) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
        finally:
            os.close(fd)
        return "".join(char if char.isprintable() else " " for char in data.decode("utf-8", "replace"))

    def identity(self, name: str) -> os.stat_result:
        """What file `name` in this folder is (device and inode), to compare with what the target sees."""
        return os.stat(name, dir_fd=self._fd, follow_symlinks=False)

    def close(self) -> None:
        """Let go of the descriptor, leaving the folder as it is (subfolders)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _new_folder(parent_fd: int) -> str:
    """Create a folder no one else can have made or foreseen, named for this adapter; returns its name."""
    me = os.getpid()
    for _ in range(100):
        name = f"{PREFIX}{me}-{start_time(me)}-{secrets.token_hex(4)}"
        try:
            os.mkdir(name, 0o700, dir_fd=parent_fd)
        except FileExistsError:
            continue
        return name
    raise FileExistsError(f"no free name for an attach folder after 100 tries (adapter PID {me})")


def _hand_over(fd: int, uid: int) -> None:
    if sys.platform == "win32":
        return
    try:
        os.fchown(fd, uid, -1)
    except PermissionError as error:
        raise HandOverError(error.errno, error.strerror) from None


def start_time(pid: int) -> int | None:
    """When process `pid` started (clock ticks since boot on Linux, milliseconds since the epoch elsewhere):
    with the PID, it names one process for good."""
    if not host.LINUX:
        try:
            return round(float(host.psutil().Process(pid).create_time()) * 1000)
        except Exception:
            return None
    from dapattach import procfs

    try:
        return int(procfs.stat_fields(pid)[19])
    except OSError, IndexError, ValueError:
        return None


def remove_stale(parent: str) -> list[str]:
    """Remove the attach folders in `parent` that adapters of this user left when they died (see
    `remove_stale_at`)."""
    if sys.platform == "win32":
        return []
    try:
        parent_fd = os.open(parent, _DIRECTORY)
    except OSError:
        return []
    try:
        return remove_stale_at(parent_fd, parent)
    finally:
        os.close(parent_fd)


def remove_stale_at(parent_fd: int, parent: str, owner: int | None = None) -> list[str]:
    """Remove the attach folders in the folder open as `parent_fd` (named `parent` in the log) that
    adapters of this user (or that made them as uid `owner`) left when they died.

    A folder goes only when all of this holds: its name is exactly `dapattach-<PID>-<start time>-<random>`,
    it is a real directory owned by that user on the same mount as `parent`, and no process with that PID
    and start time exists. What is inside goes as in `AttachFolder.remove`.
    """
    if sys.platform == "win32":
        return []
    owner = os.geteuid() if owner is None else owner
    removed: list[str] = []
    mount = _mount_id(parent_fd)
    for entry in os.scandir(parent_fd):
        found = _LEFTOVER.fullmatch(entry.name)
        if found is None:
            continue
        pid, started = int(found[1]), int(found[2])
        if start_time(pid) == started:
            continue
        try:
            fd = os.open(entry.name, _DIRECTORY, dir_fd=parent_fd)
        except OSError:
            continue
        try:
            if os.fstat(fd).st_uid != owner or _mount_id(fd) != mount:
                continue
            _empty(fd, mount, owner)
            os.rmdir(entry.name, dir_fd=parent_fd)
        except OSError:
            continue
        finally:
            os.close(fd)
        log.info("removed %s, left in %s by adapter PID %d, which has exited", entry.name, parent, pid)
        removed.append(entry.name)
    return removed


def _empty(fd: int, mount: int, owner: int | None) -> None:
    """Remove everything in the directory open as `fd`: files and symlinks are unlinked (never followed),
    subdirectories emptied and removed when they are uid `owner`'s and on mount `mount`, else left alone."""
    for entry in os.scandir(fd):
        with contextlib.suppress(OSError):
            if not entry.is_dir(follow_symlinks=False):
                os.unlink(entry.name, dir_fd=fd)
                continue
            child = os.open(entry.name, _DIRECTORY, dir_fd=fd)
            try:
                if os.fstat(child).st_uid != owner or _mount_id(child) != mount:
                    continue
                _empty(child, mount, owner)
            finally:
                os.close(child)
            os.rmdir(entry.name, dir_fd=fd)


def _mount_id(fd: int) -> int:
    """The id of the mount the open file `fd` is on (`mnt_id` in /proc/self/fdinfo); off Linux, its
    device."""
    if not host.LINUX:
        return os.fstat(fd).st_dev
    with open(f"/proc/self/fdinfo/{fd}", "rb") as info:
        for line in info:
            if line.startswith(b"mnt_id:"):
                return int(line.split()[1])
    raise OSError(f"no mnt_id in /proc/self/fdinfo/{fd}")


def _same(one: os.stat_result, other: os.stat_result) -> bool:
    return (one.st_dev, one.st_ino) == (other.st_dev, other.st_ino)


@contextlib.contextmanager
def acting_as(owner: Owner | None) -> Iterator[None]:
    """Make files as `owner` (uid, gid) on this thread: its filesystem ids, which Linux keeps per thread,
    and which take the filesystem capabilities away while they are not root's. None: as ourselves."""
    if owner is None:
        yield
        return
    uid, gid = owner
    libc = _libc()
    gid_before = libc.setfsgid(gid)
    uid_before = libc.setfsuid(uid)
    try:
        if libc.setfsuid(uid) != uid or libc.setfsgid(gid) != gid:
            raise PermissionError(f"cannot make files as uid {uid}, gid {gid} (needs CAP_SETUID, CAP_SETGID)")
        yield
    finally:
        libc.setfsuid(uid_before)
        libc.setfsgid(gid_before)
