"""End-to-end: the adapter subprocess over stdio and TCP answers well-formed and broken input correctly."""

import asyncio
import json
import os
import pty
import subprocess
import sys

import pytest

from dapclient import DapClient, DapError


async def test_initialize_answers_with_the_capabilities_implemented(adapter: DapClient) -> None:
    body = await adapter.initialize(locale=None, linesStartAt1=True)
    assert body["supportsConfigurationDoneRequest"] is True
    assert body["supportsCancelRequest"] is True
    assert "supportsStepBack" not in body


async def test_unknown_command_is_an_error_and_the_adapter_keeps_serving(adapter: DapClient) -> None:
    await adapter.initialize()
    with pytest.raises(DapError, match="'fly' request is not a DAP request"):
        await adapter.request("fly", {})
    with pytest.raises(DapError, match="'stepBack' request is not supported by dapattach"):
        await adapter.request("stepBack", {"threadId": 1})
    assert await adapter.request("configurationDone") is None


async def test_malformed_json_is_reported_and_skipped(adapter: DapClient) -> None:
    await adapter.initialize()
    await adapter.send_raw(b"Content-Length: 11\r\n\r\n{not json!}")
    event = await adapter.wait_event("output", lambda e: "not JSON" in e["body"]["output"])
    assert event["body"]["category"] == "console"
    assert await adapter.request("configurationDone") is None


async def test_malformed_header_resyncs_at_the_next_message(adapter: DapClient) -> None:
    await adapter.initialize()
    await adapter.send_raw(b"Content-Length: twelve\r\n\r\n{}")
    event = await adapter.wait_event("output", lambda e: "malformed header" in e["body"]["output"])
    assert "Content-Length is not a number" in event["body"]["output"]
    assert await adapter.request("configurationDone") is None


@pytest.mark.parametrize("initialized", [True, False])
async def test_a_length_over_the_limit_is_said_and_the_connection_closed(
    adapter: DapClient, initialized: bool
) -> None:
    if initialized:
        await adapter.initialize()
    inner = json.dumps({"seq": 99, "type": "request", "command": "fly"}).encode()
    await adapter.send_raw(
        b"Content-Length: 99999999999\r\n\r\n" + b"Content-Length: %d\r\n\r\n%s" % (len(inner), inner)
    )
    said = await adapter.wait_event("output", lambda e: "closing the connection" in e["body"]["output"])
    assert said["body"]["category"] == "important"
    assert "declares a body of 99999999999 bytes, over the limit of 67108864 bytes" in said["body"]["output"]
    await asyncio.wait_for(adapter.closed_by_adapter.wait(), 10)
    assert not [m for m in adapter.messages if m.get("request_seq") == 99]


async def test_bad_input_before_initialize_is_said_after_it(adapter: DapClient) -> None:
    await adapter.send_raw(b"Content-Length: 11\r\n\r\n{not json!}")
    await adapter.initialize()
    await adapter.wait_event("output", lambda e: "not JSON" in e["body"]["output"])


@pytest.mark.parametrize(
    ("command", "arguments", "complaint"),
    [
        ("cancel", {"requestId": "3"}, "arguments.requestId: expected an integer or null, got a string"),
        ("cancel", [], "arguments: expected an object, got an array"),
        ("disconnect", {"terminateDebuggee": "yes"}, "arguments.terminateDebuggee: expected a boolean"),
        ("initialize", {"clientID": "x"}, "arguments.adapterID: is required"),
        ("initialize", {"adapterID": "x", "pathFormat": 1}, "arguments.pathFormat: expected a string"),
    ],
)
async def test_arguments_of_the_wrong_shape_name_the_field(
    adapter: DapClient, command: str, arguments: object, complaint: str
) -> None:
    with pytest.raises(DapError) as raised:
        await adapter.request(command, arguments)
    assert complaint in str(raised.value)
    assert str(raised.value).startswith(f"Invalid arguments for {command!r}")
    assert (await adapter.initialize())["supportsCancelRequest"] is True


async def test_seq_zero_missing_arguments_and_null_fields_are_accepted(adapter: DapClient) -> None:
    response = await adapter.request_raw(
        "initialize", {"adapterID": "x", "locale": None, "clientID": None}, seq=0
    )
    assert response["success"] is True and response["request_seq"] == 0
    response = await adapter.request_raw("configurationDone")  # no `arguments` key at all
    assert response["success"] is True


async def test_disconnect_answers_then_ends_the_session(adapter: DapClient) -> None:
    await adapter.initialize()
    assert await adapter.request("disconnect", {"terminateDebuggee": False}) is None
    await adapter.closed_by_adapter.wait()
    if adapter.transport == "stdio":
        assert await adapter.wait_exit() == 0


async def test_end_of_input_exits_cleanly() -> None:
    client = await DapClient.start("stdio")
    await client.initialize()
    await client.close_stream()
    assert await client.wait_exit() == 0
    assert not any("Traceback" in line for line in client.stderr_lines)


async def test_listen_serves_sessions_one_after_another() -> None:
    client = await DapClient.start("tcp")
    try:
        host, port = await client.listening_address()
        await client.initialize()
        await client.request("disconnect")
        await client.closed_by_adapter.wait()
        second = DapClient(client.process, "tcp")
        await second.connect_tcp(host, port)
        body = await second.initialize()
        assert body["supportsConfigurationDoneRequest"] is True
        await second.request("disconnect")
        second.assert_valid()
    finally:
        assert await client.close() == 0


async def test_log_dir_writes_a_timestamped_trace(tmp_path) -> None:
    client = await DapClient.start("stdio", "--log-dir", str(tmp_path))
    await client.initialize()
    await client.request_raw("fly")
    assert await client.close() == 0
    [trace] = tmp_path.glob("*.trace.log")
    lines = trace.read_text().splitlines()
    received = [json.loads(line.partition(" <-- ")[2]) for line in lines if " <-- " in line]
    sent = [json.loads(line.partition(" --> ")[2]) for line in lines if " --> " in line]
    assert [message["command"] for message in received] == ["initialize", "fly"]
    assert [(message["command"], message["success"]) for message in sent] == [
        ("initialize", True),
        ("fly", False),
    ]
    assert all(line[:4].isdigit() for line in lines)
    [log] = [p for p in tmp_path.glob("*.log") if not p.name.endswith(".trace.log")]
    assert "session 1 starts" in log.read_text()


def _run_adapter(stdin: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dapattach"], stdin=stdin, capture_output=True, text=True, timeout=30
    )


def test_stdin_on_dev_null_exits_with_one_line_saying_why() -> None:
    with open(os.devnull, "rb") as null:
        done = _run_adapter(null.fileno())
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "dapattach: stdin is a character device, not a DAP client: editors start dapattach with pipes; "
        "see `dapattach --help` for --listen and --connect"
    ]


def test_started_on_a_terminal_it_says_what_it_speaks_and_quits_on_end_of_input() -> None:
    controller, terminal = pty.openpty()
    try:
        os.write(controller, b"\x04")  # Ctrl-D: the terminal reports end of input
        done = _run_adapter(terminal)
    finally:
        os.close(controller)
        os.close(terminal)
    assert done.returncode == 0
    first, *_ = done.stderr.splitlines()
    assert first.startswith("dapattach: speaking the Debug Adapter Protocol on stdin/stdout")
    assert "dapattach --help" in first
