"""Attach answers at once even when every thread of the target is blocked, and the agent comes in later.

Until it does, threads and stacks come from an outside snapshot, breakpoints are recorded and applied the
moment the target runs Python code: for an idle server, when its next request arrives.
"""

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from agent_harness import TARGETS, sigstop, start_target
from dapclient import DapClient, DapError
from handlers.conftest import attach_session
from interpreters import ADAPTER_PY315, PY314, PY315, needs_315, needs_adapter_315


def _line_of(program: str, marker: str) -> int:
    lines = (TARGETS / program).read_text().splitlines()
    return next(number for number, text in enumerate(lines, start=1) if marker in text)


async def _attach_quickly(adapter: DapClient, pid: int) -> float:
    started = time.perf_counter()
    await attach_session(adapter, pid, agent=False)
    return time.perf_counter() - started


async def test_target_sleeping_for_an_hour_answers_with_a_snapshot(adapter: DapClient) -> None:
    async with start_target("blocked_main.py", "3600") as target:
        # Without the snapshot, attach would wait for the hour (no timeout is given); how fast the
        # answer comes is measured by bench (blocked-target rows), not here.
        assert await _attach_quickly(adapter, target.pid) < 10.0
        waiting = await adapter.wait_event("output", lambda e: e["body"]["category"] == "important")
        assert f"Process {target.pid} has not run Python code" in waiting["body"]["output"]
        assert "MainThread is in <module>" in waiting["body"]["output"]
        threads = (await adapter.request("threads"))["threads"]
        assert threads == [{"id": target.pid, "name": "MainThread (snapshot)"}]
        trace = await adapter.request("stackTrace", {"threadId": target.pid})
        label, top = trace["stackFrames"][:2]
        assert label["presentationHint"] == "label" and "snapshot" in label["name"]
        assert top["name"] == "<module>" and top["source"]["path"].endswith("blocked_main.py")
        with pytest.raises(DapError, match="Values are not available yet"):
            await adapter.request("scopes", {"frameId": top["id"]})
        with pytest.raises(DapError, match="has not run Python code since the attach"):
            await adapter.request("pause", {"threadId": target.pid})


async def test_breakpoint_in_an_idle_servers_handler_hits_on_the_next_request(adapter: DapClient) -> None:
    line = _line_of("idle_server.py", "# handler line")
    async with start_target("idle_server.py", ready="LISTENING") as target:
        port = int(target.lines[-1].split()[1])
        await adapter.initialize(supportsProgressReporting=True)
        attach = asyncio.create_task(adapter.request("attach", {"processId": target.pid}))
        await adapter.wait_event("initialized")
        placed = await adapter.request(
            "setBreakpoints",
            {"source": {"path": str(TARGETS / "idle_server.py")}, "breakpoints": [{"line": line}]},
        )
        (pending,) = placed["breakpoints"]
        assert pending["verified"] is False and "pending" in pending["message"]
        await adapter.request("configurationDone")
        await attach
        assert (await adapter.request("threads"))["threads"][0]["name"] == "MainThread (snapshot)"

        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"hello\n")
        await writer.drain()
        changed = await adapter.wait_event("breakpoint", lambda e: e["body"]["breakpoint"]["verified"])
        assert changed["body"]["breakpoint"]["id"] == pending["id"]
        stopped = await adapter.wait_event("stopped")
        assert stopped["body"]["reason"] == "breakpoint"
        assert stopped["body"]["hitBreakpointIds"] == [pending["id"]]
        trace = await adapter.request("stackTrace", {"threadId": stopped["body"]["threadId"]})
        assert (trace["stackFrames"][0]["name"], trace["stackFrames"][0]["line"]) == ("handle", line)
        await adapter.request("continue", {"threadId": stopped["body"]["threadId"]})
        assert await asyncio.wait_for(reader.readline(), 10) == b"HELLO\n"
        writer.close()
        await adapter.request("disconnect", {})


