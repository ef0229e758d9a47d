"""stepInTargets against a real target: the calls of the stopped line, in the order they run."""

from collections.abc import AsyncIterator

import pytest

from agent.bp_support import line_of, next_event, set_lines, top_frame
from agent_harness import TARGETS, Target, attach, start_target
from dapattach.attach import AgentLink

CALLS = TARGETS / "calls.py"


@pytest.fixture
async def calls() -> AsyncIterator[tuple[Target, AgentLink]]:
    async with start_target("calls.py") as target:
        link = await attach(target)
        await link.request("ready", {})
        yield target, link
        await link.detach()


async def stop_on_the_calls_line(link: AgentLink) -> dict:
    await set_lines(link, {"line": line_of("calls", CALLS)}, path=CALLS)
    await link.request("evaluate", {"expression": "go.set()", "context": "watch"})
    stopped = await next_event(link, "stopped")
    return await top_frame(link, stopped["threadId"])


async def test_the_calls_of_a_line_in_the_order_they_run(calls) -> None:
    _, link = calls
    frame = await stop_on_the_calls_line(link)
    found = (await link.request("stepInTargets", {"frameId": frame["id"]}))["targets"]
    assert [target["label"] for target in found] == ["double", "triple", "label.upper", "combine"]
    source = CALLS.read_text().splitlines()[line_of("calls", CALLS) - 1]
    for target in found:
        assert target["line"] == target["endLine"] == line_of("calls", CALLS)
        written = source[target["column"] - 1 : target["endColumn"] - 1]
        assert written.startswith(target["label"] + "(") and written.endswith(")")
    assert len({target["id"] for target in found}) == 4
    zero_based = await link.request("stepInTargets", {"frameId": frame["id"], "columnsStartAt1": False})
    assert [t["column"] for t in zero_based["targets"]] == [t["column"] - 1 for t in found]
