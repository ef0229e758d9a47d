"""The operating system seam: psutil stays out of the adapter's start-up, and the answers on Linux are the
ones `/proc` gives."""

import os
import subprocess
import sys

import pytest

from dapattach import host

STARTUP = (
    "import sys; from dapattach import cli, server, handlers; "
    "print(sorted(m for m in sys.modules if 'psutil' in m))"
)


def test_starting_the_adapter_does_not_import_psutil() -> None:
    done = subprocess.run([sys.executable, "-c", STARTUP], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


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
