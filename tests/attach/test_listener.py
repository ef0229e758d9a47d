"""The agent's socket takes only the target itself, and only with the secret: an impostor of the target's
user that read the secret is refused and logged, and the real agent still gets in after it."""

import asyncio
import logging
import os
import signal
import subprocess
from asyncio.subprocess import Process
from pathlib import Path

import pytest

from agent_harness import start_target, wait_until_blocked
from dapattach.attach.attempt import Attempt, Phase
from dapattach.attach.direct import DirectDriver
from dapattach.attach.folder import AttachFolder
from dapattach.attach.listener import AgentListener
from dapattach.attach.target import Target
from interpreters import PY314
from users import AS_NOBODY, HOSTILE, needs_root


def bootstrap_of(attempt: Attempt) -> Path:
    assert attempt.folder is not None
    return Path(attempt.folder.path) / "bootstrap.py"


@needs_root
async def test_an_impostor_with_the_secret_is_refused_and_the_agent_still_gets_in(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with start_target("blocked_until_signal.py", run_as=AS_NOBODY) as target:
        await asyncio.to_thread(wait_until_blocked, target.pid)
        attempt = Attempt(target.pid)
        await attempt.start()
        try:
            with caplog.at_level(logging.WARNING, logger="dapattach"):
                impostor = await asyncio.to_thread(
                    subprocess.run,
                    [*AS_NOBODY, PY314, str(HOSTILE / "impostor.py"), str(bootstrap_of(attempt))],
                    capture_output=True, text=True, timeout=60,
                )  # fmt: skip
                assert "the adapter answered b''" in impostor.stdout, impostor.stderr
                impostor_pid = int(impostor.stdout.split()[1])
                refusals = [
                    r.getMessage() for r in caplog.records if "refused a connection" in r.getMessage()
                ]
                assert refusals == [
                    f"refused a connection to the agent socket of process {target.pid}: it comes from PID "
                    f"{impostor_pid} (uid 65534), not from process {target.pid}"
                ]
            assert attempt.phase is Phase.INJECTED
            target.process.send_signal(signal.SIGUSR1)
            link = await attempt.arrival(10)
            assert link.pid == target.pid and link.executable != "impostor"
            assert (await link.request("threads"))["threads"][0]["id"] == target.pid
        finally:
            await attempt.detach()


SAY_HELLO = """\
import hashlib, hmac, json, os, socket, sys
with socket.socket(socket.AF_UNIX) as sock:
    sock.connect(sys.argv[1])
    proof = hmac.new(sys.argv[2].encode(), b"agent:ab", hashlib.sha256).hexdigest()
    hello = {"type": "hello", "protocol": 1, "nonce": "ab", "proof": proof, "pid": os.getpid()}
    sock.settimeout(30)
    try:
        sock.sendall(json.dumps(hello).encode() + b"\\n")
        print(repr(sock.recv(100)), flush=True)
    except ConnectionError:  # closed before we could say hello
        print(repr(b""), flush=True)
    sys.stdin.read()
"""


async def say_hello(path: Path, secret: str) -> Process:
    """A process that connects to `path`, says hello with `secret`, prints what it got and waits."""
    return await asyncio.create_subprocess_exec(
        PY314,
        "-c",
        SAY_HELLO,
        str(path),
        secret,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )


async def listening(tmp_path: Path, secret: str, hello_secret: str) -> tuple[AgentListener, Process, str]:
    """A listener whose target is a process that connects and says hello with `hello_secret`."""
    folder = AttachFolder.create(str(tmp_path), os.geteuid())
    sock, path = folder.listen("agent.sock")
    target = await say_hello(Path(path), hello_secret)
    listener = AgentListener(sock, Target.open(target.pid), DirectDriver(), secret)
    await listener.start()
    return listener, target, path


async def done(*processes: Process) -> None:
    for process in processes:
        assert process.stdin is not None
        process.stdin.close()
        await process.wait()


async def test_the_target_with_the_secret_is_the_agent(tmp_path: Path) -> None:
    listener, target, _ = await listening(tmp_path, "5" * 64, "5" * 64)
    try:
        _, writer, hello = await listener.arrival(10)
        assert hello["pid"] == target.pid
        writer.close()
    finally:
        listener.close()
        await done(target)


async def test_every_connection_must_come_from_the_target_and_know_the_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="dapattach"):
        listener, target, path = await listening(tmp_path, "5" * 64, "0" * 64)
        try:
            assert target.stdout is not None
            assert await target.stdout.readline() == b"b''\n", "the target with a wrong secret is refused"
            other = await say_hello(Path(path), "5" * 64)
            assert other.stdout is not None
            assert await other.stdout.readline() == b"b''\n", "another process with the secret is refused"
            with pytest.raises(TimeoutError):
                await listener.arrival(0.1)
        finally:
            listener.close()
            await done(target, other)
    assert f"agent socket of process {target.pid}: bad hello or secret" in caplog.text
    assert f"it comes from PID {other.pid} (uid {os.geteuid()}), not from process {target.pid}" in caplog.text
