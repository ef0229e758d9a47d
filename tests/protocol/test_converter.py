"""The converter: camelCase on the wire, None omitted, strict kinds, readable messages."""

import pytest

from dapattach.protocol import types
from dapattach.protocol.converter import make_converter, structure


def test_irregular_wire_names_round_trip() -> None:
    converter = make_converter()
    capabilities = types.Capabilities(supports_ansi_styling=True, supports_configuration_done_request=True)
    plain = converter.unstructure(capabilities)
    assert plain == {"supportsANSIStyling": True, "supportsConfigurationDoneRequest": True}
    assert converter.structure(plain, types.Capabilities) == capabilities
    arguments = structure(converter, {"adapterID": "a", "clientID": None}, types.InitializeRequestArguments)
    assert arguments.adapter_id == "a" and arguments.client_id is None


def test_nested_none_is_omitted() -> None:
    frame = types.StackFrame(id=1, name="f", line=3, column=1, source=types.Source(path="/a.py"))
    assert make_converter().unstructure(types.StackTraceResponseBody(stack_frames=[frame])) == {
        "stackFrames": [{"id": 1, "name": "f", "line": 3, "column": 1, "source": {"path": "/a.py"}}]
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"threadId": "1"}, "arguments.threadId: expected an integer, got a string"),
        ({"threadId": 1.0}, "arguments.threadId: expected an integer, got a number"),
        ({}, "arguments.threadId: is required"),
        ({"threadId": None}, "arguments.threadId: expected an integer, got null"),
        (
            {"threadId": 1, "singleThread": 1},
            "arguments.singleThread: expected a boolean or null, got an integer",
        ),
        (
            {"threadId": 1, "granularity": "word"},
            "arguments.granularity: expected one of 'statement', 'line', 'instruction', got 'word'",
        ),
    ],
)
def test_wrong_kinds_are_named_not_coerced(value: object, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        structure(make_converter(), value, types.NextArguments)


def test_several_problems_are_reported_together() -> None:
    with pytest.raises(ValueError) as raised:
        structure(
            make_converter(),
            {"source": {"path": 5}, "breakpoints": [{"line": "x"}]},
            types.SetBreakpointsArguments,
        )
    assert str(raised.value) == (
        "arguments.source.path: expected a string or null, got an integer; "
        "arguments.breakpoints[0].line: expected an integer, got a string"
    )


def test_union_of_kinds_accepts_each() -> None:
    converter = make_converter()
    assert structure(converter, {"id": "m", "name": "n"}, types.Module).id == "m"
    assert structure(converter, {"id": 3, "name": "n"}, types.Module).id == 3
