"""Fixtures for agent tests: a running showcase target and a link to the agent inside it, and the
bp_jobs target with its link for breakpoint, stepping and exception tests."""

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.bp_support import jobs_target
from agent_harness import Target, attach, start_target
from dapattach.attach.link import AgentLink


@pytest.fixture(params=["unbuffered", "buffered"])
async def chatty(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[Target, Path]]:
    """The chatty target, its stdout unbuffered (as with `python -u`) or block-buffered (a pipe's default)."""
    stderr = tmp_path / "stderr.txt"
    unbuffered = "1" if request.param == "unbuffered" else ""
    async with start_target("chatty.py", str(stderr), env={"PYTHONUNBUFFERED": unbuffered}) as target:
        yield target, stderr


@pytest.fixture
async def showcase() -> AsyncIterator[Target]:
    async with start_target("showcase.py") as target:
        yield target


@pytest.fixture
async def link(showcase: Target) -> AsyncIterator[AgentLink]:
    agent = await attach(showcase)
    yield agent
    await agent.detach()


@pytest.fixture
async def jobs() -> AsyncIterator[tuple[Target, AgentLink]]:
    async with jobs_target() as pair:
        yield pair
