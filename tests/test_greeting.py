"""The first `initialize` over stdio is answered before the rest of the adapter loads, exactly as the
session would answer it; anything the greeting is not sure of is left to the session."""

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from agent_harness import agent_gone, start_target
from dapattach import cli, greeting, host
from dapattach.attach.folder import PREFIX
from dapattach.handlers import build_table
from dapattach.protocol import types
from dapattach.protocol.converter import make_converter, wire_name
from dapclient import DapClient
from handlers.conftest import attach_session


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


INITIALIZE = {"seq": 1, "type": "request", "command": "initialize", "arguments": {"adapterID": "x"}}


@contextlib.contextmanager
def _greeted(*sent: dict[str, object]) -> Iterator[tuple[greeting.Opening, int]]:
    """The greeting run over real pipes on what the client `sent`: the opening it leaves, and the client's
    end to write more on."""
    adapter_reads, client_writes = os.pipe()
    client_reads, adapter_writes = os.pipe()
    try:
        os.write(client_writes, _framed(*sent))
        opening = greeting.answer_initialize(adapter_reads, adapter_writes)
        assert opening is not None
        yield opening, client_writes
    finally:
        for fd in (adapter_reads, client_writes, client_reads, adapter_writes):
            os.close(fd)


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
                INITIALIZE,
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
    """The reader of blocked targets' stacks is imported in the background once `initialize` is answered
    (and the attach waited for a moment), as the session's own `initialize` handler does; seen from
    outside as its C extension mapped into the adapter. psutil is not: on Linux the attach reads `/proc`."""
    client = await DapClient.start("stdio")
    try:
        await client.initialize()
        maps = Path(f"/proc/{client.process.pid}/maps")
        async with asyncio.timeout(10):
            while "_remote_debugging" not in maps.read_text():
                await asyncio.sleep(0.02)  # a bounded poll of /proc: there is nothing to wait on
        assert "_psutil_linux" not in maps.read_text()
    finally:
        await client.close()


@pytest.mark.parametrize("sent_after", ["nothing", "attach in the same write", "attach in a later write"])
def test_the_greeting_says_whether_the_client_has_sent_more_already(sent_after: str) -> None:
    """Nothing is prepared in the background while an `attach` is already waiting to be served."""
    attach = {"seq": 2, "type": "request", "command": "attach", "arguments": {"processId": 1}}
    first = (INITIALIZE, attach) if sent_after == "attach in the same write" else (INITIALIZE,)
    with _greeted(*first) as (opening, client_writes):
        assert opening.initialize == {"adapterID": "x"}
        if sent_after == "attach in a later write":
            os.write(client_writes, _framed(attach))
        assert opening.more_waiting() is (sent_after != "nothing")


EARLY_ATTACH = """
import json, os, sys
from dapattach import greeting

adapter_reads, client_writes = os.pipe()
client_reads, adapter_writes = os.pipe()
messages = [
    {"seq": 1, "type": "request", "command": "initialize", "arguments": {"adapterID": "x"}},
    {"seq": 2, "type": "request", "command": "attach", "arguments": {"processId": int(sys.argv[1])}},
]
bodies = [json.dumps(message).encode() for message in messages]
os.write(client_writes, b"".join(b"Content-Length: %d\\r\\n\\r\\n%s" % (len(b), b) for b in bodies))
opening = greeting.answer_initialize(adapter_reads, adapter_writes)
greeting.attach_early(opening)
invitation = opening.invitation
found = {"asyncio loaded": "asyncio" in sys.modules, "invited": invitation is not None}
if invitation is not None:
    invitation.sock.settimeout(10)
    connection, _ = invitation.sock.accept()
    with connection, connection.makefile("rb") as stream:
        found["hello"] = json.loads(stream.readline())["type"]
    invitation.close()
found["left unread"] = opening.decoder.next_message()["command"]
print(json.dumps(found))
"""


