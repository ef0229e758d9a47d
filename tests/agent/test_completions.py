"""Debug console completions against a real target: names, attributes, dict keys, and no code run."""

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from agent_harness import Target, attach, frame_of, pause, start_target
from dapattach.attach.link import AgentError, AgentLink
from users import AS_NOBODY, needs_root

NEVER_RUN = ("property ran", "getattr ran", "getattribute ran")


@pytest.fixture
async def stopped() -> AsyncIterator[tuple[Target, AgentLink, int]]:
    async with start_target("completer.py") as target:
        link = await attach(target)
        await pause(link)
        frame = await frame_of(link, "waiter", "wait_here")
        yield target, link, frame["id"]
        await link.request("evaluate", {"expression": "unstick.set()", "context": "watch"})
        await link.detach()


async def complete(link: AgentLink, frame_id: int | None, text: str, **extra: Any) -> list[dict[str, Any]]:
    arguments = {"text": text, "column": len(text) + 1, **extra}
    if frame_id is not None:
        arguments["frameId"] = frame_id
    return (await link.request("completions", arguments))["targets"]


def labels(targets: list[dict[str, Any]]) -> list[str]:
    return [target["label"] for target in targets]


async def nothing_ran(target: Target, link: AgentLink) -> None:
    """Whatever the target printed before this mark is read by now: none of it may be a NEVER_RUN line."""
    await link.request("evaluate", {"expression": "print('MARK', flush=True)", "context": "watch"})
    await target.expect("^MARK$")
    assert not [line for line in target.lines if line in NEVER_RUN]


async def test_names_of_the_frame_builtins_and_keywords(stopped) -> None:
    _, link, frame_id = stopped
    found = {item["label"]: item for item in await complete(link, frame_id, "acc")}
    assert set(found) == {"account", "accounts"}
    assert found["account"] == {
        "label": "account", "type": "variable", "sortText": "00account", "length": 3,
    }  # fmt: skip
    assert labels(await complete(link, frame_id, "x = local_")) == ["local_total"]
    assert {"print", "property"} <= set(labels(await complete(link, frame_id, "pr")))
    assert {"import": "keyword"}.items() <= {
        t["label"]: t["type"] for t in await complete(link, frame_id, "imp")
    }.items()
    assert labels(await complete(link, None, "unst")) == ["unstick"]  # no frame: the main module's names


async def test_attributes_are_listed_without_running_properties_or_getattr(stopped) -> None:
    target, link, frame_id = stopped
    found = {item["label"]: item["type"] for item in await complete(link, frame_id, "account.")}
    shown = {name: found[name] for name in ("balance", "deposit", "audited", "kind", "__init__")}
    assert shown == {
        "balance": "field", "deposit": "method", "audited": "property", "kind": "field", "__init__": "method",
    }  # fmt: skip
    prefixed = await complete(link, frame_id, "account.de")
    assert [(t["label"], t["length"]) for t in prefixed] == [("deposit", 2)]
    assert labels(await complete(link, frame_id, "accounts[0].bal")) == ["balance"]
    assert await complete(link, frame_id, "account.audited.") == []
    assert "inner" in labels(await complete(link, frame_id, "proxy."))
    assert "__getattr__" in labels(await complete(link, frame_id, "dynamic."))
    assert "upper" in labels(await complete(link, frame_id, "account.owner."))
    await nothing_ran(target, link)


async def test_a_dir_of_the_objects_own_runs(stopped) -> None:
    target, link, frame_id = stopped
    assert labels(await complete(link, frame_id, "listed.")) == ["alpha", "beta"]
    await target.expect("^dir ran$")


async def test_dict_keys_after_a_bracket(stopped) -> None:
    _, link, frame_id = stopped
    assert labels(await complete(link, frame_id, "settings[")) == ["'theme'", "'size'", "7"]
    typed = await complete(link, frame_id, "settings['th")
    assert [(t["label"], t["length"]) for t in typed] == [("'theme'", 3)]
    assert labels(await complete(link, frame_id, 'settings["s')) == ['"size"']
    assert await complete(link, frame_id, "accounts[") == []


async def test_a_dir_that_loops_is_interrupted_after_a_second_once(stopped) -> None:
    _, link, frame_id = stopped
    started = time.monotonic()
    first = labels(await complete(link, frame_id, "spinning."))
    assert 0.9 < time.monotonic() - started < 5
    assert "never" not in first and "__dir__" in first
    started = time.monotonic()
    assert labels(await complete(link, frame_id, "spinning.")) == first
    assert time.monotonic() - started < 0.9  # running the looping __dir__ again would take its second
    assert labels(await complete(link, frame_id, "acc")) == ["account", "accounts"]


async def test_a_dir_blocked_in_c_fails_one_request_and_the_session_goes_on(stopped) -> None:
    _, link, frame_id = stopped
    started = time.monotonic()
    with pytest.raises(AgentError, match="blocked in a call outside Python"):
        await complete(link, frame_id, "stuck.")
    assert time.monotonic() - started < 5
    started = time.monotonic()
    assert "__dir__" in labels(await complete(link, frame_id, "stuck."))
    assert time.monotonic() - started < 0.9  # calling the blocked __dir__ again would wait its second
    assert (await link.request("threads"))["threads"]


async def test_columns_count_utf16_units_and_lines(stopped) -> None:
    _, link, frame_id = stopped
    text = "\N{GRINNING FACE} + acc"  # the emoji is two UTF-16 code units
    targets = await complete(link, frame_id, text, column=len(text) + 2)
    assert {(t["label"], t["length"]) for t in targets} == {("account", 3), ("accounts", 3)}
    targets = await complete(link, frame_id, text, column=len(text) + 1)  # after "ac": 2 + 5 units
    assert {(t["label"], t["length"]) for t in targets} == {("account", 2), ("accounts", 2)}
    body = await link.request(
        "completions", {"text": "x = 1\nsettings['si", "line": 2, "column": 13, "frameId": frame_id}
    )
    assert labels(body["targets"]) == ["'size'"]
    zero_based = await link.request(
        "completions", {"text": "accounts", "column": 3, "frameId": frame_id, "columnsStartAt1": False}
    )
    assert {(t["label"], t["length"]) for t in zero_based["targets"]} == {("account", 3), ("accounts", 3)}


@needs_root
async def test_another_users_target_completes_after_its_agent_folder_is_gone() -> None:
    """Another user's target loads a copy of the agent that is removed once it is in: every feature must
    be loaded by then (a module imported on first use would no longer be found)."""
    async with start_target("completer.py", run_as=AS_NOBODY) as target:
        link = await attach(target)
        await pause(link)
        frame = await frame_of(link, "waiter", "wait_here")
        try:
            assert labels(await complete(link, frame["id"], "acc")) == ["account", "accounts"]
        finally:
            await link.request("evaluate", {"expression": "unstick.set()", "context": "watch"})
            await link.detach()
