"""Shared helpers for the hardening tests: DAP look-ups and a probe that also counts what a leak shows."""

import asyncio
from typing import Any

from dapclient import DapClient


async def thread_ids(client: DapClient) -> dict[str, int]:
    return {thread["name"]: thread["id"] for thread in (await client.request("threads"))["threads"]}


async def pause_all(client: DapClient, thread_id: int) -> dict[str, Any]:
    client.events.clear()
    await client.request("pause", {"threadId": thread_id})
    return await client.wait_event("stopped")


async def frame_named(client: DapClient, thread_id: int, function: str) -> dict[str, Any]:
    frames = (await client.request("stackTrace", {"threadId": thread_id, "levels": 20}))["stackFrames"]
    return next(frame for frame in frames if frame["name"] == function)


async def locals_of(client: DapClient, frame_id: int) -> dict[str, dict[str, Any]]:
    scopes = (await client.request("scopes", {"frameId": frame_id}))["scopes"]
    listing = await client.request("variables", {"variablesReference": scopes[0]["variablesReference"]})
    return {variable["name"]: variable for variable in listing["variables"]}


async def detach(client: DapClient) -> None:
    await client.request("disconnect", {})
    await client.wait_event("output", lambda e: "Detached from process" in e["body"]["output"])


async def until(check: Any, timeout: float = 10.0) -> Any:
    """Ask `check()` (a coroutine function, a round trip to the target) until it returns something true.

    Some states have no event (all-stop reports the first thread only; the rest stop at their next line),
    so the test asks again; each ask is a request, which paces the loop.
    """
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            pass
        return result
