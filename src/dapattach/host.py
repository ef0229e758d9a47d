"""The operating system seam: what differs between Linux, macOS and Windows, in one place.

Everything else asks here instead of testing `sys.platform` or reaching for a Unix-only module itself.
Process facts on every platform come from psutil (`process`), imported only when one is needed, so
starting the adapter and answering `initialize` never loads it. `/proc` parsing is for what psutil does
not say and Linux alone knows (a thread's name, the filesystem uid, an uncollected exit status): those
callers check `LINUX` first.
"""

import functools
import os
import sys
import threading
from types import ModuleType

LINUX = sys.platform == "linux"
MACOS = sys.platform == "darwin"
WINDOWS = sys.platform == "win32"
HAS_UNIX_SOCKETS = sys.platform != "win32"
"""CPython offers `AF_UNIX` on Linux and macOS; on Windows the agent channel is loopback TCP."""


def psutil() -> ModuleType:
    """The psutil module, imported on first use (it costs about 10 ms)."""
    import psutil as module

    return module


def warm_up() -> None:
    """Import what the first attach needs (the attach driver, what reads a snapshot of a blocked target,
    psutil where process facts come from it) in a background thread, so the attach does not wait for them:
    called once `initialize` has been answered, which never waits."""
    threading.Thread(target=_import_for_attach, name="dapattach-warm-up", daemon=True).start()


def _import_for_attach() -> None:
    try:
        if not LINUX:
            psutil()  # on Linux the attach reads `/proc` (`procfs`)
        from dapattach.attach import driver

        driver.choose()
        import _remote_debugging  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
        import sysconfig

        from dapattach import remote_frames  # noqa: F401

        sysconfig.get_config_var("Py_GIL_DISABLED")  # loads the build's configuration (`snapshot.py`)
    except Exception:
        pass  # the attach imports them itself, and says what went wrong


def temp_dir() -> str:
    """`tempfile.gettempdir()`, without importing tempfile (and the shutil and compression modules it
    loads, several ms of the adapter's start-up) in the usual case: on POSIX with none of TMPDIR, TEMP and
    TMP set, tempfile picks /tmp when this user can write there, and so does this. A `tempfile.tempdir`
    set by this process still wins."""
    effective = os.access in os.supports_effective_ids
    if (
        getattr(sys.modules.get("tempfile"), "tempdir", None) is None
        and not WINDOWS
        and not any(os.environ.get(name) for name in ("TMPDIR", "TEMP", "TMP"))
        and os.path.isdir("/tmp")
        and os.access("/tmp", os.W_OK | os.X_OK, effective_ids=effective)
    ):
        return "/tmp"
    import tempfile

    return tempfile.gettempdir()


def own_uid() -> int | None:
    """The adapter's effective uid; None on Windows, which has users but no uids."""
    if sys.platform == "win32":
        return None
    return os.geteuid()


def is_root() -> bool:
    return own_uid() == 0


@functools.cache
def user_name(uid: int) -> str:
    """The name of user `uid`, or the number when it has none."""
    if sys.platform == "win32":
        return str(uid)
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def uid_of(name: str) -> int:
    """The uid of a user name or number; `KeyError` when there is no such user."""
    if name.isdigit():
        return int(name)
    if sys.platform == "win32":
        raise KeyError(name)
    import pwd

    return pwd.getpwnam(name).pw_uid


def exists(pid: int) -> bool:
    """Whether a process `pid` exists (a zombie counts: it is there until its parent collects it)."""
    if LINUX:
        return os.path.isdir(f"/proc/{pid}")
    return bool(psutil().pid_exists(pid))


def pid_inside(pid: int) -> int:
    """`pid` as the process itself sees it: on Linux its PID namespace's number (the last of `NSpid`), which
    differs inside a container; elsewhere there are no PID namespaces."""
    if not LINUX:
        return pid
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as file:
            for line in file:
                if line.startswith("NSpid:"):
                    return int(line.split()[-1])
    except OSError, ValueError:
        pass
    return pid


def parent_of(pid: int) -> int:
    """The parent's PID, 0 when unknown. On Linux read from `/proc/PID/stat`: every attach asks this
    (`checks.refuse_own_family`), and importing psutil for it would cost the first one about 20 ms."""
    if LINUX:
        from dapattach import procfs

        try:
            return int(procfs.stat_fields(pid)[1])
        except OSError, ValueError, IndexError:
            return 0
    try:
        return int(psutil().Process(pid).ppid())
    except Exception:
        return 0


def command_name(pid: int) -> str:
    try:
        return str(psutil().Process(pid).name())
    except Exception:
        return "unknown"


def thread_name(pid: int, tid: int) -> str | None:
    """The OS-level name of thread `tid` (Python 3.14 gives each `threading.Thread` its name there), where
    the system shows another process's thread names (Linux); None elsewhere."""
    if not LINUX:
        return None
    try:
        with open(f"/proc/{pid}/task/{tid}/comm", encoding="utf-8", errors="replace") as file:
            return file.read().rstrip("\n") or None
    except OSError:
        return None


def thread_named(pid: int, name: bytes) -> int | None:
    """The native id of the thread of `pid` named `name`, where the system shows it (Linux), else None."""
    if not LINUX:
        return None
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/comm", "rb") as file:
                if file.read().strip() == name:
                    return int(task)
        except OSError, ValueError:
            continue
    return None


def executable_of(pid: int) -> str | None:
    """The program file process `pid` runs, as a path this process can start."""
    if LINUX:
        return f"/proc/{pid}/exe"
    try:
        return str(psutil().Process(pid).exe()) or None
    except Exception:
        return None