async def test_the_first_attach_is_asked_of_the_target_before_asyncio_is_loaded() -> None:
    """The target loads the agent while the adapter loads the rest of itself: its agent connects to the
    socket the greeting opened, in a process that has not imported asyncio; the `attach` stays unread
    for the session. Left without a welcome, the agent goes, and the target can be attached as usual."""
    async with start_target("showcase.py") as target:
        result = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-c", EARLY_ATTACH, str(target.pid)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {
            "asyncio loaded": False,
            "invited": True,
            "hello": "hello",
            "left unread": "attach",
        }
        client = await DapClient.start("stdio")
        try:
            await attach_session(client, target.pid)
            assert (await client.request("threads"))["threads"]
        finally:
            await client.close()


@pytest.mark.parametrize(
    "arguments",
    [
        {"processId": "PID"},
        {"processId": True},
        {"processId": "PID", "subProcessOf": {"processId": 1, "socket": "x", "token": "y"}},
    ],
    ids=["pid as a string", "pid as a boolean", "a child's session"],
)
async def test_only_a_plain_attach_by_number_is_asked_early(arguments: dict[str, object]) -> None:
    """A string PID, a child session's attach (whose agent is handed over, not injected): the session
    does all of it, and nothing is read from the stream meanwhile."""
    async with start_target("showcase.py") as target:
        filled = {key: str(target.pid) if value == "PID" else value for key, value in arguments.items()}
        if "subProcessOf" in filled:
            filled["processId"] = target.pid
        attach = {"seq": 2, "type": "request", "command": "attach", "arguments": filled}
        with _greeted(INITIALIZE, attach) as (opening, _):
            greeting.attach_early(opening)
            assert opening.invitation is None
            assert opening.decoder.next_message() == attach


def test_a_message_already_in_the_pipe_is_read_when_the_wait_is_over() -> None:
    """Loading the attach machinery may outlast the wait: an `attach` sent meanwhile still counts."""
    attach = {"seq": 2, "type": "request", "command": "attach", "arguments": {"processId": 1}}
    with _greeted(INITIALIZE) as (opening, client_writes):
        os.write(client_writes, _framed(attach))
        assert opening.peek(0) == attach
        assert opening.peek(-1) == attach  # left unread
        assert opening.decoder.next_message() == attach


def test_without_an_attach_the_greeting_waits_no_longer_than_its_bound() -> None:
    with _greeted(INITIALIZE) as (opening, _):
        started = time.monotonic()
        greeting.attach_early(opening, wait=0.05)
        assert 0.05 <= time.monotonic() - started < 5
        assert opening.invitation is None and not opening.more_waiting()


@pytest.mark.skipif(not host.LINUX, reason="reads the target's threads from /proc")
async def test_an_attach_refused_for_its_options_takes_the_early_request_back() -> None:
    """The request was made before the session read the options; when they are wrong, the agent that came
    is sent away before the error is answered, and nothing of the attempt stays behind."""
    async with start_target("showcase.py") as target:
        client = await DapClient.start("stdio")
        try:
            await client.initialize()
            answer = await client.request_raw("attach", {"processId": target.pid, "justMyCode": "yes"})
            assert answer["success"] is False and "justMyCode" in answer["message"]
            # The agent closes its socket (which ends the detach) as the last thing its thread does.
            await agent_gone(target.pid)
            assert _attach_folders(client.process.pid) == set()
            await target.expect(r"tick \d+")  # it runs on
            attach = asyncio.create_task(client.request("attach", {"processId": target.pid}))
            await client.wait_event("initialized")
            await client.request("configurationDone")
            await attach
            assert (await client.request("threads"))["threads"]
        finally:
            await client.close()


def _attach_folders(adapter: int) -> set[str]:
    """The attach folders of the adapter with PID `adapter` (named after it, so other tests' do not count)."""
    return {name for name in os.listdir(host.temp_dir()) if name.startswith(f"{PREFIX}{adapter}-")}


