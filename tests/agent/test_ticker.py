"""The agent's periodic thread: named as ours, and woken rarely while the program it watches is idle."""

import asyncio

from agent.test_output import Console, capture, go
from agent_harness import ticker_task, wakeups
from dapattach.agent import ticker

WINDOW = 2.0


async def test_an_idle_program_is_woken_a_few_times_a_second_and_its_output_still_shows(chatty) -> None:
    """Output captured, the program printing nothing: after a quiet second the thread waits
    `IDLE_INTERVAL` (4 wakeups a second) instead of `INTERVAL` (20); the next lines still reach the
    console."""
    target, _ = chatty
    link = await capture(target)
    tid = await ticker_task(target.pid)
    await asyncio.sleep(ticker.INTERVAL * ticker.IDLE_AFTER + 0.5)  # let it find the program quiet
    before = wakeups(target.pid, tid)
    await asyncio.sleep(WINDOW)  # a window to count in, not a wait for something to happen
    woken = wakeups(target.pid, tid) - before
    # one sleep a round, and now and then one more for the GIL: at most 24 idle, at least 40 not
    assert woken <= 3 * WINDOW / ticker.IDLE_INTERVAL < WINDOW / ticker.INTERVAL, woken
    await go(link, "slow")
    console = await Console(link).until("stdout", "slow 10\n")
    assert console == "".join(f"slow {number}\n" for number in range(1, 11))
    await link.detach()
