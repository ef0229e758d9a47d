"""Faults: the target dies at any moment, the adapter is killed, the editor vanishes, the target forks,
and the agent's own failures stay out of the target's code."""

import asyncio
import contextlib
import json
import os
import resource
import signal
import socket
import struct
import tempfile
import time
from typing import Any

from agent_harness import TARGETS, agent_threads, probe, start_target
from containers import needs
from dapclient import DapClient
from handlers.conftest import attach_session, ticks_after
from hardening.conftest import detach, frame_named, pause_all, thread_ids, until
from users import AS_NOBODY, needs_root

SHOWCASE = TARGETS / "showcase.py"
TICK_LINE = next(
    number
    for number, text in enumerate(SHOWCASE.read_text().splitlines(), 1)
    if 'say(f"tick {count}"' in text
)
FORK = TARGETS / "hard_fork.py"
WORK_LINE = next(
    number for number, text in enumerate(FORK.read_text().splitlines(), 1) if "total += number" in text
)


async def reported_exit(client: DapClient, pid: int, since: float) -> float:
    """Wait for the `has exited` output and `terminated`; return how long after `since` they came."""
    await client.wait_event("output", lambda e: f"Process {pid} has exited" in e["body"]["output"], timeout=5)
    await client.wait_event("terminated", timeout=5)
    return time.monotonic() - since


async def test_target_killed_while_stopped(adapter: DapClient) -> None:
    async with start_target("showcase.py") as target:
        await attach_session(adapter, target.pid)
        await pause_all(adapter, (await thread_ids(adapter))["ticker"])
        killed = time.monotonic()
        target.process.kill()
        assert await reported_exit(adapter, target.pid, killed) < 2.0


async def test_target_exits_while_stepping(adapter: DapClient) -> None:
    async with start_target("showcase.py") as target:
        await attach_session(adapter, target.pid)
        stopped = await pause_all(adapter, (await thread_ids(adapter))["ticker"])
        await adapter.request("next", {"threadId": stopped["body"]["threadId"]})
        killed = time.monotonic()
        target.process.send_signal(signal.SIGTERM)
        assert await reported_exit(adapter, target.pid, killed) < 2.0


async def test_target_killed_while_the_attach_waits(adapter: DapClient) -> None:
    async with start_target("blocked_main.py", "600") as target:
        await adapter.initialize()
        attach = asyncio.create_task(adapter.request("attach", {"processId": target.pid}))
        await adapter.wait_event("initialized")
        await adapter.request("configurationDone")
        await attach
        killed = time.monotonic()
        target.process.kill()
        await adapter.wait_event("output", lambda e: f"Process {target.pid} exited" in e["body"]["output"])
        await adapter.wait_event("terminated")
        assert time.monotonic() - killed < 2.0


async def test_killed_adapter_releases_a_target_stopped_at_a_breakpoint() -> None:
    async with start_target("showcase.py") as target:
        baseline = await probe(target.pid)
        client = await DapClient.start("stdio")
        await attach_session(client, target.pid)
        await client.request(
            "setBreakpoints", {"source": {"path": str(SHOWCASE)}, "breakpoints": [{"line": TICK_LINE}]}
        )
        await client.wait_event("stopped")
        target.drain()
        client.process.kill()
        killed = time.monotonic()
        await target.expect(r"^tick \d+$", timeout=5)
        assert time.monotonic() - killed < 1.0
        await client.close()
        assert await probe(target.pid) == baseline


async def test_a_program_ends_on_time_while_its_adapter_reads_nothing() -> None:
    """The adapter stops reading (stopped with SIGSTOP, as a hung host or a debugger on it would stop it)
    while the program pours output to the console and then ends: the agent's last sends give up instead
    of holding the exit, and the program's exit status is its own."""
    async with start_target("pours_then_ends.py", stdin=True) as target:
        client = await DapClient.start("stdio")
        try:
            await attach_session(client, target.pid)
            os.kill(client.process.pid, signal.SIGSTOP)
            try:
                assert target.process.stdin is not None
                target.process.stdin.write(b"go\n")
                await target.process.stdin.drain()
                await target.expect("^POURED$")
                ended = time.monotonic()
                assert await asyncio.wait_for(target.process.wait(), 10) == 0
                assert time.monotonic() - ended < 3.0
            finally:
                os.kill(client.process.pid, signal.SIGCONT)
        finally:
            await client.close()


