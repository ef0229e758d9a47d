"""Where the adapter writes what it did: warnings on stderr, and on request a log and a DAP trace in files.

Files come from `--log-dir`, or from `logToFile: true` in an `attach` configuration (as debugpy's
`logToFile`), which starts them in the user's cache directory from that request on. The trace holds what
the target showed (variables, evaluate results), so both files are created 0600 whatever the umask, never
through a symlink and never reusing an existing file, and the folders dapattach creates for them are 0700.
"""

import io
import logging
import os
import stat
import sys
import time
from pathlib import Path

log = logging.getLogger("dapattach.server")


def configure(log_dir: Path | None, level: str) -> None:
    root = logging.getLogger("dapattach")
    root.setLevel(logging.DEBUG)
    root.propagate = False
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(logging.WARNING)
    stderr.setFormatter(logging.Formatter("dapattach: %(levelname)s: %(message)s"))
    root.addHandler(stderr)
    trace = logging.getLogger("dapattach.trace")
    trace.propagate = False
    trace.setLevel(logging.WARNING)
    if log_dir is not None:
        write_files(log_dir, level)


def current_file() -> Path | None:
    """The adapter log being written, if any."""
    for handler in logging.getLogger("dapattach").handlers:
        if isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)
    return None


def default_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "dapattach" / "logs"


def write_files(log_dir: Path, level: str = "debug") -> Path:
    """Start the adapter log and the DAP trace in `log_dir` (once); returns the adapter log's path.

    The default folder (`default_dir()`) must be this user's and is made 0700 if it is not; a folder
    given with `--log-dir` is created 0700 when missing and otherwise left as it is.
    """
    existing = current_file()
    if existing is not None:
        return existing
    _make_private_dir(log_dir, tighten=log_dir == default_dir())
    stamp = time.strftime("%Y%m%d-%H%M%S")
    formatter = logging.Formatter("%(asctime)s.%(msecs)03d %(name)s %(levelname)s: %(message)s", "%H:%M:%S")
    path = log_dir / f"dapattach-{stamp}-{os.getpid()}.log"
    adapter_log = PrivateFileHandler(path)
    adapter_log.setLevel(level.upper())
    adapter_log.setFormatter(formatter)
    logging.getLogger("dapattach").addHandler(adapter_log)
    trace_log = PrivateFileHandler(log_dir / f"dapattach-{stamp}-{os.getpid()}.trace.log")
    trace_log.setFormatter(logging.Formatter("%(asctime)s.%(msecs)03d %(message)s", "%Y-%m-%d %H:%M:%S"))
    trace = logging.getLogger("dapattach.trace")
    trace.setLevel(logging.DEBUG)
    trace.addHandler(trace_log)
    log.info("dapattach %s on Python %s, pid %d", _version(), sys.version.split()[0], os.getpid())
    return path


class PrivateFileHandler(logging.FileHandler):
    """A log file this adapter creates itself: 0600, `O_EXCL|O_NOFOLLOW`."""

    def __init__(self, path: Path) -> None:
        self._created = False
        super().__init__(path, encoding="utf-8")

    def _open(self) -> io.TextIOWrapper:
        flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        if not self._created:
            flags |= os.O_CREAT | os.O_EXCL
        fd = os.open(self.baseFilename, flags, 0o600)
        self._created = True
        os.fchmod(fd, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def _make_private_dir(path: Path, *, tighten: bool) -> None:
    """Create `path` and its missing parents 0700; with `tighten`, an existing `path` must be a folder of
    this user (not a symlink), and loses any group or other permissions."""
    missing = []
    for folder in (path, *path.parents):
        if os.path.lexists(folder):
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            continue
        os.chmod(folder, 0o700, follow_symlinks=False)
    if not tighten:
        return
    info = os.lstat(path)
    if sys.platform == "win32":
        return  # the user's profile folder, which only that user may open
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise PermissionError(
            1, f"it is not a folder of uid {os.geteuid()} (it belongs to uid {info.st_uid})", str(path)
        )
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, 0o700, follow_symlinks=False)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dapattach")
    except PackageNotFoundError:
        return "(not installed)"
