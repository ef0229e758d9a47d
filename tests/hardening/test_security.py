"""Only the adapter that injected the agent can talk to it; what it leaves on disk is private and
short-lived; `--listen` stays on loopback unless told otherwise; a target with remote debugging disabled
is never forced."""

import asyncio
import json
import logging
import stat
import sys

import pytest

from agent_harness import start_target, wait_until_blocked
from dapattach.attach.inject import start_attach
from dapclient import ROOT, DapClient, DapError
from handlers.conftest import ticks_after


async def refused(socket_path: str, line: bytes) -> bytes:
    """What the adapter's agent socket answers a peer that sends `line` (b"" when it hangs up)."""
    reader, writer = await asyncio.open_unix_connection(socket_path)
    writer.write(line)
    await writer.drain()
    try:
        async with asyncio.timeout(10):
            return await reader.read()
    finally:
        writer.close()


async def test_only_the_injecting_adapter_is_answered(caplog: pytest.LogCaptureFixture) -> None:
    async with start_target("blocked_main.py", "600") as target:
        await asyncio.to_thread(wait_until_blocked, target.pid)  # READY comes just before the sleep
        pending = await start_attach(target.pid)
        try:
            socket_path = str(pending._socket_path)
            wrong = {"type": "hello", "protocol": 1, "secret": "0" * 64, "pid": target.pid}
            with caplog.at_level(logging.WARNING, logger="dapattach"):
                assert await refused(socket_path, json.dumps(wrong).encode() + b"\n") == b""
                assert await refused(socket_path, b"GET / HTTP/1.0\r\n\r\n") == b""
                assert await refused(socket_path, b'{"type": "hello", "protocol": 1}\n') == b""
            warnings = [r.getMessage() for r in caplog.records if "refused a connection" in r.getMessage()]
            assert len(warnings) == 3 and all(str(target.pid) in message for message in warnings)
            with pytest.raises(TimeoutError):
                await pending.wait(0.2)
        finally:
            await pending.cancel()


async def test_bootstrap_is_private_and_removed_once_run() -> None:
    async with start_target("blocked_main.py", "600") as target:
        await asyncio.to_thread(wait_until_blocked, target.pid)  # READY comes just before the sleep
        pending = await start_attach(target.pid)
        directory = pending._directory
        try:
            assert stat.S_IMODE(directory.stat().st_mode) == 0o700
            bootstrap = directory / "bootstrap.py"
            assert stat.S_IMODE(bootstrap.stat().st_mode) == 0o600
        finally:
            await pending.cancel()
        assert not directory.exists()
    async with start_target("showcase.py") as target:
        pending = await start_attach(target.pid)
        directory = pending._directory
        link = await pending.wait(10)
        assert not directory.exists(), "the bootstrap and the socket directory outlive the attach"
        await link.detach()


async def start_listening(*options: str) -> tuple[asyncio.subprocess.Process, list[str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "dapattach", *options, stderr=asyncio.subprocess.PIPE, cwd=ROOT
    )
    assert process.stderr is not None
    lines: list[str] = []
    async with asyncio.timeout(15):
        while not lines or not lines[-1].startswith("dapattach: listening on"):
            lines.append((await process.stderr.readline()).decode())
    return process, lines


@pytest.mark.parametrize(
    ("address", "bound", "warned"),
    [("0", "127.0.0.1", False), ("127.0.0.1:0", "127.0.0.1", False), ("0.0.0.0:0", "0.0.0.0", True)],
)
async def test_listen_binds_loopback_unless_told(address: str, bound: str, warned: bool) -> None:
    process, lines = await start_listening("--listen", address)
    try:
        assert lines[-1].startswith(f"dapattach: listening on {bound}:")
        warning = any("not a loopback address" in line for line in lines)
        assert warning is warned, lines
    finally:
        process.terminate()
        assert await process.wait() == 0


@pytest.mark.parametrize(
    ("python_args", "env", "why"),
    [
        ((), {"PYTHON_DISABLE_REMOTE_DEBUG": "1"}, "PYTHON_DISABLE_REMOTE_DEBUG is set"),
        (("-X", "disable-remote-debug"), {}, "-X disable-remote-debug"),
    ],
)
async def test_a_target_with_remote_debugging_disabled_is_reported_never_forced(
    adapter: DapClient, python_args: tuple[str, ...], env: dict[str, str], why: str
) -> None:
    async with start_target("showcase.py", python_args=python_args, env=env) as target:
        await adapter.initialize()
        with pytest.raises(DapError, match=rf"remote debugging is disabled in process {target.pid} .*{why}"):
            await adapter.request("attach", {"processId": target.pid})
        target.drain()
        first = await ticks_after(target)
        assert await ticks_after(target) == first + 1
