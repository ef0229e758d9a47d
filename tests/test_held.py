"""A target the kernel holds (stopped by SIGSTOP, frozen with its cgroup) while attached: its agent cannot
answer, the user is told why and what lets it go on, and the request waiting meanwhile is answered once
it runs again."""

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agent_harness import start_target
from dapclient import DapClient
from handlers.conftest import attach_session

FREEZER = Path("/sys/fs/cgroup/freezer")


@contextlib.contextmanager
def stopped(pid: int) -> Iterator[None]:
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


@contextlib.contextmanager
def frozen(pid: int) -> Iterator[None]:
    """Process `pid` in a cgroup of its own (v1 freezer), frozen; thawed and put back afterwards."""
    group = FREEZER / f"dapattach-test-{os.getpid()}-{pid}"
    group.mkdir()
    try:
        (group / "cgroup.procs").write_text(str(pid))
        (group / "freezer.state").write_text("FROZEN")
        try:
            yield
        finally:
            (group / "freezer.state").write_text("THAWED")
            with contextlib.suppress(OSError):  # the process may have ended
                (FREEZER / "cgroup.procs").write_text(str(pid))
    finally:
        group.rmdir()


can_freeze = pytest.mark.skipif(
    os.geteuid() != 0 or not (FREEZER / "cgroup.procs").exists(),
    reason="needs root and the cgroup v1 freezer controller",
)


@pytest.mark.parametrize(
    ("hold", "said"),
    [
        (stopped, "it is stopped (SIGSTOP or Ctrl-Z) and goes on when continued: kill -CONT {pid}, or fg"),
        pytest.param(frozen, "it is frozen with its cgroup (docker pause", marks=can_freeze),
    ],
    ids=["stopped", "frozen"],
)
async def test_a_held_target_is_said_to_be_held_and_answers_once_it_runs(
    adapter: DapClient, hold: Callable[[int], contextlib.AbstractContextManager[None]], said: str
) -> None:
    async with start_target("showcase.py") as target:
        await attach_session(adapter, target.pid)
        with hold(target.pid):
            threads = asyncio.create_task(adapter.request("threads"))
            notice = await adapter.wait_event("output", lambda e: "cannot answer" in e["body"]["output"])
            text = notice["body"]["output"]
            assert text.startswith(f"Process {target.pid} cannot answer: {said.format(pid=target.pid)}")
            assert text.endswith("Requests wait until then.\n")
            assert not threads.done()
        names = [thread["name"] for thread in (await threads)["threads"]]
        assert "ticker" in names
        await target.expect(r"^tick \d+$")
