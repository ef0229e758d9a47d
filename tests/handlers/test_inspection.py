"""Looking inside a web service stopped in a request, over DAP: expressions see that request's own
context and thread-locals, the session answers while an evaluation runs, runaway evaluations are stopped,
and a repr that hangs costs only its row; modules and loaded sources with the editor seeing other paths
than the target, and their events."""

import asyncio
import json
import os
import time
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import pytest

from agent_harness import TARGETS, Target, start_target
from dapclient import DapClient, DapError
from handlers.conftest import attach_session, ticks_after

WEB_APP = TARGETS / "web_app.py"


def line_of(marker: str) -> int:
    return next(
        n for n, text in enumerate(WEB_APP.read_text().splitlines(), 1) if text.endswith(f"# @{marker}")
    )


@pytest.fixture
async def web_app() -> AsyncIterator[Target]:
    async with start_target("web_app.py", ready="LISTENING") as target:
        yield target


def get(target: Target, path: str) -> asyncio.Task[dict[str, Any]]:
    """GET `path` from the service in a thread (the request may wait at a breakpoint)."""
    port = int(next(line for line in target.lines if line.startswith("LISTENING")).split()[1])

    def fetch() -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as response:
            answer: dict[str, Any] = json.loads(response.read())
            return answer

    return asyncio.create_task(asyncio.to_thread(fetch))


async def stop_in(client: DapClient, target: Target, marker: str, path: str) -> tuple[int, int, asyncio.Task]:
    """Attach, break at `marker`, request `path`: (thread id, top frame id, the pending request)."""
    await attach_session(client, target.pid)
    await client.request(
        "setBreakpoints", {"source": {"path": str(WEB_APP)}, "breakpoints": [{"line": line_of(marker)}]}
    )
    request = get(target, path)
    stopped = await client.wait_event("stopped")
    thread_id = stopped["body"]["threadId"]
    frames = await client.request("stackTrace", {"threadId": thread_id, "levels": 1})
    return thread_id, frames["stackFrames"][0]["id"], request


async def watch(client: DapClient, frame_id: int, expression: str) -> str:
    body = await client.request(
        "evaluate", {"expression": expression, "frameId": frame_id, "context": "watch"}
    )
    return str(body["result"])


async def timed(awaitable: Any) -> float:
    started = time.monotonic()
    await awaitable
    return time.monotonic() - started


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def test_an_evaluation_in_a_request_sees_that_requests_context_and_thread_locals(
    adapter: DapClient, web_app: Target
) -> None:
    thread_id, frame_id, request = await stop_in(adapter, web_app, "handler", "/orders/42?user=ada")
    assert await watch(adapter, frame_id, "current_request().path") == "'/orders/42'"
    assert await watch(adapter, frame_id, "current_request().args") == "{'user': 'ada'}"
    assert (await watch(adapter, frame_id, "request_id.get()")).startswith("'request-")
    assert await watch(adapter, frame_id, "db.session.user") == "'ada'"
    assert await watch(adapter, frame_id, "db.session.queries") == "['select * from orders where id = 42']"
    assert await watch(adapter, frame_id, "threading.get_native_id()") == str(thread_id)
    repl = await adapter.request("evaluate", {"expression": "db.session.user", "frameId": frame_id})
    assert repl["result"] == "'ada'"
    changed = await adapter.request(
        "setExpression", {"expression": "db.session.user", "value": "'grace'", "frameId": frame_id}
    )
    assert changed["value"] == "'grace'"
    await adapter.request("setBreakpoints", {"source": {"path": str(WEB_APP)}, "breakpoints": []})
    await adapter.request("continue", {"threadId": thread_id})
    assert await request == {"id": 42, "owner": "grace", "path": "/orders/42"}


