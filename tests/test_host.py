"""The operating system seam: psutil stays out of the adapter's start-up, and the answers on Linux are the
ones `/proc` gives (or, for the temporary folder, the one tempfile gives)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dapattach import host

STARTUP = (
    "import sys; from dapattach import cli, server, handlers; "
    "print(sorted(m for m in sys.modules if m.split('.')[0] in ('psutil', 'argparse', 'tempfile')))"
)


def test_starting_the_adapter_imports_none_of_what_only_some_paths_need() -> None:
    """psutil is for the attach, argparse for a command line with options, tempfile for odd TMPDIRs."""
    done = subprocess.run([sys.executable, "-c", STARTUP], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


TEMP_DIR = "import tempfile; from dapattach import host; print(host.temp_dir(), tempfile.gettempdir())"


@pytest.mark.parametrize("variable", [None, "TMPDIR", "TEMP", "TMP"])
def test_the_temporary_folder_is_the_one_tempfile_picks(variable: str | None, tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k not in ("TMPDIR", "TEMP", "TMP")}
    if variable is not None:
        environment[variable] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", TEMP_DIR], env=environment, capture_output=True, text=True, check=True
    )
    ours, theirs = done.stdout.split()
    assert ours == theirs == (str(tmp_path) if variable else "/tmp")


@pytest.mark.skipif(not host.LINUX, reason="compares with /proc")
def test_process_facts_match_what_linux_says() -> None:
    me = os.getpid()
    assert host.exists(me) and not host.exists(2**22 + 1)
    assert host.parent_of(me) == os.getppid()
    assert host.executable_of(me) == f"/proc/{me}/exe"
    with open(f"/proc/{me}/comm") as comm:
        assert host.thread_name(me, me) == comm.read().strip()
    assert host.user_name(0) == "root" and host.uid_of("root") == 0 and host.uid_of("65534") == 65534
    assert host.own_uid() == os.geteuid()
