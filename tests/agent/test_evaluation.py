"""evaluate in every context, setVariable and setExpression: the target really changes."""

import pytest

from agent_harness import Target, frame_of, locals_of, pause, variables
from dapattach.attach.link import AgentError, AgentLink


async def evaluate(link: AgentLink, expression: str, frame_id: int | None, context: str = "repl") -> dict:
    arguments = {"expression": expression, "context": context}
    if frame_id is not None:
        arguments["frameId"] = frame_id
    return await link.request("evaluate", arguments)


async def test_repl_expression_in_a_frame(link: AgentLink) -> None:
    frame = await frame_of(link, "nested-worker", "inner")
    body = await evaluate(link, "len(big_list) + depth_bonus if False else len(big_list)", frame["id"])
    assert body["result"] == "1000"
    assert body["type"] == "int"


async def test_repl_print_comes_back_as_output_events(link: AgentLink) -> None:
    frame = await frame_of(link, "nested-worker", "inner")
    body = await evaluate(link, "print('hello from the repl', small_list)", frame["id"])
    assert body["result"] == "None"
    note = await link.wait_for_event("output", 5)
    assert "is not stopped (it runs, or waits outside Python), so this runs on a helper" in note["output"]
    output = await link.wait_for_event("output", 5)
    assert output == {"category": "stdout", "output": "hello from the repl [1, 'two', 3.0]\n"}


async def test_repl_statements_run(link: AgentLink) -> None:
    assert (await evaluate(link, "for i in range(3):\n    print(i, end='')", None))["result"] == ""
    assert (await link.wait_for_event("output", 5))["output"] == "012"
    await evaluate(link, "made_by_repl = 41 + 1", None)
    assert (await evaluate(link, "made_by_repl", None))["result"] == "42"


async def test_evaluate_without_a_frame_uses_main_globals(link: AgentLink) -> None:
    assert (await evaluate(link, "stop.is_set()", None))["result"] == "False"


async def test_errors_name_the_exception(link: AgentLink) -> None:
    with pytest.raises(AgentError, match="NameError: name 'no_such_name' is not defined"):
        await evaluate(link, "no_such_name", None)
    with pytest.raises(AgentError, match="SyntaxError"):
        await evaluate(link, "1 +", None, "watch")


async def test_hover_refuses_calls_but_reads_attributes(link: AgentLink, showcase: Target) -> None:
    frame = await frame_of(link, "nested-worker", "inner")
    assert (await evaluate(link, "point.x", frame["id"], "hover"))["result"] == "3"
    with pytest.raises(AgentError, match="hover does not evaluate expressions with calls"):
        await evaluate(link, "print('side effect')", frame["id"], "hover")


async def test_watch_is_capped_and_clipboard_is_full(link: AgentLink) -> None:
    frame = await frame_of(link, "nested-worker", "inner")
    watched = await evaluate(link, "long_text", frame["id"], "watch")
    copied = await evaluate(link, "long_text", frame["id"], "clipboard")
    assert len(watched["result"]) < 1100
    assert copied["result"] == repr("x" * 5000)


async def test_watch_result_expands(link: AgentLink) -> None:
    frame = await frame_of(link, "nested-worker", "inner")
    body = await evaluate(link, "small_dict", frame["id"], "watch")
    assert body["indexedVariables"] == 3
    items = await variables(link, body["variablesReference"], filter="indexed")
    assert items["3"]["value"] == "'three'"


async def test_set_variable_changes_the_running_local(link: AgentLink, showcase: Target) -> None:
    await pause(link)
    frame = await frame_of(link, "marker-printer", "print_marker")
    scopes = (await link.request("scopes", {"frameId": frame["id"]}))["scopes"]
    body = await link.request(
        "setVariable",
        {"variablesReference": scopes[0]["variablesReference"], "name": "marker", "value": "'changed'"},
    )
    assert body["value"] == "'changed'"
    await link.request("continue", {"threadId": 0})
    await showcase.expect("^marker=changed$")


async def test_set_variable_on_items_and_attributes(link: AgentLink) -> None:
    await pause(link)
    found = await locals_of(link, "nested-worker", "inner")
    await link.request(
        "setVariable",
        {"variablesReference": found["small_list"]["variablesReference"], "name": "1", "value": "2"},
    )
    await link.request(
        "setVariable",
        {
            "variablesReference": found["small_dict"]["variablesReference"],
            "name": "'a'",
            "value": "small_list",
        },
    )
    await link.request(
        "setVariable",
        {"variablesReference": found["point"]["variablesReference"], "name": "y", "value": "40"},
    )
    with pytest.raises(AgentError, match="a tuple cannot be changed in place"):
        await link.request(
            "setVariable",
            {"variablesReference": found["small_tuple"]["variablesReference"], "name": "0", "value": "9"},
        )
    frame = await frame_of(link, "nested-worker", "inner")
    result = await evaluate(link, "(small_dict['a'], point.y)", frame["id"], "watch")
    assert result["result"] == "([1, 2, 3.0], 40)"


async def test_set_expression_assigns_through_the_frame(link: AgentLink) -> None:
    await pause(link)
    frame = await frame_of(link, "nested-worker", "inner")
    body = await link.request(
        "setExpression", {"expression": "tree.children[0].value", "value": "'two'", "frameId": frame["id"]}
    )
    assert body["value"] == "'two'"
    frame = await frame_of(link, "nested-worker", "inner")
    assert (await evaluate(link, "tree.children[0].value", frame["id"], "watch"))["result"] == "'two'"
    await link.request("setExpression", {"expression": "small_set", "value": "{1}", "frameId": frame["id"]})
    assert (await evaluate(link, "small_set", frame["id"], "watch"))["result"] == "{1}"