async def test_the_editor_is_switched_from_the_snapshot_to_the_agent_with_the_same_threads(
    adapter: DapClient,
) -> None:
    async with start_target("idle_server.py", ready="LISTENING") as target:
        port = int(target.lines[-1].split()[1])
        await adapter.initialize(supportsInvalidatedEvent=True)
        attach = asyncio.create_task(adapter.request("attach", {"processId": target.pid}))
        await adapter.wait_event("initialized")
        await adapter.request("configurationDone")
        await attach
        snapshot = (await adapter.request("threads"))["threads"]
        assert snapshot == [{"id": target.pid, "name": "MainThread (snapshot)"}]
        frames = (await adapter.request("stackTrace", {"threadId": target.pid}))["stackFrames"]
        assert "snapshot" in frames[0]["name"] and frames[1]["name"] == "socket.accept"
        assert not [e for e in adapter.events if e["event"] == "invalidated"]

        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"wake up\n")
        await writer.drain()
        invalidated = await adapter.wait_event("invalidated")
        assert invalidated["body"]["areas"] == ["threads", "stacks"]
        assert (await adapter.request("threads"))["threads"] == [{"id": target.pid, "name": "MainThread"}]
        assert await asyncio.wait_for(reader.readline(), 10) == b"WAKE UP\n"
        writer.close()


async def test_idle_asyncio_server_breakpoint_hits_on_the_next_request(adapter: DapClient) -> None:
    line = _line_of("idle_asyncio_server.py", "# handler line")
    async with start_target("idle_asyncio_server.py", ready="LISTENING") as target:
        port = int(target.lines[-1].split()[1])
        await adapter.initialize()
        attach = asyncio.create_task(adapter.request("attach", {"processId": target.pid}))
        await adapter.wait_event("initialized")
        source = {"path": str(TARGETS / "idle_asyncio_server.py")}
        await adapter.request("setBreakpoints", {"source": source, "breakpoints": [{"line": line}]})
        await adapter.request("configurationDone")
        await attach
        threads = (await adapter.request("threads"))["threads"]
        assert threads[0]["name"] == "MainThread (snapshot)"
        trace = await adapter.request("stackTrace", {"threadId": target.pid})
        assert any("select" in frame["name"] for frame in trace["stackFrames"][1:])

        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"stressed\n")
        await writer.drain()
        stopped = await adapter.wait_event("stopped")
        trace = await adapter.request("stackTrace", {"threadId": stopped["body"]["threadId"]})
        assert (trace["stackFrames"][0]["name"], trace["stackFrames"][0]["line"]) == ("handle", line)
        await adapter.request("continue", {"threadId": stopped["body"]["threadId"]})
        assert await asyncio.wait_for(reader.readline(), 10) == b"desserts\n"
        writer.close()


@pytest.mark.direct_only("it asks a thread that runs Python; sys.remote_exec asks only the main thread")
async def test_agent_comes_in_through_a_worker_while_main_sleeps(adapter: DapClient) -> None:
    async with start_target("sleeping_main_busy_worker.py") as target:
        await attach_session(adapter, target.pid)
        await adapter.wait_event("output", lambda e: "Attached to process" in e["body"]["output"])
        threads = {t["name"] for t in (await adapter.request("threads"))["threads"]}
        assert threads == {"MainThread", "cruncher"}
        await adapter.request("pause", {"threadId": target.pid})
        stopped = await adapter.wait_event("stopped")
        trace = await adapter.request("stackTrace", {"threadId": stopped["body"]["threadId"]})
        assert trace["stackFrames"][0]["name"] == "crunch"
        await adapter.request("continue", {"threadId": stopped["body"]["threadId"]})


async def test_a_stopped_target_is_said_to_be_stopped_and_the_agent_comes_when_it_is_continued(
    adapter: DapClient,
) -> None:
    """SIGSTOP (Ctrl-Z, a tracer) holds every thread: the user is told that, and how to continue it."""
    async with start_target("showcase.py") as target:
        await sigstop(target)
        try:
            await attach_session(adapter, target.pid, agent=False)
            waiting = await adapter.wait_event("output", lambda e: e["body"]["category"] == "important")
            text = waiting["body"]["output"]
            assert (
                f"Process {target.pid} has not run Python code since the attach request: it is stopped"
                in text
            )
            assert f"kill -CONT {target.pid}" in text
            names = [thread["name"] for thread in (await adapter.request("threads"))["threads"]]
            assert "ticker (snapshot)" in names
        finally:
            os.kill(target.pid, signal.SIGCONT)
        await adapter.wait_event(
            "output", lambda e: f"Attached to process {target.pid} " in e["body"]["output"]
        )
        assert "ticker" in [thread["name"] for thread in (await adapter.request("threads"))["threads"]]


async def test_a_timeout_gives_up_waiting_and_says_how_long(adapter: DapClient) -> None:
    async with start_target("blocked_main.py", "3600") as target:
        await attach_session(adapter, target.pid, agent=False, timeout=0.2)  # answered from a snapshot
        gave_up = await adapter.wait_event(
            "output", lambda e: "did not run the attach" in e["body"]["output"]
        )
        assert (
            f"process {target.pid} did not run the attach bootstrap within 0.2 s" in gave_up["body"]["output"]
        )
        assert "seems blocked" in gave_up["body"]["output"]
        await adapter.wait_event("terminated")


