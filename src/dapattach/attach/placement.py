"""Where the attach folder goes so that the target itself can open the bootstrap, and why it could not.

A target that shares the adapter's filesystem gets the folder in the adapter's temporary folder (else in
`/tmp`, `/var/tmp` or `/dev/shm` when the target's user cannot get there). A target in a container
(another mount namespace or root: a private `/tmp`, its own image) gets it inside its own filesystem,
reached through `/proc/PID/root`: its `$TMPDIR`, else `/tmp`, `/var/tmp` or `/dev/shm`. That filesystem
belongs to the container, whose root user is nobody the adapter trusts, so the way there follows no
symlink and no `..` (`namespaces.open_in_root`), and everything below is made through descriptors
(`folder.AttachFolder`); for a target in another user namespace, as its own user.

Before the target is asked to run anything, the bootstrap must be the same file when looked up as the
target will look it up, and every folder on its way must let the target's uid through: otherwise CPython
would print "Can't open debugger script" on the target's stderr, and nothing would come of it.
"""

import contextlib
import os
import sys

from dapattach import host, namespaces
from dapattach.attach.checks import AttachError, files_short
from dapattach.attach.credentials import READ, SEARCH, Credentials
from dapattach.attach.folder import AttachFolder, remove_stale_at
from dapattach.attach.target import Target

assert sys.platform == "linux", "containers are reached through Linux's /proc"

FALLBACKS = ("/tmp", "/var/tmp", "/dev/shm")
_PARENT = os.O_RDONLY | os.O_DIRECTORY
_cleaned: set[tuple[int, int, int | None]] = set()


def place(target: Target) -> AttachFolder:
    """A fresh attach folder where the adapter can create it and the target can open what is in it."""
    tried: list[str] = []
    root = target.open_root()
    try:
        for seen in _candidates(target):
            why = unreachable(target, root, seen)
            if why is not None:
                tried.append(why)
                continue
            try:
                parent_fd, shown = _open_parent(target, root, seen)
            except OSError as error:
                tried.append(f"{seen}: {error.strerror}")
                continue
            acting = _credentials(target).own_user_namespace_ids()
            _remove_stale_once(parent_fd, shown, None if acting is None else acting[0])
            try:
                return AttachFolder.create_at(parent_fd, shown, seen, target.uid, acting)
            except OSError as error:
                tried.append(f"{seen}: {error.strerror or error}")
    finally:
        os.close(root)
    raise AttachError(
        target.pid,
        f"found no folder where the adapter can create the attach files and {target.describe()} can open "
        f"them ({'; '.join(tried)}); set TMPDIR (for the adapter, or in the target's environment when it "
        "runs in a container) to a folder both can use",
    )


def unreachable(target: Target, root: int, path: str, last: int = SEARCH) -> str | None:
    """Why the target could not get to `path` (`last` is what it needs on the path itself), or None.

    Each folder on the way is looked up as the target would, and its mode checked against the target's
    credentials; the first one that would refuse it is named."""
    parts = [part for part in path.split("/") if part]
    for depth in range(len(parts) + 1):
        here = "/" + "/".join(parts[:depth])
        try:
            fd = namespaces.open_in_root(root, here, os.O_PATH)
        except OSError as error:
            return f"{target.describe()} cannot see {here} ({error.strerror})"
        try:
            info = os.fstat(fd)
        finally:
            os.close(fd)
        wanted = last if depth == len(parts) else SEARCH
        if not _credentials(target).allows(info, wanted):
            need = {SEARCH: "enter", READ: "read"}.get(wanted, "use")
            return (
                f"uid {target.uid}, which {target.describe()} runs as, may not {need} {here} "
                f"(mode {info.st_mode & 0o7777:04o}, owner uid {info.st_uid})"
            )
    return None


def not_seen(target: Target, folder: AttachFolder, name: str) -> str | None:
    """Why the target would not open file `name` of `folder` as ours, or None when it would."""
    path = os.path.join(folder.seen_as, name)
    try:
        root = target.open_root()
    except AttachError as error:
        return str(error)
    try:
        try:
            fd = namespaces.open_in_root(root, path, os.O_PATH)
        except OSError as error:
            return (
                f"{target.describe()} does not see {path} ({error.strerror}): its filesystem is not the one "
                "the attach files were placed in"
            )
        try:
            if not namespaces.same_file(fd, folder.identity(name)):
                return f"{path} is another file for {target.describe()} than the one the adapter wrote"
        finally:
            os.close(fd)
        return unreachable(target, root, path, READ)
    finally:
        os.close(root)


def why_unopened(target: Target, folder: AttachFolder | None, name: str) -> str:
    """Why a target that took the attach request did not open the bootstrap, as far as can be told."""
    if not target.alive():
        return f"{target.describe()} exited"
    if folder is not None and (why := not_seen(target, folder, name)) is not None:
        return why
    if (why := files_short(target.pid)) is not None:
        return why
    return (
        "its filesystem lets it open the file, so something inside it refused: an audit hook "
        "(sys.addaudithook) or an io.open_code hook, or a security module (AppArmor, SELinux, seccomp); "
        "CPython printed which on its stderr ('Audit hook failed' or 'Can't open debugger script')"
    )


def _credentials(target: Target) -> Credentials:
    assert target.credentials is not None, "a target on Linux has its credentials read when it is held"
    return target.credentials


def _candidates(target: Target) -> list[str]:
    first = host.temp_dir() if target.shares_filesystem else _tmpdir_of(target.pid)
    return list(dict.fromkeys(path for path in (first, *FALLBACKS) if path))


def _tmpdir_of(pid: int) -> str | None:
    """The target's own TMPDIR (from the environment it started with), when it is an absolute path."""
    with contextlib.suppress(OSError), open(f"/proc/{pid}/environ", "rb") as file:
        for entry in file.read().split(b"\0"):
            name, _, value = entry.partition(b"=")
            if name == b"TMPDIR" and value.startswith(b"/"):
                return os.fsdecode(value)
    return None


def _open_parent(target: Target, root: int, seen: str) -> tuple[int, str]:
    """The parent folder open, and its name for messages. The adapter's own temporary folder is opened by
    name (its user chose it); in a container's filesystem no symlink is followed on the way."""
    if target.shares_filesystem:
        return os.open(seen, _PARENT | os.O_NOFOLLOW | os.O_CLOEXEC), seen
    fd = namespaces.open_in_root(root, seen, _PARENT, symlinks=False)
    return fd, f"/proc/{target.pid}/root{seen}"


def _remove_stale_once(parent_fd: int, shown: str, owner: int | None) -> None:
    """Folders left by adapters that died, once per parent folder and adapter process."""
    info = os.fstat(parent_fd)
    if (info.st_dev, info.st_ino, owner) not in _cleaned:
        _cleaned.add((info.st_dev, info.st_ino, owner))
        with contextlib.suppress(OSError):
            remove_stale_at(parent_fd, shown, owner)
