"""Breakpoints, stacks and steps in code an `InterpreterPoolExecutor` runs in sub-interpreters, an
interpreter created after the attach, and a detach that leaves nothing in any interpreter."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from agent_harness import TARGETS, Target, attach, probe, start_target, variables
from dapattach.attach.link import AgentLink
from users import AS_NOBODY, needs_root

POOL = TARGETS / "interpreter_pool.py"
SUB_IDS = 1 << 30
STOPPED_NAMES = (
    "sorted(t.name for t in __import__('threading').enumerate() if any(e.ident == t.ident for e in "
    "__import__('sys').modules['_dapattach_agent.suspend'].stopped().values()))"
)


def line_of(text: str) -> int:
    return next(n for n, line in enumerate(POOL.read_text().splitlines(), 1) if line.endswith(text))


WORK_LINE = line_of("# @work")
DIRECT_ONLY = pytest.mark.direct_only(
    "sys.remote_exec seeks the main thread in the newest interpreter: a sub-interpreter"
)


@pytest.fixture
async def pool() -> AsyncIterator[Target]:
    async with start_target("interpreter_pool.py", stdin=True) as target:
        yield target


@contextlib.asynccontextmanager
async def attached(target: Target) -> AsyncIterator[AgentLink]:
    """An agent link to target; the main thread, which ran the bootstrap, goes on at once."""
    link = await attach(target)
    await link.request("ready")
    try:
        yield link
    finally:
        await link.detach()


async def command(target: Target, line: str) -> None:
    assert target.process.stdin is not None
    target.process.stdin.write(line.encode() + b"\n")
    await target.process.stdin.drain()


async def stop_in_work(link: AgentLink, target: Target, number: int) -> tuple[dict, int]:
    """Break in `work`, run work(number): (the stopped event, its breakpoint's id)."""
    placed = await link.request(
        "setBreakpoints", {"source": {"path": str(POOL)}, "breakpoints": [{"line": WORK_LINE}]}
    )
    (breakpoint_,) = placed["breakpoints"]
    assert breakpoint_["verified"] is True
    await command(target, str(number))
    return await link.wait_for_event("stopped", 10), breakpoint_["id"]


async def go_on(link: AgentLink, thread_id: int) -> None:
    """Clear the breakpoints and continue the stopped thread."""
    await link.request("setBreakpoints", {"source": {"path": str(POOL)}, "breakpoints": []})
    await link.request("continue", {"threadId": thread_id})


async def frames(link: AgentLink, thread_id: int) -> list[dict]:
    return list((await link.request("stackTrace", {"threadId": thread_id}))["stackFrames"])


async def evaluate(link: AgentLink, expression: str, frame_id: int | None = None) -> str:
    arguments = {"expression": expression, "context": "watch"}
    if frame_id is not None:
        arguments["frameId"] = frame_id
    return str((await link.request("evaluate", arguments))["result"])


@DIRECT_ONLY
async def test_a_pool_workers_function_stops_at_a_breakpoint_in_its_sub_interpreter_and_steps(
    pool: Target,
) -> None:
    async with attached(pool) as link:
        stopped, breakpoint_id = await stop_in_work(link, pool, 20)
        assert stopped["reason"] == "breakpoint" and stopped["hitBreakpointIds"] == [breakpoint_id]
        worker = stopped["threadId"]
        stack = await frames(link, worker)
        top = stack[0]
        assert (top["name"], top["line"]) == ("work", WORK_LINE) and top["id"] >= SUB_IDS
        names = [frame["name"] for frame in stack]
        assert "Interpreter.call" in names[names.index("work") :], "the main interpreter's frames go below"
        interpreter = await evaluate(link, "interpreter", top["id"])
        assert interpreter != "0"
        threads = {t["id"]: t["name"] for t in (await link.request("threads"))["threads"]}
        assert threads[worker].endswith(f" (interpreter {interpreter})"), threads
        scopes = (await link.request("scopes", {"frameId": top["id"]}))["scopes"]
        assert (await variables(link, scopes[0]["variablesReference"]))["number"]["value"] == "20"
        assert await evaluate(link, "number * 100", top["id"]) == "2000"
        async with asyncio.timeout(10):
            while "'MainThread'" not in await evaluate(link, STOPPED_NAMES):
                pass  # all-stop reaches the main interpreter's threads at their next line

        await link.request("stepIn", {"threadId": worker})
        assert (await link.wait_for_event("stopped", 10))["reason"] == "step"
        top = (await frames(link, worker))[0]
        assert (top["name"], top["line"]) == ("helper", line_of("doubled = value * 2"))
        await link.request("stepOut", {"threadId": worker})
        await link.wait_for_event("stopped", 10)
        top = (await frames(link, worker))[0]
        assert (top["name"], top["line"]) == ("work", WORK_LINE)
        await link.request("next", {"threadId": worker})
        await link.wait_for_event("stopped", 10)
        top = (await frames(link, worker))[0]
        assert top["name"] == "work" and top["line"] == WORK_LINE + 1
        assert await evaluate(link, "total", top["id"]) == "41"
        await go_on(link, worker)
        await pool.expect(f"^result 20 -> 41 in interpreter {interpreter}$")


@DIRECT_ONLY
async def test_a_logpoint_in_a_sub_interpreter_reaches_the_console(pool: Target) -> None:
    """A sub-interpreter's agent has no ticker to queue log messages for: it sends them at once."""
    async with attached(pool) as link:
        logpoint = {"line": WORK_LINE, "logMessage": "work({number})"}
        await link.request("setBreakpoints", {"source": {"path": str(POOL)}, "breakpoints": [logpoint]})
        await command(pool, "7")
        output = await link.wait_for_event("output", 10)
        assert output["output"] == "work(7)\n"
        await pool.expect(r"^result 7 -> 15 in interpreter \d+$")
        await link.request("setBreakpoints", {"source": {"path": str(POOL)}, "breakpoints": []})


@DIRECT_ONLY
async def test_an_interpreter_made_after_the_attach_gets_the_agent_and_detach_leaves_none_anywhere(
    pool: Target,
) -> None:
    async with attached(pool) as link:
        await command(pool, "nap")
        napping = (await pool.expect(r"^napping in interpreter (\d+)$"))[1]
        stopped, _breakpoint_id = await stop_in_work(link, pool, 7)
        top = (await frames(link, stopped["threadId"]))[0]
        interpreter = await evaluate(link, "interpreter", top["id"])
        assert interpreter != napping, "the call went to the napping worker's interpreter"
        await go_on(link, stopped["threadId"])
        await pool.expect(f"^result 7 -> 15 in interpreter {interpreter}$")
    await command(pool, "traces")
    traces = await pool.expect(r"^traces in interpreter (\d+): (.*)$")
    assert traces[2] == "[] {} []", f"the agent left something in interpreter {traces[1]}"
    assert (await pool.expect(r"^traces in the main interpreter: (.*)$"))[
        1
    ] == "[] ['builtin_function_or_method']"
    report = await probe(pool.pid, main_interpreter=True)
    assert report["modules"] == [] and report["tools"] == {}
    assert not any(name.startswith("dapattach") for name in report["threads"])


@DIRECT_ONLY
@needs_root
async def test_another_users_pool_gets_the_agent_although_the_copy_it_loaded_from_is_gone() -> None:
    async with (
        start_target("interpreter_pool.py", stdin=True, run_as=AS_NOBODY) as target,
        attached(target) as link,
    ):
        await command(target, "nap")  # the next call goes to a new interpreter, made after the attach
        await target.expect(r"^napping in interpreter \d+$")
        stopped, _breakpoint_id = await stop_in_work(link, target, 3)
        top = (await frames(link, stopped["threadId"]))[0]
        assert (top["name"], top["line"]) == ("work", WORK_LINE)
        await go_on(link, stopped["threadId"])
        await target.expect(r"^result 3 -> 7 in interpreter \d+$")
