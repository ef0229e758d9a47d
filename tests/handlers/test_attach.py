"""Attach over DAP to a real 3.14 process, look inside, change it, and leave it running."""

import asyncio
import os
import shutil
import signal
import subprocess
import tempfile
from typing import Any

import pytest

from agent_harness import TARGETS, Target, probe, start_target, wait_until_blocked
from dapclient import DapClient, DapError
from handlers.conftest import attach_session, ticks_after


async def test_attach_pause_inspect_and_detach(adapter: DapClient, showcase) -> None:
    before = await probe(showcase.pid)
    await attach_session(adapter, showcase.pid)
    attached = await adapter.wait_event("output", lambda e: "Attached to process" in e["body"]["output"])
    assert str(showcase.pid) in attached["body"]["output"]
    driver = os.environ.get("DAPATTACH_DRIVER") or "direct"
    assert f"attach driver: {driver} (" in attached["body"]["output"], "which way in, and on which Python"
    its_version = subprocess.check_output(
        [adapter.python, "-c", "import platform; print(platform.python_version())"]
    )
    assert (
        f"The adapter runs on Python {its_version.decode().strip()} ({adapter.python})"
        in attached["body"]["output"]
    )

    threads = {t["name"]: t["id"] for t in (await adapter.request("threads"))["threads"]}
    assert {"MainThread", "nested-worker", "ticker", "marker-printer"} <= set(threads)
    assert not any("dapattach" in name for name in threads)

    await adapter.request("pause", {"threadId": threads["nested-worker"]})
    stopped = await adapter.wait_event("stopped")
    assert stopped["body"]["reason"] == "pause"
    assert stopped["body"]["allThreadsStopped"] is True

    trace = await adapter.request("stackTrace", {"threadId": threads["nested-worker"]})
    names = [frame["name"] for frame in trace["stackFrames"]]
    assert names[:3] == ["inner", "middle", "outer"], names
    assert trace["stackFrames"][0]["source"]["path"].endswith("tests/targets/showcase.py")
    first = await adapter.request("stackTrace", {"threadId": threads["nested-worker"], "levels": 1})
    assert len(first["stackFrames"]) == 1 and first["totalFrames"] == trace["totalFrames"]

    frame_id = trace["stackFrames"][0]["id"]
    scopes = (await adapter.request("scopes", {"frameId": frame_id}))["scopes"]
    assert [scope["name"] for scope in scopes][:2] == ["Locals", "Globals"]
    local_values = await adapter.request("variables", {"variablesReference": scopes[0]["variablesReference"]})
    by_name = {v["name"]: v for v in local_values["variables"]}
    assert by_name["text"]["value"] == repr("naïve café — 日本語 ✓")
    big = by_name["big_list"]
    assert big["indexedVariables"] == 1000
    page = await adapter.request(
        "variables",
        {"variablesReference": big["variablesReference"], "filter": "indexed", "start": 500, "count": 3},
    )
    assert [v["value"] for v in page["variables"]] == ["500", "501", "502"]

    answer = await adapter.request(
        "evaluate", {"expression": "len(big_list) + 1", "frameId": frame_id, "context": "repl"}
    )
    assert answer["result"] == "1001"
    with pytest.raises(DapError, match="NameError"):
        await adapter.request(
            "evaluate", {"expression": "no_such_name", "frameId": frame_id, "context": "watch"}
        )

    await adapter.request("continue", {"threadId": threads["nested-worker"]})
    await adapter.wait_event("continued")
    await adapter.request("disconnect", {})
    await adapter.wait_event("output", lambda e: "Detached from process" in e["body"]["output"])
    first_tick = await ticks_after(showcase)
    assert await ticks_after(showcase) > first_tick
    assert await probe(showcase.pid) == before