async def test_the_session_answers_while_an_evaluation_runs_and_cancel_stops_it(
    adapter: DapClient, web_app: Target
) -> None:
    thread_id, frame_id, request = await stop_in(adapter, web_app, "handler", "/orders/7")
    arguments = {"expression": "print('running')\nwhile True: pass", "frameId": frame_id, "context": "repl"}
    runaway = asyncio.create_task(adapter.request_raw("evaluate", arguments, seq=10_000))
    await adapter.wait_event("output", lambda e: e["body"]["output"] == "running\n")
    assert await timed(adapter.request("threads")) < 1.0
    assert await timed(adapter.request("stackTrace", {"threadId": thread_id})) < 1.0
    assert await timed(adapter.request("scopes", {"frameId": frame_id})) < 1.0
    assert not runaway.done()
    await adapter.request("cancel", {"requestId": 10_000})
    answer = await asyncio.wait_for(runaway, 1.0)
    assert answer["success"] is False and answer["message"] == "cancelled"
    assert await asyncio.wait_for(watch(adapter, frame_id, "order_id"), 1.0) == "'7'"
    await adapter.request("setBreakpoints", {"source": {"path": str(WEB_APP)}, "breakpoints": []})
    await adapter.request("continue", {"threadId": thread_id})
    assert (await request)["id"] == 7


async def test_continue_and_disconnect_stop_a_runaway_evaluation(adapter: DapClient, web_app: Target) -> None:
    thread_id, frame_id, request = await stop_in(adapter, web_app, "handler", "/orders/1")
    arguments = {"expression": "print('running')\nwhile True: pass", "frameId": frame_id, "context": "repl"}
    runaway = asyncio.create_task(adapter.request_raw("evaluate", arguments))
    await adapter.wait_event("output", lambda e: e["body"]["output"] == "running\n")
    await adapter.request("continue", {"threadId": thread_id})
    answer = await asyncio.wait_for(runaway, 1.0)
    assert answer["success"] is False
    assert "the expression was interrupted: the thread was resumed" in answer["body"]["error"]["format"]
    assert (await asyncio.wait_for(request, 1.0))["id"] == 1

    again = get(web_app, "/orders/2")
    stopped = await adapter.wait_event("stopped", lambda e: e["body"]["threadId"] != thread_id)
    frames = await adapter.request("stackTrace", {"threadId": stopped["body"]["threadId"], "levels": 1})
    frame_id = frames["stackFrames"][0]["id"]
    arguments = {"expression": "print('again')\nwhile True: pass", "frameId": frame_id, "context": "repl"}
    detached_runaway = asyncio.create_task(adapter.request_raw("evaluate", arguments))
    await adapter.wait_event("output", lambda e: e["body"]["output"] == "again\n")
    assert await timed(adapter.request("disconnect", {})) < 1.0
    assert (await detached_runaway)["success"] is False
    assert (await asyncio.wait_for(again, 1.0))["id"] == 2
    before = cpu_seconds(web_app.pid)
    await ticks_after(web_app)
    await asyncio.sleep(0.5)
    assert cpu_seconds(web_app.pid) - before < 0.25, "something the debugger started still runs"


async def test_a_repr_that_hangs_or_waits_for_a_lock_costs_only_its_row(
    adapter: DapClient, web_app: Target
) -> None:
    assert await get(web_app, "/hold") == {"held": True}
    thread_id, frame_id, request = await stop_in(adapter, web_app, "slow", "/slow-repr")
    scopes = (await adapter.request("scopes", {"frameId": frame_id}))["scopes"]
    started = time.monotonic()
    listing = await adapter.request("variables", {"variablesReference": scopes[0]["variablesReference"]})
    took = time.monotonic() - started
    rows = {row["name"]: row["value"] for row in listing["variables"]}
    assert rows["hanging"] == "<repr timed out after 1 s>"
    assert rows["blocked"] == "<repr timed out after 1 s>"
    assert rows["plain"] == "'still shown'" and rows["count"] == "42"
    assert rows["kinds"] == "['HangingRepr', 'BlockedRepr']"
    assert took < 3.5, f"the listing took {took:.1f} s"
    await adapter.request("setBreakpoints", {"source": {"path": str(WEB_APP)}, "breakpoints": []})
    await adapter.request("continue", {"threadId": thread_id})
    assert await get(web_app, "/release") == {"held": False}
    assert (await asyncio.wait_for(request, 5.0))["count"] == 42
    with pytest.raises(DapError, match="unknown variablesReference"):
        await adapter.request("variables", {"variablesReference": scopes[0]["variablesReference"]})
    await ticks_after(web_app)


EDITOR_ROOT = "/home/editor/project/targets"


