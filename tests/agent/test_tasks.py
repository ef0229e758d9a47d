"""asyncio task entries from the agent: steps and pauses that name a task, the option that hides them, and
tasks that are gone."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from agent_harness import TARGETS, Target, attach, start_target
from dapattach.attach.link import AgentError, AgentLink

SERVICE = TARGETS / "asyncio_service.py"
Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def line_of(text: str) -> int:
    return next(n for n, line in enumerate(SERVICE.read_text().splitlines(), 1) if line.endswith(text))


@pytest.fixture
async def service() -> AsyncIterator[tuple[Target, AgentLink, list[Connection]]]:
    async with start_target("asyncio_service.py", ready="LISTENING") as target:
        port = int(target.lines[-1].split()[1])
        connections = []
        for number in range(1, 4):
            connections.append(await asyncio.open_connection("127.0.0.1", port))
            await target.expect(f"^CONNECTED {number}$")
        attaching = asyncio.create_task(attach(target))
        while not attaching.done():  # the idle loop runs the attach bootstrap when a line wakes it
            await send(connections[0], b"ping\n")
            pong = asyncio.create_task(connections[0][0].readline())
            await asyncio.wait([attaching, pong], return_when=asyncio.FIRST_COMPLETED)
            if attaching.done():
                await attaching.result().request("ready")  # the bootstrap holds the loop until then
            assert await pong == b"pong\n"
        link = await attaching
        try:
            yield target, link, connections
        finally:
            await link.detach()
            for _reader, writer in connections:
                writer.close()
                with contextlib.suppress(ConnectionError):
                    await writer.wait_closed()


@pytest.fixture
async def non_stop(
    service: tuple[Target, AgentLink, list[Connection]],
) -> tuple[AgentLink, list[Connection], dict[str, int]]:
    """The service's link in non-stop mode, its connections, and its task entries by task name."""
    _target, link, connections = service
    await link.request("configure", {"stopAll": False})
    return link, connections, await tasks(link)


async def tasks(link: AgentLink) -> dict[str, int]:
    threads = (await link.request("threads"))["threads"]
    return {t["name"].split("'")[1]: t["id"] for t in threads if t["name"].startswith("Task '")}


async def send(connection: Connection, line: bytes) -> None:
    connection[1].write(line)
    await connection[1].drain()


async def stop_in_process(link: AgentLink, connection: Connection) -> int:
    lines = [{"line": line_of("# @process")}]
    await link.request("setBreakpoints", {"source": {"path": str(SERVICE)}, "breakpoints": lines})
    await send(connection, b"work 1\n")
    stopped = await link.wait_for_event("stopped", 10)
    await link.request("setBreakpoints", {"source": {"path": str(SERVICE)}, "breakpoints": []})
    return int(stopped["threadId"])


async def test_next_on_a_waiting_task_stops_when_that_task_runs_its_next_line(
    service: tuple[Target, AgentLink, list[Connection]],
) -> None:
    _target, link, connections = service
    loop_thread = await stop_in_process(link, connections[0])
    waiting = (await tasks(link))["conn-2"]
    await link.request("next", {"threadId": waiting})
    assert await asyncio.wait_for(connections[0][0].readline(), 10) == b"2\n", "the loop did not go on"
    await send(connections[1], b"work 5\n")
    stopped = await link.wait_for_event("stopped", 10)
    assert stopped["reason"] == "step" and stopped["threadId"] == loop_thread
    top = (await link.request("stackTrace", {"threadId": loop_thread, "levels": 1}))["stackFrames"][0]
    assert (top["name"], top["line"]) == ("read_request", line_of("return line.decode().strip()"))
    chain = (await link.request("stackTrace", {"threadId": waiting}))["stackFrames"]
    assert [frame["name"] for frame in chain] == ["read_request", "handle"], "its entry shows it running"
    await link.request("continue", {"threadId": waiting})
    assert await asyncio.wait_for(connections[1][0].readline(), 10) == b"10\n"


async def test_pause_and_continue_naming_a_task_act_on_its_loops_thread(
    non_stop: tuple[AgentLink, list[Connection], dict[str, int]],
) -> None:
    link, connections, entries = non_stop
    await link.request("pause", {"threadId": entries["conn-3"]})
    await send(connections[2], b"work 4\n")
    stopped = await link.wait_for_event("stopped", 10)
    assert stopped["reason"] == "pause" and stopped["threadId"] < entries["conn-3"]
    answer = await link.request("continue", {"threadId": entries["conn-3"]})
    assert answer == {"allThreadsContinued": False}
    continued = {}
    while stopped["threadId"] not in continued:  # its loop's tasks go on with it, each said
        body = await link.wait_for_event("continued", 5)
        continued[body["threadId"]] = body["allThreadsContinued"]
    assert set(continued) == {stopped["threadId"], *entries.values()}
    assert not any(continued.values())
    assert await asyncio.wait_for(connections[2][0].readline(), 10) == b"8\n"


async def test_the_option_hides_task_entries_and_a_finished_task_is_a_clear_error(
    service: tuple[Target, AgentLink, list[Connection]],
) -> None:
    _target, link, connections = service
    gone = (await tasks(link))["conn-1"]
    await link.request("configure", {"asyncioTasks": False})
    assert await tasks(link) == {}
    await link.request("configure", {"asyncioTasks": True})
    connections[0][1].close()
    await connections[0][1].wait_closed()
    async with asyncio.timeout(10):
        while "conn-1" in await tasks(link):
            pass  # the task ends when the loop next runs it
    with pytest.raises(AgentError, match=f"no thread with id {gone} in the target: no asyncio task has it"):
        await link.request("stackTrace", {"threadId": gone})


async def test_non_stop_a_loops_tasks_are_reported_stopped_and_continued_with_its_thread(
    non_stop: tuple[AgentLink, list[Connection], dict[str, int]],
) -> None:
    link, connections, entries = non_stop
    loop_thread = await stop_in_process(link, connections[0])
    stopped = {}
    while len(stopped) < len(entries):
        body = await link.wait_for_event("stopped", 10)
        stopped[body["threadId"]] = body
    assert set(stopped) == set(entries.values())
    assert all(b["allThreadsStopped"] is False and b["preserveFocusHint"] for b in stopped.values())
    chain = (await link.request("stackTrace", {"threadId": entries["conn-2"]}))["stackFrames"]
    user_frames = [f["name"] for f in chain if f.get("presentationHint") != "subtle"]
    assert user_frames[:2] == ["read_request", "handle"]
    await link.request("continue", {"threadId": loop_thread})
    continued = set()
    while continued != set(entries.values()) | {loop_thread}:
        continued.add((await link.wait_for_event("continued", 10))["threadId"])
    assert await asyncio.wait_for(connections[0][0].readline(), 10) == b"2\n"
