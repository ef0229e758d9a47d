"""The agent's periodic thread: named as ours, and woken rarely while the program it watches is idle."""

import asyncio
import time

from agent.test_output import Console, capture, go
from agent_harness import ticker_task, wakeups
from dapattach.agent import ticker

WINDOW = 2.0


async def test_an_idle_program_is_left_alone_and_its_unflushed_output_still_shows(chatty) -> None:
    """Output captured, the program printing nothing: after a quiet second the thread waits for a nudge,
    and wakes by itself only every `BACKSTOP` seconds, while the agent thread looks for text held in the
    streams on the ticks it wakes for anyway; the next lines, which a block-buffered stdout holds with no
    flush (`slow`), still reach the console."""
    target, _ = chatty
    link = await capture(target)
    tid = await ticker_task(target.pid)
    await _until_in_its_long_wait(target.pid, tid)
    before = wakeups(target.pid, tid)
    await asyncio.sleep(WINDOW)  # a window to count in, not a wait for something to happen
    woken = wakeups(target.pid, tid) - before
    # a wait or two, and now and then one more for the GIL; looking every IDLE_INTERVAL: 8 at least
    assert woken <= 2 * (WINDOW / ticker.BACKSTOP + 1) < WINDOW / ticker.IDLE_INTERVAL, woken
    await go(link, "slow")
    console = await Console(link).until("stdout", "slow 10\n")
    assert console == "".join(f"slow {number}\n" for number in range(1, 11))
    await link.detach()


async def _until_in_its_long_wait(pid: int, tid: int, timeout: float = 10.0) -> None:
    """Until half a second passes with at most one wakeup of the thread: two or more mean it still looks by
    itself (every `INTERVAL` after a round found work, every `IDLE_INTERVAL` before the agent thread's
    looks are under way)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = wakeups(pid, tid)
        await asyncio.sleep(2 * ticker.IDLE_INTERVAL)  # a slice to count in
        if wakeups(pid, tid) - before <= 1:
            return
    raise AssertionError(f"the ticker still wakes by itself {timeout:.0f} s into an idle program")


async def test_a_program_that_logs_a_line_now_and_then_wakes_it_once_a_line(chatty) -> None:
    """A line printed and flushed every 0.4 s (a service logging a request): each line ends the thread's
    long wait and goes out at once, then the long wait again (which times out once before the next line).
    Looking every `INTERVAL` while lines come, as the thread once did, wakes it 20 times a second."""
    target, _ = chatty
    link = await capture(target)
    tid = await ticker_task(target.pid)
    console = Console(link)
    await go(link, "steady")
    await console.until("stdout", "steady 2\n")
    before, started = wakeups(target.pid, tid), time.monotonic()
    await console.until("stdout", "steady 8\n")
    woken, seconds = wakeups(target.pid, tid) - before, time.monotonic() - started
    # 6 lines, 2 rounds each, and a wait or two for the GIL or a lock in some of them: 13 to 22 here, 32
    # with a CPU-bound program beside the test; looking every INTERVAL: a wakeup a round at least, 48
    assert woken <= 0.75 * seconds / ticker.INTERVAL, (woken, seconds)
    shown = await console.until("stdout", "steady 10\n")
    assert shown == "".join(f"steady {number}\n" for number in range(1, 11))
    await link.detach()