@pytest.mark.direct_only(
    "it takes a pending request back; a sys.remote_exec request stays, and CPython 3.14 runs it inside the "
    "target's next Ctrl-C, whose KeyboardInterrupt then ends that script instead of the program"
)
async def test_disconnect_while_waiting_withdraws_the_request(adapter: DapClient) -> None:
    async with start_target("blocked_main.py", "3600") as target:
        await attach_session(adapter, target.pid, agent=False)
        await adapter.request("disconnect", {})
        await adapter.close()
        target.process.send_signal(2)
        assert await asyncio.wait_for(target.process.wait(), 10) != 0
        assert not any("dapattach" in line for line in target.lines)


@pytest.mark.py315
@needs_315
async def test_attach_to_a_315_target_from_the_314_adapter(adapter: DapClient) -> None:
    async with start_target("showcase.py", python=PY315) as target:
        await attach_session(adapter, target.pid)
        attached = await adapter.wait_event("output", lambda e: "Attached to process" in e["body"]["output"])
        assert "Python 3.15" in attached["body"]["output"]
        threads = {t["name"]: t["id"] for t in (await adapter.request("threads"))["threads"]}
        await adapter.request("pause", {"threadId": threads["nested-worker"]})
        await adapter.wait_event("stopped")
        trace = await adapter.request("stackTrace", {"threadId": threads["nested-worker"]})
        assert [f["name"] for f in trace["stackFrames"][:3]] == ["inner", "middle", "outer"]
        await adapter.request("continue", {"threadId": threads["nested-worker"]})


@pytest.mark.py315
@needs_adapter_315
async def test_the_adapter_on_315_attaches_to_a_314_target() -> None:
    adapter = await DapClient.start("stdio", python=ADAPTER_PY315)
    try:
        async with start_target("showcase.py", python=PY314) as target:
            await attach_session(adapter, target.pid)
            attached = await adapter.wait_event(
                "output", lambda e: "Attached to process" in e["body"]["output"]
            )
            assert "Python 3.14" in attached["body"]["output"]
            threads = {t["name"]: t["id"] for t in (await adapter.request("threads"))["threads"]}
            await adapter.request("pause", {"threadId": threads["nested-worker"]})
            await adapter.wait_event("stopped")
            trace = await adapter.request("stackTrace", {"threadId": threads["nested-worker"]})
            assert [f["name"] for f in trace["stackFrames"][:3]] == ["inner", "middle", "outer"]
            await adapter.request("disconnect", {})
    finally:
        assert await adapter.close() == 0
        adapter.assert_valid()


async def test_snapshot_request_shows_a_blocked_process_without_attaching(adapter: DapClient) -> None:
    async with start_target("blocked_main.py", "3600") as target:
        await adapter.initialize()
        body = await adapter.request("snapshot", {"processId": target.pid})
        assert body["pid"] == target.pid and body["threads"][0]["frames"][0]["function"] == "<module>"
        assert f"PID {target.pid}" in body["text"] and "blocked_main.py" in body["text"]
        with pytest.raises(DapError, match="needs a processId"):
            await adapter.request("snapshot", {})


async def test_cancelling_the_wait_gives_up_and_says_so(adapter: DapClient) -> None:
    async with start_target("blocked_main.py", "3600") as target:
        await attach_session(adapter, target.pid, agent=False)
        update = await adapter.wait_event("progressUpdate")
        start = await adapter.wait_event("progressStart")
        assert start["body"]["cancellable"] is True
        await adapter.request("cancel", {"progressId": update["body"]["progressId"]})
        await adapter.wait_event("output", lambda e: "Stopped waiting for process" in e["body"]["output"])
        await adapter.wait_event("terminated")
        end = await adapter.wait_event("progressEnd")
        assert end["body"]["message"] == "Gave up waiting"
        # What Emacs dape does after `terminated`: terminate, then disconnect with terminateDebuggee.
        await adapter.request("terminate", {})
        await adapter.request("disconnect", {"terminateDebuggee": True})
        state = Path(f"/proc/{target.pid}/stat").read_text().rpartition(")")[2].split()[0]
        assert state == "S", f"the target should still be asleep, its state is {state}"
        assert not [e for e in adapter.events if e["event"] == "exited"]
