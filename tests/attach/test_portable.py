"""The portable driver: `sys.remote_exec` run by the target's own interpreter, over a Unix socket or
loopback TCP, with the peer proven by the kernel and both ends proving the secret."""

import asyncio
import os
import signal
import subprocess
import tempfile
from asyncio.subprocess import PIPE
from pathlib import Path

import pytest

from agent_harness import TARGETS, attach, start_target, wait_until_blocked
from attach.peer_checks import verdict_once_the_peer_ends
from containers import kind_params, start_container
from dapattach.agent import wire
from dapattach.attach import channel
from dapattach.attach.attempt import Attempt, Phase
from dapattach.attach.checks import AttachError
from dapattach.attach.portable import PortableDriver
from dapattach.attach.target import Target
from interpreters import PY314, PY315, needs_315

CONNECT = (
    "import socket, sys; s = socket.create_connection(('127.0.0.1', int(sys.argv[1]))); sys.stdin.read()"
)


def test_a_tcp_connection_is_the_targets_only_while_the_target_holds_it_and_lives() -> None:
    server, address = channel.loopback_listener()
    server.setblocking(True)
    port = address.rpartition(":")[2]
    with server, subprocess.Popen([PY314, "-c", CONNECT, port], stdin=subprocess.PIPE) as peer:
        connection, _ = server.accept()
        verdict = verdict_once_the_peer_ends(PortableDriver(tcp=True), connection, peer, pidfd=False)
        assert verdict is not None, "a closed socket is nobody's"


def test_the_agent_and_the_adapter_compute_the_same_proofs_and_a_squatter_cannot() -> None:
    secret, nonce = "ab" * 32, "0123"
    assert wire.proof("agent", secret, nonce) == channel.proof("agent", secret, nonce)
    welcome = {"type": "welcome", "protocol": 1, "proof": channel.proof("adapter", secret, nonce)}
    assert wire.welcomed(welcome, secret, nonce)
    assert not wire.welcomed({**welcome, "proof": channel.proof("agent", secret, nonce)}, secret, nonce)
    assert not wire.welcomed({"type": "welcome", "protocol": 1}, secret, nonce), "no proof, no service"
    assert not wire.welcomed(welcome, secret, "other nonce")


@pytest.mark.parametrize("channel_kind", ["unix", "tcp"])
@pytest.mark.parametrize("python", [PY314, pytest.param(PY315, marks=needs_315)], ids=["3.14", "3.15"])
async def test_the_portable_driver_attaches_across_versions_on_either_channel(
    monkeypatch: pytest.MonkeyPatch, channel_kind: str, python: str
) -> None:
    monkeypatch.setenv("DAPATTACH_DRIVER", "portable")
    monkeypatch.setenv("DAPATTACH_CHANNEL", channel_kind)
    async with start_target("showcase.py", python=python) as target:
        link = await attach(target)
        try:
            assert link.python.startswith(python.rpartition("python")[2])
            threads = (await link.request("threads"))["threads"]
            assert target.pid in {thread["id"] for thread in threads}
        finally:
            await link.detach()


def test_a_bad_driver_choice_is_named() -> None:
    from dapattach.attach import driver

    os.environ["DAPATTACH_DRIVER"], saved = "sideways", os.environ.get("DAPATTACH_DRIVER")
    try:
        with pytest.raises(
            driver.DriverChoiceError, match="DAPATTACH_DRIVER='sideways': use 'direct' or 'portable'"
        ):
            driver.choose()
    finally:
        if saved is None:
            del os.environ["DAPATTACH_DRIVER"]
        else:
            os.environ["DAPATTACH_DRIVER"] = saved


async def test_a_request_it_cannot_take_back_only_removes_its_folder_when_the_target_runs_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`sys.remote_exec` has no withdraw: the bootstrap is swapped for one that removes the folder, so the
    target, when it runs Python again, leaves no agent, no folder and no error on its stderr."""
    monkeypatch.setenv("DAPATTACH_DRIVER", "portable")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    target = await asyncio.create_subprocess_exec(
        PY314, str(TARGETS / "blocked_until_signal.py"), stdout=PIPE, stderr=PIPE
    )
    try:
        assert target.stdout is not None and await target.stdout.readline() == b"READY\n"
        await asyncio.to_thread(wait_until_blocked, target.pid)
        attempt = Attempt(target.pid)
        await attempt.start()
        [folder] = tmp_path.glob("dapattach-*")
        await attempt.withdraw()
        assert attempt.phase is Phase.DETACHED
        assert "_dapattach_withdrawn" in (folder / "bootstrap.py").read_text(), "left for the target, defused"
        target.send_signal(signal.SIGUSR1)
        assert await target.stdout.readline() == b"WOKEN\n"
        async with asyncio.timeout(10):  # the request runs right after the signal handler
            while folder.exists():
                await asyncio.sleep(0.01)
    finally:
        target.kill()
        _, stderr = await target.communicate()
    assert b"debugger script" not in stderr and b"Traceback" not in stderr, stderr.decode()


@pytest.mark.parametrize("kinds", kind_params([("mnt", "pid"), ("net",)]))
async def test_a_target_in_a_container_is_refused_naming_the_direct_driver(kinds: tuple[str, ...]) -> None:
    """Containers are the direct driver's: the portable one says so before it asks the target anything
    (over TCP a network namespace of its own is one too: loopback does not cross it)."""
    async with start_container("container_service.py", kinds=kinds) as target:
        held = Target.open(target.pid, pidfd=False)
        try:
            with pytest.raises(AttachError) as refused:
                PortableDriver(tcp=True).place(held)
        finally:
            held.close()
        message = str(refused.value)
        assert message.startswith(f"{held.describe()} runs in a container ("), message
        assert "attach with the direct driver (the default on Linux)" in message
        assert ("network namespace" in message) == (kinds == ("net",))
        assert target.stderr_lines == []
