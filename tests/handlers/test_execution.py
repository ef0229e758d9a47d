"""Run control over DAP on a live web service: non-stop mode (`stopAll: false`), where a request stopped at
a breakpoint holds only its own thread while the service answers every other request, several threads
stopped at once each continued on its own, `singleThread` in all-stop mode, and an interpreter pool whose
worker stops in its sub-interpreter while another worker answers; stepping into a chosen call
(stepInTargets)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from agent_harness import TARGETS, Target, start_target
from dapclient import DapClient, DapError
from handlers.conftest import attach_session

WEB_APP = TARGETS / "web_app.py"
ANSWERED_WHILE_STOPPED = 50


def handler_line() -> int:
    return next(
        n for n, text in enumerate(WEB_APP.read_text().splitlines(), 1) if text.endswith("# @handler")
    )


@pytest.fixture
async def web_app() -> AsyncIterator[Target]:
    async with start_target("web_app.py", ready="LISTENING") as target:
        yield target


@pytest.fixture
async def client() -> AsyncIterator[DapClient]:
    adapter = await DapClient.start("stdio")
    yield adapter
    assert await adapter.close() == 0, adapter.stderr_lines
    adapter.assert_valid()


def port_of(target: Target) -> int:
    return int(next(line for line in target.lines if line.startswith("LISTENING")).split()[1])


async def get(port: int, path: str) -> bytes:
    """One HTTP/1.0 GET; the whole answer, body last."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.0\r\nHost: test\r\n\r\n".encode())
        await writer.drain()
        return await reader.read()
    finally:
        writer.close()


class Load:
    """Clients asking the service for other orders in a loop, counting the answers."""

    def __init__(self, port: int, clients: int = 4) -> None:
        self.port = port
        self.answered = 0
        self._changed = asyncio.Condition()
        self._tasks = [asyncio.create_task(self._client(n)) for n in range(clients)]

    async def _client(self, number: int) -> None:
        order = 100 + number
        while True:
            answer = await get(self.port, f"/orders/{order}")
            assert answer.startswith(b"HTTP/1.0 200") and f'"id": {order}'.encode() in answer, answer
            async with self._changed:
                self.answered += 1
                self._changed.notify_all()

    async def until(self, count: int, timeout: float = 60.0) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: self.answered >= count)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def stop_requests(client: DapClient, target: Target, condition: str, **options: Any) -> None:
    await attach_session(client, target.pid, **options)
    breakpoint_ = {"line": handler_line(), "condition": condition}
    await client.request("setBreakpoints", {"source": {"path": str(WEB_APP)}, "breakpoints": [breakpoint_]})


async def top_frame(client: DapClient, thread_id: int) -> dict[str, Any]:
    frames = await client.request("stackTrace", {"threadId": thread_id, "levels": 1})
    return dict(frames["stackFrames"][0])


async def watch(client: DapClient, frame_id: int, expression: str) -> str:
    body = await client.request(
        "evaluate", {"expression": expression, "frameId": frame_id, "context": "watch"}
    )
    return str(body["result"])


@pytest.mark.timeout(180)
async def test_non_stop_a_stopped_request_holds_only_its_thread_while_others_are_answered(
    client: DapClient, web_app: Target
) -> None:
    capabilities = await client.initialize()
    assert capabilities["supportsSingleThreadExecutionRequests"] is True
    attach = asyncio.create_task(client.request("attach", {"processId": web_app.pid, "stopAll": False}))
    await client.wait_event("initialized")
    breakpoint_ = {"line": handler_line(), "condition": "order_id == '7'"}
    await client.request("setBreakpoints", {"source": {"path": str(WEB_APP)}, "breakpoints": [breakpoint_]})
    await client.request("configurationDone")
    await attach
    port = port_of(web_app)
    load = Load(port)
    try:
        await load.until(20)
        stopped_request = asyncio.create_task(get(port, "/orders/7"))
        stopped = (await client.wait_event("stopped"))["body"]
        assert stopped["reason"] == "breakpoint" and stopped["allThreadsStopped"] is False
        thread_id = stopped["threadId"]
        before = load.answered
        await load.until(before + ANSWERED_WHILE_STOPPED)
        assert not stopped_request.done(), "the stopped request was answered before continue"
        frame = await top_frame(client, thread_id)
        assert (frame["name"], frame["line"]) == ("show_order", handler_line())
        assert await watch(client, frame["id"], "order_id") == "'7'"
        threads = {thread["id"] for thread in (await client.request("threads"))["threads"]}
        assert thread_id in threads
        answer = await client.request("continue", {"threadId": thread_id})
        assert answer["allThreadsContinued"] is False
        continued = await client.wait_event("continued", lambda e: e["body"]["threadId"] == thread_id)
        assert continued["body"]["allThreadsContinued"] is False
        assert b'"id": 7' in await asyncio.wait_for(stopped_request, 30)
    finally:
        await load.stop()
    await client.request("disconnect", {})