async def test_a_hot_logpoint_never_holds_the_program_while_its_adapter_reads_nothing() -> None:
    """A logpoint on a line the program runs as fast as it can, and an adapter that stops reading: the
    program's loop goes on (what the console cannot take is dropped), and once the adapter reads again the
    console says how many messages it missed."""
    path = TARGETS / "hot_logpoint.py"
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if text.endswith("# HOT-LINE"))
    async with start_target("hot_logpoint.py") as target:
        client = await DapClient.start("stdio")
        try:
            await attach_session(client, target.pid)
            await client.request(
                "setBreakpoints",
                {"source": {"path": str(path)}, "breakpoints": [{"line": line, "logMessage": "n={number}"}]},
            )
            await client.wait_event("output", lambda e: e["body"]["output"].startswith("n="))
            os.kill(client.process.pid, signal.SIGSTOP)
            try:
                target.drain()
                for _ in range(10):  # 200,000 messages: far more than the socket and the queue hold
                    await target.expect(r"^done \d+$")
            finally:
                os.kill(client.process.pid, signal.SIGCONT)
            await client.wait_event("output", lambda e: "log messages are not shown" in e["body"]["output"])
        finally:
            await client.close()


async def test_editor_eof_on_stdio_detaches() -> None:
    async with start_target("showcase.py") as target:
        baseline = await probe(target.pid)
        client = await DapClient.start("stdio")
        await attach_session(client, target.pid)
        await pause_all(client, (await thread_ids(client))["ticker"])
        target.drain()
        await client.close_stream()
        assert await client.wait_exit() == 0
        await ticks_after(target)
        assert await probe(target.pid) == baseline


async def test_editor_connection_reset_on_tcp_detaches() -> None:
    async with start_target("showcase.py") as target:
        baseline = await probe(target.pid)
        client = await DapClient.start("tcp")
        await attach_session(client, target.pid)
        await pause_all(client, (await thread_ids(client))["ticker"])
        target.drain()
        assert client.writer is not None
        sock = client.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.writer.transport.abort()
        await ticks_after(target)
        assert await probe(target.pid) == baseline
        assert client.process.returncode is None, "a listening adapter serves the next client"
        assert await client.close() == 0


async def test_a_forked_child_runs_free_of_the_agent(adapter: DapClient) -> None:
    async with start_target(FORK) as target:
        await attach_session(adapter, target.pid)
        placed = await adapter.request(
            "setBreakpoints", {"source": {"path": str(FORK)}, "breakpoints": [{"line": WORK_LINE}]}
        )
        assert placed["breakpoints"][0]["verified"] is True
        target.process.send_signal(signal.SIGUSR1)
        child = json.loads((await target.expect(r"^CHILD (\{.*)"))[1])
        assert child == {"threads": ["MainThread"], "tools": {}, "modules": [], "work": 3}
        await target.expect(r"^CHILD EXIT 0$")

        target.process.send_signal(signal.SIGUSR2)
        stopped = await adapter.wait_event("stopped")
        assert stopped["body"]["reason"] == "breakpoint"
        await adapter.request("continue", {"threadId": stopped["body"]["threadId"]})
        await detach(adapter)

        target.process.send_signal(signal.SIGUSR1)
        child = json.loads((await target.expect(r"^CHILD (\{.*)"))[1])
        assert child["tools"] == {} and child["modules"] == [] and child["work"] == 3
        await target.expect(r"^CHILD EXIT 0$")
        assert not any(line.startswith("UNRAISABLE") for line in target.lines)


