"""pause and continue: all-stop on every thread running Python, and resuming them all."""

from agent_harness import Target, frame_of, pause
from dapattach.attach.link import AgentError, AgentLink


async def count_in_ticker(link: AgentLink) -> int:
    frame = await frame_of(link, "ticker", "tick")
    body = await link.request("evaluate", {"expression": "count", "frameId": frame["id"], "context": "watch"})
    return int(body["result"])


async def test_pause_stops_every_thread_and_continue_resumes_them(link: AgentLink, showcase: Target) -> None:
    stopped = await pause(link)
    assert stopped["reason"] == "pause"
    assert stopped["allThreadsStopped"] is True
    threads = {t["id"]: t["name"] for t in (await link.request("threads"))["threads"]}
    assert stopped["threadId"] in threads
    before = await count_in_ticker(link)
    await link.request("evaluate", {"expression": "__import__('time').sleep(0.3)", "context": "repl"})
    assert await count_in_ticker(link) == before, "the ticker kept running while all threads were stopped"
    body = await link.request("continue", {"threadId": stopped["threadId"]})
    assert body["allThreadsContinued"] is True
    continued = await link.wait_for_event("continued", 5)
    assert continued["allThreadsContinued"] is True
    showcase.drain()
    ticked = int((await showcase.expect(r"^tick (\d+)$"))[1])
    assert ticked > before


async def test_frame_ids_die_on_resume(link: AgentLink) -> None:
    await pause(link)
    frame = await frame_of(link, "nested-worker", "inner")
    await link.request("continue", {"threadId": 0})
    try:
        await link.request("scopes", {"frameId": frame["id"]})
    except Exception as error:
        assert "valid only until the target resumes" in str(error)
    else:
        raise AssertionError("a frame id outlived the resume")


async def test_pause_twice_after_continue(link: AgentLink) -> None:
    for _ in range(3):
        stopped = await pause(link)
        assert stopped["reason"] == "pause"
        await link.request("continue", {"threadId": 0})
        await link.wait_for_event("continued", 5)


async def test_configure_and_unknown_commands(link: AgentLink) -> None:
    assert await link.request("configure", {"justMyCode": False, "showReturnValue": True}) == {}
    try:
        await link.request("frobnicate", {})
    except AgentError as error:
        assert "the agent does not support 'frobnicate'" in str(error)
    else:
        raise AssertionError("an unknown command succeeded")
