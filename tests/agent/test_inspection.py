"""threads, stackTrace, source, scopes and variables against a real 3.14 target."""

from collections.abc import AsyncIterator

import pytest

from agent_harness import Target, attach, frame_of, locals_of, pause, start_target, variables
from dapattach.attach.link import AgentError, AgentLink

SHOWCASE_THREADS = {"MainThread", "nested-worker", "marker-printer", "ticker", "exec-runner"}


async def test_threads_lists_every_named_thread_but_not_the_agent(link: AgentLink) -> None:
    threads = (await link.request("threads"))["threads"]
    assert {thread["name"] for thread in threads} == SHOWCASE_THREADS
    assert all(0 < thread["id"] < 2**31 for thread in threads)


async def test_stack_trace_of_a_running_thread_shows_nested_calls_with_real_paths(link: AgentLink) -> None:
    threads = {t["name"]: t["id"] for t in (await link.request("threads"))["threads"]}
    body = await link.request("stackTrace", {"threadId": threads["nested-worker"]})
    names = [frame["name"] for frame in body["stackFrames"]]
    assert names[:3] == ["inner", "middle", "outer"]
    assert body["totalFrames"] == len(names)
    assert body["stackFrames"][0]["source"]["path"].endswith("tests/targets/showcase.py")
    assert body["stackFrames"][0]["line"] > 0


async def test_stack_trace_pages_with_start_frame_and_levels(link: AgentLink) -> None:
    threads = {t["name"]: t["id"] for t in (await link.request("threads"))["threads"]}
    first = await link.request("stackTrace", {"threadId": threads["nested-worker"], "levels": 1})
    rest = await link.request(
        "stackTrace", {"threadId": threads["nested-worker"], "startFrame": 1, "levels": 2}
    )
    assert [frame["name"] for frame in first["stackFrames"]] == ["inner"]
    assert [frame["name"] for frame in rest["stackFrames"]] == ["middle", "outer"]
    assert first["totalFrames"] == rest["totalFrames"] >= 6


async def test_code_without_a_file_gets_a_source_reference_with_text(link: AgentLink) -> None:
    frame = await frame_of(link, "exec-runner", "spin_without_file")
    source = frame["source"]
    assert "path" not in source and source["sourceReference"] > 0
    content = (await link.request("source", {"sourceReference": source["sourceReference"]}))["content"]
    assert "<string>" in content and "is_set" in content


async def test_unknown_thread_is_a_clear_error(link: AgentLink) -> None:
    try:
        await link.request("stackTrace", {"threadId": 2**31 - 5})
    except AgentError as error:
        assert "no thread with id" in str(error)
    else:
        raise AssertionError("stackTrace of a missing thread succeeded")


async def test_locals_show_values_types_and_sizes(link: AgentLink) -> None:
    found = await locals_of(link, "nested-worker", "inner")
    assert found["small_list"]["value"] == "[1, 'two', 3.0]"
    assert found["small_list"]["type"] == "list"
    assert found["small_list"]["indexedVariables"] == 3
    assert found["small_dict"]["indexedVariables"] == 3
    assert found["empty_list"]["variablesReference"] == 0
    assert found["text"]["value"] == repr("naïve café — 日本語 ✓")
    assert len(found["long_text"]["value"]) < 1100
    assert found["bad"]["value"] == "<repr raised ValueError: no repr for you>"
    assert found["bad"]["type"] == "BadRepr"


async def test_a_thousand_items_page_by_start_and_count(link: AgentLink) -> None:
    big = (await locals_of(link, "nested-worker", "inner"))["big_list"]
    assert big["indexedVariables"] == 1000
    page = await variables(link, big["variablesReference"], filter="indexed", start=500, count=10)
    assert list(page) == [str(index) for index in range(500, 510)]
    assert page["505"]["value"] == "505"
    named = await variables(link, big["variablesReference"], filter="named")
    assert named["len()"]["value"] == "1000"


