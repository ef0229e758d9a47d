"""Fixtures for agent tests: a running showcase target and a link to the agent inside it."""

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent_harness import Target, attach, start_target  # noqa: E402

from dapattach.attach import AgentLink  # noqa: E402


@pytest.fixture
async def showcase() -> AsyncIterator[Target]:
    async with start_target("showcase.py") as target:
        yield target


@pytest.fixture
async def link(showcase: Target) -> AsyncIterator[AgentLink]:
    agent = await attach(showcase)
    yield agent
    await agent.detach()


async def frame_of(link: AgentLink, thread_name: str, function: str) -> dict[str, Any]:
    threads = (await link.request("threads"))["threads"]
    thread_id = next(thread["id"] for thread in threads if thread["name"] == thread_name)
    frames = (await link.request("stackTrace", {"threadId": thread_id}))["stackFrames"]
    return next(frame for frame in frames if frame["name"] == function)


async def variables(link: AgentLink, reference: int, **arguments: Any) -> dict[str, dict[str, Any]]:
    body = await link.request("variables", {"variablesReference": reference, **arguments})
    return {variable["name"]: variable for variable in body["variables"]}


async def locals_of(link: AgentLink, thread_name: str, function: str) -> dict[str, dict[str, Any]]:
    frame = await frame_of(link, thread_name, function)
    scopes = (await link.request("scopes", {"frameId": frame["id"]}))["scopes"]
    return await variables(link, scopes[0]["variablesReference"])


async def pause(link: AgentLink) -> dict[str, Any]:
    await link.request("pause", {"threadId": 0})
    return await link.wait_for_event("stopped", 10)
