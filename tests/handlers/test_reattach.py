"""Attach and detach over DAP, many times and by several sessions, and the errors a user can meet."""

import asyncio
import shutil
import time

import pytest

from agent_harness import probe, start_target
from dapclient import DapClient, DapError
from handlers.conftest import attach_session, ticks_after

CYCLES = 20


async def _one_cycle(client: DapClient, pid: int) -> None:
    await attach_session(client, pid)
    threads = {t["name"]: t["id"] for t in (await client.request("threads"))["threads"]}
    await client.request("pause", {"threadId": threads["ticker"]})
    await client.wait_event("stopped")
    trace = await client.request("stackTrace", {"threadId": threads["ticker"]})
    assert "tick" in [frame["name"] for frame in trace["stackFrames"]]
    await client.request("disconnect", {})


async def test_twenty_attach_detach_cycles_over_stdio(showcase) -> None:
    before = await probe(showcase.pid)
    for _ in range(CYCLES):
        client = await DapClient.start("stdio")
        try:
            await _one_cycle(client, showcase.pid)
        finally:
            assert await client.close() == 0
            client.assert_valid()
    first = await ticks_after(showcase)
    assert await ticks_after(showcase) > first
    assert await probe(showcase.pid) == before


async def test_twenty_sessions_in_a_row_on_one_listening_adapter(showcase) -> None:
    before = await probe(showcase.pid)
    server = await DapClient.start("tcp")
    try:
        host, port = await server.listening_address()
        client = server
        for cycle in range(CYCLES):
            if cycle:
                client = DapClient(server.process, "tcp")
                await client.connect_tcp(host, port)
            await _one_cycle(client, showcase.pid)
            await client.closed_by_adapter.wait()
            client.assert_valid()
    finally:
        assert await server.close() == 0
    assert await probe(showcase.pid) == before


async def test_a_second_session_is_refused_while_one_is_attached(adapter: DapClient, showcase) -> None:
    await attach_session(adapter, showcase.pid)
    other = await DapClient.start("stdio")
    try:
        await other.initialize()
        with pytest.raises(DapError) as error:
            await other.request("attach", {"processId": showcase.pid})
        assert f"is already attached by adapter PID {adapter.process.pid}" in str(error.value)
        assert "detach that session first" in str(error.value)
    finally:
        await other.close()
    threads = (await adapter.request("threads"))["threads"]
    assert any(t["name"] == "ticker" for t in threads)


async def _attach_error(adapter: DapClient, pid: int) -> str:
    await adapter.initialize()
    with pytest.raises(DapError) as error:
        await adapter.request("attach", {"processId": pid})
    return str(error.value)


async def test_a_process_that_is_not_python(adapter: DapClient) -> None:
    sleeper = await asyncio.create_subprocess_exec(shutil.which("sleep") or "/bin/sleep", "3600")
    try:
        message = await _attach_error(adapter, sleeper.pid)
        assert f"process {sleeper.pid}" in message and "is not a Python process" in message
    finally:
        sleeper.kill()
        await sleeper.wait()