async def test_a_big_dict_pages_by_start_and_count_in_its_order(link: AgentLink) -> None:
    keys: list[object] = [index if index % 2 else f"k{index}" for index in range(3000)]
    keys += [(1, 2), "y" * 300]
    big = (await locals_of(link, "nested-worker", "inner"))["big_dict"]
    assert big["indexedVariables"] == len(keys)
    page = await variables(link, big["variablesReference"], filter="indexed", start=1498, count=4)
    assert list(page) == [repr(key) for key in keys[1498:1502]] == ["'k1498'", "1499", "'k1500'", "1501"]
    assert page["1499"] == {"name": "1499", "value": "1499", "type": "int", "variablesReference": 0,
                            "evaluateName": "big_dict[1499]"}  # fmt: skip
    as_list = page["'k1500'"]
    assert (as_list["value"], as_list["type"], as_list["evaluateName"]) == (
        "[1500]",
        "list",
        "big_dict['k1500']",
    )
    inside = await variables(link, as_list["variablesReference"], filter="indexed")
    assert inside["0"]["value"] == "1500" and inside["0"]["evaluateName"] == "big_dict['k1500'][0]"
    tail = await variables(link, big["variablesReference"], filter="indexed", start=len(keys) - 2, count=10)
    long_name = repr("y" * 300)[:200] + "..."
    assert list(tail) == ["(1, 2)", long_name]
    assert tail["(1, 2)"]["value"] == "'tuple key'" and tail["(1, 2)"]["evaluateName"] == "big_dict[(1, 2)]"
    assert (
        tail[long_name]["evaluateName"] == f"big_dict[{'y' * 300!r}]" and tail[long_name]["type"] == "float"
    )
    whole = await variables(link, big["variablesReference"])
    assert len(whole) == 1 + 1000 and whole["len()"]["value"] == str(len(keys))
    assert list(whole)[1:] == [repr(key) for key in keys[:1000]]


async def test_dict_tuple_and_set_items(link: AgentLink) -> None:
    found = await locals_of(link, "nested-worker", "inner")
    items = await variables(link, found["small_dict"]["variablesReference"], filter="indexed")
    assert {name: item["value"] for name, item in items.items()} == {
        "'a'": "1",
        "'b'": "[1, 2]",
        "3": "'three'",
    }
    assert items["'b'"]["evaluateName"] == "small_dict['b']"
    pair = await variables(link, found["small_tuple"]["variablesReference"], filter="indexed")
    assert [item["value"] for item in pair.values()] == ["1", "2"]
    members = await variables(link, found["small_set"]["variablesReference"])
    assert sorted(item["value"] for name, item in members.items() if name != "len()") == ["'x'", "'y'"]
    assert members["len()"]["value"] == "2"


async def test_nested_objects_and_slots_expand(link: AgentLink) -> None:
    found = await locals_of(link, "nested-worker", "inner")
    tree = await variables(link, found["tree"]["variablesReference"])
    assert tree["value"]["value"] == "1"
    children = await variables(link, tree["children"]["variablesReference"], filter="indexed")
    first_child = await variables(link, children["0"]["variablesReference"])
    assert first_child["value"]["value"] == "2"
    assert first_child["value"]["evaluateName"] == "tree.children[0].value"
    slotted = await variables(link, found["slotted"]["variablesReference"])
    assert slotted["a"]["value"] == "'slot a'"
    assert "b" not in slotted


async def test_properties_run_only_when_asked(link: AgentLink, showcase: Target) -> None:
    point = await variables(
        link, (await locals_of(link, "nested-worker", "inner"))["point"]["variablesReference"]
    )
    assert point["x"]["value"] == "3"
    assert point["norm"]["presentationHint"]["lazy"] is True
    assert not any("norm property ran" in line for line in showcase.lines)
    norm = await variables(link, point["norm"]["variablesReference"])
    assert norm["norm"]["value"] == "5.0"
    await showcase.expect("norm property ran")


