"""The process table below a real process: fork copies, exec'd children, exit codes, session names."""

import asyncio
import os
import signal
import subprocess
from pathlib import Path

import pytest

from dapattach.processes import describe_process
from dapattach.subprocesses import tree
from interpreters import TARGET

LOOP = "import sys, time\nprint('ready', flush=True)\nwhile True: time.sleep(0.05)\n"


def python_child(*options: str, code: str = LOOP) -> subprocess.Popen[str]:
    child = subprocess.Popen([TARGET, *options, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline() == "ready\n"
    return child


def test_a_fork_copy_shares_its_parents_image_until_it_execs() -> None:
    go_read, go_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.read(go_read, 1)
        os.execv(TARGET, [TARGET, "-c", LOOP])
    try:
        ours, copy = tree.read_stat(os.getpid()), tree.read_stat(pid)
        assert ours is not None and copy is not None
        assert copy.ppid == os.getpid() and copy.image == ours.image is not None
        os.write(go_write, b"x")
        while (copy := tree.read_stat(pid)) is not None and copy.image in (None, ours.image):
            os.sched_yield()  # the exec is under way
        assert copy is not None and copy.image != ours.image
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(go_read)
        os.close(go_write)


@pytest.mark.parametrize("walk", [True, False], ids=["children-lists", "whole-table"])
async def test_the_table_lists_descendants_each_after_its_parent(walk: bool) -> None:
    """A grandchild started by another thread than the child's main one is listed too: the kernel lists
    a child under the thread that started it."""
    if walk and not tree._children_lists():
        pytest.skip("this kernel keeps no children lists in /proc")
    child = python_child(code="import subprocess, sys, threading, time\n" + LOOP.replace(
        "print('ready', flush=True)",
        "started = threading.Event()\n"
        "def spawn():\n"
        f"    subprocess.Popen([{TARGET!r}, '-c', 'import time; time.sleep(60)'])\n"
        "    started.set()\n"
        "    time.sleep(60)  # a thread that ends hands its children to another of the process\n"
        "threading.Thread(target=spawn, daemon=True).start()\n"
        "started.wait()\n"
        "print('ready', flush=True)",
    ))  # fmt: skip
    try:
        table = tree.ProcessTable(walk=walk)
        await table.refresh(os.getpid())
        found = list(table.descendants(os.getpid()))
        assert found[0] == child.pid
        grandchildren = [pid for pid in found if table.parent(pid) == child.pid]
        assert len(grandchildren) == 1 and found.index(grandchildren[0]) > found.index(child.pid)
        os.kill(grandchildren[0], signal.SIGKILL)
        child.kill()
        child.wait()
        await table.refresh(os.getpid())
        assert child.pid not in table.descendants(os.getpid()) and table.parent(child.pid) is None
    finally:
        child.kill()
        child.wait()


def test_session_names_say_what_a_child_is(tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text(LOOP)
    child = subprocess.Popen([TARGET, str(script), "--port", "8080"], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        info = describe_process(child.pid)
        assert tree.session_name(info, info.argv) == f"worker {child.pid}: app.py --port 8080"
        assert (
            tree.session_name(info, ("python3", "other.py")) == f"subprocess {child.pid}: app.py --port 8080"
        )
    finally:
        child.kill()
        child.wait()
    assert tree.short_command(("/usr/bin/python3", "/usr/bin/gunicorn", "app:app")) == "gunicorn app:app"
    assert tree.short_command(("python3", "-u", "-X", "dev", "/srv/app.py", "-v")) == "app.py -v"
    assert tree.short_command(("/opt/py/bin/python3.14", "-m", "http.server")) == "python3.14 -m http.server"
    assert tree.short_command(("/bin/sh", "-c", "x" * 100), limit=20) == "sh -c xxxxxxxxxxxxx…"


async def test_wait_exit_times_out_on_a_live_process() -> None:
    child = python_child()
    pidfd = os.pidfd_open(child.pid)
    try:
        assert not await tree.wait_exit(pidfd, 0.05)
        child.kill()
        assert await asyncio.wait_for(tree.wait_exit(pidfd, None), 10)
    finally:
        os.close(pidfd)
        child.wait()
