"""Running and stopping through the adapter: stepping into a chosen call (stepInTargets)."""

import asyncio

from agent_harness import TARGETS, start_target
from dapclient import DapClient

CALLS = TARGETS / "calls.py"


def line_of(marker: str) -> int:
    lines = CALLS.read_text().splitlines()
    return next(number for number, text in enumerate(lines, start=1) if text.endswith(f"# @{marker}"))


async def test_step_into_the_call_the_user_picks(adapter: DapClient) -> None:
    async with start_target("calls.py") as target:
        capabilities = await adapter.initialize()
        assert capabilities["supportsStepInTargetsRequest"] is True
        attach = asyncio.create_task(adapter.request("attach", {"processId": target.pid}))
        await adapter.wait_event("initialized")
        await adapter.request(
            "setBreakpoints", {"source": {"path": str(CALLS)}, "breakpoints": [{"line": line_of("calls")}]}
        )
        await adapter.request("configurationDone")
        await attach
        await adapter.request("evaluate", {"expression": "go.set()", "context": "repl"})
        thread = (await adapter.wait_event("stopped"))["body"]["threadId"]
        top = (await adapter.request("stackTrace", {"threadId": thread, "levels": 1}))["stackFrames"][0]
        found = (await adapter.request("stepInTargets", {"frameId": top["id"]}))["targets"]
        assert [t["label"] for t in found] == ["double", "triple", "label.upper", "combine"]
        source = CALLS.read_text().splitlines()[line_of("calls") - 1]
        assert source[found[3]["column"] - 1 :].startswith("combine(")
        await adapter.request("setBreakpoints", {"source": {"path": str(CALLS)}, "breakpoints": []})
        adapter.events.clear()
        await adapter.request("stepIn", {"threadId": thread, "targetId": found[1]["id"]})
        await adapter.wait_event("stopped", lambda e: e["body"]["reason"] == "step")
        inside = (await adapter.request("stackTrace", {"threadId": thread, "levels": 1}))["stackFrames"][0]
        assert (inside["name"], inside["line"]) == ("triple", line_of("triple"))
        await adapter.request("continue", {"threadId": thread})
        await target.expect("^result SUM 25$")
