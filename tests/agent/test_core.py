"""The agent moving to another adapter (`rehome`), and starting afresh in a forked child it reports to."""

import asyncio
import contextlib
import json
import os
import secrets
import signal
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from agent_harness import TARGETS, Target, attach, pause, probe, start_target
from dapattach.attach import channel
from dapattach.attach.attempt import Attempt
from dapattach.attach.driver import HandOverDriver
from dapattach.attach.link import AgentGone, AgentLink

FORK = TARGETS / "hard_fork.py"
MID_IMPORT = TARGETS / "forks_mid_import.py"
WORK_LINE = next(n for n, text in enumerate(FORK.read_text().splitlines(), 1) if "total += number" in text)


async def receiving(pid: int) -> Attempt:
    """Another adapter's attach to `pid` that injects nothing: it waits for an agent sent over."""
    attempt = Attempt(pid, driver=HandOverDriver())
    await attempt.start()
    return attempt


async def test_rehome_moves_the_agent_to_another_adapter(showcase: Target) -> None:
    baseline = await probe(showcase.pid)
    first = await attach(showcase)
    second_attach = await receiving(showcase.pid)
    arrival = asyncio.ensure_future(
        second_attach.arrival(10)
    )  # the new adapter welcomes the agent as it comes
    await first.request(
        "rehome", {"socket": second_attach.socket_path, "secret": second_attach.secret, "adapterPid": 1}
    )
    second = await arrival
    await asyncio.wait_for(first.closed.wait(), 10)
    assert second.hello["rehomed"] is True and second.hello["stopped"] is None
    threads = (await second.request("threads"))["threads"]
    assert any(thread["name"] == "ticker" for thread in threads)
    await second_attach.detach()
    assert await probe(showcase.pid) == baseline


async def test_a_stop_in_progress_moves_with_the_agent(showcase: Target) -> None:
    first = await attach(showcase)
    stopped = await pause(first)
    second_attach = await receiving(showcase.pid)
    arrival = asyncio.ensure_future(second_attach.arrival(10))
    await first.request("rehome", {"socket": second_attach.socket_path, "secret": second_attach.secret})
    second = await arrival
    assert second.hello["stopped"] == stopped
    trace = await second.request("stackTrace", {"threadId": stopped["threadId"]})
    assert trace["stackFrames"]
    await second.request("continue", {"threadId": stopped["threadId"]})
    await second.wait_for_event("continued", 10)
    await second_attach.detach()


async def test_a_rehome_to_nowhere_fails_and_the_agent_stays(showcase: Target) -> None:
    link = await attach(showcase)
    try:
        failed = await link.request("rehome", {"socket": "/nonexistent/socket", "secret": "x"})
    except Exception as error:
        failed = {"error": str(error)}
    assert "cannot reach the adapter that takes over" in failed["error"]
    assert (await link.request("threads"))["threads"]
    await link.detach()


@contextlib.asynccontextmanager
async def follower(
    secret: str,
) -> AsyncIterator[tuple[str, asyncio.Queue[tuple[dict[str, Any], AgentLink]]]]:
    """A subprocess socket as the adapter's follower has one: its path, and each forked child's agent
    (its hello and link) as it arrives, welcomed."""
    arrived: asyncio.Queue[tuple[dict[str, Any], AgentLink]] = asyncio.Queue()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hello = json.loads(await reader.readline())
        proof = channel.proof("adapter", secret, hello["nonce"])
        writer.write(json.dumps({"type": "welcome", "protocol": 1, "proof": proof}).encode() + b"\n")
        await arrived.put((hello, AgentLink(reader, writer, hello)))

    with tempfile.TemporaryDirectory(prefix="follow-") as directory:
        socket_path = str(Path(directory) / "children.sock")
        server = await asyncio.start_unix_server(on_connect, path=socket_path)
        try:
            yield socket_path, arrived
        finally:
            server.close()


async def test_a_forked_child_starts_its_own_agent_and_waits_for_its_breakpoints() -> None:
    secret = secrets.token_hex(16)
    async with follower(secret) as (socket_path, arrived), start_target(FORK) as target:
        parent = await attach(target)
        await parent.request("configure", {"subProcess": {"socket": socket_path, "secret": secret}})
        await parent.request("ready")
        target.process.send_signal(signal.SIGUSR1)
        hello, child = await asyncio.wait_for(arrived.get(), 10)
        assert (
            hello["proof"] == channel.proof("agent", secret, hello["nonce"])
            and hello["forkedFrom"] == target.pid
            and hello["pid"] != target.pid
        )
        placed = await child.request(
            "setBreakpoints", {"source": {"path": str(FORK)}, "breakpoints": [{"line": WORK_LINE}]}
        )
        assert placed["breakpoints"][0]["verified"] is True
        await child.request("ready")  # the child runs on from its fork, with the breakpoint set
        stopped = await child.wait_for_event("stopped", 10)
        assert stopped["reason"] == "breakpoint"
        await child.request("setBreakpoints", {"source": {"path": str(FORK)}, "breakpoints": []})
        with contextlib.suppress(AgentGone):  # the child may be gone before the answer is sent
            await child.request("continue", {"threadId": stopped["threadId"]})
        report = json.loads((await target.expect(r"^CHILD (\{.*)"))[1])
        assert "dapattach-agent" in report["threads"] and report["work"] == 3
        await target.expect(r"^CHILD EXIT 0$")
        await parent.request("configure", {"subProcess": None})
        target.process.send_signal(signal.SIGUSR1)
        report = json.loads((await target.expect(r"^CHILD (\{.*)"))[1])
        assert report["threads"] == ["MainThread"] and report["modules"] == []
        assert arrived.empty()
        await parent.detach()


async def test_a_child_forked_while_the_agent_thread_imports_runs_on_with_its_own_agent() -> None:
    """The agent imports `sysconfig` on first use (the first `modules` request), which the target holds half
    done on the agent thread while its main thread forks. The child's agent comes in, and the child's own
    import of `sysconfig` does not wait for the agent thread, which the child does not have."""
    secret = secrets.token_hex(16)
    async with follower(secret) as (socket_path, arrived), start_target(MID_IMPORT, "sysconfig") as target:
        parent = await attach(target)
        await parent.request("configure", {"subProcess": {"socket": socket_path, "secret": secret}})
        await parent.request("ready")
        listing = asyncio.ensure_future(parent.request("modules", {}))
        hello, child = await asyncio.wait_for(arrived.get(), 10)
        try:
            await child.request("ready")
            await target.expect(rf"^IMPORTED {hello['pid']}$")
            answer = await child.request("evaluate", {"expression": "sys.modules['sysconfig'].__name__"})
            assert answer["result"] == "'sysconfig'"
            assert any(module["name"] == "sysconfig" for module in (await listing)["modules"])
            await child.request("detach")
            await parent.detach()
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(hello["pid"], signal.SIGKILL)  # stuck in its import, it would outlive the target