async def test_globals_scope_of_a_stopped_frame(link: AgentLink) -> None:
    await pause(link)
    frame = await frame_of(link, "nested-worker", "middle")
    scopes = (await link.request("scopes", {"frameId": frame["id"]}))["scopes"]
    assert [scope["name"] for scope in scopes] == ["Locals", "Globals"]
    found = await variables(link, scopes[1]["variablesReference"])
    assert found["Point"]["type"] == "type"
    assert "__builtins__" not in found
    local = await variables(link, scopes[0]["variablesReference"])
    assert local["depth"]["value"] == "2"
    await link.request("continue", {"threadId": 0})


@pytest.fixture
async def formats() -> AsyncIterator[AgentLink]:
    async with start_target("formats.py") as target:
        link = await attach(target)
        await pause(link)
        yield link
        await link.detach()


async def test_hex_integers_in_variables_evaluate_and_set_variable(formats: AgentLink) -> None:
    link = formats
    frame = await frame_of(link, "formatter", "compute")
    scope = (await link.request("scopes", {"frameId": frame["id"]}))["scopes"][0]
    hex_format = {"hex": True}
    shown = await variables(link, scope["variablesReference"], format=hex_format)
    assert shown["number"]["value"] == "0xff"
    assert shown["numbers"]["value"] == "[0xa, 0xff]"
    assert shown["mapping"]["value"] == "{0x10: 0xff}"
    assert shown["negative"]["value"] == "-0x2a"
    assert shown["flag"]["value"] == "True"
    assert shown["label"]["value"] == "'bytes'"
    assert shown["scale"]["value"] == "2.5"
    items = await variables(link, shown["mapping"]["variablesReference"], format=hex_format)
    assert items["16"] == {**items["16"], "value": "0xff", "evaluateName": "mapping[16]"}
    assert items["len()"]["value"] == "0x1"
    plain = await variables(link, scope["variablesReference"])
    assert plain["number"]["value"] == "255" and plain["numbers"]["value"] == "[10, 255]"

    arguments = {"frameId": frame["id"], "context": "watch", "format": hex_format}
    assert (await link.request("evaluate", {**arguments, "expression": "number * 2"}))["result"] == "0x1fe"
    assert (await link.request("evaluate", {**arguments, "expression": "str(number)"}))["result"] == "'255'"
    changed = await link.request(
        "setVariable",
        {
            "variablesReference": scope["variablesReference"],
            "name": "number",
            "value": "4096",
            "format": hex_format,
        },
    )
    assert changed["value"] == "0x1000"


async def test_stack_frames_named_with_module_parameters_and_line(formats: AgentLink) -> None:
    link = formats
    threads = {t["name"]: t["id"] for t in (await link.request("threads"))["threads"]}
    everything = {
        "parameters": True,
        "parameterTypes": True,
        "parameterNames": True,
        "parameterValues": True,
        "line": True,
        "module": True,
        "hex": True,
    }
    trace = await link.request("stackTrace", {"threadId": threads["formatter"], "format": everything})
    top = trace["stackFrames"][0]
    assert top["name"] == (
        "__main__.compute(count: int = 0xff, label: str = 'bytes', *rest: tuple = <tuple>, "
        f"scale: float = 2.5, **extra: dict = <dict>) line {top['line']}"
    )
    names_and_values = {"parameters": True}
    trace = await link.request("stackTrace", {"threadId": threads["formatter"], "format": names_and_values})
    assert trace["stackFrames"][0]["name"] == (
        "compute(count=255, label='bytes', *rest=<tuple>, scale=2.5, **extra=<dict>)"
    )
    plain = await link.request("stackTrace", {"threadId": threads["formatter"], "levels": 1})
    assert plain["stackFrames"][0]["name"] == "compute"
