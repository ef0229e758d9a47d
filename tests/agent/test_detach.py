"""Detach leaves no trace, re-attaching works any number of times, and a lost adapter means a detach."""

import asyncio
import os
import signal
import sys
import time

import pytest

from agent_harness import Target, agent_gone, attach, pause, probe, run_in_target, start_target, until_stopped
from dapattach.attach.checks import AttachError
from dapattach.snapshot import take_snapshot

ADAPTER_SCRIPT = """\
import asyncio, sys
from dapattach.attach.attempt import inject_agent

async def main():
    link = await inject_agent(int(sys.argv[1]), timeout=10)
    await link.request("pause", {})
    await link.wait_for_event("stopped", 10)
    print("ATTACHED", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def test_detach_leaves_no_trace_and_the_work_goes_on(showcase: Target) -> None:
    baseline = await probe(showcase.pid)
    link = await attach(showcase)
    during = await probe(showcase.pid)
    assert "dapattach-agent" in during["threads"]
    assert "dapattach" in during["tools"].values()
    assert "_dapattach_agent" in during["modules"]
    await pause(link)
    await link.detach()
    assert link.closed.is_set()
    after = await probe(showcase.pid)
    assert after == baseline
    assert after["tools"] == {} and after["modules"] == []
    showcase.drain()
    await showcase.expect(r"^tick \d+$")
    await showcase.expect(r"^marker=original$")


async def test_twenty_attach_detach_cycles(showcase: Target) -> None:
    baseline = await probe(showcase.pid)
    for cycle in range(20):
        link = await attach(showcase)
        names = {t["name"] for t in (await link.request("threads"))["threads"]}
        assert "ticker" in names and "dapattach-agent" not in names, cycle
        if cycle % 5 == 0:
            await pause(link)
        await link.detach()
    assert await probe(showcase.pid) == baseline
    showcase.drain()
    await showcase.expect(r"^tick \d+$")


async def test_second_adapter_is_refused_while_attached(showcase: Target) -> None:
    link = await attach(showcase)
    refusal = rf"process {showcase.pid} is already attached by adapter PID {os.getpid()}"
    with pytest.raises(AttachError, match=refusal):
        await attach(showcase)
    assert (await link.request("threads"))["threads"]
    await link.detach()


async def test_closing_the_socket_makes_the_agent_detach(showcase: Target) -> None:
    baseline = await probe(showcase.pid)
    link = await attach(showcase)
    await pause(link)
    link.close()
    await link.wait_closed()
    await agent_gone(showcase.pid)  # it notices the end of the stream on its own thread, a moment later
    assert await probe(showcase.pid) == baseline
    showcase.drain()
    await showcase.expect(r"^tick \d+$")


async def test_a_killed_adapter_makes_the_agent_detach(showcase: Target) -> None:
    baseline = await probe(showcase.pid)
    adapter = await asyncio.create_subprocess_exec(
        sys.executable, "-c", ADAPTER_SCRIPT, str(showcase.pid), stdout=asyncio.subprocess.PIPE
    )
    assert adapter.stdout is not None
    async with asyncio.timeout(15):
        assert (await adapter.stdout.readline()).strip() == b"ATTACHED"
    adapter.send_signal(signal.SIGKILL)
    await adapter.wait()
    await agent_gone(showcase.pid)
    assert await probe(showcase.pid) == baseline
    showcase.drain()
    await showcase.expect(r"^tick \d+$")


AGENT_LEFT = """\
def _agent_left():
    import gc, json, socket, sys, types
    def ours(thing):
        if isinstance(thing, types.ModuleType):
            return thing.__name__.startswith("_dapattach_agent")
        if isinstance(thing, (types.FunctionType, type)):
            return str(getattr(thing, "__module__", "")).startswith("_dapattach_agent")
        return False
    report = {"left": sum(1 for thing in gc.get_objects() if ours(thing))}
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(%r)
        sock.sendall(json.dumps(report).encode())


_agent_left()
del _agent_left
"""


async def test_a_detach_while_stopped_frees_the_agent_at_once(showcase: Target) -> None:
    """Counted without a collection first: what the detach left as garbage would still be there."""
    for _ in range(5):
        link = await attach(showcase)
        await pause(link)
        await until_stopped(link, "nested-worker")
        await link.detach()
        assert (await run_in_target(showcase.pid, AGENT_LEFT))["left"] == 0


async def test_a_detach_frees_the_agent_at_once_while_the_thread_it_holds_runs_other_code() -> None:
    """The thread that ran the attach's bootstrap waits there until the adapter has set its breakpoints
    (none does here, so it waits through the whole session). A signal handler runs on that thread
    meanwhile, and is still running when the detach ends: the agent must not depend on that thread
    leaving before it can be freed."""
    async with start_target("reloads_on_signal.py", stdin=True) as target:
        assert target.process.stdin is not None
        link = await attach(target)
        await until_held_for_ready(target.pid)
        os.kill(target.pid, signal.SIGUSR1)
        assert "_dapattach_bootstrap" in (await target.expect(r"^RELOADING ")).string
        await link.detach()
        target.process.stdin.write(b"done\n")
        await target.process.stdin.drain()
        await target.expect(r"^RELOADED$")
        assert (await run_in_target(target.pid, AGENT_LEFT))["left"] == 0


async def until_held_for_ready(pid: int) -> None:
    """Wait until the main thread, which ran the bootstrap, waits there for `ready` (on an Event): first it
    waits, not always briefly, in `Thread.start` for the agent thread it started to run. Seen from
    outside, by a snapshot, which runs nothing in the target."""
    async with asyncio.timeout(10):
        while True:
            threads = (await asyncio.to_thread(take_snapshot, pid)).threads
            functions = [frame.function for thread in threads if thread.id == pid for frame in thread.frames]
            if functions[:2] == ["Condition.wait", "Event.wait"] and "Thread.start" not in functions:
                return


@pytest.mark.direct_only(
    "its request goes to the agent's own thread; sys.remote_exec asks the main thread, stopped here"
)
async def test_a_second_adapter_is_refused_at_once_while_the_first_is_stopped(showcase: Target) -> None:
    link = await attach(showcase)
    await pause(link)
    await until_stopped(link, "ticker")
    started = time.monotonic()
    with pytest.raises(AttachError, match=rf"is already attached by adapter PID {os.getpid()}"):
        await attach(showcase)
    assert time.monotonic() - started < 1.0
    assert (await link.request("threads"))["threads"]
    await link.detach()