@pytest.mark.parametrize("logged_by", ["attach", "command line"])
async def test_the_adapter_takes_the_early_request_over(tmp_path: Path, logged_by: str) -> None:
    """Started as editors start it, the adapter's attach goes on from the request made before its imports:
    its log says so, and the session is served as any other. The VS Code extension asked to log adds
    `--log-dir`, which keeps the early request."""
    logs = tmp_path / "dapattach" / "logs"
    if logged_by == "attach":
        client = await DapClient.start("stdio", env={"XDG_CACHE_HOME": str(tmp_path)})
        options: dict[str, object] = {"logToFile": True}
    else:
        client = await DapClient.start("stdio", "--log-dir", str(logs), "--log-level=debug")
        options = {}
    try:
        async with start_target("showcase.py") as target:
            await attach_session(client, target.pid, **options)
            assert (await client.request("threads"))["threads"]
            await client.request("disconnect", {})
    finally:
        assert await client.close() == 0
    [log] = logs.glob("*[0-9].log")
    assert f"process {target.pid}: attach request made" in log.read_text()


@pytest.mark.parametrize(
    ("args", "stdio"),
    [
        ([], True),
        (["--log-dir", "logs"], True),
        (["--log-dir=logs", "--log-level", "debug"], True),
        (["--log-level", "loud"], False),
        (["--log-dir"], False),
        (["--log-dir", "--log-level"], False),
        (["--log", "logs"], False),
        (["--listen", "127.0.0.1:0"], False),
        (["--log-dir", "logs", "--connect", "127.0.0.1:9"], False),
        (["--help"], False),
    ],
)
def test_only_logging_options_keep_the_editors_start(args: list[str], stdio: bool) -> None:
    """What else is given goes to the full parser first, which serves it or says what is wrong with it."""
    assert cli.serves_stdio(args) is stdio


@pytest.mark.skipif(not host.LINUX, reason="reads the target's threads from /proc")
async def test_a_log_folder_that_cannot_be_made_takes_the_early_request_back(tmp_path: Path) -> None:
    """The log folder is made after the greeting asked the target: when it cannot be, the adapter says so
    and exits, and the target is left as it was."""
    (tmp_path / "file").write_text("")
    async with start_target("showcase.py") as target:
        client = await DapClient.start("stdio", "--log-dir", str(tmp_path / "file" / "logs"))
        await client.send(INITIALIZE)  # both at once, as the greeting reads `attach` within its short wait
        await client.send(
            {"seq": 2, "type": "request", "command": "attach", "arguments": {"processId": target.pid}}
        )
        assert await client.wait_exit() == 2
        assert any("cannot write logs to" in line for line in client.stderr_lines)
        await agent_gone(target.pid)
        assert _attach_folders(client.process.pid) == set()
        await target.expect(r"tick \d+")  # it runs on


@pytest.mark.skipif(not host.LINUX, reason="reads the target's threads from /proc")
@pytest.mark.parametrize("options", [{}, {"justMyCode": "yes"}], ids=["a good attach", "a refused attach"])
async def test_an_editor_gone_right_after_attach_leaves_nothing_behind(options: dict[str, object]) -> None:
    """The editor sends `initialize` and `attach` and closes the stream at once (it crashed): the request
    made early is taken back or the agent detached, the adapter exits, and the target runs on alone."""
    async with start_target("showcase.py") as target:
        arguments = {"processId": target.pid, **options}
        attach = {"seq": 2, "type": "request", "command": "attach", "arguments": arguments}
        client = await DapClient.start("stdio")
        try:
            await client.send_raw(_framed(INITIALIZE, attach))
            await client.close_stream()
            assert await client.wait_exit() == 0
        finally:
            await client.close()
        await agent_gone(target.pid)
        assert _attach_folders(client.process.pid) == set()
        await target.expect(r"tick \d+")  # it runs on
        second = await DapClient.start("stdio")
        try:
            await attach_session(second, target.pid)
        finally:
            await second.close()
