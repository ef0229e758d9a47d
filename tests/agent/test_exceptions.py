"""Exception breakpoints (raised, uncaught, userUnhandled, conditions) and exceptionInfo on a real target."""

from typing import Any

from agent.bp_support import done, line_of, next_event, resume, run_job, top_frame, value_of
from agent_harness import Target
from dapattach.attach.link import AgentLink


async def filters(link: AgentLink, *names: str, **conditions: str) -> list[dict[str, Any]]:
    options = [{"filterId": name, "condition": condition} for name, condition in conditions.items()]
    body = await link.request("setExceptionBreakpoints", {"filters": list(names), "filterOptions": options})
    return list(body["breakpoints"])


async def test_raised_stops_once_where_the_exception_starts(jobs: tuple[Target, AgentLink]) -> None:
    target, link = jobs
    assert await filters(link, "raised") == [{"verified": True}]
    await run_job(link, "job_caught")
    stopped = await next_event(link, "stopped")
    assert stopped["reason"] == "exception" and stopped["description"] == "KeyError: 'missing'"
    frame = await top_frame(link, stopped["threadId"])
    assert (frame["name"], frame["line"]) == ("raise_key", line_of("raise-key"))
    info = await link.request("exceptionInfo", {"threadId": stopped["threadId"]})
    assert info["exceptionId"] == "KeyError" and info["breakMode"] == "always"
    assert info["description"] == "'missing'"
    assert info["details"]["stackTrace"].startswith("Traceback (most recent call last)")
    assert "raise_key" in info["details"]["stackTrace"]
    await resume(link)
    await target.expect(r"^caught$")
    await target.expect(done("job_caught"))
    assert all(event != "stopped" for event, _ in drain(link))


def drain(link: AgentLink) -> list[tuple[str, dict[str, Any]]]:
    found = []
    while not link.events.empty():
        found.append(link.events.get_nowait())
    return found


async def test_uncaught_ignores_caught_and_stops_at_a_worker_end(
    jobs: tuple[Target, AgentLink],
) -> None:
    target, link = jobs
    await filters(link, "uncaught")
    await run_job(link, "job_caught")
    await target.expect(done("job_caught"))
    assert all(event != "stopped" for event, _ in drain(link))
    await run_job(link, "job_uncaught")
    stopped = await next_event(link, "stopped")
    assert stopped["reason"] == "exception" and stopped["description"] == "KeyError: 'b'"
    frame = await top_frame(link, stopped["threadId"])
    assert (frame["name"], frame["line"]) == ("job_uncaught", line_of("uncaught-worker"))
    assert await value_of(link, frame["id"], "values") == "{'a': 1}"
    info = await link.request("exceptionInfo", {"threadId": stopped["threadId"]})
    assert info["breakMode"] == "unhandled" and info["exceptionId"] == "KeyError"
    await resume(link)
    await target.expect(done("job_uncaught"))


async def test_user_unhandled_stops_when_user_code_lets_it_go(jobs: tuple[Target, AgentLink]) -> None:
    target, link = jobs
    await filters(link, "userUnhandled")
    await run_job(link, "job_uncaught")
    stopped = await next_event(link, "stopped")
    info = await link.request("exceptionInfo", {"threadId": stopped["threadId"]})
    assert info["breakMode"] == "userUnhandled"
    await resume(link)
    await target.expect(done("job_uncaught"))


async def test_filter_conditions_see_the_exception(jobs: tuple[Target, AgentLink]) -> None:
    target, link = jobs
    await filters(link, raised="isinstance(__exception__, ValueError)")
    await run_job(link, "job_caught")
    await target.expect(done("job_caught"))
    assert all(event != "stopped" for event, _ in drain(link))
    await filters(link, raised="isinstance(__exception__, KeyError) and __exception__.args == ('missing',)")
    await run_job(link, "job_caught")
    stopped = await next_event(link, "stopped")
    assert stopped["description"] == "KeyError: 'missing'"
    await resume(link)
    await target.expect(done("job_caught"))
    bad = await filters(link, raised="isinstance(")
    assert bad[0]["verified"] is False and "condition 'isinstance('" in bad[0]["message"]


async def test_uncaught_in_the_main_thread(jobs: tuple[Target, AgentLink]) -> None:
    target, link = jobs
    await filters(link, "uncaught")
    await run_job(link, "main_uncaught")
    stopped = await next_event(link, "stopped")
    names = {t["id"]: t["name"] for t in (await link.request("threads"))["threads"]}
    assert names[stopped["threadId"]] == "MainThread"
    frame = await top_frame(link, stopped["threadId"])
    assert (frame["name"], frame["line"]) == ("main_uncaught", line_of("uncaught-main"))
    assert await value_of(link, frame["id"], "reason") == "'fatal'"
    info = await link.request("exceptionInfo", {"threadId": stopped["threadId"]})
    assert info["exceptionId"] == "RuntimeError" and info["breakMode"] == "unhandled"
    await resume(link)
    assert await target.process.wait() == 1


async def test_raised_in_the_library_stops_where_it_reaches_user_code(jobs: tuple[Target, AgentLink]) -> None:
    target, link = jobs
    await filters(link, "raised")
    await run_job(link, "job_library_error")
    stopped = await next_event(link, "stopped")
    frame = await top_frame(link, stopped["threadId"])
    assert (frame["name"], frame["line"]) == ("job_library_error", line_of("library-error"))
    info = await link.request("exceptionInfo", {"threadId": stopped["threadId"]})
    assert info["exceptionId"] == "json.decoder.JSONDecodeError"
    await resume(link)
    await target.expect(r"^bad json$")
    await target.expect(done("job_library_error"))
    assert all(event != "stopped" for event, _ in drain(link))
