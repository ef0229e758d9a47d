"""Breakpoints, steps and exceptions through the adapter, with the editor seeing other paths than the target.

The agent's own tests cover each feature in depth; these check what the adapter adds: paths mapped both
ways (`pathMappings`), capabilities, events forwarded, and the DAP shapes of every answer.
"""

import asyncio

from agent_harness import TARGETS, start_target
from dapclient import DapClient

EDITOR_ROOT = "/home/editor/project/targets"
JOBS = TARGETS / "bp_jobs.py"
EDITOR_JOBS = f"{EDITOR_ROOT}/bp_jobs.py"


def line_of(marker: str) -> int:
    lines = JOBS.read_text().splitlines()
    return next(n for n, text in enumerate(lines, start=1) if text.rstrip().endswith(f"# @{marker}"))


async def _attach(adapter: DapClient, pid: int) -> dict:
    capabilities = await adapter.initialize()
    mapping = [{"localRoot": EDITOR_ROOT, "remoteRoot": str(TARGETS)}]
    attach = asyncio.create_task(adapter.request("attach", {"processId": pid, "pathMappings": mapping}))
    await adapter.wait_event("initialized")
    placed = await adapter.request(
        "setBreakpoints",
        {
            "source": {"path": EDITOR_JOBS},
            "breakpoints": [
                {"line": line_of("steps-call")},
                {"line": line_of("shared"), "condition": "worker == 2"},
                {"line": line_of("fact-test"), "logMessage": "fact({n})"},
            ],
        },
    )
    await adapter.request("setExceptionBreakpoints", {"filters": ["raised"]})
    await adapter.request("configurationDone")
    await attach
    return {"capabilities": capabilities, "placed": placed}


async def _run(adapter: DapClient, job: str) -> None:
    await adapter.request("evaluate", {"expression": f"requests.append({job!r})", "context": "repl"})


async def _top(adapter: DapClient, thread_id: int) -> dict:
    return (await adapter.request("stackTrace", {"threadId": thread_id, "levels": 1}))["stackFrames"][0]


async def test_breakpoints_steps_and_exceptions_with_mapped_paths(adapter: DapClient) -> None:
    async with start_target("bp_jobs.py") as target:
        session = await _attach(adapter, target.pid)
        capabilities = session["capabilities"]
        assert capabilities["supportsConditionalBreakpoints"] and capabilities["supportsLogPoints"]
        assert [f["filter"] for f in capabilities["exceptionBreakpointFilters"]] == [
            "raised", "uncaught", "userUnhandled",
        ]  # fmt: skip
        placed = session["placed"]["breakpoints"]
        assert all(b["verified"] for b in placed), placed
        assert {b["source"]["path"] for b in placed if "source" in b} <= {EDITOR_JOBS}

        await _run(adapter, "job_steps")
        stopped = (await adapter.wait_event("stopped"))["body"]
        assert stopped["reason"] == "breakpoint" and stopped["hitBreakpointIds"] == [placed[0]["id"]]
        thread = stopped["threadId"]
        top = await _top(adapter, thread)
        assert (top["name"], top["line"], top["source"]["path"]) == (
            "job_steps",
            line_of("steps-call"),
            EDITOR_JOBS,
        )

        adapter.events.clear()
        await adapter.request("stepIn", {"threadId": thread})
        await adapter.wait_event("stopped", lambda e: e["body"]["reason"] == "step")
        assert (await _top(adapter, thread))["name"] == "add"
        adapter.events.clear()
        await adapter.request("stepOut", {"threadId": thread})
        await adapter.wait_event("stopped", lambda e: e["body"]["reason"] == "step")
        assert (await _top(adapter, thread))["name"] == "job_steps"
        adapter.events.clear()
        await adapter.request("next", {"threadId": thread})
        await adapter.wait_event("stopped", lambda e: e["body"]["reason"] == "step")
        assert (await _top(adapter, thread))["line"] == line_of("steps-after")
        await adapter.request("continue", {"threadId": thread})
        await target.expect("^done job_steps$")

        adapter.events.clear()
        await _run(adapter, "job_pair")
        stopped = (await adapter.wait_event("stopped"))["body"]
        frame = await _top(adapter, stopped["threadId"])
        value = await adapter.request(
            "evaluate", {"expression": "worker", "frameId": frame["id"], "context": "watch"}
        )
        assert value["result"] == "2"
        await adapter.request("continue", {"threadId": stopped["threadId"]})
        await target.expect("^done job_pair$")

        await _run(adapter, "job_recursion")
        for n in (4, 3, 2, 1):
            await adapter.wait_event("output", lambda e, n=n: e["body"]["output"] == f"fact({n})\n")
        await target.expect("^done job_recursion$")

        adapter.events.clear()
        await _run(adapter, "job_caught")
        stopped = (await adapter.wait_event("stopped"))["body"]
        assert stopped["reason"] == "exception"
        info = await adapter.request("exceptionInfo", {"threadId": stopped["threadId"]})
        assert info["exceptionId"] == "KeyError" and "missing" in info["description"]
        assert "raise_key" in info["details"]["stackTrace"]
        await adapter.request("setExceptionBreakpoints", {"filters": []})
        await adapter.request("continue", {"threadId": stopped["threadId"]})
        await target.expect("^done job_caught$")
        await adapter.request("disconnect", {})


async def test_exception_options_through_the_adapter(adapter: DapClient) -> None:
    async with start_target("raisers.py") as target:
        capabilities = await adapter.initialize()
        assert capabilities["supportsExceptionOptions"] is True
        attach = asyncio.create_task(adapter.request("attach", {"processId": target.pid}))
        await adapter.wait_event("initialized")
        category = {"names": ["Python Exceptions"]}
        answer = await adapter.request(
            "setExceptionBreakpoints",
            {
                "filters": ["raised"],
                "exceptionOptions": [
                    {"path": [category, {"names": ["ValueError"]}], "breakMode": "never"},
                    {"path": [category, {"names": ["LookupError"]}], "breakMode": "unhandled"},
                ],
            },
        )
        assert answer["breakpoints"] == [{"verified": True}] * 3
        await adapter.request("configurationDone")
        await attach
        await adapter.request("evaluate", {"expression": "run('caught_value')", "context": "repl"})
        await target.expect("^done caught_value$")
        await adapter.request("evaluate", {"expression": "run('uncaught_key')", "context": "repl"})
        stopped = (await adapter.wait_event("stopped"))["body"]
        assert stopped["reason"] == "exception" and stopped["text"] == "KeyError"
        info = await adapter.request("exceptionInfo", {"threadId": stopped["threadId"]})
        assert info["breakMode"] == "unhandled"
        await adapter.request("continue", {"threadId": stopped["threadId"]})
        await target.expect("^done uncaught_key$")
        assert [e["body"]["text"] for e in adapter.events if e["event"] == "stopped"] == ["KeyError"]
