"""A target the kernel holds (stopped by SIGSTOP, frozen with its cgroup) while attached: its agent cannot
answer, the user is told why and what lets it go on, and the request waiting meanwhile is answered once
it runs again."""

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from agent_harness import Target, sigstop, start_target
from dapclient import DapClient
from handlers.conftest import attach_session

FREEZER = Path("/sys/fs/cgroup/freezer")


@contextlib.asynccontextmanager
async def stopped(target: Target) -> AsyncIterator[None]:
    await sigstop(target)
    try:
        yield
    finally:
        os.kill(target.pid, signal.SIGCONT)


@contextlib.asynccontextmanager
async def frozen(target: Target) -> AsyncIterator[None]:
    """The target in a cgroup of its own (v1 freezer), frozen; thawed and put back afterwards."""
    group = FREEZER / f"dapattach-test-{os.getpid()}-{target.pid}"
    group.mkdir()
    try:
        (group / "cgroup.procs").write_text(str(target.pid))
        (group / "freezer.state").write_text("FROZEN")
        try:
            async with asyncio.timeout(10):  # FREEZING until every task is: the kernel has no event for it
                while (group / "freezer.state").read_text().strip() != "FROZEN":
                    await asyncio.sleep(0.01)
            yield
        finally:
            (group / "freezer.state").write_text("THAWED")
            with contextlib.suppress(OSError):  # the process may have ended
                (FREEZER / "cgroup.procs").write_text(str(target.pid))
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
    adapter: DapClient, hold: Callable[[Target], contextlib.AbstractAsyncContextManager[None]], said: str
) -> None:
    async with start_target("showcase.py") as target:
        await attach_session(adapter, target.pid)
        async with hold(target):
            threads = asyncio.create_task(adapter.request("threads"))
            notice = await adapter.wait_event("output", lambda e: "cannot answer" in e["body"]["output"])
            text = notice["body"]["output"]
            assert text.startswith(f"Process {target.pid} cannot answer: {said.format(pid=target.pid)}")
            assert text.endswith("Requests wait until then.\n")
            assert not threads.done()
        names = [thread["name"] for thread in (await threads)["threads"]]
        assert "ticker" in names
        await target.expect(r"^tick \d+$")


async def test_a_target_held_while_a_long_request_runs_is_said_to_be_held(adapter: DapClient) -> None:
    """The process stops itself 1.5 s into an evaluation, after the adapter's first look: the adapter
    keeps looking while the answer does not come, and says so."""
    async with start_target("showcase.py") as target:
        await attach_session(adapter, target.pid)
        expression = (  # the last sleep: the answer is not sent before the other threads have stopped
            "__import__('time').sleep(1.5) or __import__('os').kill(__import__('os').getpid(), "
            "__import__('signal').SIGSTOP) or __import__('time').sleep(0.5)"
        )
        evaluation = asyncio.create_task(
            adapter.request("evaluate", {"expression": expression, "context": "repl"})
        )
        try:
            notice = await adapter.wait_event("output", lambda e: "cannot answer" in e["body"]["output"])
            assert "it is stopped (SIGSTOP or Ctrl-Z)" in notice["body"]["output"]
            assert not evaluation.done()
        finally:
            os.kill(target.pid, signal.SIGCONT)
        await evaluation
        await target.expect(r"^tick \d+$")
