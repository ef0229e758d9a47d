"""The target's code a request runs: on the stopped thread, while the agent answers everything else, and
stopped by a time limit, `cancel`, `continue` or a detach."""

import asyncio
import time
from typing import Any

import pytest

from agent_harness import Target, frame_of, pause, start_target, until_stopped
from dapattach.attach.link import AgentError, AgentLink
from interpreters import PY315, needs_315


def evaluation(link: AgentLink, frame_id: int, expression: str, context: str = "repl") -> asyncio.Task[Any]:
    arguments = {"expression": expression, "frameId": frame_id, "context": context}
    return asyncio.create_task(link.request("evaluate", arguments))


def printing_first(link: AgentLink, frame_id: int, statement: str) -> asyncio.Task[Any]:
    """A debug-console evaluation of `statement` that first prints `started`."""
    return evaluation(link, frame_id, f"print('started')\n{statement}")


async def until_started(link: AgentLink) -> None:
    """Until the evaluation from `printing_first` prints (its output comes back as an event): it runs."""
    while (await link.wait_for_event("output", 5))["output"] != "started\n":
        pass


async def paused_in(link: AgentLink, thread: str, function: str) -> dict[str, Any]:
    """Pause the target; once `thread` has stopped, its frame of `function`, where the evaluation runs."""
    await pause(link)
    await until_stopped(link, thread)
    return await frame_of(link, thread, function)


async def timed(awaitable: Any) -> float:
    started = time.monotonic()
    await awaitable
    return time.monotonic() - started


async def test_other_requests_are_answered_while_an_evaluation_hangs(link: AgentLink) -> None:
    frame = await paused_in(link, "nested-worker", "inner")
    hanging = printing_first(link, frame["id"], "__import__('time').sleep(60)")
    await until_started(link)
    assert await timed(link.request("threads")) < 0.5
    assert await timed(frame_of(link, "nested-worker", "inner")) < 0.5
    assert await timed(link.request("scopes", {"frameId": frame["id"]})) < 0.5
    assert not hanging.done()
    hanging.cancel()


async def test_cancel_interrupts_the_evaluation_and_the_thread_serves_again(link: AgentLink) -> None:
    frame = await paused_in(link, "nested-worker", "inner")
    runaway = printing_first(link, frame["id"], "while True: pass")
    await until_started(link)
    runaway.cancel()
    started = time.monotonic()
    answer = await link.request("evaluate", {"expression": "len(big_list)", "frameId": frame["id"]})
    assert answer["result"] == "1000"
    assert time.monotonic() - started < 1.0


async def test_a_time_limit_interrupts_the_evaluation(link: AgentLink) -> None:
    frame = await paused_in(link, "nested-worker", "inner")
    started = time.monotonic()
    with pytest.raises(AgentError, match=r"the expression was interrupted: it did not finish in 3 s"):
        await evaluation(link, frame["id"], "sum(1 for _ in iter(int, 1))", "watch")
    assert time.monotonic() - started < 6.0
    assert (await evaluation(link, frame["id"], "small_tuple", "watch"))["result"] == "(1, 2)"


async def test_code_that_catches_the_interruption_is_interrupted_again(link: AgentLink) -> None:
    frame = await paused_in(link, "nested-worker", "inner")
    stubborn = (
        "for _ in range(3):\n"
        "    try:\n        while True: pass\n    except KeyboardInterrupt:\n        pass\n"
        "while True: pass"
    )
    runaway = printing_first(link, frame["id"], stubborn)
    await until_started(link)
    runaway.cancel()
    started = time.monotonic()
    assert (await evaluation(link, frame["id"], "small_tuple", "watch"))["result"] == "(1, 2)"
    assert time.monotonic() - started < 2.0


async def test_continue_interrupts_the_evaluation_and_the_thread_runs_again(
    link: AgentLink, showcase: Target
) -> None:
    frame = await paused_in(link, "marker-printer", "print_marker")
    runaway = printing_first(link, frame["id"], "while True: pass")
    await until_started(link)
    showcase.drain()
    await link.request("continue", {"threadId": 0})
    with pytest.raises(AgentError, match="the expression was interrupted: the thread was resumed"):
        await asyncio.wait_for(runaway, 1.0)
    await showcase.expect(r"^marker=original$", timeout=1.0)


async def test_an_interruption_never_lands_in_the_targets_own_code(link: AgentLink, showcase: Target) -> None:
    """Cancels racing the end of short evaluations: whatever wins, the target's threads go on unharmed."""
    frame = await paused_in(link, "marker-printer", "print_marker")
    for size in range(0, 200_000, 5_000):
        task = evaluation(link, frame["id"], f"sum(range({size}))", "watch")
        for _ in range(size % 3):
            await asyncio.sleep(0)
        task.cancel()
    assert (await evaluation(link, frame["id"], "marker", "watch"))["result"] == "'original'"
    await link.request("continue", {"threadId": 0})
    showcase.drain()
    for pattern in (r"^marker=original$", r"^tick \d+$", r"^marker=original$", r"^tick \d+$"):
        await showcase.expect(pattern, timeout=2.0)


async def test_a_thread_blocked_in_an_earlier_request_hands_the_next_one_to_a_helper(link: AgentLink) -> None:
    frame = await paused_in(link, "nested-worker", "inner")
    with pytest.raises(AgentError, match="has not stopped yet: it is blocked in a call outside Python"):
        await evaluation(link, frame["id"], "__import__('threading').Event().wait()", "watch")
    answer = await evaluation(link, frame["id"], "point.x", "watch")
    assert answer["result"] == "3"
    note = await link.wait_for_event("output", 5)
    assert "is still blocked in an earlier request's code" in note["output"]
    assert "thread-locals and context variables are not that thread's" in note["output"]


async def test_each_stopped_thread_evaluates_in_its_own_context() -> None:
    async with start_target("contexts.py") as target:
        link = await _attached(target)
        try:
            await pause(link)
            seen = {}
            for number in (1, 2, 3):
                await until_stopped(link, f"worker-{number}")
                frame = await frame_of(link, f"worker-{number}", "work")
                expression = "(number, local.name, current.get(), threading.current_thread().name)"
                seen[number] = (await evaluation(link, frame["id"], expression, "watch"))["result"]
            assert seen == {n: f"({n}, 'local-{n}', 'var-{n}', 'worker-{n}')" for n in (1, 2, 3)}
        finally:
            await link.detach()


async def _attached(target: Target) -> AgentLink:
    from agent_harness import attach

    link = await attach(target)
    await link.request("ready", {})
    return link


@pytest.mark.py315
@needs_315
async def test_on_315_evaluations_run_in_the_stopped_thread_and_continue_interrupts_them() -> None:
    assert PY315 is not None
    async with start_target("contexts.py", python=PY315) as target:
        link = await _attached(target)
        try:
            frame = await paused_in(link, "worker-2", "work")
            seen = await evaluation(link, frame["id"], "(local.name, current.get(), number)", "watch")
            assert seen["result"] == "('local-2', 'var-2', 2)"
            runaway = printing_first(link, frame["id"], "while True: pass")
            await until_started(link)
            await link.request("continue", {"threadId": 0})
            with pytest.raises(AgentError, match="the thread was resumed"):
                await asyncio.wait_for(runaway, 1.0)
        finally:
            await link.detach()
