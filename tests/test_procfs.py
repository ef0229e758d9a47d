"""`procfs` answers as psutil does, for real processes: running, renamed, zombie, gone, another user's."""

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from dapattach import procfs
from users import AS_NOBODY, needs_root

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="/proc is Linux's")

SRC = Path(__file__).resolve().parents[1] / "src"
METHODS = ("status", "ppid", "uids", "name", "cmdline", "exe", "environ")

ANSWERS = """
import json, sys
METHODS = %s
def answers(system, pid):
    try:
        process = system.Process(pid)
    except Exception as error:
        return {"Process": type(error).__name__}
    found = {}
    for method in METHODS:
        try:
            value = getattr(process, method)()
            found[method] = list(value) if isinstance(value, tuple) else value
        except Exception as error:
            found[method] = type(error).__name__
    return found
""".replace("%s", repr(METHODS))


def answers(system: Any, pid: int) -> dict[str, Any]:
    """Each method's answer, or the name of the exception it raised."""
    scope: dict[str, Any] = {}
    exec(ANSWERS, scope)
    return scope["answers"](system, pid)  # type: ignore[no-any-return]


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for child in started:
        child.kill()
        child.wait()


def test_a_process_with_odd_arguments_and_environment(children: list[subprocess.Popen[bytes]]) -> None:
    sleeper = b"import time; time.sleep(3600)"
    arguments = [sys.executable.encode(), b"-c", sleeper, b"caf\xc3\xa9", b"\xff\xfe not utf-8", b""]
    environment = {b"PLAIN": b"1", b"WITH_EQUALS": b"a=b=c", b"ODD": b"\xff"}
    child = subprocess.Popen(arguments, env=environment)
    children.append(child)
    _stopped(child.pid)
    found = answers(procfs, child.pid)
    assert found == answers(psutil, child.pid)
    assert found["status"] == "stopped"
    assert found["cmdline"][3:] == ["café", "\udcff\udcfe not utf-8", ""]
    assert found["environ"]["WITH_EQUALS"] == "a=b=c"


def test_a_name_longer_than_the_kernel_keeps(children: list[subprocess.Popen[bytes]], tmp_path: Path) -> None:
    program = tmp_path / "a-program-with-a-long-name"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", program)
    child = subprocess.Popen([str(program), "3600"])
    children.append(child)
    _stopped(child.pid)
    found = answers(procfs, child.pid)
    assert found == answers(psutil, child.pid)
    assert found["name"] == program.name


def test_this_process_and_its_parent() -> None:
    for pid in (os.getpid(), os.getppid()):
        assert answers(procfs, pid) == answers(psutil, pid)


def test_a_zombie(children: list[subprocess.Popen[bytes]]) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    children.append(child)
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # it has exited; nobody collected it
    found = answers(procfs, child.pid)
    assert found == answers(psutil, child.pid)
    assert found["status"] == "zombie" and found["cmdline"] == found["exe"] == "ZombieProcess"


def test_a_process_that_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert answers(procfs, child.pid) == answers(psutil, child.pid) == {"Process": "NoSuchProcess"}
    with pytest.raises(procfs.NoSuchProcess):
        procfs.Process(-1)


@needs_root
def test_what_another_user_may_not_read(children: list[subprocess.Popen[bytes]]) -> None:
    """As `nobody`, looking at root's processes: the environment is refused, and so is the executable,
    unless the first argument names it by an absolute path."""
    named = [shutil.which("sleep") or "/bin/sleep", "3600"]
    for argv in (["sleep", "3600"], named):
        child = subprocess.Popen(argv)
        children.append(child)
        _stopped(child.pid)
    relative, absolute = (child.pid for child in children)
    script = ANSWERS + (
        "import psutil\nfrom dapattach import procfs\n"
        "found = [[answers(system, int(pid)) for system in (procfs, psutil)] for pid in sys.argv[1:]]\n"
        "print(json.dumps(found))\n"
    )
    result = subprocess.run(
        [*AS_NOBODY, sys.executable, "-c", script, str(relative), str(absolute)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), *sys.path])},
        check=True,
    )
    (ours, theirs), (ours_named, theirs_named) = json.loads(result.stdout)
    assert ours == theirs and ours_named == theirs_named
    assert ours["environ"] == ours["exe"] == ours_named["environ"] == "AccessDenied"
    assert ours_named["exe"] == named[0]


def _stopped(pid: int) -> None:
    """Stop the child and wait until the kernel reports it stopped: a state that stays while two readers
    look one after the other. The stop is taken on the child's way back from `exec`, once its arguments
    are in place (`Popen` returns when `exec` has begun, not ended)."""
    os.kill(pid, signal.SIGSTOP)
    os.waitid(os.P_PID, pid, os.WSTOPPED | os.WNOWAIT)


def test_open_files_are_counted_near_the_limit_and_bounded_by_the_table_far_from_it(
    children: list[subprocess.Popen[bytes]],
) -> None:
    limit = "import resource; resource.setrlimit(resource.RLIMIT_NOFILE, (200, 200)); "
    opener = (
        "import os, sys, time; [os.open(os.devnull, os.O_RDONLY) for _ in range(40)]; print(flush=True); "
    )
    child = subprocess.Popen(
        [sys.executable, "-c", limit + opener + "time.sleep(3600)"], stdout=subprocess.PIPE
    )
    children.append(child)
    assert child.stdout is not None and child.stdout.readline() == b"\n"
    exact = len(os.listdir(f"/proc/{child.pid}/fd"))
    assert exact >= 43
    # near the limit (asked for more room than the table leaves): counted one by one
    assert procfs.open_files(child.pid, 200) == (exact, 200)
    # far from it: the descriptor table's size, which no descriptor reaches, stands for the count
    table, soft = procfs.open_files(child.pid, 8)
    assert soft == 200 and exact <= table <= 200 - 8
