"""`dapattach snapshot` against real blocked targets on Python 3.14 and 3.15, in both directions."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_harness import wait_until_blocked
from containers import needs, start_container
from dapattach import namespaces
from dapattach.snapshot import SnapshotError, TaskStack, format_snapshot, take_snapshot
from interpreters import ADAPTER, PY315, needs_315
from test_processes import Targets, interpreter

SRC = Path(__file__).resolve().parents[1] / "src"

SLEEPER = """\
import time

def idle():
    print("ready", flush=True)
    time.sleep(3600)  # MARK idle

idle()  # MARK module
"""

ACCEPTER = """\
import socket

def serve(listener):
    connection, _ = listener.accept()  # MARK accept
    connection.sendall(b"still running")

listener = socket.create_server(("127.0.0.1", 0))
print(listener.getsockname()[1], flush=True)
serve(listener)
"""

THREADS = """\
import threading, time

def fetch_rows(started):
    started.release()
    threading.Event().wait()  # MARK fetch

def compress(started):
    started.release()
    time.sleep(3600)  # MARK compress

started = threading.Semaphore(0)
for name, work in (("db-reader", fetch_rows), ("zipper", compress)):
    threading.Thread(target=work, args=(started,), name=name, daemon=True).start()
for _ in range(2):
    started.acquire()
print("ready", flush=True)
time.sleep(3600)  # MARK main
"""

TASKS = """\
import asyncio

async def leaf():
    await asyncio.sleep(3600)  # MARK leaf

async def parent():
    await asyncio.gather(leaf(), leaf())

async def main():
    task = asyncio.create_task(parent(), name="parent-task")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    print("ready", flush=True)
    await task

asyncio.run(main())
"""


SPINNER = """\
import threading, time

def spin(started):
    started.set()
    while True:
        pass

