"""Other local users for the tests that prove what they cannot do through dapattach.

The suite runs as root; `AS_NOBODY` runs a program as `nobody` (uid 65534, no groups) with `setpriv`, the
way a hostile local user would run it. Programs run that way must be readable by `nobody`: the checkout
is (CI copies it into a 0755 folder), pytest's `tmp_path` is not.
"""

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

NOBODY = 65534
HOSTILE = Path(__file__).parent / "hostile"
"""Programs that act as a hostile local user (stdlib only)."""

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv, to run programs as another user",
)

OTHER = 65533
"""A second unprivileged uid, neither the target's user nor the adapter's."""


def as_user(uid: int) -> tuple[str, ...]:
    """A command prefix that runs a program as `uid`, with that gid and no other groups."""
    return ("setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups")


AS_NOBODY = as_user(NOBODY)


@contextlib.contextmanager
def reachable_tmp(mode: int = 0o755) -> Iterator[Path]:
    """A fresh folder in the system temporary folder, which other users can reach (`tmp_path`, under a
    0700 folder, is not); `mode=0o1777` makes it a private stand-in for /tmp itself."""
    path = Path(tempfile.mkdtemp(prefix="reachable-"))
    try:
        path.chmod(mode)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
