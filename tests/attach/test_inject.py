"""inject_agent: every way attaching can fail gives a clear message; a wrong secret is refused."""

import asyncio
import json
import logging
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from agent_harness import attach, probe, start_target
from dapattach.attach import AttachError, inject_agent
from dapattach.attach.inject import _hello_handler
from interpreters import PY314, PY315, needs_315

SRC = Path(__file__).resolve().parents[2] / "src"


async def test_attach_to_a_running_target_says_hello() -> None:
    async with start_target("showcase.py") as target:
        link = await attach(target)
        assert (link.pid, link.python.startswith("3.14")) == (target.pid, True)
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


PERMISSION_SCRIPT = """\
import asyncio, sys
from dapattach.attach import AttachError, inject_agent
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
            env={"PYTHONPATH": str(SRC), "PATH": os.environ["PATH"]},
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


async def test_a_peer_with_a_wrong_secret_is_refused_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    arrived: asyncio.Future = asyncio.get_running_loop().create_future()
    path = tmp_path / "agent.sock"
    server = await asyncio.start_unix_server(_hello_handler("right", arrived, 4242), path=path)
    hello = {"type": "hello", "protocol": 1, "secret": "wrong", "pid": 1}
    with caplog.at_level(logging.WARNING):
        reader, writer = await asyncio.open_unix_connection(path)
        writer.write(json.dumps(hello).encode() + b"\n")
        async with asyncio.timeout(5):
            assert await reader.read() == b""
    writer.close()
    assert not arrived.done()
    assert "bad hello or secret" in caplog.text and "4242" in caplog.text
    reader, writer = await asyncio.open_unix_connection(path)
    writer.write(json.dumps({**hello, "secret": "right"}).encode() + b"\n")
    async with asyncio.timeout(5):
        assert (await arrived)[2]["secret"] == "right"
    writer.close()
    server.close()
