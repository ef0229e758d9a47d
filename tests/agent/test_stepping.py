"""next, stepIn, stepOut, return values, generators, coroutines and goto on a real target."""

import pytest

from agent.bp_support import (
    done,
    jobs_target,
    line_of,
    next_event,
    resume,
    run_job,
    set_lines,
    top_frame,
    value_of,
)
from agent_harness import Target, variables
from dapattach.attach.link import AgentError, AgentLink
from interpreters import PY315, needs_315


async def stop_at(link: AgentLink, marker: str, job: str) -> int:
    await set_lines(link, {"line": line_of(marker)})
    await run_job(link, job)
    stopped = await next_event(link, "stopped")
    await set_lines(link)
    return int(stopped["threadId"])


async def step(link: AgentLink, kind: str, thread_id: int) -> dict:
    await link.request(kind, {"threadId": thread_id})
    stopped = await next_event(link, "stopped")
    assert stopped["reason"] == "step" and stopped["threadId"] == thread_id
    return await top_frame(link, thread_id)


async def test_next_then_off_the_end_of_the_function_into_the_caller(jobs: tuple[Target, AgentLink]) -> None:
    target, link = jobs
    thread_id = await stop_at(link, "add-total", "job_steps")
    frame = await step(link, "next", thread_id)
    assert (frame["name"], frame["line"]) == ("add", line_of("add-return"))
    frame = await step(link, "next", thread_id)
    assert (frame["name"], frame["line"]) == ("job_steps", line_of("steps-call"))
    frame = await step(link, "next", thread_id)
    assert (frame["name"], frame["line"]) == ("job_steps", line_of("steps-after"))
    assert await value_of(link, frame["id"], "result") == "5"
    await resume(link)
    await target.expect(r"^steps 10$")


async def test_step_in_and_step_out_with_the_return_value(jobs: tuple[Target, AgentLink]) -> None:
    target, link = jobs
    await link.request("configure", {"showReturnValue": True})
    thread_id = await stop_at(link, "steps-call", "job_steps")
    frame = await step(link, "stepIn", thread_id)
    assert (frame["name"], frame["line"]) == ("add", line_of("add-total"))
    frame = await step(link, "stepOut", thread_id)
    assert (frame["name"], frame["line"]) == ("job_steps", line_of("steps-call"))
    scopes = (await link.request("scopes", {"frameId": frame["id"]}))["scopes"]
    local_names = await variables(link, scopes[0]["variablesReference"])
    assert local_names["(return) add"]["value"] == "5"
    frame = await step(link, "next", thread_id)
    scopes = (await link.request("scopes", {"frameId": frame["id"]}))["scopes"]
    assert "(return) add" not in await variables(link, scopes[0]["variablesReference"])
    await resume(link)
    await target.expect(r"^steps 10$")


async def test_step_in_skips_library_code_with_just_my_code(jobs: tuple[Target, AgentLink]) -> None:
    target, link = jobs
    thread_id = await stop_at(link, "async-before", "job_async")
    frame = await step(link, "stepIn", thread_id)
    assert (frame["name"], frame["line"]) == ("pause_a_bit", line_of("async-await"))
    frame = await step(link, "stepIn", thread_id)
    assert frame["name"] in ("pause_a_bit", "gather_both"), "stepped into the standard library"
    await resume(link)
    await target.expect(done("job_async"))


async def test_next_over_await_stays_in_the_same_coroutine(jobs: tuple[Target, AgentLink]) -> None:
    target, link = jobs
    thread_id = await stop_at(link, "async-await", "job_async")
    frame = await top_frame(link, thread_id)
    label = await value_of(link, frame["id"], "label")
    frame = await step(link, "next", thread_id)
    assert (frame["name"], frame["line"]) == ("pause_a_bit", line_of("async-after"))
    assert await value_of(link, frame["id"], "label") == label
    await resume(link)
    await target.expect(r"^async \['a!', 'b!'\]$")


async def test_next_over_yield_lands_in_the_generator_when_it_resumes(jobs: tuple[Target, AgentLink]) -> None:
    target, link = jobs
    thread_id = await stop_at(link, "gen-yield", "job_generator")
    frame = await step(link, "next", thread_id)
    assert (frame["name"], frame["line"]) == ("produce", line_of("gen-resumed"))
    assert await value_of(link, frame["id"], "index") == "0"
    frame = await step(link, "stepOut", thread_id)
    assert (frame["name"], frame["line"]) == ("job_generator", line_of("gen-consume") - 1)
    await resume(link)
    await target.expect(r"^total 30$")