async def attach_mapped(adapter: DapClient, pid: int) -> dict:
    capabilities = await adapter.initialize()
    mapping = [{"localRoot": EDITOR_ROOT, "remoteRoot": str(TARGETS)}]
    attach = asyncio.create_task(adapter.request("attach", {"processId": pid, "pathMappings": mapping}))
    await adapter.wait_event("initialized")
    await adapter.request("configurationDone")
    await attach
    return dict(capabilities)


async def test_modules_and_loaded_sources_in_the_editors_paths(adapter: DapClient) -> None:
    async with start_target("importer.py") as target:
        capabilities = await attach_mapped(adapter, target.pid)
        assert capabilities["supportsModulesRequest"] is True
        assert capabilities["supportsLoadedSourcesRequest"] is True

        modules = await adapter.request("modules", {"startModule": 0, "moduleCount": 1000})
        found = {module["name"]: module for module in modules["modules"]}
        assert found["versioned"]["path"] == f"{EDITOR_ROOT}/versioned/__init__.py"
        assert found["versioned"]["version"] == "1.2.3"
        assert modules["totalModules"] >= len(found)
        sources = (await adapter.request("loadedSources"))["sources"]
        assert {"name": "importer.py", "path": f"{EDITOR_ROOT}/importer.py"} in sources

        await adapter.request("evaluate", {"expression": "load('versioned.later')", "context": "repl"})
        later = f"{EDITOR_ROOT}/versioned/later.py"
        module = await adapter.wait_event(
            "module", lambda e: e["body"]["module"]["name"] == "versioned.later"
        )
        assert module["body"]["reason"] == "new" and module["body"]["module"]["path"] == later
        source = await adapter.wait_event("loadedSource", lambda e: e["body"]["source"]["path"] == later)
        assert source["body"] == {"reason": "new", "source": {"name": "later.py", "path": later}}


async def test_hex_and_frame_formats_pass_through(adapter: DapClient) -> None:
    async with start_target("formats.py") as target:
        capabilities = await attach_mapped(adapter, target.pid)
        assert capabilities["supportsValueFormattingOptions"] is True
        threads = {t["name"]: t["id"] for t in (await adapter.request("threads"))["threads"]}
        await adapter.request("pause", {"threadId": threads["formatter"]})
        await adapter.wait_event("stopped")
        shown = {"parameters": True, "parameterValues": True, "hex": True}
        trace = await adapter.request("stackTrace", {"threadId": threads["formatter"], "format": shown})
        top = trace["stackFrames"][0]
        assert top["name"].startswith("compute(count=0xff, label='bytes'")
        assert top["source"]["path"] == f"{EDITOR_ROOT}/formats.py"
        scope = (await adapter.request("scopes", {"frameId": top["id"]}))["scopes"][0]
        listed = await adapter.request(
            "variables", {"variablesReference": scope["variablesReference"], "format": {"hex": True}}
        )
        assert {v["name"]: v["value"] for v in listed["variables"]}["numbers"] == "[0xa, 0xff]"
        answer = await adapter.request(
            "evaluate",
            {"expression": "count", "frameId": top["id"], "context": "hover", "format": {"hex": True}},
        )
        assert answer["result"] == "0xff"


async def test_completions_in_the_clients_columns(adapter: DapClient) -> None:
    async with start_target("completer.py") as target:
        capabilities = await adapter.initialize(columnsStartAt1=False)
        assert capabilities["supportsCompletionsRequest"] is True
        assert capabilities["completionTriggerCharacters"] == [".", "["]
        attach = asyncio.create_task(adapter.request("attach", {"processId": target.pid}))
        await adapter.wait_event("initialized")
        await adapter.request("configurationDone")
        await attach
        threads = {t["name"]: t["id"] for t in (await adapter.request("threads"))["threads"]}
        await adapter.request("pause", {"threadId": threads["waiter"]})
        await adapter.wait_event("stopped")
        trace = await adapter.request("stackTrace", {"threadId": threads["waiter"]})
        frame = next(f for f in trace["stackFrames"] if f["name"] == "wait_here")
        body = await adapter.request(
            "completions", {"text": "account.ba", "column": 10, "frameId": frame["id"]}
        )
        assert body["targets"] == [
            {"label": "balance", "type": "field", "sortText": "00balance", "length": 2}
        ]
        await adapter.request("evaluate", {"expression": "unstick.set()", "context": "watch"})