async def test_set_variable_changes_the_running_target(attached) -> None:
    adapter, target = attached
    threads = {t["name"]: t["id"] for t in (await adapter.request("threads"))["threads"]}
    await adapter.request("pause", {"threadId": threads["marker-printer"]})
    await adapter.wait_event("stopped")
    trace = await adapter.request("stackTrace", {"threadId": threads["marker-printer"]})
    frame = next(f for f in trace["stackFrames"] if f["name"] == "print_marker")
    scopes = (await adapter.request("scopes", {"frameId": frame["id"]}))["scopes"]
    result = await adapter.request(
        "setVariable",
        {
            "variablesReference": scopes[0]["variablesReference"],
            "name": "marker",
            "value": "'from the editor'",
        },
    )
    assert result["value"] == "'from the editor'"
    await adapter.request("continue", {"threadId": threads["marker-printer"]})
    await target.expect("marker=from the editor")


async def test_repl_output_comes_back_as_output_events(attached) -> None:
    adapter, _ = attached
    body = await adapter.request("evaluate", {"expression": "print('hello from', 6 * 7)", "context": "repl"})
    assert body["result"] in ("", "None")
    await adapter.wait_event("output", lambda e: e["body"]["output"] == "hello from 42\n")


async def test_the_programs_output_shows_in_the_console(attached) -> None:
    adapter, target = attached
    tick = await adapter.wait_event(
        "output", lambda e: e["body"]["category"] == "stdout" and "tick " in e["body"]["output"]
    )
    number = int(tick["body"]["output"].split("tick ")[1].split()[0])
    assert f"tick {number}" in target.lines


async def test_redirect_output_false_leaves_the_streams_alone(adapter: DapClient, showcase) -> None:
    before = await probe(showcase.pid)
    await attach_session(adapter, showcase.pid, redirectOutput=False)
    assert (await probe(showcase.pid))["streams"] == before["streams"]
    await ticks_after(showcase)
    await ticks_after(showcase)
    assert not [e for e in adapter.events if e["event"] == "output" and e["body"]["category"] == "stdout"]


async def test_terminate_debuggee_ends_the_process(adapter: DapClient) -> None:
    async with start_target("showcase.py") as target:
        await attach_session(adapter, target.pid)
        await adapter.request("disconnect", {"terminateDebuggee": True})
        await adapter.wait_event("terminated")
        exited = await adapter.wait_event("exited")
        assert exited["body"]["exitCode"] == 143
        assert await asyncio.wait_for(target.process.wait(), 10) == -15


async def test_target_exit_is_reported(adapter: DapClient) -> None:
    async with start_target("showcase.py") as target:
        await attach_session(adapter, target.pid)
        target.process.kill()
        await adapter.wait_event("terminated")
        await adapter.wait_event("output", lambda e: "has exited" in e["body"]["output"])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "attach.processId is required"),
        ({"processId": "abc"}, "attach.processId: must be a positive process id"),
        ({"processId": "${command:pickProcess}"}, "was not replaced by the editor"),
        ({"processId": 1, "justMyCode": "yes"}, "attach.justMyCode: must be true or false"),
        ({"processId": 1, "redirectOutput": 0}, "attach.redirectOutput: must be true or false"),
        ({"processId": 999_999_999}, "no process with PID 999999999"),
    ],
)
async def test_bad_attach_requests_say_what_is_wrong(adapter: DapClient, arguments, message) -> None:
    await adapter.initialize()
    with pytest.raises(DapError) as error:
        await adapter.request("attach", arguments)
    assert message in str(error.value)


async def test_an_attach_that_fails_at_once_leaves_no_folder_of_its_follower(adapter: DapClient) -> None:
    """The socket for a tree's children is opened while the attach goes on; an attach refused at once (not
    a Python process) still waits for it and removes its folder."""
    sleeper = await asyncio.create_subprocess_exec(shutil.which("sleep") or "/bin/sleep", "3600")
    try:
        await adapter.initialize(supportsStartDebuggingRequest=True)
        with pytest.raises(DapError, match="is not a Python process"):
            await adapter.request("attach", {"processId": sleeper.pid})
        assert await adapter.close() == 0  # nothing of the attach is left to end with the session
        ours = f"dapattach-{adapter.process.pid}-"
        assert [name for name in os.listdir(tempfile.gettempdir()) if name.startswith(ours)] == []
    finally:
        sleeper.kill()
        await sleeper.wait()