@pytest.mark.timeout(120)
async def test_non_stop_two_threads_stopped_at_once_are_inspected_and_continued_one_by_one(
    client: DapClient, web_app: Target
) -> None:
    await stop_requests(client, web_app, "order_id in ('7', '8')", stopAll=False)
    port = port_of(web_app)
    seven = asyncio.create_task(get(port, "/orders/7"))
    first = (await client.wait_event("stopped"))["body"]["threadId"]
    eight = asyncio.create_task(get(port, "/orders/8"))
    second = (await client.wait_event("stopped", lambda e: e["body"]["threadId"] != first))["body"]
    assert second["allThreadsStopped"] is False
    second_id = second["threadId"]
    first_frame, second_frame = await top_frame(client, first), await top_frame(client, second_id)
    assert await watch(client, first_frame["id"], "order_id") == "'7'"
    assert await watch(client, second_frame["id"], "order_id") == "'8'"
    scopes = await client.request("scopes", {"frameId": second_frame["id"]})
    locals_ref = scopes["scopes"][0]["variablesReference"]

    await client.request("continue", {"threadId": first})
    assert b'"id": 7' in await asyncio.wait_for(seven, 30)
    assert not eight.done()
    listed = await client.request("variables", {"variablesReference": locals_ref})
    values = {variable["name"]: variable["value"] for variable in listed["variables"]}
    assert values["order_id"] == "'8'", "a continue of one thread broke the ids of another"
    assert await watch(client, second_frame["id"], "order_id") == "'8'"
    with pytest.raises(DapError, match="not stopped"):
        await client.request("continue", {"threadId": first})

    await client.request("next", {"threadId": second_id})
    stepped = (await client.wait_event("stopped", lambda e: e["body"]["reason"] == "step"))["body"]
    assert stepped["threadId"] == second_id and stepped["allThreadsStopped"] is False
    assert (await top_frame(client, second_id))["line"] == handler_line() + 1
    await client.request("continue", {"threadId": second_id})
    assert b'"id": 8' in await asyncio.wait_for(eight, 30)
    await client.request("disconnect", {})


STOPPED_NAMES = (
    "sorted(t.name for t in __import__('threading').enumerate() if any(e.ident == t.ident for e in "
    "__import__('sys').modules['_dapattach_agent.suspend'].stopped().values()))"
)


async def stopped_names(client: DapClient) -> str:
    return str((await client.request("evaluate", {"expression": STOPPED_NAMES}))["result"])


@pytest.mark.timeout(120)
async def test_all_stop_single_thread_continue_resumes_only_that_thread(
    client: DapClient, web_app: Target
) -> None:
    await stop_requests(client, web_app, "order_id == '7'")
    seven = asyncio.create_task(get(port_of(web_app), "/orders/7"))
    stopped = (await client.wait_event("stopped"))["body"]
    assert stopped["allThreadsStopped"] is True
    async with asyncio.timeout(30):
        while not {"'MainThread'", "'ticker'"} <= set((await stopped_names(client)).strip("[]").split(", ")):
            pass  # all-stop catches each thread at its next line of Python
    answer = await client.request("continue", {"threadId": stopped["threadId"], "singleThread": True})
    assert answer["allThreadsContinued"] is False
    assert b'"id": 7' in await asyncio.wait_for(seven, 30)
    still = await stopped_names(client)
    assert "'MainThread'" in still and "'ticker'" in still, still
    web_app.drain()
    answer = await client.request("continue", {"threadId": stopped["threadId"]})
    assert answer["allThreadsContinued"] is True
    await web_app.expect(r"^tick \d+$")
    await client.request("disconnect", {})


