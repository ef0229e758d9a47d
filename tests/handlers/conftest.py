"""Fixtures for handler tests: the adapter (both transports) attached to a real 3.14 target."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from agent_harness import Target, start_target
from dapclient import DapClient


async def attach_session(
    client: DapClient, pid: int, *, agent: bool = True, **options: Any
) -> dict[str, Any]:
    """Run DAP's attach sequence as VS Code does and return the `initialized`-time capabilities.

    `attach` is answered from a snapshot when the target did not run the bootstrap at once (a main thread
    that sleeps on a loaded machine): with `agent`, also wait until the adapter says the agent is in.
    """
    capabilities = await client.initialize(supportsProgressReporting=True)
    attach = asyncio.create_task(client.request("attach", {"processId": pid, **options}))
    await client.wait_event("initialized")
    await client.request("configurationDone")
    await attach
    if agent:
        await client.wait_event("output", lambda e: f"Attached to process {pid} " in e["body"]["output"])
    return dict(capabilities)


@pytest.fixture
async def showcase() -> AsyncIterator[Target]:
    async with start_target("showcase.py") as target:
        yield target


@pytest.fixture
async def attached(adapter: DapClient, showcase: Target) -> AsyncIterator[tuple[DapClient, Target]]:
    await attach_session(adapter, showcase.pid)
    yield adapter, showcase


async def ticks_after(target: Target) -> int:
    """The next `tick N` the target prints: proof its work goes on."""
    found = await target.expect(r"tick (\d+)")
    return int(found[1])
