"""`dapattach ps` and `describe_process` against real Python 3.14 / 3.15 processes started here."""

import asyncio
import json
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_harness import REMOTE_EXEC
from containers import needs, relocated, start_container
from dapattach.processes import NoSuchProcess, Problem, describe_process, list_processes
from interpreters import TARGET, require

SRC = Path(__file__).resolve().parents[1] / "src"
SLEEPER = 'import time\nprint("ready", flush=True)\ntime.sleep(3600)\n'


def interpreter(version: str) -> str:
    """The Python `version` the tests target (see tests/interpreters.py)."""
    return require(version)


def exact_version(python: str) -> str:
    return subprocess.run(
        [python, "-I", "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def wait_for_line(process: subprocess.Popen[str], timeout: float = 15.0) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise AssertionError(f"target {process.args!r} printed nothing within {timeout} s")
    line = process.stdout.readline()
    assert line, f"target {process.args!r} exited early with status {process.wait()}"
    return line.strip()


class Targets:
    """Starts target programs and kills every one of them at the end of the test."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[subprocess.Popen[str]] = []
        self.ready_lines: dict[int, str] = {}

    def start(
        self,
        python: str,
        source: str = SLEEPER,
        *,
        options: tuple[str, ...] = (),
        args: tuple[str, ...] = (),
        name: str = "target.py",
        env: dict[str, str] | None = None,
    ) -> subprocess.Popen[str]:
        script = self.directory / name
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(source, encoding="utf-8")
        environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
        process = subprocess.Popen(
            [python, *options, str(script), *args],
            stdout=subprocess.PIPE,
            text=True,
            env=environment | (env or {}),
        )
        self.started.append(process)
        self.ready_lines[process.pid] = wait_for_line(process)
        return process

    def stop_all(self) -> None:
        for process in self.started:
            process.kill()
            process.wait()


@pytest.fixture
def targets(tmp_path: Path) -> Iterator[Targets]:
    started = Targets(tmp_path)
    yield started
    started.stop_all()


def run_ps(*args: str, python: str = sys.executable, user: tuple[str, ...] = ()) -> list[dict[str, object]]:
    done = subprocess.run(
        [*user, python, "-m", "dapattach", "ps", "--json", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=os.environ | {"PYTHONPATH": str(SRC)},
    )
    result: list[dict[str, object]] = json.loads(done.stdout)
    return result


def by_pid(entries: list[dict[str, object]], pid: int) -> dict[str, object]:
    matches = [entry for entry in entries if entry["pid"] == pid]
    assert len(matches) == 1, f"PID {pid} listed {len(matches)} times"
    return matches[0]


@pytest.mark.py315
def test_ps_json_reports_each_targets_exact_version(targets: Targets) -> None:
    py314, py315 = interpreter("3.14"), interpreter("3.15")
    on_314 = targets.start(py314, name="on314.py")
    on_315 = targets.start(py315, name="on315.py")

    entries = run_ps()

    for process, python, version in ((on_314, py314, "3.14"), (on_315, py315, "3.15")):
        entry = by_pid(entries, process.pid)
        assert set(entry) == {
            "pid",
            "ppid",
            "user",
            "uid",
            "python",
            "version",
            "remoteDebug",
            "attachable",
            "reason",
            "name",
            "commandLine",
            "argv",
            "executable",
            "pidInside",
            "container",
        }
        assert entry["python"] == exact_version(python)
        assert entry["version"] == version
        assert entry["remoteDebug"] is True
        assert entry["attachable"] is True
        assert entry["reason"] is None
        assert entry["uid"] == os.geteuid()
        assert entry["ppid"] == os.getpid()
        assert entry["argv"] == [python, str(targets.directory / f"on{version.replace('.', '')}.py")]
        assert str(entry["commandLine"]).endswith(f"on{version.replace('.', '')}.py")
        assert entry["pidInside"] == process.pid
        assert entry["container"] is None


def test_ps_all_lists_python_processes_first(targets: Targets) -> None:
    targets.start(interpreter("3.14"))
    entries = run_ps("--all")
    kinds = [entry["version"] is not None for entry in entries]
    assert kinds == sorted(kinds, reverse=True)
    assert any(kinds) and not all(kinds)


def test_remote_debug_switch_matches_what_remote_exec_does(targets: Targets, tmp_path: Path) -> None:
    py314 = interpreter("3.14")
    by_env = targets.start(py314, name="env.py", env={"PYTHON_DISABLE_REMOTE_DEBUG": "1"})
    by_option = targets.start(py314, name="option.py", options=("-X", "disable-remote-debug"))
    env_ignored = targets.start(
        py314, name="isolated.py", options=("-I",), env={"PYTHON_DISABLE_REMOTE_DEBUG": "1"}
    )
    enabled = targets.start(py314, name="plain.py")
    script = tmp_path / "noop.py"
    script.write_text("pass\n")

    for process, expected in ((by_env, False), (by_option, False), (env_ignored, True), (enabled, True)):
        info = describe_process(process.pid)
        assert info.remote_debug is expected, process.args
        probe = subprocess.run(
            [py314, "-c", REMOTE_EXEC, str(process.pid), str(script)],
            capture_output=True,
            text=True,
            env={key: value for key, value in os.environ.items() if not key.startswith("PYTHON")},
        )
        assert (probe.returncode == 0) is expected, probe.stderr
        if not expected:
            assert "Remote debugging is not enabled" in probe.stderr
            assert info.problem is Problem.REMOTE_DEBUG_DISABLED
            assert info.reason is not None and str(process.pid) in info.reason
            cause = "PYTHON_DISABLE_REMOTE_DEBUG is set" if process is by_env else "-X disable-remote-debug"
            assert cause in info.reason and info.remote_debug_off_by is not None


def test_odd_command_lines_come_back_exactly(targets: Targets) -> None:
    odd_args = ("with space", "", "ünïcødé ✓ 🐍", "new\nline", "x" * 60_000, "tab\there", "quote's")
    process = targets.start(interpreter("3.14"), args=odd_args, name="dir with space/ñame ✓.py")

    entry = by_pid(run_ps(), process.pid)

    assert entry["argv"] == [process.args[0], process.args[1], *odd_args]
    command_line = str(entry["commandLine"])
    assert "\n" not in command_line and "\t" not in command_line
    assert "ñame ✓.py" in command_line and "ünïcødé ✓ 🐍" in command_line
    assert len(command_line) > 60_000


def test_processes_vanishing_while_listed_are_skipped() -> None:
    python = interpreter("3.14")
    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            subprocess.run([python, "-c", "pass"], check=True)

    churner = threading.Thread(target=churn)
    churner.start()
    try:
        for _ in range(20):
            listed = list_processes()
            assert all(info.pid != os.getpid() for info in listed)
    finally:
        stop.set()
        churner.join()


def test_describe_explains_missing_exited_and_non_python_processes() -> None:
    exited = subprocess.Popen([interpreter("3.14"), "-c", "pass"])
    os.waitid(os.P_PID, exited.pid, os.WEXITED | os.WNOWAIT)  # exited, not yet reaped: a zombie
    zombie = describe_process(exited.pid)
    assert zombie.problem is Problem.EXITED and not zombie.attachable
    exited.wait()
    with pytest.raises(NoSuchProcess, match=f"no process with PID {exited.pid}"):
        describe_process(exited.pid)

    with subprocess.Popen(["sleep", "3600"]) as not_python:
        try:
            info = describe_process(not_python.pid)
            assert info.problem is Problem.NOT_PYTHON
            assert info.reason == f"process {not_python.pid} (sleep) is not running Python"
        finally:
            not_python.kill()


def older_python() -> str | None:
    """The real binary (not a pyenv shim) of some Python older than 3.14, if one is installed."""
    for version in ("3.13", "3.12", "3.11", "3.10"):
        found = shutil.which(f"python{version}")
        if found is None:
            continue
        probe = subprocess.run(
            [found, "-c", "import sys; print(sys.executable)"], capture_output=True, text=True
        )
        if probe.returncode == 0:
            return probe.stdout.strip()
    return None


def test_older_python_is_listed_but_not_attachable(targets: Targets) -> None:
    real = older_python()
    if real is None:
        pytest.skip("no Python older than 3.14 installed")
    process = targets.start(real)
    info = describe_process(process.pid)
    assert info.is_python and info.version is not None and info.version < "3.14"
    assert info.problem is Problem.OLD_VERSION
    assert info.reason is not None and "needs Python 3.14 or newer" in info.reason


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run ps as another user")
def test_another_users_process_is_not_attachable(targets: Targets) -> None:
    process = targets.start(interpreter("3.14"))
    nobody = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
    with tempfile.TemporaryDirectory() as home:
        os.chmod(home, 0o777)
        entry = by_pid(run_ps(user=("env", f"HOME={home}", *nobody)), process.pid)

    assert entry["attachable"] is False
    assert entry["user"] == "root"
    assert entry["remoteDebug"] is None
    assert entry["version"] == "3.14"
    assert "owned by user root" in str(entry["reason"])


def test_ps_table_shows_the_target(targets: Targets) -> None:
    process = targets.start(interpreter("3.14"), name="table target.py")
    done = subprocess.run(
        [sys.executable, "-m", "dapattach", "ps"], capture_output=True, text=True, check=True, timeout=60
    )
    header, *rows = done.stdout.splitlines()
    assert header.split() == [
        "PID", "USER", "PYTHON", "REMOTE-DEBUG", "ATTACH", "PID-INSIDE", "CONTAINER", "COMMAND"
    ]  # fmt: skip
    row = next(row for row in rows if row.split()[0] == str(process.pid))
    assert row.split()[2:7] == [exact_version(interpreter("3.14")), "enabled", "yes", "-", "-"]
    assert row.endswith("'" + str(targets.directory / "table target.py") + "'")


@needs("mnt", "pid", "user", "net")
async def test_ps_shows_the_pid_inside_a_container() -> None:
    async with start_container("container_service.py", kinds=("mnt", "pid", "user", "net")) as target:
        entry = by_pid(await asyncio.to_thread(run_ps), target.pid)
        assert (entry["pidInside"], entry["uid"], entry["attachable"]) == (target.pid_inside, 100000, True)
        table = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "dapattach", "ps"],
            capture_output=True,
            text=True,
            check=True,
        )
        row = next(row for row in table.stdout.splitlines() if row.split()[0] == str(target.pid))
        assert row.split()[5:7] == [str(target.pid_inside), "-"]
        assert row.endswith(f"{relocated(TARGET).python} /app/container_service.py")


def test_ps_tree_shows_workers_under_their_master() -> None:
    prefork = Path(__file__).parent / "targets" / "prefork_server.py"
    master = subprocess.Popen([interpreter("3.14"), str(prefork), "2"], stdout=subprocess.PIPE, text=True)
    try:
        assert master.stdout is not None
        lines = []
        for line in master.stdout:
            if line == "READY\n":
                break
            lines.append(line.strip())
        else:
            raise AssertionError(f"the prefork server ended before it was ready: {lines}")
        workers = [int(line.split()[1]) for line in lines if line.startswith("WORKER ")]
        done = subprocess.run(
            [sys.executable, "-m", "dapattach", "ps", "--tree"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        rows = done.stdout.splitlines()
        at = next(index for index, row in enumerate(rows) if row.split()[0] == str(master.pid))
        first, second = rows[at + 1], rows[at + 2]
        assert [int(first.split()[0]), int(second.split()[0])] == workers
        command = rows[0].index("COMMAND")
        depth = len(rows[at][command:]) - len(
            rows[at][command:].lstrip(" │├└─")
        )  # the master may be nested too
        assert first[command + depth :].lstrip(" │").startswith("├─ /")
        assert second[command + depth :].lstrip(" │").startswith("└─ /")
        assert first[command:].index("├") >= depth
        entries = run_ps("--tree")
        assert [by_pid(entries, worker)["ppid"] for worker in workers] == [master.pid, master.pid]
    finally:
        master.kill()
        master.wait()
