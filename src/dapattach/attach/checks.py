"""Is this PID a process we can attach to? Every answer but yes is an `AttachError` for the user.

The facts come from `processes.describe_process` (what `dapattach ps` shows); here they become messages
that name the PID, what is wrong and what to do.
"""

import os
import sys

from dapattach import host
from dapattach.processes import NoSuchProcess, Problem, describe_process


class AttachError(Exception):
    """Attaching failed; the message says why and what to do."""

    def __init__(self, pid: int, message: str) -> None:
        super().__init__(message)
        self.pid = pid


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def permission_error(pid: int) -> AttachError:
    """What the system said no to, and what to do about it there."""
    if sys.platform == "win32":
        return AttachError(
            pid,
            f"permission denied attaching to process {pid}: another user's process, or one at a higher "
            "integrity level, needs an elevated adapter (run the editor as administrator)",
        )
    if host.MACOS:
        return AttachError(
            pid,
            f"permission denied attaching to process {pid}: macOS lets only root (or a program with the "
            "debugger entitlement) read and write another process's memory, and a hardened-runtime program "
            "refuses even root; run the adapter with sudo",
        )
    try:
        owner = os.stat(f"/proc/{pid}").st_uid
        whose = f"owned by uid {owner}, the adapter runs as uid {os.geteuid()}"
    except OSError:
        whose = f"the adapter runs as uid {os.geteuid()}"
    try:
        scope = _read("/proc/sys/kernel/yama/ptrace_scope").decode().strip()
        yama = f"; kernel.yama.ptrace_scope is {scope} (0 lets a user attach to any of their own processes)"
    except OSError:
        yama = ""
    return AttachError(
        pid,
        f"permission denied attaching to process {pid} ({whose}): run the adapter as the target's user, "
        f"or give it CAP_SYS_PTRACE (e.g. run it as root){yama}",
    )


def disabled_error(pid: int, why: str) -> AttachError:
    return AttachError(
        pid, f"remote debugging is disabled in process {pid} ({why}): restart it without that to attach"
    )


def check_target(pid: int) -> None:
    """Raise `AttachError` unless `pid` looks like a Python 3.14+ process this adapter can attach to.

    Cheap checks on `/proc` that give the most specific message; the attach protocol itself (`pep768`)
    checks again from the target's memory.
    """
    if pid <= 0:
        raise AttachError(pid, f"{pid} is not a valid process id")
    refuse_own_family(pid)
    try:
        info = describe_process(pid)
    except NoSuchProcess:
        raise AttachError(
            pid, f"no process with PID {pid}: it may have exited (list Python processes with `dapattach ps`)"
        ) from None
    except PermissionError:
        raise permission_error(pid) from None
    match info.problem:
        case None:
            check_open_files(pid)
        case Problem.EXITED:
            raise AttachError(pid, f"process {pid} has exited")
        case Problem.NOT_PYTHON:
            raise AttachError(
                pid,
                f"process {pid} ({info.executable or info.name}) is not a Python process: pick a Python "
                "3.14+ process (`dapattach ps` lists them)",
            )
        case Problem.PERMISSION:
            raise permission_error(pid)
        case Problem.REMOTE_DEBUG_DISABLED:
            raise disabled_error(pid, info.remote_debug_off_by or "its settings turn it off")
        case _:
            raise AttachError(pid, info.reason or f"cannot attach to process {pid}")


FILES_NEEDED = 8
"""Files an attach has open in the target at once (the bootstrap, the socket to the adapter, a module of
the agent as it loads), with room to spare."""


def check_open_files(pid: int) -> None:
    """Refuse a target that may open fewer than `FILES_NEEDED` more files, before it is asked anything:
    there the bootstrap would fail to open (printing on the program's stderr), or the attach would take
    the last files the program needs for its own work."""
    if (why := files_short(pid)) is not None:
        raise AttachError(pid, why)


def files_short(pid: int) -> str | None:
    """Why `pid` has no room for the files an attach opens in it (its count against its limit, and the
    remedy), or None when it has, or when that cannot be told (Linux only)."""
    if sys.platform != "linux":
        return None
    from dapattach import procfs

    try:
        count, limit = procfs.open_files(pid, FILES_NEEDED)
    except OSError, ValueError:
        return None
    if limit is None or limit - count >= FILES_NEEDED:
        return None
    return (
        f"process {pid} has {count} files open of the {limit} it may open: attaching needs up to "
        f"{FILES_NEEDED} more (the bootstrap, a socket to the adapter, the agent's modules as they load), "
        f"and the last ones are the program's own. Raise its limit (`prlimit --pid {pid} "
        "--nofile=SOFT:HARD`) or let it close some, then attach again"
    )


def refuse_own_family(pid: int) -> None:
    """Refuse the adapter's own process and the processes that started it.

    Stopping one of those stops what serves or drives the session: the adapter waiting for its own agent
    hangs, and a paused parent (a Python editor, a test harness, a tool that spawned the adapter) can no
    longer read what the adapter writes.
    """
    if pid == os.getpid():
        raise AttachError(
            pid,
            f"process {pid} is this dapattach adapter itself: stopping it would stop the debugger serving "
            "you. Attach to the program you want to debug (`dapattach ps` lists them)",
        )
    level, ancestor = 1, os.getppid()
    while ancestor > 1:
        if ancestor == pid:
            whose = "parent" if level == 1 else f"ancestor ({level} levels up)"
            raise AttachError(
                pid,
                f"process {pid} ({_command_name(pid)}) is this dapattach adapter's {whose}, which started "
                "it: stopping it would stop the editor or tool that talks to the debugger, and the session "
                "would hang. Attach to another process",
            )
        level, ancestor = level + 1, _parent_of(ancestor)


def _parent_of(pid: int) -> int:
    return host.parent_of(pid)


def _command_name(pid: int) -> str:
    return host.command_name(pid)


def gone(pid: int) -> bool:
    """Whether the process has exited (a zombie not yet reaped by its parent counts as exited)."""
    psutil = host.psutil()
    try:
        return bool(psutil.Process(pid).status() in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD))
    except psutil.NoSuchProcess:
        return True
    except psutil.AccessDenied:
        return False


def blocked_message(pid: int, waited: float) -> str:
    return (
        f"process {pid} did not run the attach bootstrap within {waited:g} s: its main thread seems "
        "blocked (sleep, input(), a socket accept, an idle event loop or a long C call) and no other thread "
        "ran Python code. Attach again once it runs Python code"
    )
