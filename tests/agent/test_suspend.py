"""The stop core's non-stop policy on a real target: a thread paused alone while the others run, what a
pending pause costs the rest of the program, ids that live as long as their own thread stays stopped, and
a detach that frees every thread stopped on its own."""

from typing import Any

import pytest

from agent_harness import Target, attach, frame_of, probe
from dapattach.attach.link import AgentError, AgentLink

MONITOR = "__import__('sys').modules['_dapattach_agent.monitor']"
GLOBAL_LINE = f"bool(__import__('sys').monitoring.get_events({MONITOR}.monitor.tool) & 1 << 2)"
"""Whether LINE (event bit 2) is on for every line of every thread."""


async def thread_id(link: AgentLink, name: str) -> int:
    threads = (await link.request("threads"))["threads"]
    return int(next(thread["id"] for thread in threads if thread["name"] == name))


async def evaluate(link: AgentLink, expression: str, **arguments: Any) -> str:
    body = await link.request("evaluate", {"expression": expression, "context": "watch", **arguments})
    return str(body["result"])


async def pause_alone(link: AgentLink, name: str) -> int:
    wanted = await thread_id(link, name)
    await link.request("pause", {"threadId": wanted})
    stopped = await link.wait_for_event("stopped", 10)
    assert stopped == {"reason": "pause", "threadId": wanted, "allThreadsStopped": False}
    return wanted


@pytest.fixture
async def non_stop(link: AgentLink) -> AgentLink:
    await link.request("configure", {"stopAll": False})
    return link


async def test_a_thread_paused_alone_stops_while_the_others_run(
    non_stop: AgentLink, showcase: Target
) -> None:
    worker = await pause_alone(non_stop, "nested-worker")
    showcase.drain()
    first = int((await showcase.expect(r"^tick (\d+)$"))[1])
    assert int((await showcase.expect(r"^tick (\d+)$"))[1]) > first, "the ticker stopped too"
    frames = (await non_stop.request("stackTrace", {"threadId": worker}))["stackFrames"]
    assert [frame["name"] for frame in frames[:3]] == ["inner", "middle", "outer"]
    assert await evaluate(non_stop, "depth", frameId=frames[1]["id"]) == "2"
    assert await evaluate(non_stop, GLOBAL_LINE) == "False"
    answer = await non_stop.request("continue", {"threadId": worker})
    assert answer == {"allThreadsContinued": False}
    assert await non_stop.wait_for_event("continued", 5) == {"threadId": worker, "allThreadsContinued": False}


async def test_a_pause_waiting_for_a_thread_blocked_in_c_costs_the_others_no_line_events(
    non_stop: AgentLink, showcase: Target
) -> None:
    start = (
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(3600,), name='sleeper', daemon=True).start()"
    )
    await non_stop.request("evaluate", {"expression": start, "context": "repl"})
    sleeper = await thread_id(non_stop, "sleeper")
    await non_stop.request("pause", {"threadId": sleeper})
    pausing = (
        "__import__('sys').modules['_dapattach_agent.suspend'].pausing(next(t.ident for t in "
        f"__import__('threading').enumerate() if t.native_id == {sleeper}))"
    )
    assert await evaluate(non_stop, pausing) == "True"
    assert await evaluate(non_stop, GLOBAL_LINE) == "False", "a pending pause turned on every line"
    showcase.drain()
    await showcase.expect(r"^tick \d+$")
    await non_stop.request("continue", {"threadId": 0})
    assert await evaluate(non_stop, pausing) == "False", "continue did not withdraw the pending pause"


async def test_ids_of_a_stopped_thread_outlive_another_threads_continue(
    non_stop: AgentLink, showcase: Target
) -> None:
    worker = await pause_alone(non_stop, "nested-worker")
    ticker = await pause_alone(non_stop, "ticker")
    inner = await frame_of(non_stop, "nested-worker", "inner")
    scopes = (await non_stop.request("scopes", {"frameId": inner["id"]}))["scopes"]
    tick = (await non_stop.request("stackTrace", {"threadId": ticker}))["stackFrames"][0]
    await non_stop.request("continue", {"threadId": ticker})
    await non_stop.wait_for_event("continued", 5)
    listed = await non_stop.request("variables", {"variablesReference": scopes[0]["variablesReference"]})
    assert "small_list" in {variable["name"] for variable in listed["variables"]}
    with pytest.raises(AgentError, match="valid only until the target resumes"):
        await non_stop.request("scopes", {"frameId": tick["id"]})
    with pytest.raises(AgentError, match=f"thread {ticker} is not stopped"):
        await non_stop.request("continue", {"threadId": ticker})
    await non_stop.request("continue", {"threadId": worker})


async def test_detach_frees_every_thread_stopped_alone(showcase: Target) -> None:
    link = await attach(showcase)
    await link.request("configure", {"stopAll": False})
    await pause_alone(link, "ticker")
    await pause_alone(link, "marker-printer")
    await link.detach()
    showcase.drain()
    await showcase.expect(r"^tick \d+$")
    await showcase.expect(r"^marker=original$")
    report = await probe(showcase.pid)
    assert report["modules"] == [] and not any("dapattach" in name for name in report["threads"])
    assert report["tools"] == {}


async def test_without_the_gil_only_stopped_threads_stacks_and_values_are_read(
    non_stop: AgentLink, showcase: Target
) -> None:
    """A free-threaded build is simulated by the one thing the agent asks (`sys._is_gil_enabled`): no
    3.14t binary is at hand, so this checks the agent's rules, not CPython's threads."""
    ticker = await thread_id(non_stop, "ticker")
    tick = await frame_of(non_stop, "ticker", "tick")
    off = "import sys\nsys._dapattach_test_gil = sys._is_gil_enabled\nsys._is_gil_enabled = lambda: False"
    await non_stop.request("evaluate", {"expression": off, "context": "repl"})
    try:
        running = (await non_stop.request("stackTrace", {"threadId": ticker}))["stackFrames"]
        assert [frame["presentationHint"] for frame in running] == ["label"]
        assert "shown while it is stopped" in running[0]["name"]
        with pytest.raises(AgentError, match="runs without the GIL"):
            await evaluate(non_stop, "count", frameId=tick["id"])
        worker = await pause_alone(non_stop, "nested-worker")
        inner = (await non_stop.request("stackTrace", {"threadId": worker}))["stackFrames"][0]
        assert inner["name"] == "inner"
        assert await evaluate(non_stop, "small_tuple", frameId=inner["id"]) == "(1, 2)"
        await non_stop.request("continue", {"threadId": worker})
    finally:
        back = "import sys\nsys._is_gil_enabled = sys._dapattach_test_gil\ndel sys._dapattach_test_gil"
        await non_stop.request("evaluate", {"expression": back, "context": "repl"})