@pytest.mark.skipif(shutil.which("python3.11") is None, reason="needs a Python 3.11")
async def test_a_python_older_than_314(adapter: DapClient) -> None:
    old = await asyncio.create_subprocess_exec(
        shutil.which("python3.11") or "", "-c", "import time; print('up', flush=True); time.sleep(3600)",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert old.stdout is not None
        await old.stdout.readline()
        message = await _attach_error(adapter, old.pid)
        assert f"process {old.pid} runs Python 3.11; attaching needs Python 3.14 or newer" in message
    finally:
        old.kill()
        await old.wait()


async def test_a_target_with_remote_debugging_disabled(adapter: DapClient) -> None:
    async with start_target("showcase.py", python_args=["-X", "disable-remote-debug"]) as target:
        message = await _attach_error(adapter, target.pid)
        assert f"remote debugging is disabled in process {target.pid}" in message
        assert "-X disable-remote-debug" in message and "restart it without" in message
        await ticks_after(target)


async def test_watch_hover_clipboard_set_expression_and_source(attached) -> None:
    adapter, _ = attached
    threads = {t["name"]: t["id"] for t in (await adapter.request("threads"))["threads"]}
    await adapter.request("pause", {"threadId": threads["nested-worker"]})
    await adapter.wait_event("stopped")
    trace = await adapter.request("stackTrace", {"threadId": threads["nested-worker"]})
    frame_id = trace["stackFrames"][0]["id"]

    async def evaluate(expression: str, context: str) -> dict:
        return await adapter.request(
            "evaluate", {"expression": expression, "frameId": frame_id, "context": context}
        )

    assert (await evaluate("small_dict['a'] + 1", "watch"))["result"] == "2"
    assert (await evaluate("point.x", "hover"))["result"] == "3"
    assert len((await evaluate("long_text", "clipboard"))["result"]) == 5002
    assert len((await evaluate("long_text", "watch"))["result"]) < 5002
    changed = await adapter.request(
        "setExpression", {"expression": "small_list[0]", "value": "'first'", "frameId": frame_id}
    )
    assert changed["value"] == "'first'"
    assert (await evaluate("small_list", "watch"))["result"] == "['first', 'two', 3.0]"

    runner = await adapter.request("stackTrace", {"threadId": threads["exec-runner"]})
    spinner = next(f for f in runner["stackFrames"] if f["name"] == "spin_without_file")
    source = spinner["source"]
    assert "path" not in source and source["sourceReference"] > 0
    text = await adapter.request("source", {"source": source, "sourceReference": source["sourceReference"]})
    assert "is_set" in text["content"]
    await adapter.request("continue", {"threadId": threads["nested-worker"]})


async def _attach_or_refusal(client: DapClient, pid: int, go: asyncio.Event) -> tuple[str, float]:
    """Attach when `go` is set: ("in", seconds), or (the refusal, seconds it took).

    The refusal comes as the attach's error, or, when the target had not answered within the grace in
    which attach waits for it (a busy machine), as an `important` output and `terminated` right after an
    attach answered from the outside snapshot."""
    await client.initialize()
    await go.wait()
    started = time.monotonic()
    attach = asyncio.create_task(client.request("attach", {"processId": pid}))
    initialized = asyncio.create_task(client.wait_event("initialized"))
    await asyncio.wait({attach, initialized}, return_when=asyncio.FIRST_COMPLETED)
    if attach.done() and attach.exception() is not None:
        initialized.cancel()
        return str(attach.exception()), time.monotonic() - started
    await initialized
    await client.request("configurationDone")
    await attach
    said = await client.wait_event(
        "output", lambda e: any(text in e["body"]["output"] for text in ("Attached to process", "is already"))
    )
    if "is already attached" in said["body"]["output"]:
        assert said["body"]["category"] == "important"
        await client.wait_event("terminated")
        return said["body"]["output"], time.monotonic() - started
    return "in", time.monotonic() - started


ROUNDS = 5


@pytest.mark.direct_only("it sees that another attach displaced its request; sys.remote_exec cannot")
async def test_of_two_sessions_attaching_at_once_one_gets_in_and_the_other_is_refused_at_once(
    showcase,
) -> None:
    before = await probe(showcase.pid)
    for _ in range(ROUNDS):
        clients = [await DapClient.start("stdio"), await DapClient.start("stdio")]
        try:
            go = asyncio.Event()
            attaching = [asyncio.create_task(_attach_or_refusal(c, showcase.pid, go)) for c in clients]
            go.set()
            outcomes = await asyncio.gather(*attaching)
            winners = [c for c, (outcome, _) in zip(clients, outcomes, strict=True) if outcome == "in"]
            assert len(winners) == 1, outcomes
            [(refusal, took)] = [outcome for outcome in outcomes if outcome[0] != "in"]
            assert f"is already attached by adapter PID {winners[0].process.pid}" in refusal
            assert took < 1.5, f"refused after {took:.2f} s"
            await winners[0].request("disconnect", {})
        finally:
            for client in clients:
                assert await client.close() == 0
    assert await probe(showcase.pid) == before


@pytest.mark.direct_only(
    "its request goes to the agent's own thread; sys.remote_exec asks the main thread, stopped here"
)
async def test_a_second_session_is_refused_while_the_first_is_stopped(adapter: DapClient, showcase) -> None:
    await attach_session(adapter, showcase.pid)
    threads = {t["name"]: t["id"] for t in (await adapter.request("threads"))["threads"]}
    await adapter.request("pause", {"threadId": threads["ticker"]})
    await adapter.wait_event("stopped")
    other = await DapClient.start("stdio")
    try:
        await other.initialize()
        started = time.monotonic()
        with pytest.raises(DapError) as error:
            await other.request("attach", {"processId": showcase.pid})
        assert time.monotonic() - started < 1.0
        assert f"is already attached by adapter PID {adapter.process.pid}" in str(error.value)
    finally:
        await other.close()
    await adapter.request("continue", {"threadId": threads["ticker"]})