started = threading.Event()
threading.Thread(target=spin, args=(started,), name="spinner", daemon=True).start()
started.wait()
print("ready", flush=True)
time.sleep(3600)
"""


def line_of(source: str, mark: str) -> int:
    return next(n for n, line in enumerate(source.splitlines(), 1) if line.endswith(f"# MARK {mark}"))


@pytest.fixture
def targets(tmp_path: Path) -> Iterator[Targets]:
    started = Targets(tmp_path)
    yield started
    started.stop_all()


VERSIONS = [pytest.param("3.14"), pytest.param("3.15", marks=pytest.mark.py315)]


@pytest.mark.parametrize("version", VERSIONS)
def test_main_thread_blocked_in_sleep_within_a_second(targets: Targets, version: str) -> None:
    process = targets.start(interpreter(version), SLEEPER, name="sleeper.py")
    wait_until_blocked(process.pid)
    script = str(targets.directory / "sleeper.py")

    started = time.monotonic()
    snapshot = take_snapshot(process.pid)
    elapsed = time.monotonic() - started

    assert elapsed < 1.0
    assert snapshot.cross_version is (version != "3.14")
    assert snapshot.python.startswith(version + ".")
    (main,) = snapshot.threads
    assert (main.id, main.name) == (process.pid, "MainThread")
    assert [(f.function, f.path, f.line) for f in main.frames] == [
        ("idle", script, line_of(SLEEPER, "idle")),
        ("<module>", script, line_of(SLEEPER, "module")),
    ]


@pytest.mark.parametrize("version", VERSIONS)
def test_each_thread_says_what_it_was_doing(targets: Targets, version: str) -> None:
    """The kernel's state of each thread, and on 3.15 which one holds the GIL: where a hung service's
    time goes, at a glance."""
    process = targets.start(interpreter(version), SPINNER, name="spinner.py")
    wait_until_blocked(process.pid, threads=[process.pid])  # the main thread, in its sleep

    snapshot = take_snapshot(process.pid)

    states = {thread.name: thread.state for thread in snapshot.threads}
    gil = ("holds the GIL",) if version == "3.15" else ()
    assert states == {"MainThread": ("sleeping",), "spinner": ("running", *gil)}
    assert '"spinner" [running' in format_snapshot(snapshot)
    assert snapshot.to_json()["threads"][0]["state"] == ["sleeping"]


@pytest.mark.parametrize("version", VERSIONS)
def test_snapshot_does_not_stop_a_target_blocked_in_accept(targets: Targets, version: str) -> None:
    process = targets.start(interpreter(version), ACCEPTER, name="accepter.py")
    wait_until_blocked(process.pid)
    port = int(targets.ready_lines[process.pid])

    snapshot = take_snapshot(process.pid)

    frames = [(f.function, f.line) for f in snapshot.threads[0].frames]
    assert frames[0][0].endswith("accept")
    assert ("serve", line_of(ACCEPTER, "accept")) in frames
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        assert connection.recv(64) == b"still running"


@pytest.mark.parametrize("version", VERSIONS)
def test_every_thread_with_its_name_and_function(targets: Targets, version: str) -> None:
    process = targets.start(interpreter(version), THREADS, name="threads.py")
    wait_until_blocked(process.pid)

    snapshot = take_snapshot(process.pid)

    innermost_own = {
        thread.name: next((f.function, f.line) for f in thread.frames if f.path.endswith("threads.py"))
        for thread in snapshot.threads
    }
    assert innermost_own == {
        "MainThread": ("<module>", line_of(THREADS, "main")),
        "db-reader": ("fetch_rows", line_of(THREADS, "fetch")),
        "zipper": ("compress", line_of(THREADS, "compress")),
    }
    assert snapshot.threads[0].id == process.pid


@pytest.mark.parametrize("version", VERSIONS)
def test_asyncio_tasks_and_what_awaits_them(targets: Targets, version: str) -> None:
    process = targets.start(interpreter(version), TASKS, name="tasks.py")
    wait_until_blocked(process.pid)

    snapshot = take_snapshot(process.pid)

    tasks = {task.name: task for task in snapshot.tasks}
    assert {"Task-1", "parent-task"} <= set(tasks)
    leaves = [task for task in snapshot.tasks if ("leaf", line_of(TASKS, "leaf")) in task_frames(task)]
    assert len(leaves) == 2
    assert all(task.awaited_by == ("parent-task",) for task in leaves)
    assert all(task.thread_id == process.pid for task in snapshot.tasks)
    text = format_snapshot(snapshot)
    heading = (
        f"Task {leaves[0].name!r} on thread {process.pid}, awaited by 'parent-task' (await chain, outermost"
    )
    chain = text.split(heading, 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    assert [line.rsplit(" in ", 1)[1] for line in chain] == ["leaf", "sleep"], "outermost coroutine first"


def task_frames(task: TaskStack) -> list[tuple[str, int]]:
    return [(f.function, f.line) for f in task.frames]


def test_snapshot_works_with_remote_debugging_disabled(targets: Targets) -> None:
    process = targets.start(interpreter("3.14"), SLEEPER, options=("-X", "disable-remote-debug"))
    wait_until_blocked(process.pid)
    done = run_snapshot(sys.executable, process.pid)
    assert done.returncode == 0, done.stderr
    assert "remote debugging is disabled in this process" in done.stdout
    assert (
        f'File "{targets.directory / "target.py"}", line {line_of(SLEEPER, "idle")}, in idle' in done.stdout
    )


def run_snapshot(python: str, pid: int, *extra: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it; attrs/cattrs come from this venv, which any 3.14+ can import."""
    path = os.pathsep.join([str(SRC), sysconfig.get_path("purelib")])
    return subprocess.run(
        [python, "-m", "dapattach", "snapshot", str(pid), *extra],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ | {"PYTHONPATH": path},
    )