async def test_failing_conditions_and_logpoints_never_raise_into_the_target(adapter: DapClient) -> None:
    async with start_target("showcase.py") as target:
        await attach_session(adapter, target.pid)
        conditions = ["1 / 0", "(_ for _ in ()).throw(SystemExit(3))", "undefined_name"]
        for condition in conditions:
            adapter.events.clear()
            await adapter.request(
                "setBreakpoints",
                {
                    "source": {"path": str(SHOWCASE)},
                    "breakpoints": [{"line": TICK_LINE, "condition": condition}],
                },
            )
            stopped = await adapter.wait_event("stopped", timeout=5)
            await adapter.request("setBreakpoints", {"source": {"path": str(SHOWCASE)}, "breakpoints": []})
            await adapter.request("continue", {"threadId": stopped["body"]["threadId"]})
        await adapter.request(
            "setBreakpoints",
            {
                "source": {"path": str(SHOWCASE)},
                "breakpoints": [{"line": TICK_LINE, "logMessage": "{1/0} {count}"}],
            },
        )
        target.drain()
        await ticks_after(target)
        await ticks_after(target)
        await detach(adapter)
        target.drain()
        first = await ticks_after(target)
        assert await ticks_after(target) == first + 1
        assert "ticker" in {t["name"] for t in (await probe_threads(target.pid))}


async def probe_threads(pid: int) -> list[dict[str, str]]:
    return [{"name": name} for name in (await probe(pid))["threads"]]


async def test_a_killed_adapter_stops_a_runaway_evaluation_and_the_target_runs_on() -> None:
    async with start_target("showcase.py") as target:
        baseline = await probe(target.pid)
        client = await DapClient.start("stdio")
        await attach_session(client, target.pid)
        threads = await thread_ids(client)
        await pause_all(client, threads["ticker"])
        registry = "__import__('sys').modules['_dapattach_agent.suspend'].by_thread_id(%d) is not None"

        async def worker_stopped() -> bool:
            answer = await client.request("evaluate", {"expression": registry % threads["nested-worker"]})
            return bool(answer["result"] == "True")

        await until(worker_stopped)
        frame = await frame_named(client, threads["nested-worker"], "inner")
        arguments = {
            "expression": "print('running')\nwhile True: pass",
            "frameId": frame["id"],
            "context": "repl",
        }
        runaway = asyncio.create_task(client.request_raw("evaluate", arguments))
        await client.wait_event("output", lambda e: e["body"]["output"] == "running\n")
        target.drain()
        client.process.kill()
        killed = time.monotonic()
        await target.expect(r"^tick \d+$", timeout=5)
        assert time.monotonic() - killed < 1.0
        with contextlib.suppress(ConnectionError):
            await runaway
        await client.close()
        assert await probe(target.pid) == baseline, "the evaluation, or the agent, is still there"


async def refused_attach(pid: int, **start: Any) -> tuple[str, int]:
    """Attach a new adapter (`DapClient.start`'s arguments `start`) to `pid`, which must be refused, and
    close it; the message the editor got, and the adapter's PID."""
    adapter = await DapClient.start("stdio", **start)
    await adapter.initialize()
    answer = await adapter.request_raw("attach", {"processId": pid})
    assert answer["success"] is False
    assert await adapter.close() == 0
    return answer["message"], adapter.process.pid


async def attach_and_detach(pid: int, **start: Any) -> None:
    """Attach a new adapter to `pid` until its agent is in, detach, and close it."""
    adapter = await DapClient.start("stdio", **start)
    await attach_session(adapter, pid)
    await detach(adapter)
    assert await adapter.close() == 0


# A mount namespace of its own with a 4 MiB tmpfs at the folder given, all but one page of it taken: a
# probe of the folder (as `tempfile` makes) fits, the agent's files do not. Prints READY, then holds it.
NEARLY_FULL = (
    'mount --make-rprivate / && mount -t tmpfs -o size=4m,mode=1777 tmpfs "$1" '
    '&& head -c 4190208 /dev/zero > "$1/taken" && echo READY && exec sleep 3600'
)