async def test_requests_before_attach_say_to_attach_first(adapter: DapClient) -> None:
    await adapter.initialize()
    with pytest.raises(DapError) as error:
        await adapter.request("stackTrace", {"threadId": 1})
    assert "needs an attached process" in str(error.value)


async def test_process_id_as_string_and_unknown_keys(adapter: DapClient, showcase) -> None:
    await attach_session(
        adapter,
        str(showcase.pid),
        type="dapattach",
        name="Attach",
        request="attach",
        __sessionId="x",  # type: ignore[arg-type]
    )
    threads = (await adapter.request("threads"))["threads"]
    assert any(t["name"] == "ticker" for t in threads)


async def test_log_to_file_starts_a_log_and_a_trace(showcase, tmp_path) -> None:
    """`logToFile` in the attach configuration, for clients that cannot pass --log-dir."""
    client = await DapClient.start("stdio", env={"XDG_CACHE_HOME": str(tmp_path)})
    try:
        await attach_session(client, showcase.pid, logToFile=True)
        said = await client.wait_event("output", lambda e: "writes its log to" in e["body"]["output"])
        log_dir = tmp_path / "dapattach" / "logs"
        assert str(log_dir) in said["body"]["output"]
        await client.request("threads")
        await client.request("disconnect", {})
    finally:
        assert await client.close() == 0
    [trace] = log_dir.glob("*.trace.log")
    assert '"command": "threads"' in trace.read_text()


async def test_attaching_to_the_adapter_itself_or_to_its_parent_is_refused(adapter: DapClient) -> None:
    await adapter.initialize()
    with pytest.raises(DapError) as itself:
        await adapter.request("attach", {"processId": adapter.process.pid})
    assert f"process {adapter.process.pid} is this dapattach adapter itself" in str(itself.value)
    with pytest.raises(DapError) as parent:
        await adapter.request("attach", {"processId": os.getpid()})
    assert f"process {os.getpid()} " in str(parent.value)
    assert "is this dapattach adapter's parent, which started it" in str(parent.value)


SHOWCASE_WITHOUT_GIL = (
    "import runpy, sys\n"
    "sys._is_gil_enabled = lambda: False\n"
    "runpy.run_path(sys.argv[1], run_name='__main__')\n"
)


async def test_a_target_without_the_gil_is_said_to_be_read_only_where_threads_are_stopped(
    adapter: DapClient,
) -> None:
    """No 3.14t binary is at hand: the target answers the one question the agent asks as such a build does."""
    async with start_target("showcase.py", python_args=("-c", SHOWCASE_WITHOUT_GIL)) as target:
        await attach_session(adapter, target.pid)
        attached = await adapter.wait_event("output", lambda e: "Attached to process" in e["body"]["output"])
        assert "runs without the GIL" in attached["body"]["output"]
        assert "read only from stopped threads" in attached["body"]["output"]


def marked_line(script: str, marker: str) -> int:
    lines = (TARGETS / script).read_text().splitlines()
    return next(number for number, text in enumerate(lines, start=1) if marker in text)


async def stop_in_work(adapter: DapClient, target: Target) -> dict[str, Any]:
    """Attach as VS Code starts a session (the uncaught-exception filter on) with a breakpoint in `work`
    of terminates.py; returns the `stopped` event."""
    capabilities = await adapter.initialize()
    assert capabilities["supportsTerminateRequest"] is True
    attach = asyncio.create_task(adapter.request("attach", {"processId": target.pid}))
    await adapter.wait_event("initialized")
    line = marked_line("terminates.py", "TERMINATE-BREAKPOINT")
    source = {"path": str(TARGETS / "terminates.py")}
    await adapter.request("setBreakpoints", {"source": source, "breakpoints": [{"line": line}]})
    await adapter.request("setExceptionBreakpoints", {"filters": ["uncaught"]})
    await adapter.request("configurationDone")
    await attach
    return await adapter.wait_event("stopped")


