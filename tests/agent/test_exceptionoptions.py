"""exceptionOptions against a real target: a break mode per type, with the filters for the rest."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from agent_harness import Target, attach, start_target
from dapattach.attach.link import AgentLink

CATEGORY = {"names": ["Python Exceptions"]}


@pytest.fixture
async def raisers() -> AsyncIterator[tuple[Target, AgentLink]]:
    async with start_target("raisers.py") as target:
        link = await attach(target)
        yield target, link
        await link.detach()


def option(mode: str, *names: str, negate: bool = False) -> dict[str, Any]:
    segment: dict[str, Any] = {"names": list(names)} | ({"negate": True} if negate else {})
    return {"path": [CATEGORY, segment], "breakMode": mode}


async def configure(
    link: AgentLink, *options: dict[str, Any], filters: tuple[str, ...] = (), **conditions: str
) -> list[dict[str, Any]]:
    arguments = {
        "filters": list(filters),
        "filterOptions": [{"filterId": name, "condition": text} for name, text in conditions.items()],
        "exceptionOptions": list(options),
    }
    return list((await link.request("setExceptionBreakpoints", arguments))["breakpoints"])


async def _stopped(link: AgentLink) -> dict[str, Any]:
    while True:
        event, body = await link.events.get()
        if event == "stopped":
            return body


async def outcome(target: Target, link: AgentLink, job: str) -> str | None:
    """Run `job`: the break mode it stopped with (then resumed), or None when it ran to its end.

    A job that stops cannot print its `done` line before it is resumed, so that line first means it
    did not stop."""
    await link.request("evaluate", {"expression": f"run({job!r})", "context": "watch"})
    stopped = asyncio.ensure_future(_stopped(link))
    finished = asyncio.ensure_future(target.expect(f"^done {job}$"))
    try:
        await asyncio.wait((stopped, finished), timeout=15, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in (stopped, finished):
            if not waiting.done():
                waiting.cancel()
    if finished.done() and not finished.cancelled():
        return None
    info = await link.request("exceptionInfo", {"threadId": stopped.result()["threadId"]})
    await link.request("continue", {"threadId": 0})
    await target.expect(f"^done {job}$")
    return str(info["breakMode"])


async def test_always_on_one_type_and_nothing_on_others(raisers) -> None:
    target, link = raisers
    assert await configure(link, option("always", "KeyError")) == [{"verified": True}]
    assert await outcome(target, link, "caught_key") == "always"
    assert await outcome(target, link, "caught_value") is None


async def test_never_silences_a_type_the_raised_filter_would_stop_at(raisers) -> None:
    target, link = raisers
    assert len(await configure(link, option("never", "StopIteration"), filters=("raised",))) == 2
    assert await outcome(target, link, "stop_iteration") is None
    assert await outcome(target, link, "caught_value") == "always"


async def test_the_nearest_class_decides(raisers) -> None:
    target, link = raisers
    await configure(link, option("unhandled", "LookupError"), option("never", "builtins.KeyError"))
    assert await outcome(target, link, "uncaught_key") is None
    assert await outcome(target, link, "uncaught_lookup") == "unhandled"
    assert await outcome(target, link, "caught_key") is None


async def test_filters_and_their_conditions_still_decide_for_other_types(raisers) -> None:
    target, link = raisers
    condition = "isinstance(__exception__, ValueError)"
    await configure(link, option("always", "KeyError"), filters=("raised",), raised=condition)
    assert await outcome(target, link, "caught_key") == "always"
    assert await outcome(target, link, "caught_value") == "always"
    assert await outcome(target, link, "stop_iteration") is None


async def test_negated_names_and_the_whole_category(raisers) -> None:
    target, link = raisers
    await configure(link, option("always", "KeyError", "StopIteration", negate=True))
    assert await outcome(target, link, "caught_value") == "always"
    assert await outcome(target, link, "caught_key") is None
    await configure(link, {"path": [CATEGORY], "breakMode": "userUnhandled"})
    assert await outcome(target, link, "uncaught_lookup") == "userUnhandled"
    assert await outcome(target, link, "caught_key") is None


async def test_options_that_cannot_apply_say_why(raisers) -> None:
    _, link = raisers
    answers = await configure(
        link,
        {"path": [CATEGORY], "breakMode": "sometimes"},
        {"path": [CATEGORY, {"names": ["a"]}, {"names": ["b"]}], "breakMode": "always"},
        option("always", "KeyError"),
        filters=("uncaught",),
    )
    assert answers[0] == {"verified": True}
    assert answers[1]["verified"] is False and "'sometimes' is not one of never" in answers[1]["message"]
    assert answers[2]["verified"] is False and "one path segment of type names" in answers[2]["message"]
    assert answers[3] == {"verified": True}
