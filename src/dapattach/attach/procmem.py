"""Read and write another process's memory, and list what it has mapped (Linux).

`process_vm_readv`/`process_vm_writev` through ctypes are the primary path: they are what CPython's own
`sys.remote_exec` uses, so the permission rules are the same (same uid or CAP_SYS_PTRACE, and Yama's
ptrace_scope). Where those system calls are missing or filtered (ENOSYS, or EPERM from a seccomp profile
such as a container's), `/proc/PID/mem` is tried instead: it needs the same ptrace access but is a plain
file, which some sandboxes allow when they block the system calls.

Errors are `OSError` subclasses carrying the PID and the address, so callers can say what failed.
"""

import ctypes
import errno
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

assert sys.platform == "linux", "process memory through process_vm_readv/writev and /proc/PID/mem: Linux only"

_PTRACE_HINT = (
    "reading another process's memory needs the same user id as the target, or CAP_SYS_PTRACE "
    "(run as that user, or as root), and /proc/sys/kernel/yama/ptrace_scope <= 1 "
    "(with 1, only descendants unless CAP_SYS_PTRACE)"
)


@dataclass(frozen=True, slots=True)
class Mapping:
    """One line of `/proc/PID/maps`."""

    start: int
    end: int
    perms: str
    offset: int
    inode: int
    path: str


def read_maps(pid: int) -> list[Mapping]:
    """Parse `/proc/PID/maps`, raising `ProcessLookupError`/`PermissionError` that name the PID."""
    try:
        with open(f"/proc/{pid}/maps", encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
    except FileNotFoundError:
        raise ProcessLookupError(errno.ESRCH, f"no process with PID {pid}") from None
    except PermissionError:
        raise PermissionError(errno.EACCES, f"cannot read /proc/{pid}/maps: {_PTRACE_HINT}") from None
    maps = []
    for line in text.splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) < 5:
            continue
        start, _, end = fields[0].partition("-")
        maps.append(
            Mapping(
                start=int(start, 16),
                end=int(end, 16),
                perms=fields[1],
                offset=int(fields[2], 16),
                inode=int(fields[4]),
                path=fields[5] if len(fields) == 6 else "",
            )
        )
    return maps


class _IoVec(ctypes.Structure):
    _fields_ = (("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t))


def _load_syscalls() -> tuple[Callable[..., int], Callable[..., int]] | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        readv, writev = libc.process_vm_readv, libc.process_vm_writev
    except AttributeError, OSError:
        return None
    for fn in (readv, writev):
        fn.restype = ctypes.c_ssize_t
        fn.argtypes = (
            ctypes.c_int,
            ctypes.POINTER(_IoVec),
            ctypes.c_ulong,
            ctypes.POINTER(_IoVec),
            ctypes.c_ulong,
            ctypes.c_ulong,
        )
    return readv, writev


_SYSCALLS = _load_syscalls()


class ProcessMemory:
    """Byte-level access to one process's address space; use as a context manager."""

    def __init__(self, pid: int, *, via: Literal["auto", "proc-mem"] = "auto") -> None:
        """`via="proc-mem"` skips the system calls and goes straight to `/proc/PID/mem`."""
        self.pid = pid
        self._use_syscalls = _SYSCALLS is not None and via == "auto"
        self._mem_fd: int | None = None

    def __enter__(self) -> ProcessMemory:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._mem_fd is not None:
            os.close(self._mem_fd)
            self._mem_fd = None

    def read(self, address: int, size: int) -> bytes:
        buffer = ctypes.create_string_buffer(size)
        self._transfer(address, ctypes.addressof(buffer), size, write=False)
        return buffer.raw

    def write(self, address: int, data: bytes) -> None:
        buffer = ctypes.create_string_buffer(data, len(data))
        self._transfer(address, ctypes.addressof(buffer), len(data), write=True)

    def _transfer(self, remote: int, local: int, size: int, *, write: bool) -> None:
        if self._use_syscalls:
            try:
                self._transfer_syscall(remote, local, size, write=write)
                return
            except OSError as exc:
                if exc.errno not in (errno.ENOSYS, errno.EPERM):
                    raise
                self._use_syscalls = False
        self._transfer_proc_mem(remote, local, size, write=write)

    def _transfer_syscall(self, remote: int, local: int, size: int, *, write: bool) -> None:
        assert _SYSCALLS is not None
        call = _SYSCALLS[1] if write else _SYSCALLS[0]
        done = 0
        while done < size:
            local_iov = _IoVec(local + done, size - done)
            remote_iov = _IoVec(remote + done, size - done)
            n = call(self.pid, ctypes.byref(local_iov), 1, ctypes.byref(remote_iov), 1, 0)
            if n < 0:
                raise self._error(ctypes.get_errno(), remote + done, size - done, write=write)
            if n == 0:
                raise self._error(errno.EFAULT, remote + done, size - done, write=write)
            done += n

    def _transfer_proc_mem(self, remote: int, local: int, size: int, *, write: bool) -> None:
        if self._mem_fd is None:
            try:
                self._mem_fd = os.open(f"/proc/{self.pid}/mem", os.O_RDWR | os.O_CLOEXEC)
            except OSError as exc:
                raise self._error(exc.errno or errno.EIO, remote, size, write=write) from None
        done = 0
        while done < size:
            try:
                if write:
                    n = os.pwrite(self._mem_fd, ctypes.string_at(local + done, size - done), remote + done)
                else:
                    chunk = os.pread(self._mem_fd, size - done, remote + done)
                    ctypes.memmove(local + done, chunk, len(chunk))
                    n = len(chunk)
            except OSError as exc:
                raise self._error(exc.errno or errno.EIO, remote + done, size - done, write=write) from None
            if n == 0:
                raise self._error(errno.EFAULT, remote + done, size - done, write=write)
            done += n

    def _error(self, code: int, address: int, size: int, *, write: bool) -> OSError:
        verb = "write" if write else "read"
        match code:
            case errno.ESRCH | errno.ENOENT:
                return ProcessLookupError(code, f"no process with PID {self.pid}")
            case errno.EPERM | errno.EACCES:
                return PermissionError(code, f"cannot {verb} the memory of PID {self.pid}: {_PTRACE_HINT}")
            case _:
                return OSError(
                    code, f"cannot {verb} {size} bytes at {address:#x} in PID {self.pid}: {os.strerror(code)}"
                )
