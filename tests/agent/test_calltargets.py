"""stepInTargets against a real target: the calls of the stopped line, in the order they run."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from agent.bp_support import line_of, next_event, set_lines, top_frame, value_of
from agent_harness import TARGETS, Target, attach, start_target
from dapattach.attach.link import AgentError, AgentLink
from interpreters import PY315, needs_315

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


async def step_in(link: AgentLink, thread_id: int, target: int | None = None) -> dict:
    arguments = {"threadId": thread_id} | ({"targetId": target} if target is not None else {})
    await link.request("stepIn", arguments)
    stopped = await next_event(link, "stopped")
    assert stopped["reason"] == "step"
    return await top_frame(link, thread_id)


async def stop_with_targets(link: AgentLink) -> tuple[int, dict[str, int]]:
    """Stop on the calls line and clear its breakpoint: (the caller thread's id, its step-in targets by
    label)."""
    frame = await stop_on_the_calls_line(link)
    threads = (await link.request("threads"))["threads"]
    thread_id = next(t["id"] for t in threads if t["name"] == "caller")
    found = {
        t["label"]: t["id"]
        for t in (await link.request("stepInTargets", {"frameId": frame["id"]}))["targets"]
    }
    await set_lines(link, path=CALLS)
    return thread_id, found


async def test_step_in_stops_in_the_chosen_call(calls) -> None:
    target, link = calls
    thread_id, found = await stop_with_targets(link)
    inside = await step_in(link, thread_id, found["triple"])
    assert (inside["name"], inside["line"]) == ("triple", line_of("triple", CALLS))
    assert await value_of(link, inside["id"], "value") == "5"
    await link.request("stepOut", {"threadId": thread_id})
    await next_event(link, "stopped")
    back = await top_frame(link, thread_id)
    assert (back["name"], back["line"]) == ("several_calls", line_of("calls", CALLS))
    left = (await link.request("stepInTargets", {"frameId": back["id"]}))["targets"]
    assert [t["label"] for t in left] == ["label.upper", "combine"]  # double and triple have run
    await link.request("continue", {"threadId": 0})
    await target.expect("^result SUM 25$")


async def test_step_in_to_a_later_call_runs_the_earlier_ones(calls) -> None:
    target, link = calls
    thread_id, found = await stop_with_targets(link)
    inside = await step_in(link, thread_id, found["combine"])
    assert (inside["name"], inside["line"]) == ("combine", line_of("combine", CALLS))
    assert await value_of(link, inside["id"], "(first, second, key)") == "(10, 15, 'SUM')"
    await link.request("continue", {"threadId": 0})
    await target.expect("^result SUM 25$")


async def test_a_target_in_c_goes_on_into_the_next_python_call(calls) -> None:
    _, link = calls
    thread_id, found = await stop_with_targets(link)
    inside = await step_in(link, thread_id, found["label.upper"])
    assert inside["name"] == "combine"
    with pytest.raises(AgentError, match="targetId 3 is not a call in combine"):
        await link.request("stepIn", {"threadId": thread_id, "targetId": 3})
    await link.request("continue", {"threadId": 0})


@needs_315
async def test_step_into_a_chosen_call_and_see_its_output_on_python_315() -> None:
    async with start_target("calls.py", python=PY315) as target:
        link = await attach(target)
        await link.request("ready", {})
        await link.request("captureOutput", {"enabled": True})
        frame = await stop_on_the_calls_line(link)
        found = (await link.request("stepInTargets", {"frameId": frame["id"]}))["targets"]
        assert [t["label"] for t in found] == ["double", "triple", "label.upper", "combine"]
        threads = (await link.request("threads"))["threads"]
        thread_id = next(t["id"] for t in threads if t["name"] == "caller")
        await set_lines(link, path=CALLS)
        inside = await step_in(link, thread_id, found[0]["id"])
        assert inside["name"] == "double"
        await link.request("continue", {"threadId": 0})
        printed = ""
        async with asyncio.timeout(10):
            while not printed.endswith("result SUM 25\n"):
                event, body = await link.events.get()
                printed += body["output"] if event == "output" and body["category"] == "stdout" else ""
        await link.detach()
