"""The agent's periodic thread: named as ours, and woken rarely while the program it watches is idle."""

import asyncio
import os

from agent.test_output import Console, capture, go
from dapattach.agent import ticker

WINDOW = 2.0


def _ticker_task(pid: int) -> int:
    """The native id of the agent's periodic thread in `pid`, found by its name."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as file:
                if file.read().strip() == ticker.THREAD_NAME:
                    return int(tid)
        except FileNotFoundError:
            continue
    raise AssertionError(f"no thread named {ticker.THREAD_NAME} in {pid}")


def _wakeups(pid: int, tid: int) -> int:
    """How many times the thread has gone to sleep of its own accord (each wait of a round is one)."""
    with open(f"/proc/{pid}/task/{tid}/status") as file:
        for line in file:
            if line.startswith("voluntary_ctxt_switches:"):
                return int(line.split()[1])
    raise AssertionError("no voluntary_ctxt_switches line")


async def test_an_idle_program_is_woken_a_few_times_a_second_and_its_output_still_shows(chatty) -> None:
    """Output captured, the program printing nothing: after a quiet second the thread waits
    `IDLE_INTERVAL` (4 wakeups a second) instead of `INTERVAL` (20); the next lines still reach the
    console."""
    target, _ = chatty
    link = await capture(target)
    tid = _ticker_task(target.pid)
    await asyncio.sleep(ticker.INTERVAL * ticker.IDLE_AFTER + 0.5)  # let it find the program quiet
    before = _wakeups(target.pid, tid)
    await asyncio.sleep(WINDOW)  # a window to count in, not a wait for something to happen
    woken = _wakeups(target.pid, tid) - before
    assert woken <= 2 * WINDOW / ticker.IDLE_INTERVAL < WINDOW / ticker.INTERVAL, woken
    await go(link, "slow")
    console = await Console(link).until("stdout", "slow 10\n")
    assert console == "".join(f"slow {number}\n" for number in range(1, 11))
    await link.detach()
