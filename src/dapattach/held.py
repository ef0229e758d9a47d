"""Whether the kernel holds a process so that it runs no code at all, and what lets it go on.

A process stopped by SIGSTOP or Ctrl-Z, held by a tracer (gdb), or frozen with its cgroup (`docker
pause`, a cgroup freezer) runs neither the attach bootstrap nor its agent: an attach waits and requests
go unanswered until it runs again. The user is then told which of these it is and what continues it,
rather than left looking at a program that seems blocked. Linux only (elsewhere: None, nothing is said).
"""

import contextlib
import sys

from dapattach import procfs

CGROUP_ROOT = "/sys/fs/cgroup"


def held(pid: int) -> str | None:
    """Why process `pid` is held, and what continues it, for the user; None when it is not (or when
    that cannot be read)."""
    if sys.platform != "linux":
        return None
    try:
        state = procfs.stat_fields(pid)[0]
    except OSError, IndexError:
        return None
    if state == b"T":
        return f"it is stopped (SIGSTOP or Ctrl-Z) and goes on when continued: kill -CONT {pid}, or fg"
    if state == b"t":
        return "it is stopped by a debugger tracing it (such as gdb), and goes on when that debugger lets it"
    if _frozen(pid):
        return (
            "it is frozen with its cgroup (docker pause, or a cgroup freezer) and goes on when thawed: "
            "docker unpause, or THAWED written to its freezer.state (0 to cgroup.freeze)"
        )
    return None


def _frozen(pid: int) -> bool:
    """Whether the cgroup of `pid` is frozen (v1 freezer controller, or v2's cgroup.freeze)."""
    try:
        with open(f"/proc/{pid}/cgroup") as file:
            lines = file.read().splitlines()
    except OSError:
        return False
    for line in lines:
        fields = line.split(":", 2)
        if len(fields) != 3:
            continue
        _, controllers, path = fields
        if "freezer" in controllers.split(","):
            if _read(f"{CGROUP_ROOT}/freezer{path}/freezer.state") in ("FROZEN", "FREEZING"):
                return True
        elif controllers == "":
            for root in (CGROUP_ROOT, f"{CGROUP_ROOT}/unified"):
                if "frozen 1" in _read(f"{root}{path}/cgroup.events").splitlines():
                    return True
    return False


def _read(path: str) -> str:
    with contextlib.suppress(OSError, ValueError), open(path) as file:
        return file.read().strip()
    return ""
