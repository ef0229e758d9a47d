"""1,000 attach/detach cycles on one target leave its threads, fds, sys.monitoring tools, modules and memory
as they were. Measured inside the target by a script run with `sys.remote_exec`."""

import os
import time
from typing import Any

import pytest

from agent_harness import attach, pause, probe, run_in_target, start_target

CYCLES = int(os.environ.get("DAPATTACH_LEAK_CYCLES", "1000"))
WARM_UP = 100
"""The first hundred cycles grow RSS by about 3 MB once (room for one agent, the allocators' arenas and
the interpreter's caches filling up): the baseline is taken after them. What stays per attach is the
at-fork hook (`os.register_at_fork` has no way to remove one): about 4 allocated blocks per cycle."""
BLOCKS_PER_CYCLE = 10
"""Python objects are counted exactly (`sys.getallocatedblocks`): more than this per cycle is a leak."""
RSS_LIMIT = 4 * 1024 * 1024
"""RSS is the backstop for memory Python does not count. It moves with the allocators' arenas: 1,000
cycles measure +0.3 to +0.6 MB on an idle machine and up to +2.1 MB on a busy one."""

MEASURE = """\
def _measure():
    import gc, json, os, socket, sys, threading
    for thread in threading.enumerate():
        if thread.name.startswith("dapattach"):
            thread.join(1.0)
    gc.collect()
    with open("/proc/self/status") as status:
        rss = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))
    report = {
        "threads": threading.active_count(),
        "tasks": len(os.listdir("/proc/self/task")),
        "fds": len(os.listdir("/proc/self/fd")),
        "tools": [tool for tool in range(6) if sys.monitoring.get_tool(tool)],
        "modules": len(sys.modules),
        "rss": rss,
        "blocks": sys.getallocatedblocks(),
    }
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(%r)
        sock.sendall(json.dumps(report).encode())


_measure()
del _measure
"""


async def measure(pid: int) -> dict[str, Any]:
    return await run_in_target(pid, MEASURE)


async def cycle(pid: int, number: int) -> None:
    link = await attach(pid)
    await link.request("threads")
    if number % 50 == 0:
        await pause(link)
    await link.detach()


@pytest.mark.slow
async def test_a_thousand_attach_detach_cycles_leave_nothing_behind() -> None:
    async with start_target("showcase.py") as target:
        for number in range(WARM_UP):
            await cycle(target.pid, number)
        traces = await probe(target.pid)
        before = await measure(target.pid)
        started = time.monotonic()
        for number in range(CYCLES):
            await cycle(target.pid, number)
        took = time.monotonic() - started
        after = await measure(target.pid)
        growth = after["rss"] - before["rss"]
        blocks = after["blocks"] - before["blocks"]
        print(
            f"\n{CYCLES} cycles in {took:.1f} s ({took / CYCLES * 1000:.0f} ms each), RSS {growth:+d} bytes,"
            f" {blocks:+d} allocated blocks"
        )
        assert await probe(target.pid) == traces
        for key in ("threads", "tasks", "fds", "tools", "modules"):
            assert after[key] == before[key], key
        target.drain()
        await target.expect(r"^tick \d+$")
        assert blocks < BLOCKS_PER_CYCLE * CYCLES, f"{blocks} more allocated blocks after {CYCLES} cycles"
        assert growth < RSS_LIMIT, f"RSS grew by {growth} bytes over {CYCLES} cycles"
