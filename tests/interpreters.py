"""The Python interpreters the tests run targets and adapters on.

`./dev test` finds or provisions them and passes them in `DAPATTACH_PY314`, `DAPATTACH_PY315` and
`DAPATTACH_ADAPTER_PY315`. Run by hand (`pytest` from `.venv`), the suite looks for them itself: the
interpreter running the tests when its version matches, then `pythonX.Y` on PATH. A variable that is set
must name a working interpreter (a typo is an error, not a skip); a version that cannot be found at all
skips only the tests that need it, with a message saying how to get it.

`DAPATTACH_TARGETS_ON=3.15` runs the suite as a user of 3.15 would: every target whose test names no
version, and every adapter process a test starts, on Python 3.15 (`./dev test` makes such a pass after
the 3.14 ones). The tests themselves still run on 3.14.
"""

import os
import shutil
import subprocess
import sys
from functools import cache

import pytest


class MissingInterpreter(RuntimeError):
    """A `DAPATTACH_*` variable names an interpreter that does not run as the version it claims."""


def _reports_version(path: str, version: str) -> bool:
    try:
        out = subprocess.run(
            [path, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except OSError:
        return False
    return out.returncode == 0 and out.stdout.strip() == version


@cache
def find(version: str, variable: str | None = None) -> str | None:
    """A working Python `version` (e.g. "3.15"), or None when there is none to be had."""
    variable = variable or "DAPATTACH_PY" + version.replace(".", "")
    if named := os.environ.get(variable):
        if not _reports_version(named, version):
            raise MissingInterpreter(f"${variable}={named} is not a working Python {version}")
        return named
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == version:
        return getattr(sys, "_base_executable", None) or sys.executable
    on_path = shutil.which(f"python{version}")
    return on_path if on_path and _reports_version(on_path, version) else None


def require(version: str) -> str:
    """Python `version`, or a skip of the calling test saying how to get one."""
    found = find(version)
    if found is None:
        pytest.skip(f"no Python {version}: set DAPATTACH_PY{version.replace('.', '')} or run ./dev test")
    return found


def _default_314() -> str:
    found = find("3.14")
    if found is None:
        raise MissingInterpreter("no Python 3.14: set DAPATTACH_PY314 or run the tests through ./dev test")
    return found


PY314 = _default_314()
PY315 = find("3.15")
"""Python 3.15 for targets, or None: tests that need it are marked with `needs_315`."""
ADAPTER_PY315 = find("3.15", "DAPATTACH_ADAPTER_PY315") if os.environ.get("DAPATTACH_ADAPTER_PY315") else None
"""A Python 3.15 that can import dapattach (`.venv-3.15`, made by ./dev), for running the adapter on 3.15."""

needs_315 = pytest.mark.skipif(
    PY315 is None, reason="no Python 3.15: set DAPATTACH_PY315 or run the tests through ./dev test"
)
needs_adapter_315 = pytest.mark.skipif(
    ADAPTER_PY315 is None,
    reason="no adapter environment on Python 3.15: set DAPATTACH_ADAPTER_PY315 or run ./dev test",
)


TARGET_VERSION = os.environ.get("DAPATTACH_TARGETS_ON") or "3.14"


def _targets_on(version: str) -> tuple[str, str]:
    """(target interpreter, adapter interpreter) of a run whose targets run on `version`."""
    if version == "3.14":
        return PY314, sys.executable
    if version != "3.15":
        raise MissingInterpreter(f"$DAPATTACH_TARGETS_ON={version}: the suite runs targets on 3.14 or 3.15")
    if PY315 is None or ADAPTER_PY315 is None:
        raise MissingInterpreter(
            "$DAPATTACH_TARGETS_ON=3.15 needs $DAPATTACH_PY315 and $DAPATTACH_ADAPTER_PY315 (./dev sets them)"
        )
    return PY315, ADAPTER_PY315


TARGET, ADAPTER = _targets_on(TARGET_VERSION)
"""The Python a target runs on unless its test names a version, and the one adapter processes run on."""
ON_315 = TARGET_VERSION == "3.15"
