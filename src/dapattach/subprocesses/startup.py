"""Attaching to a process that has only just started (a new child, or a program an exec just loaded).

While its interpreter initialises and imports `site` (and `sitecustomize`), loading the agent there could
meet modules half imported. The interpreter names the thread that runs `__main__` only once it starts
running it (read through the attach protocol), so the agent is asked in from then on. A process that
still has not got there after `STARTUP_LIMIT` seconds is asked in anyway (an embedding application may
never name one).
"""

import asyncio
import contextlib

from dapattach.attach import pep768
from dapattach.subprocesses import tree

STARTUP_LIMIT = 2.0
LOOK_INTERVAL = 0.01


def starting(pid: int) -> bool:
    """Whether `pid` is young and its interpreter not yet running `__main__` (False once it has exited)."""
    stat = tree.read_stat(pid)
    if stat is None or stat.image is None or tree.age(stat) > STARTUP_LIMIT:
        return False
    try:
        return not any(thread.is_main for thread in pep768.list_threads(pid, sample=False))
    except pep768.NoSuchProcessError:
        return False
    except pep768.AttachError, OSError:
        return True  # no interpreter yet, or it cannot be read now: look again


async def until_started(pid: int) -> None:
    """Return once `pid` runs `__main__` (or has exited, or `STARTUP_LIMIT` has passed)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(STARTUP_LIMIT + 1.0):
            while await asyncio.to_thread(starting, pid):
                await asyncio.sleep(LOOK_INTERVAL)