@needs_root
@needs("mnt")
async def test_a_nearly_full_temporary_folder_is_named_with_what_to_do_and_nothing_is_left() -> None:
    """A root adapter attaching to another user's service copies the agent into the attach folder; with
    the disk full the attach says where and what to do, leaves no file, and a later attach with room
    works."""
    with tempfile.TemporaryDirectory(prefix="nearly-full-") as folder:
        holder = await asyncio.create_subprocess_exec(
            "unshare", "--mount", "sh", "-c", NEARLY_FULL, "holder", folder, stdout=asyncio.subprocess.PIPE
        )
        try:
            assert holder.stdout is not None and await holder.stdout.readline() == b"READY\n"
            inside = ("nsenter", f"--target={holder.pid}", "--mount", "--")
            async with start_target("showcase.py", run_as=(*inside, *AS_NOBODY)) as target:
                message, _ = await refused_attach(target.pid, prefix=inside, env={"TMPDIR": folder})
                assert message == (
                    f"cannot write the attach files for process {target.pid} in {folder}: No space left on "
                    "device; free some space there, or start the adapter with TMPDIR set to a folder the "
                    "target can read. Nothing was left there, and the process was not touched"
                )
                assert os.listdir(f"/proc/{holder.pid}/root{folder}") == ["taken"]

                os.unlink(f"/proc/{holder.pid}/root{folder}/taken")
                await attach_and_detach(target.pid, prefix=inside, env={"TMPDIR": folder})
        finally:
            holder.kill()
            await holder.wait()


async def test_a_process_out_of_files_is_refused_before_it_is_asked_and_attaches_once_it_has_room() -> None:
    """Its bootstrap could not be opened there (CPython would print that on the program's stderr), and
    the agent's files would take the program's last ones: refused, with the counts and the remedy."""
    async with start_target("out_of_files.py", stdin=True) as target:
        message, _ = await refused_attach(target.pid)
        assert message.startswith(
            f"process {target.pid} has 64 files open of the 64 it may open: attaching needs up to 8 more"
        )
        assert f"`prlimit --pid {target.pid} --nofile=SOFT:HARD`" in message

        assert target.process.stdin is not None
        target.process.stdin.write(b"free\n")
        await target.process.stdin.drain()
        await target.expect("FREED")
        await attach_and_detach(target.pid)


async def test_an_agent_refused_a_socket_says_why_at_once_and_leaves_nothing() -> None:
    """The request was taken and the bootstrap ran, so the old answer (its threads are blocked, waiting)
    was wrong and endless: the agent leaves its reason in the attach folder, and the attach ends with it."""
    async with start_target("refuses_sockets.py") as target:
        message, adapter_pid = await refused_attach(target.pid)
        assert message == (
            f"the agent started in process {target.pid} but could not connect to the adapter "
            "(PermissionError: sockets are not allowed here): something in the program refuses it a socket, "
            "such as an audit hook (sys.addaudithook), seccomp or a security module (AppArmor, SELinux)"
        )
        assert not [
            name for name in os.listdir(tempfile.gettempdir()) if name.startswith(f"dapattach-{adapter_pid}-")
        ]
        await ticks_after(target)
        assert agent_threads(target.pid) == []


@needs_root
async def test_another_users_agent_refused_a_socket_is_reported_as_started_not_as_blocked() -> None:
    """Another user's agent cannot write in the adapter's folder: the attach waits (the agent may only be
    slow), and the editor is told the bootstrap started, not that the program is blocked."""
    async with start_target("refuses_sockets.py", run_as=AS_NOBODY) as target:
        adapter = await DapClient.start("stdio")
        await attach_session(adapter, target.pid, agent=False)
        told = await adapter.wait_event("output", lambda e: e["body"]["category"] == "important")
        assert told["body"]["output"].startswith(
            f"Process {target.pid} has started the attach bootstrap, but its agent has not said hello yet"
        )
        assert "refuses it a socket" in told["body"]["output"]
        await adapter.request("disconnect", {})
        assert await adapter.close() == 0
        await ticks_after(target)


async def test_an_agent_that_cannot_start_its_thread_says_why_and_leaves_the_process_attachable() -> None:
    """At a memory limit the agent loads but its thread cannot start: the adapter waited for a hello for
    ever, and the process kept the agent's claim, so every later attach was refused as "already attached".
    Now the attach fails at once with the reason and where to look, and once the limit is raised the next
    attach gets in."""
    async with start_target("memory_limited.py") as target:
        message, _ = await refused_attach(target.pid)
        assert message == (
            f"the agent could not start in process {target.pid}: RuntimeError: can't start new thread "
            f"(process {target.pid} may be at a limit on its memory or its threads: `prlimit --pid "
            f"{target.pid}` shows them, and raises them)"
        )
        await ticks_after(target)

        resource.prlimit(target.pid, resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        await attach_and_detach(target.pid)
