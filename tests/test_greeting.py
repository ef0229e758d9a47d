"""The first `initialize` over stdio is answered before the rest of the adapter loads, exactly as the
session would answer it; anything the greeting is not sure of is left to the session."""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from dapattach import greeting, host
from dapattach.handlers import build_table
from dapattach.protocol import types
from dapattach.protocol.converter import make_converter, wire_name
from dapclient import DapClient


def test_the_precomputed_capabilities_are_those_the_handlers_implement() -> None:
    announced = make_converter().unstructure(types.Capabilities(**build_table().capabilities))
    wanted = json.dumps(announced, indent=4)
    assert announced == greeting.CAPABILITIES, f"set greeting.CAPABILITIES to what they announce:\n{wanted}"


def test_the_initialize_fields_it_checks_are_the_schemas() -> None:
    cls = types.InitializeRequestArguments
    cls(adapter_id="x")  # makes it an attrs class
    by_kind: dict[str, set[str]] = {"str": set(), "bool": set()}
    for field in attrs.fields(cls):
        by_kind["str" if field.type in (str, str | None) else "bool"].add(wire_name(field))
        assert field.type in (str, str | None, bool | None), f"{field.name}: {field.type}"
    assert by_kind == {"str": greeting._STRINGS, "bool": greeting._BOOLEANS}


def test_the_greeting_imports_neither_asyncio_nor_the_model() -> None:
    """What lets it answer before the rest of the adapter is loaded."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, dapattach.greeting; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("'")
    assert not {"asyncio", "attrs", "cattrs", "dapattach.protocol.types", "dapattach.session"} & set(loaded)


def _framed(*messages: dict[str, object]) -> bytes:
    out = b""
    for message in messages:
        body = json.dumps(message).encode()
        out += b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    return out


async def test_requests_sent_with_initialize_in_one_write_are_answered_in_order() -> None:
    client = await DapClient.start("stdio")
    try:
        await client.send_raw(
            _framed(
                {"seq": 1, "type": "request", "command": "initialize", "arguments": {"adapterID": "x"}},
                {"seq": 2, "type": "request", "command": "configurationDone"},
                {"seq": 3, "type": "request", "command": "initialize", "arguments": {"adapterID": "x"}},
            )
        )
        assert (await client.request_raw("configurationDone", seq=4))["success"] is True
        answers = [m for m in client.messages if m["type"] == "response"]
        assert [(m["request_seq"], m["seq"], m["success"]) for m in answers] == [
            (1, 1, True),
            (2, 2, True),
            (3, 3, False),
            (4, 4, True),
        ]
        assert answers[0]["body"]["supportsConfigurationDoneRequest"] is True
        assert "only once per session" in answers[2]["message"]
    finally:
        assert await client.close() == 0
    client.assert_valid()


async def test_a_first_message_that_is_not_json_is_left_to_the_session() -> None:
    client = await DapClient.start("stdio")
    try:
        await client.send_raw(b"Content-Length: 11\r\n\r\n{not json!}")
        await client.wait_stderr(lambda line: "bad input from the client: message body is not JSON" in line)
        assert (await client.initialize())["supportsCancelRequest"] is True
    finally:
        assert await client.close() == 0


@pytest.mark.skipif(not host.LINUX, reason="reads /proc")
async def test_after_the_greeting_what_the_first_attach_needs_is_loaded_while_the_editor_is_idle() -> None:
    """psutil (about 10 ms) and the reader of blocked targets' stacks are imported in the background once
    `initialize` is answered, as the session's own `initialize` handler does; seen from outside as their C
    extensions mapped into the adapter."""
    client = await DapClient.start("stdio")
    try:
        await client.initialize()
        maps = Path(f"/proc/{client.process.pid}/maps")
        async with asyncio.timeout(10):
            while not all(name in maps.read_text() for name in ("_psutil_linux", "_remote_debugging")):
                await asyncio.sleep(0.02)  # a bounded poll of /proc: there is nothing to wait on
    finally:
        await client.close()


@pytest.mark.parametrize("sent_after", ["nothing", "attach in the same write", "attach in a later write"])
def test_the_greeting_says_whether_the_client_has_sent_more_already(sent_after: str) -> None:
    """Nothing is prepared in the background while an `attach` is already waiting to be served."""
    initialize = {"seq": 1, "type": "request", "command": "initialize", "arguments": {"adapterID": "x"}}
    attach = {"seq": 2, "type": "request", "command": "attach", "arguments": {"processId": 1}}
    adapter_reads, client_writes = os.pipe()
    client_reads, adapter_writes = os.pipe()
    try:
        first = (initialize, attach) if sent_after == "attach in the same write" else (initialize,)
        os.write(client_writes, _framed(*first))
        opening = greeting.answer_initialize(adapter_reads, adapter_writes)
        assert opening is not None and opening.initialize == {"adapterID": "x"}
        if sent_after == "attach in a later write":
            os.write(client_writes, _framed(attach))
        assert opening.more_waiting() is (sent_after != "nothing")
    finally:
        for fd in (adapter_reads, client_writes, client_reads, adapter_writes):
            os.close(fd)
