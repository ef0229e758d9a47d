"""PEP 768 injection spoken directly: real 3.14 and 3.15 targets, from 3.14 and from 3.15."""

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_harness import wait_until_blocked
from dapattach.attach import elf, pep768
from dapattach.attach.procmem import ProcessMemory, read_maps
from interpreters import PY314, PY315, needs_315

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "tests" / "targets" / "pep768_target.py"
DRIVER = ROOT / "tests" / "targets" / "pep768_driver.py"
TIMEOUT = 10.0

INTERPRETERS = [
    pytest.param(PY314, id="target-3.14"),
    pytest.param(PY315, id="target-3.15", marks=[pytest.mark.py315, needs_315]),
]


class Target:
    """A running target program whose stdout lines can be awaited."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        self.pid = self.process.pid
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, prefix: str, timeout: float = TIMEOUT) -> str:
        """The next line starting with `prefix`; lines before it are kept in `seen`."""
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(
                    f"no line starting with {prefix!r} within {timeout} s; saw {self.seen}"
                ) from None
            self.seen.append(line)
            if line.startswith(prefix):
                return line

    def ready(self) -> tuple[int, int]:
        _, main_tid, worker_tid = self.expect("ready").split()
        return int(main_tid), int(worker_tid)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def spawn() -> Iterator[type[Target]]:
    started: list[Target] = []

    class Tracked(Target):
        def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
            super().__init__(argv, env)
            started.append(self)

    yield Tracked
    for target in started:
        target.stop()


@pytest.fixture
def script(tmp_path: Path) -> str:
    path = tmp_path / "injected.py"
    path.write_text(
        "import sys, threading\n"
        "print('injected', threading.current_thread().name, '%d.%d' % sys.version_info[:2], flush=True)\n"
    )
    return str(path)


def minor_of(python: str) -> str:
    return "3.15" if python == PY315 else "3.14"


@pytest.mark.parametrize("python", INTERPRETERS)
def test_read_version_reports_the_targets_interpreter(spawn: type[Target], python: str) -> None:
    target = spawn([python, str(TARGET), "tick"])
    target.ready()
    expected = subprocess.check_output([python, "-c", "import platform; print(platform.python_version())"])
    assert str(pep768.python_version(target.pid)) == expected.decode().strip()
    assert pep768.read_version(target.pid) == (3, int(minor_of(python)[2:]), False)


@pytest.mark.parametrize("python", INTERPRETERS)
def test_main_thread_runs_the_script_and_the_audit_event_fires(
    spawn: type[Target], python: str, script: str
) -> None:
    target = spawn([python, str(TARGET), "tick"])
    main_tid, _ = target.ready()

    result = pep768.inject(target.pid, script)

    assert result.thread.is_main and result.thread.native_id == main_tid
    assert result.elapsed < 0.5
    event, path = target.expect("audit").split()[1:]
    assert event.endswith("remote_debugger_script") and path == script
    assert target.expect("injected") == f"injected MainThread {minor_of(python)}"
    assert not pep768.is_pending(result)


@pytest.mark.py315
@needs_315
@pytest.mark.parametrize(
    ("mode", "thread", "runs_in"), [("tick", "main", "MainThread"), ("sleep", "auto", "worker")]
)
@pytest.mark.parametrize("python", INTERPRETERS)
def test_a_315_adapter_injects_into_both_versions(
    spawn: type[Target], python: str, mode: str, thread: str, runs_in: str, script: str
) -> None:
    target = spawn([python, str(TARGET), mode, "--worker"])
    target.ready()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.check_output([PY315, str(DRIVER), str(target.pid), script, thread], env=env, text=True)

    report = json.loads(out)
    assert report["adapter"] == "3.15" and report["python"].startswith(minor_of(python))
    assert target.expect("injected", timeout=10.0) == f"injected {runs_in} {minor_of(python)}"


@pytest.mark.parametrize("blocked_in", ["sleep", "accept", "asyncio"])
@pytest.mark.parametrize("python", INTERPRETERS)
def test_auto_picks_the_worker_that_runs_python_while_main_is_blocked(
    spawn: type[Target], python: str, blocked_in: str, script: str
) -> None:
    target = spawn([python, str(TARGET), blocked_in, "--worker"])
    _, worker_tid = target.ready()

    result = pep768.inject(target.pid, script, thread="auto")

    assert (result.thread.native_id, result.thread.is_main, result.thread.running_python) == (
        worker_tid,
        False,
        True,
    )
    assert target.expect("injected", timeout=10.0) == f"injected worker {minor_of(python)}"


def test_auto_prefers_the_main_thread_when_it_runs_python_too(spawn: type[Target], script: str) -> None:
    target = spawn([PY314, str(TARGET), "spin", "--worker"])
    main_tid, _ = target.ready()

    result = pep768.inject(target.pid, script, thread="auto")

    assert (result.thread.native_id, result.thread.running_python) == (main_tid, True)
    assert target.expect("injected", timeout=10.0) == "injected MainThread 3.14"


def test_an_explicit_native_thread_id_is_honoured(spawn: type[Target], script: str) -> None:
    target = spawn([PY314, str(TARGET), "sleep", "--worker"])
    _, worker_tid = target.ready()

    result = pep768.inject(target.pid, script, thread=worker_tid)

    assert result.thread.native_id == worker_tid and result.thread.running_python is None
    assert target.expect("injected", timeout=10.0) == "injected worker 3.14"


def test_list_threads_tells_the_blocked_main_from_the_computing_worker(spawn: type[Target]) -> None:
    target = spawn([PY314, str(TARGET), "sleep", "--worker"])
    main_tid, worker_tid = target.ready()

    main, worker = pep768.list_threads(target.pid)

    assert (main.native_id, main.is_main, main.running_python, main.kernel_state) == (
        main_tid,
        True,
        False,
        "S",
    )
    assert (worker.native_id, worker.is_main, worker.running_python) == (worker_tid, False, True)


def test_a_blocked_main_thread_keeps_the_request_until_it_runs_bytecode(
    spawn: type[Target], script: str
) -> None:
    target = spawn([PY314, str(TARGET), "sleep"])
    main_tid, _ = target.ready()

    result = pep768.inject(target.pid, script, thread="auto")

    assert (result.thread.native_id, result.thread.running_python) == (main_tid, False)
    assert pep768.is_pending(result)
    os.kill(target.pid, signal.SIGUSR1)
    assert target.expect("injected") == "injected MainThread 3.14"
    assert [line.split()[0] for line in target.seen[-3:]] == ["usr1", "audit", "injected"]
    assert not pep768.is_pending(result)


def test_cancel_withdraws_a_request_not_yet_picked_up(
    spawn: type[Target], tmp_path: Path, script: str
) -> None:
    target = spawn([PY314, str(TARGET), "sleep"])
    target.ready()
    wait_until_blocked(target.pid)  # `ready` is printed just before the sleep starts
    second = tmp_path / "second.py"
    second.write_text("print('second', flush=True)\n")

    cancelled = pep768.inject(target.pid, script)
    assert pep768.cancel(cancelled)
    assert not pep768.is_pending(cancelled) and not pep768.cancel(cancelled)
    os.kill(target.pid, signal.SIGUSR1)
    target.expect("usr1")
    pep768.inject(target.pid, str(second))
    os.kill(target.pid, signal.SIGUSR1)

    target.expect("second")
    assert not any(line.startswith("injected") for line in target.seen)


@pytest.mark.parametrize(
    ("flag", "env"),
    [(["-X", "disable-remote-debug"], {}), ([], {"PYTHON_DISABLE_REMOTE_DEBUG": "1"})],
    ids=["-X", "env"],
)
def test_a_target_with_remote_debugging_disabled_is_refused(
    spawn: type[Target], script: str, flag: list[str], env: dict[str, str]
) -> None:
    target = spawn([PY314, *flag, str(TARGET), "tick"], env={**os.environ, **env})
    target.ready()

    with pytest.raises(pep768.RemoteDebugDisabledError) as caught:
        pep768.inject(target.pid, script)

    assert f"PID {target.pid}" in str(caught.value) and "disable-remote-debug" in str(caught.value)
    assert pep768.read_version(target.pid)[:2] == (3, 14)


def test_a_process_that_is_not_python_is_refused(script: str) -> None:
    sleeper = subprocess.Popen([shutil.which("sleep") or "/bin/sleep", "3600"])
    try:
        with pytest.raises(pep768.NotPythonError, match=f"PID {sleeper.pid} .*sleep.* not a CPython process"):
            pep768.inject(sleeper.pid, script)
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.skipif(not os.path.exists("/usr/bin/python3.11"), reason="needs an old /usr/bin/python3.11")
def test_a_python_older_than_314_is_refused_with_its_version_requirement(script: str) -> None:
    old = subprocess.Popen(
        ["/usr/bin/python3.11", "-c", "import time; print(flush=True); time.sleep(3600)"],
        stdout=subprocess.PIPE,
    )
    try:
        assert old.stdout is not None and old.stdout.readline() == b"\n"
        with pytest.raises(pep768.UnsupportedPythonError, match=f"PID {old.pid} .*3.14"):
            pep768.inject(old.pid, script)
    finally:
        old.kill()
        old.wait()


def test_a_process_that_does_not_exist_is_refused(script: str) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()

    with pytest.raises(pep768.NoSuchProcessError, match=f"PID {gone.pid}"):
        pep768.inject(gone.pid, script)
    assert isinstance(pep768.NoSuchProcessError(1, ""), ProcessLookupError)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the adapter as another user")
def test_an_adapter_without_ptrace_rights_gets_a_permission_error(spawn: type[Target]) -> None:
    target = spawn([PY314, str(TARGET), "tick"])
    target.ready()
    public = Path(tempfile.mkdtemp(prefix="pep768-"))
    public.chmod(0o755)
    script = public / "injected.py"
    script.write_text("print('injected', flush=True)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.check_output(
        [PY314, str(DRIVER), str(target.pid), str(script), "main"],
        env=env,
        text=True,
        user=65534,
        group=65534,
    )
    shutil.rmtree(public)

    report = json.loads(out)
    assert report["error"] == "AttachPermissionError"
    assert str(target.pid) in report["message"] and "CAP_SYS_PTRACE" in report["message"]


def test_an_unknown_thread_id_lists_the_threads_there_are(spawn: type[Target], script: str) -> None:
    target = spawn([PY314, str(TARGET), "sleep", "--worker"])
    main_tid, worker_tid = target.ready()

    with pytest.raises(pep768.ThreadNotFoundError) as caught:
        pep768.inject(target.pid, script, thread=1)

    assert f"{main_tid}, {worker_tid}" in str(caught.value)


def test_bad_script_paths_are_refused_before_touching_the_target(spawn: type[Target], tmp_path: Path) -> None:
    target = spawn([PY314, str(TARGET), "tick"])
    target.ready()
    long_path = tmp_path / ("x" * 200) / ("y" * 200) / ("z" * 200) / "s.py"
    long_path.parent.mkdir(parents=True)
    long_path.write_text("print('injected', flush=True)\n")

    with pytest.raises(FileNotFoundError, match="does not exist"):
        pep768.inject(target.pid, str(tmp_path / "missing.py"))
    with pytest.raises(ValueError, match="at most 511"):
        pep768.inject(target.pid, str(long_path))
    assert sys.version_info >= (3, 14)


@pytest.mark.parametrize("via", ["auto", "proc-mem"])
def test_process_memory_reads_and_writes_through_both_paths(spawn: type[Target], via: str) -> None:
    target = spawn([PY314, str(TARGET), "sleep"])
    address = int(target.expect("buffer").split()[1])
    target.ready()
    exe = os.path.realpath(PY314)
    exe_start = next(m.start for m in read_maps(target.pid) if m.path == exe and m.offset == 0)

    with ProcessMemory(target.pid, via=via) as memory:  # type: ignore[arg-type]
        assert memory.read(exe_start, 4) == b"\x7fELF"
        assert memory.read(address, 6) == b"before"
        memory.write(address, b"after!")
    os.kill(target.pid, signal.SIGUSR1)

    assert target.expect("usr1") == "usr1 after!"


def test_section_addresses_are_relocated_for_a_shared_library(spawn: type[Target]) -> None:
    target = spawn([PY314, str(TARGET), "sleep"])
    target.ready()
    libc = next(m for m in read_maps(target.pid) if "libc.so" in m.path and m.offset == 0)
    section = elf.find_section(libc.path, ".rodata")
    assert section is not None and section.first_load_vaddr == 0 and libc.start > 0
    with open(libc.path, "rb") as f:
        f.seek(section.file_offset)
        expected = f.read(256)

    with ProcessMemory(target.pid) as memory:
        assert memory.read(section.runtime_address(libc.start), 256) == expected