POOL = TARGETS / "interpreter_pool.py"


async def pool_command(target: Target, line: str) -> None:
    assert target.process.stdin is not None
    target.process.stdin.write(line.encode() + b"\n")
    await target.process.stdin.drain()


@pytest.mark.direct_only("sys.remote_exec seeks the main thread in the newest interpreter: a sub-interpreter")
@pytest.mark.timeout(120)
async def test_non_stop_a_pool_worker_stopped_in_its_sub_interpreter_while_another_worker_answers(
    client: DapClient,
) -> None:
    work_line = next(n for n, text in enumerate(POOL.read_text().splitlines(), 1) if text.endswith("# @work"))
    async with start_target(POOL, stdin=True) as pool:
        await attach_session(client, pool.pid, stopAll=False)
        breakpoint_ = {"line": work_line, "condition": "number == 20"}
        placed = await client.request(
            "setBreakpoints", {"source": {"path": str(POOL)}, "breakpoints": [breakpoint_]}
        )
        assert placed["breakpoints"][0]["verified"] is True
        await pool_command(pool, "20")
        stopped = (await client.wait_event("stopped"))["body"]
        assert stopped["reason"] == "breakpoint" and stopped["allThreadsStopped"] is False
        worker = stopped["threadId"]
        top = await top_frame(client, worker)
        assert (top["name"], top["line"]) == ("work", work_line)
        interpreter = await watch(client, top["id"], "interpreter")
        names = {t["id"]: t["name"] for t in (await client.request("threads"))["threads"]}
        assert names[worker].endswith(f" (interpreter {interpreter})"), names
        stack = (await client.request("stackTrace", {"threadId": worker}))["stackFrames"]
        print(f"stopped: {names[worker]}: " + " < ".join(f"{f['name']}:{f['line']}" for f in stack[:6]))
        assert await watch(client, top["id"], "number * 100") == "2000"

        await pool_command(pool, "3")
        other = await pool.expect(r"^result 3 -> 7 in interpreter (\d+)$")
        assert other[1] != interpreter, "the other worker answers while this one is stopped"
        await client.request("continue", {"threadId": worker})
        await pool.expect(f"^result 20 -> 41 in interpreter {interpreter}$")
        await client.request("disconnect", {})


CALLS = TARGETS / "calls.py"


def calls_line(marker: str) -> int:
    lines = CALLS.read_text().splitlines()
    return next(number for number, text in enumerate(lines, start=1) if text.endswith(f"# @{marker}"))


async def test_step_into_the_call_the_user_picks(adapter: DapClient) -> None:
    async with start_target("calls.py") as target:
        capabilities = await adapter.initialize()
        assert capabilities["supportsStepInTargetsRequest"] is True
        attach = asyncio.create_task(adapter.request("attach", {"processId": target.pid}))
        await adapter.wait_event("initialized")
        await adapter.request(
            "setBreakpoints", {"source": {"path": str(CALLS)}, "breakpoints": [{"line": calls_line("calls")}]}
        )
        await adapter.request("configurationDone")
        await attach
        await adapter.request("evaluate", {"expression": "go.set()", "context": "repl"})
        thread = (await adapter.wait_event("stopped"))["body"]["threadId"]
        top = (await adapter.request("stackTrace", {"threadId": thread, "levels": 1}))["stackFrames"][0]
        found = (await adapter.request("stepInTargets", {"frameId": top["id"]}))["targets"]
        assert [t["label"] for t in found] == ["double", "triple", "label.upper", "combine"]
        source = CALLS.read_text().splitlines()[calls_line("calls") - 1]
        assert source[found[3]["column"] - 1 :].startswith("combine(")
        await adapter.request("setBreakpoints", {"source": {"path": str(CALLS)}, "breakpoints": []})
        adapter.events.clear()
        await adapter.request("stepIn", {"threadId": thread, "targetId": found[1]["id"]})
        await adapter.wait_event("stopped", lambda e: e["body"]["reason"] == "step")
        inside = (await adapter.request("stackTrace", {"threadId": thread, "levels": 1}))["stackFrames"][0]
        assert (inside["name"], inside["line"]) == ("triple", calls_line("triple"))
        await adapter.request("continue", {"threadId": thread})
        await target.expect("^result SUM 25$")
