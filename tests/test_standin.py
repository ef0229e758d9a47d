"""asyncio tasks as entries of their own, over DAP, on an idle asyncio server with 50 connections: first
from the outside snapshot while the agent waits to get in, then from the agent once a request wakes the
server and stops at a breakpoint — the stopped task and the waiting ones, each with its await chain."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from agent_harness import TARGETS, Target, start_target, wait_until_blocked
from dapclient import DapClient

SERVICE = TARGETS / "asyncio_service.py"
CONNECTIONS = 50


def line_of(marker: str) -> int:
    return next(n for n, text in enumerate(SERVICE.read_text().splitlines(), 1) if text.endswith(marker))


READ_LINE = line_of("await reader.readline()")
HANDLE_LINE = line_of("while request := await read_request(reader):")
PROCESS_LINE = line_of("# @process")
PROCESS_CALL_LINE = line_of("result = await process(number, request)")
REPORT_LINE = line_of("await shutdown.wait()")
MAIN_LINE = line_of("await report()")


@pytest.fixture
async def service() -> AsyncIterator[tuple[Target, list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]]:
    async with start_target("asyncio_service.py", ready="LISTENING") as target:
        port = int(target.lines[-1].split()[1])
        connections = []
        try:
            for number in range(1, CONNECTIONS + 1):
                connections.append(await asyncio.open_connection("127.0.0.1", port))
                await target.expect(f"^CONNECTED {number}$")
            yield target, connections
        finally:
            for _reader, writer in connections:
                writer.close()
                with contextlib.suppress(ConnectionError):
                    await writer.wait_closed()


async def task_entries(client: DapClient) -> dict[str, int]:
    """{task name: DAP id} from `threads`."""
    entries = {}
    for thread in (await client.request("threads"))["threads"]:
        if thread["name"].startswith("Task '"):
            entries[thread["name"].split("'")[1]] = thread["id"]
    return entries


async def chain(client: DapClient, thread_id: int) -> list[tuple[Any, ...]]:
    """(function, file name, line) of a stack's frames; labels as (label text,)."""
    frames = (await client.request("stackTrace", {"threadId": thread_id}))["stackFrames"]
    return [
        (frame["name"],) if frame.get("presentationHint") == "label" else
        (frame["name"], frame["source"]["path"].rpartition("/")[2], frame["line"])
        for frame in frames
    ]  # fmt: skip


def user_part(stack: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [frame for frame in stack if len(frame) == 3 and frame[1] == "asyncio_service.py"]


@pytest.mark.timeout(120)
async def test_an_idle_asyncio_servers_tasks_show_their_await_chains_in_the_snapshot_then_from_the_agent(
    service: tuple[Target, list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]],
) -> None:
    target, connections = service
    wait_until_blocked(target.pid)
    client = await DapClient.start("stdio")
    try:
        await client.initialize()
        attach = asyncio.create_task(client.request("attach", {"processId": target.pid}))
        await client.wait_event("initialized")
        await client.request(
            "setBreakpoints", {"source": {"path": str(SERVICE)}, "breakpoints": [{"line": PROCESS_LINE}]}
        )
        await client.request("configurationDone")
        await attach

        snapshot = await task_entries(client)
        assert list(snapshot) == [*(f"conn-{n}" for n in range(1, CONNECTIONS + 1)), "Task-1"], (
            "natural order"
        )
        locations = {"source": {"path": str(SERVICE)}, "line": PROCESS_LINE}
        assert await client.request("breakpointLocations", locations) == {"breakpoints": []}
        names = {t["id"]: t["name"] for t in (await client.request("threads"))["threads"]}
        assert names[snapshot["conn-7"]] == "Task 'conn-7' (asyncio, MainThread) (snapshot)"
        waiting = [
            ("read_request", "asyncio_service.py", READ_LINE),
            ("handle", "asyncio_service.py", HANDLE_LINE),
        ]
        for name in ("conn-1", "conn-7", "conn-50"):
            assert user_part(await chain(client, snapshot[name])) == waiting
        main = await chain(client, snapshot["Task-1"])
        reporting = [("report", "asyncio_service.py", REPORT_LINE), ("main", "asyncio_service.py", MAIN_LINE)]
        assert user_part(main) == reporting
        assert main[0][0].startswith("snapshot at")

        _reader, writer = connections[6]
        writer.write(b"work 21\n")
        await writer.drain()
        stopped = (await client.wait_event("stopped"))["body"]
        assert stopped["reason"] == "breakpoint"
        entries = await task_entries(client)
        assert entries == snapshot and list(entries) == list(snapshot), (
            "the agent lists tasks as the snapshot did"
        )
        stopped_task = await chain(client, entries["conn-7"])
        assert stopped_task == [
            ("process", "asyncio_service.py", PROCESS_LINE),
            ("handle", "asyncio_service.py", PROCESS_CALL_LINE),
        ]
        thread_stack = await chain(client, stopped["threadId"])
        assert thread_stack[:2] == stopped_task, "the running task's chain is the top of its thread's stack"
        for name in ("conn-1", "conn-2", "conn-50"):
            stack = await chain(client, entries[name])
            assert user_part(stack) == waiting
            assert stack[-1] == ("waits for a Future",)
            assert [frame[0] for frame in stack[:-1]][-2:] == ["read_request", "handle"]
        assert user_part(await chain(client, entries["Task-1"])) == reporting
        assert min(entries.values()) >= 1 << 30 > 1 << 22 > stopped["threadId"], "task ids clash with threads"

        frames = (await client.request("stackTrace", {"threadId": entries["conn-2"]}))["stackFrames"]
        handle = next(frame for frame in frames if frame["name"] == "handle")
        scopes = (await client.request("scopes", {"frameId": handle["id"]}))["scopes"]
        listed = await client.request("variables", {"variablesReference": scopes[0]["variablesReference"]})
        assert {v["name"]: v["value"] for v in listed["variables"]}["number"] == "2"
        seen = await client.request(
            "evaluate", {"expression": "connection.get()", "frameId": handle["id"], "context": "watch"}
        )
        assert seen["result"] == "'conn-2'", "an evaluation in a waiting task sees that task's context"

        await client.request("continue", {"threadId": stopped["threadId"]})
        assert await asyncio.wait_for(connections[6][0].readline(), 10) == b"42\n"
        await client.request("disconnect", {})
    finally:
        assert await client.close() == 0, client.stderr_lines
        client.assert_valid()
