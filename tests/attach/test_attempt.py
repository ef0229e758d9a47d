"""An attach from request to detach: its phases move only as the table says, every way it can fail gives
a clear message, and whatever way it ends, nothing of it stays (no request, no folder, no socket)."""

import asyncio
import os
import subprocess
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from agent_harness import attach, probe, start_target, wait_until_blocked
from dapattach.attach import pep768
from dapattach.attach.attempt import Attempt, IllegalMove, Phase, TargetExited, inject_agent
from dapattach.attach.checks import AttachError
from dapattach.attach.listener import HELLO_TIMEOUT
from interpreters import PY314, PY315, TARGET_VERSION, needs_315
from users import AS_NOBODY

SRC = Path(__file__).resolve().parents[2] / "src"


async def test_attach_to_a_running_target_says_hello() -> None:
    async with start_target("showcase.py") as target:
        link = await attach(target)
        assert (link.pid, link.python.startswith(TARGET_VERSION + ".")) == (target.pid, True)
        await link.detach()


async def test_missing_pid() -> None:
    process = subprocess.Popen(["true"])
    process.wait()
    with pytest.raises(AttachError, match=rf"no process with PID {process.pid}"):
        await inject_agent(process.pid, timeout=5)


async def test_invalid_pid() -> None:
    with pytest.raises(AttachError, match="-3 is not a valid process id"):
        await inject_agent(-3, timeout=5)


async def test_not_a_python_process() -> None:
    with subprocess.Popen(["sleep", "30"]) as process:
        try:
            with pytest.raises(
                AttachError, match=rf"process {process.pid} \(.*sleep\) is not a Python process"
            ):
                await inject_agent(process.pid, timeout=5)
        finally:
            process.kill()


@pytest.mark.py315
@needs_315
async def test_a_target_of_another_python_version_gets_the_agent() -> None:
    async with start_target("blocked_main.py", "0", python=PY315, ready="AWAKE") as target:
        link = await inject_agent(target.pid, timeout=5)
        assert link.python.startswith("3.15.")
        threads = (await link.request("threads"))["threads"]
        assert [t["name"] for t in threads] == ["MainThread"]
        await link.detach()


async def test_target_started_with_remote_debugging_disabled() -> None:
    async with start_target(
        "blocked_main.py", "0", python_args=["-X", "disable-remote-debug"], ready="AWAKE"
    ) as target:
        with pytest.raises(
            AttachError,
            match=rf"remote debugging is disabled in process {target.pid} \(it was started with -X "
            "disable-remote-debug\\): restart it without that to attach",
        ):
            await inject_agent(target.pid, timeout=5)


async def test_target_with_remote_debugging_disabled_by_environment() -> None:
    async with start_target(
        "blocked_main.py", "0", env={"PYTHON_DISABLE_REMOTE_DEBUG": "1"}, ready="AWAKE"
    ) as target:
        with pytest.raises(AttachError, match="PYTHON_DISABLE_REMOTE_DEBUG is set in its environment"):
            await inject_agent(target.pid, timeout=5)


SITE_PACKAGES = Path(psutil.__file__).parent.parent
"""Where the adapter's dependencies are installed, for an adapter run as another user from the sources."""