@pytest.mark.py315
@pytest.mark.parametrize(("runner", "target"), [("3.14", "3.15"), ("3.15", "3.14")])
def test_cli_json_across_versions(targets: Targets, runner: str, target: str) -> None:
    process = targets.start(interpreter(target), THREADS, name="threads.py")
    wait_until_blocked(process.pid)

    done = run_snapshot(interpreter(runner), process.pid, "--json")

    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["pid"] == process.pid and data["crossVersion"] is True
    assert data["python"].startswith(target + ".")
    names = {thread["name"]: thread for thread in data["threads"]}
    assert set(names) == {"MainThread", "db-reader", "zipper"}
    assert {
        "function": "compress",
        "path": str(targets.directory / "threads.py"),
        "line": line_of(THREADS, "compress"),
    } in names["zipper"]["frames"]
    assert data["tasks"] == []


def test_clear_errors_for_bad_pids(targets: Targets) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    done = run_snapshot(sys.executable, gone.pid)
    assert done.returncode == 1
    assert done.stderr == f"dapattach snapshot: no process with PID {gone.pid} (it may have exited)\n"

    with subprocess.Popen(["sleep", "3600"]) as not_python:
        try:
            with pytest.raises(
                SnapshotError, match=f"process {not_python.pid} \\(sleep\\) is not running Python"
            ):
                take_snapshot(not_python.pid)
        finally:
            not_python.kill()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run as another user")
def test_permission_error_names_the_owner(targets: Targets) -> None:
    process = targets.start(interpreter("3.14"), SLEEPER)
    wait_until_blocked(process.pid)
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable]
    done = subprocess.run(
        [*nobody, "-m", "dapattach", "snapshot", str(process.pid)],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ | {"PYTHONPATH": str(SRC), "HOME": "/"},
    )
    assert done.returncode == 1
    assert f"process {process.pid} is owned by user root" in done.stderr
    assert "same user or root" in done.stderr


CONTAINER = ("mnt", "pid", "user", "net")


@needs(*CONTAINER)
async def test_a_process_in_a_container_by_its_pid_here() -> None:
    async with start_container("container_service.py", kinds=CONTAINER) as target:
        done = await asyncio.to_thread(run_snapshot, ADAPTER, target.pid, "--json")
        assert done.returncode == 0, done.stderr
        data = json.loads(done.stdout)
        assert (data["pid"], data["pidInside"]) == (target.pid, target.pid_inside)
        threads = {thread["name"]: thread for thread in data["threads"]}
        assert set(threads) == {"MainThread", "worker"}
        inside = namespaces.threads_inside(target.pid)
        for thread in threads.values():
            assert inside[thread["id"]] == thread["hostId"], "its own thread id, and the one here"
        assert threads["MainThread"]["id"] == target.pid_inside
        assert threads["worker"]["frames"][-1]["path"].endswith("/threading.py")
        assert {frame["path"] for frame in threads["MainThread"]["frames"]} == {"/app/container_service.py"}

        text = await asyncio.to_thread(run_snapshot, ADAPTER, target.pid)
        first = text.stdout.splitlines()[0]
        assert first.startswith(
            f"PID {target.pid} (PID {target.pid_inside} in its PID namespace) — Python 3."
        )
        assert f'Thread {target.pid_inside} "MainThread", thread {target.pid} here' in text.stdout


@pytest.mark.py315
@needs_315
@needs(*CONTAINER)
async def test_a_container_of_another_python_version_is_read_from_outside() -> None:
    """No interpreter from inside the container runs and this one's `_remote_debugging` reads only its own
    version: the stacks are read with the offsets the target publishes, every thread by its own id."""
    assert PY315 is not None
    async with start_container("container_service.py", kinds=CONTAINER, python=PY315) as target:
        snapshot = await asyncio.to_thread(take_snapshot, target.pid)
        assert snapshot.python.startswith("3.15.") and snapshot.cross_version
        threads = {thread.name: thread for thread in snapshot.threads}
        assert set(threads) == {"MainThread", "worker"}
        assert threads["MainThread"].id == target.pid_inside == snapshot.threads[0].id
        inside = namespaces.threads_inside(target.pid)
        assert all(inside[thread.id] == thread.host_id for thread in snapshot.threads)
        assert {frame.path for frame in threads["MainThread"].frames} == {"/app/container_service.py"}
        assert threads["worker"].frames[-1].path.endswith("/threading.py")
        assert snapshot.tasks == ()