async def test_terminate_asks_the_program_to_exit_and_its_clean_up_runs(adapter: DapClient) -> None:
    async with start_target("terminates.py") as target:
        await stop_in_work(adapter, target)
        await adapter.request("terminate", {})
        asked = await adapter.wait_event("output", lambda e: "Asked process" in e["body"]["output"])
        assert f"process {target.pid} to exit (SIGINT: KeyboardInterrupt" in asked["body"]["output"]
        await target.expect("^finally ran$")
        await target.expect("^atexit ran$")
        assert await asyncio.wait_for(target.process.wait(), 10) == -signal.SIGINT
        await adapter.wait_event("terminated")
        stops = [event["body"]["reason"] for event in adapter.events if event["event"] == "stopped"]
        assert stops == ["breakpoint"]


async def test_terminate_uses_the_programs_own_sigterm_handler(adapter: DapClient) -> None:
    async with start_target("terminates.py", "term") as target:
        await stop_in_work(adapter, target)
        await adapter.request("terminate", {})
        await adapter.wait_event(
            "output", lambda e: "(SIGTERM: the program's own handler)" in e["body"]["output"]
        )
        await target.expect("^SIGTERM handled$")
        await target.expect("^finally ran$")
        assert await asyncio.wait_for(target.process.wait(), 10) == 0
        await adapter.wait_event("terminated")


async def test_a_program_that_does_not_exit_keeps_its_session(adapter: DapClient) -> None:
    async with start_target("terminates.py", "refuse") as target:
        await stop_in_work(adapter, target)
        await adapter.request(
            "setBreakpoints", {"source": {"path": str(TARGETS / "terminates.py")}, "breakpoints": []}
        )
        await adapter.request("terminate", {})
        await target.expect("^not now$")
        assert target.process.returncode is None
        threads = (await adapter.request("threads"))["threads"]
        assert [thread["name"] for thread in threads] == ["MainThread"]
        await adapter.request("disconnect", {})
        await adapter.wait_event("output", lambda e: "Detached from process" in e["body"]["output"])
        assert not [event for event in adapter.events if event["event"] == "terminated"]


def _said(client: DapClient) -> list[str]:
    return [event["body"]["output"] for event in client.events if event["event"] == "output"]


@pytest.mark.direct_only("it tells when the target took the request; sys.remote_exec does not say")
async def test_a_target_that_cannot_open_the_bootstrap_is_told_at_once_and_never_called_blocked(
    adapter: DapClient,
) -> None:
    async with start_target("refuses_debugger_scripts.py") as target:
        await adapter.initialize(supportsProgressReporting=True)
        with pytest.raises(DapError) as refused:
            await adapter.request("attach", {"processId": target.pid})
        message = str(refused.value)
        assert f"process {target.pid} took the attach request but could not open the bootstrap" in message
        assert "audit hook" in message
        assert not any("blocked" in text for text in [message, *_said(adapter)]), "answered before the grace"


@pytest.mark.direct_only("it tells when the target took the request; sys.remote_exec does not say")
async def test_a_blocked_target_that_later_cannot_open_the_bootstrap_ends_the_wait_with_why(
    adapter: DapClient,
) -> None:
    async with start_target("refuses_debugger_scripts.py", "blocked") as target:
        await asyncio.to_thread(wait_until_blocked, target.pid)
        await attach_session(adapter, target.pid, agent=False)
        await adapter.wait_event("output", lambda event: "has not run Python code" in event["body"]["output"])
        os.kill(target.pid, signal.SIGUSR1)
        ended = await adapter.wait_event(
            "output", lambda event: "could not open the bootstrap" in event["body"]["output"]
        )
        assert ended["body"]["category"] == "important"
        assert f"process {target.pid} took the attach request" in ended["body"]["output"]
        await adapter.wait_event("terminated")
