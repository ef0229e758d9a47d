"""A target held by its pidfd: alive until it exits (a zombie has), waited for by several at once, and
signalled as this very process."""

import asyncio
import signal

from dapattach.attach.target import Target


async def test_exit_is_seen_by_every_waiter_and_signals_reach_the_process() -> None:
    process = await asyncio.create_subprocess_exec("sleep", "600")
    target = Target.open(process.pid)
    try:
        assert target.alive() and not await target.exited(0.01)
        waiters = [asyncio.create_task(target.exited(30)) for _ in range(3)]
        target.end(forcefully=False)
        assert await asyncio.gather(*waiters) == [True, True, True]
        assert not target.alive(), "a zombie (not yet reaped) has exited"
        assert await process.wait() == -signal.SIGTERM
    finally:
        target.close()
    assert not target.alive(), "once closed, nothing says the PID is still that process"
    target.end(forcefully=True)  # harmless once closed