PERMISSION_SCRIPT = """\
import asyncio, sys
from dapattach.attach.attempt import inject_agent
from dapattach.attach.checks import AttachError
try:
    asyncio.run(inject_agent(int(sys.argv[1]), timeout=5))
except AttachError as error:
    print(error)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the adapter as another user")
async def test_permission_denied_names_the_fix() -> None:
    async with start_target("blocked_main.py", "0", ready="AWAKE") as target:
        result = await asyncio.to_thread(
            subprocess.run,
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", PY314, "-c", PERMISSION_SCRIPT,
             str(target.pid)],
            env={"PYTHONPATH": f"{SRC}{os.pathsep}{SITE_PACKAGES}", "PATH": os.environ["PATH"]},
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        message = result.stdout.strip()
        assert f"permission denied attaching to process {target.pid}" in message, result.stderr
        assert "CAP_SYS_PTRACE" in message and "uid 65534" in message


async def test_blocked_main_thread_times_out_and_the_request_is_withdrawn(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    async with start_target("blocked_main.py", "3") as target:
        with pytest.raises(
            AttachError,
            match=rf"process {target.pid} did not run the attach bootstrap within 0.5 s: its main thread "
            "seems blocked .* and no other thread ran Python code",
        ):
            await inject_agent(target.pid, timeout=0.5)
        await target.expect("AWAKE")
        report = await probe(target.pid)
        assert report["modules"] == [] and "dapattach-agent" not in report["threads"]
        assert list(tmp_path.glob("dapattach-*")) == []
        link = await attach(target)
        await link.detach()


async def test_the_phases_of_an_attach_to_a_running_target(tmp_path: Path) -> None:
    async with start_target("showcase.py") as target:
        attempt = Attempt(target.pid)
        assert attempt.phase is Phase.REQUESTED
        with pytest.raises(IllegalMove, match="waiting for the agent while requested"):
            await attempt.arrival(1)
        await attempt.start()
        assert attempt.phase is Phase.INJECTED
        link = await attempt.arrival(10)
        assert attempt.phase is Phase.AGENT_IN and link.pid == target.pid
        with pytest.raises(IllegalMove, match="'grace over' while agent in"):
            attempt.stand_in()
        await attempt.detach()
        assert attempt.phase is Phase.DETACHED and link.closed.is_set()
        assert attempt.target is not None and not attempt.target.alive(), "the pidfd is let go"
        report = await probe(target.pid)
        assert report["modules"] == [] and "dapattach-agent" not in report["threads"]


async def test_a_blocked_target_is_answered_by_the_stand_in_until_the_agent_comes() -> None:
    async with start_target("blocked_main.py", "1") as target:
        attempt = Attempt(target.pid)
        await attempt.start()
        with pytest.raises(TimeoutError):
            await attempt.arrival(0.1)
        assert attempt.phase is Phase.INJECTED, "a timeout leaves the attach as it was"
        attempt.stand_in()
        assert attempt.phase is Phase.STAND_IN
        await attempt.arrival(10)
        assert attempt.phase is Phase.AGENT_IN
        await attempt.detach()


async def test_a_target_that_exits_while_waited_for_ends_the_attach(tmp_path: Path) -> None:
    async with start_target("blocked_main.py", "600") as target:
        await asyncio.to_thread(wait_until_blocked, target.pid)
        attempt = Attempt(target.pid)
        await attempt.start()
        folder = Path(tempfile.gettempdir())
        ours = [path for path in folder.glob(f"dapattach-{os.getpid()}-*")]
        assert len(ours) == 1
        target.process.kill()
        with pytest.raises(TargetExited, match=f"Process {target.pid} exited before the agent got in"):
            await attempt.arrival(30)
        assert attempt.phase is Phase.DETACHED
        assert not ours[0].exists()


async def test_withdrawing_leaves_nothing_in_the_target() -> None:
    async with start_target("blocked_main.py", "3") as target:
        await asyncio.to_thread(wait_until_blocked, target.pid)
        attempt = Attempt(target.pid)
        await attempt.start()
        attempt.stand_in()
        await attempt.withdraw()
        assert attempt.phase is Phase.DETACHED
        await target.expect("AWAKE")
        report = await probe(target.pid)
        assert report["modules"] == [] and "dapattach-agent" not in report["threads"]


@pytest.mark.direct_only("it sees that another attach displaced its request; sys.remote_exec cannot")
@pytest.mark.parametrize("run_as", [(), AS_NOBODY], ids=["own user", "another user"])
async def test_a_request_another_attach_displaced_is_sent_again_and_refused_by_name(
    run_as: tuple[str, ...],
) -> None:
    """Two attaches to a target whose only thread runs Python once a second: the second request
    replaces the first in the thread's one slot before the target reads it. The target runs only the
    second bootstrap; the first attach notices, asks again, and is refused naming the adapter. For
    another user's target the bootstrap cannot delete itself: the watch on it tells it was not opened."""
    if run_as and os.geteuid() != 0:
        pytest.skip("needs root to run the target as another user")
    async with start_target("slow_main.py", run_as=run_as) as target:
        await target.expect(r"^tick \d+$")  # it has just run Python: it reads no request for a second
        first, second = Attempt(target.pid), Attempt(target.pid)
        await first.start()
        await second.start()
        assert isinstance(first._injection, pep768.InjectResult)
        assert isinstance(second._injection, pep768.InjectResult)
        assert not pep768.holds(first._injection) and pep768.is_pending(second._injection)
        link = await second.arrival(5)
        started = time.monotonic()
        with pytest.raises(AttachError, match=rf"is already attached by adapter PID {os.getpid()}"):
            await first.arrival(5)
        assert time.monotonic() - started < 1.0
        assert first.phase is Phase.DETACHED
        await second.detach()
        assert link.closed.is_set()
        await target.expect(r"^tick \d+$")


@pytest.mark.direct_only("it tells when the target took the request; sys.remote_exec does not say")
async def test_a_target_that_takes_the_request_but_not_the_bootstrap_says_why_at_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    async with start_target("refuses_debugger_scripts.py") as target:
        attempt = Attempt(target.pid)
        await attempt.start()
        started = asyncio.get_running_loop().time()
        with pytest.raises(AttachError) as refused:
            await attempt.arrival(30)
        assert asyncio.get_running_loop().time() - started < HELLO_TIMEOUT, "no wait for a hello"
        message = str(refused.value)
        opening = f"process {target.pid} took the attach request but could not open the bootstrap {tmp_path}/"
        assert message.startswith(opening), message
        assert "an audit hook (sys.addaudithook)" in message and "blocked" not in message
        assert attempt.phase is Phase.DETACHED
        assert list(tmp_path.glob("dapattach-*")) == []
