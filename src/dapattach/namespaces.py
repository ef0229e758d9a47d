"""How a process in its own namespaces (a container) sees PIDs and files, compared with this process.

- PIDs: a process in its own PID namespace has another PID inside (`NSpid` in `/proc/PID/status`, ours
  first, its own last); so do its threads. Thread ids a target reports about itself
  (`threading.get_native_id()`, `_remote_debugging`) are its own, and `threads_inside` translates them.
- Files: a process in another mount namespace, or under another root, names other files by the same
  path. Its files are reached from here through `/proc/PID/root`, and `open_in_root` resolves a path the
  way the target itself would (`openat2` with `RESOLVE_IN_ROOT`: `..` and absolute symlinks stay inside
  its root), so a name the target's user controls can never lead out of the target's filesystem.
"""

import ctypes
import errno
import os
import stat

NAMESPACE_KINDS = ("mnt", "pid", "user", "net", "uts", "ipc", "cgroup")

RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_NO_SYMLINKS = 0x04
RESOLVE_IN_ROOT = 0x10
_OPENAT2 = 437  # the same number on every Linux architecture
_ROOT_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC


class _OpenHow(ctypes.Structure):
    _fields_ = (("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64))


_libc = ctypes.CDLL(None, use_errno=True)


def _status(pid: int | str, task: int | None = None) -> dict[str, str]:
    path = f"/proc/{pid}/status" if task is None else f"/proc/{pid}/task/{task}/status"
    with open(path, encoding="utf-8", errors="replace") as file:
        return {key: value.strip() for key, _, value in (line.partition(":") for line in file)}


def ns_pids(pid: int) -> tuple[int, ...]:
    """The process's PID in each PID namespace it is in, from ours (the first) to its own (the last)."""
    found = _status(pid).get("NSpid", str(pid))
    return tuple(int(value) for value in found.split())


def pid_inside(pid: int) -> int:
    """The PID the process has in its own PID namespace (what `os.getpid()` says there)."""
    return ns_pids(pid)[-1]


def threads_inside(pid: int) -> dict[int, int]:
    """Each thread's id as the process knows it, mapped to the id we know it by (`/proc/PID/task/TID`)."""
    known: dict[int, int] = {}
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return known
    for task in tasks:
        try:
            ids = _status(pid, int(task)).get("NSpid", task).split()
        except OSError, ValueError:
            continue
        known[int(ids[-1])] = int(task)
    return known


def differing(pid: int) -> frozenset[str]:
    """The namespace kinds in which process `pid` is not where we are (empty when it shares all).

    Raises `OSError` when they cannot be read (another user's process without CAP_SYS_PTRACE)."""
    kinds = set()
    for kind in NAMESPACE_KINDS:
        try:
            if os.readlink(f"/proc/{pid}/ns/{kind}") != os.readlink(f"/proc/self/ns/{kind}"):
                kinds.add(kind)
        except FileNotFoundError:
            if not os.path.isdir(f"/proc/{pid}"):
                raise
    return frozenset(kinds)


def shares_filesystem(pid: int) -> bool:
    """Whether process `pid` names files as we do: the same mount namespace and the same root."""
    if "mnt" in differing(pid):
        return False
    theirs, ours = os.stat(f"/proc/{pid}/root"), os.stat("/")
    return (theirs.st_dev, theirs.st_ino) == (ours.st_dev, ours.st_ino)


def open_in_root(root_fd: int, path: str, flags: int, *, symlinks: bool = True) -> int:
    """Open `path` as a process whose root is `root_fd` would, never leaving that root.

    `symlinks=False` refuses every symlink on the way (for names the adapter creates things under);
    otherwise symlinks are followed as the target would follow them, inside its root. Magic links
    (`/proc/self/...` inside the target) are always refused.
    """
    resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | (0 if symlinks else RESOLVE_NO_SYMLINKS)
    how = _OpenHow(flags | os.O_CLOEXEC, 0, resolve)
    relative = path.lstrip("/") or "."
    fd = _libc.syscall(_OPENAT2, root_fd, os.fsencode(relative), ctypes.byref(how), ctypes.sizeof(how))
    if fd < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), path)
    return int(fd)


def open_root(proc_fd: int) -> int:
    """An `O_PATH` descriptor of the root of the process whose `/proc/PID` directory is `proc_fd`."""
    return os.open("root", _ROOT_FLAGS, dir_fd=proc_fd)


def same_file(fd: int, info: os.stat_result) -> bool:
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (info.st_dev, info.st_ino)


def read_regular(root_fd: int, path: str, limit: int) -> bytes:
    """The content of the regular file `path` in the filesystem whose root is `root_fd`, at most `limit`
    bytes. Nothing but a regular file is ever opened for reading (no FIFO, no device)."""
    handle = open_in_root(root_fd, path, os.O_PATH)
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        fd = os.open(f"/proc/self/fd/{handle}", os.O_RDONLY | os.O_CLOEXEC | os.O_NOCTTY)
    finally:
        os.close(handle)
    try:
        chunks, size = [], 0
        while size <= limit and (chunk := os.read(fd, min(1 << 20, limit + 1 - size))):
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise OSError(errno.EFBIG, f"larger than {limit} bytes", path)
        return b"".join(chunks)
    finally:
        os.close(fd)