async def test_goto_jumps_within_the_function(jobs: tuple[Target, AgentLink]) -> None:
    target, link = jobs
    thread_id = await stop_at(link, "goto-skipped", "job_jumpy")
    source = {"path": str(line_of.__globals__["JOBS"])}
    targets = (await link.request("gotoTargets", {"source": source, "line": line_of("goto-end")}))["targets"]
    assert [item["line"] for item in targets] == [line_of("goto-end")]
    await link.request("goto", {"threadId": thread_id, "targetId": targets[0]["id"]})
    stopped = await next_event(link, "stopped")
    assert stopped["reason"] == "goto"
    assert (await top_frame(link, thread_id))["line"] == line_of("goto-end")
    with pytest.raises(AgentError, match="has no code in job_jumpy"):
        await link.request("goto", {"threadId": thread_id, "targetId": line_of("add-total")})
    await resume(link)
    await target.expect(r"^jumpy start-end$")


async def test_stepping_a_thread_that_is_not_stopped_is_an_error(jobs: tuple[Target, AgentLink]) -> None:
    _target, link = jobs
    threads = (await link.request("threads"))["threads"]
    with pytest.raises(AgentError, match="is not stopped"):
        await link.request("next", {"threadId": threads[0]["id"]})


async def test_step_in_enters_the_stdlib_without_just_my_code(
    jobs: tuple[Target, AgentLink],
) -> None:
    target, link = jobs
    await link.request("configure", {"justMyCode": False})
    thread_id = await stop_at(link, "async-await", "job_async")
    frame = await step(link, "stepIn", thread_id)
    assert frame["source"]["path"].endswith("asyncio/tasks.py") and frame["name"] == "sleep"
    await resume(link)
    await target.expect(done("job_async"))


@pytest.mark.py315
@needs_315
async def test_breakpoint_step_and_exception_on_python_315() -> None:
    async with jobs_target(PY315) as (target, link):
        thread_id = await stop_at(link, "add-total", "job_steps")
        frame = await step(link, "next", thread_id)
        assert (frame["name"], frame["line"]) == ("add", line_of("add-return"))
        await link.request("setExceptionBreakpoints", {"filters": ["raised"]})
        await resume(link)
        await target.expect(r"^steps 10$")
        await run_job(link, "job_caught")
        stopped = await next_event(link, "stopped")
        assert stopped["reason"] == "exception" and stopped["description"] == "KeyError: 'missing'"
        await resume(link)
        await target.expect(done("job_caught"))


async def test_stepping_off_the_end_of_a_thread_lets_it_end_and_others_run(
    jobs: tuple[Target, AgentLink],
) -> None:
    target, link = jobs
    idle = await link.request("evaluate", {"expression": "monitoring_report()", "context": "repl"})
    thread_id = await stop_at(link, "steps-after", "job_steps")
    await step(link, "next", thread_id)
    frame = await step(link, "next", thread_id)
    assert frame["name"] == "run"
    frame = await step(link, "next", thread_id)
    assert (frame["name"], frame["line"]) == ("run", line_of("run-done"))
    await link.request("next", {"threadId": thread_id})
    await target.expect(done("job_steps"))
    for _ in range(3):
        await run_job(link, "job_recursion")
        await target.expect(r"^fact 24$")
    assert all(event != "stopped" for event, _ in drain(link))
    report = await link.request("evaluate", {"expression": "monitoring_report()", "context": "repl"})
    assert report["result"] == idle["result"], "the ended thread's step still has events enabled"


def drain(link: AgentLink) -> list[tuple[str, dict]]:
    found = []
    while not link.events.empty():
        found.append(link.events.get_nowait())
    return found


async def test_pause_during_a_long_step_and_continue_ends_the_step(jobs: tuple[Target, AgentLink]) -> None:
    target, link = jobs
    thread_id = await stop_at(link, "spin-long", "job_spin_long")
    await link.request("next", {"threadId": thread_id})
    await target.expect(r"^spinning$")
    await link.request("pause", {"threadId": thread_id})
    stopped = await next_event(link, "stopped")
    assert stopped["reason"] == "pause"
    assert (await top_frame(link, thread_id))["name"] == "spin_window"
    await link.request("evaluate", {"expression": "stop_spinning = True", "context": "repl"})
    await resume(link)
    await target.expect(done("job_spin_long"))
    await run_job(link, "job_recursion")
    await target.expect(r"^fact 24$")
    assert all(event != "stopped" for event, _ in drain(link)), "the step outlived the continue"
