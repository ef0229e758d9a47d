"""A target held by its pidfd: alive until it exits (a zombie has), waited for by several at once, and
signalled as this very process."""

import asyncio
import signal

import pytest

from dapattach.attach.target import Target


async def test_exit_is_seen_by_every_waiter_and_signals_reach_the_process() -> None:
    process = await asyncio.create_subprocess_exec("sleep", "600")
    target = Target.open(process.pid)
    try:
        assert target.alive() and not await target.exited(0.01)
        waiters = [asyncio.create_task(target.exited(30)) for _ in range(3)]
        target.send_signal(signal.SIGTERM)
        assert await asyncio.gather(*waiters) == [True, True, True]
        assert not target.alive(), "a zombie (not yet reaped) has exited"
        assert await process.wait() == -signal.SIGTERM
    finally:
        target.close()
    assert not target.alive(), "once closed, nothing says the PID is still that process"
    target.send_signal(signal.SIGKILL)  # harmless once closed


@pytest.mark.parametrize(("sent", "expected"), [(signal.SIGKILL, 137), (signal.SIGTERM, 143)])
async def test_the_exit_code_is_known_before_and_after_the_parent_reaps(sent: int, expected: int) -> None:
    process = await asyncio.create_subprocess_exec("sleep", "600")
    target = Target.open(process.pid)
    try:
        assert target.exit_status() is None, "a running process has none"
        target.send_signal(signal.Signals(sent))
        assert await target.exited(10)
        assert target.exit_status() == expected  # a zombie: not reaped yet
        await process.wait()
        assert target.exit_status() == expected  # reaped: the pidfd still knows (Linux 6.15+)
    finally:
        target.close()
    assert target.exit_status() is None


async def test_an_exit_status_is_reported_as_the_program_gave_it() -> None:
    process = await asyncio.create_subprocess_exec(
        "sh", "-c", "read line; exit 3", stdin=asyncio.subprocess.PIPE
    )
    target = Target.open(process.pid)
    try:
        assert process.stdin is not None
        process.stdin.close()
        assert await target.exited(10)
        assert target.exit_status() == 3
        await process.wait()
        assert target.exit_status() == 3
    finally:
        target.close()
