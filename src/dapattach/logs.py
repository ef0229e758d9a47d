"""Where the adapter writes what it did: warnings on stderr, and on request a log and a DAP trace in files.

Files come from `--log-dir`, or from `logToFile: true` in an `attach` configuration (as debugpy's
`logToFile`), which starts them in the user's cache directory from that request on.
"""

import logging
import os
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
    """Start the adapter log and the DAP trace in `log_dir` (once); returns the adapter log's path."""
    existing = current_file()
    if existing is not None:
        return existing
    log_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    formatter = logging.Formatter("%(asctime)s.%(msecs)03d %(name)s %(levelname)s: %(message)s", "%H:%M:%S")
    path = log_dir / f"dapattach-{stamp}-{os.getpid()}.log"
    adapter_log = logging.FileHandler(path, encoding="utf-8")
    adapter_log.setLevel(level.upper())
    adapter_log.setFormatter(formatter)
    logging.getLogger("dapattach").addHandler(adapter_log)
    trace_log = logging.FileHandler(log_dir / f"dapattach-{stamp}-{os.getpid()}.trace.log", encoding="utf-8")
    trace_log.setFormatter(logging.Formatter("%(asctime)s.%(msecs)03d %(message)s", "%Y-%m-%d %H:%M:%S"))
    trace = logging.getLogger("dapattach.trace")
    trace.setLevel(logging.DEBUG)
    trace.addHandler(trace_log)
    log.info("dapattach %s on Python %s, pid %d", _version(), sys.version.split()[0], os.getpid())
    return path


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dapattach")
    except PackageNotFoundError:
        return "(not installed)"
