"""Process trees end to end: a prefork server, pools, subprocesses, each child in a session of its own."""

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from agent_harness import TARGETS, Target, agent_gone, start_target
from containers import needs, sidecar, start_container
from dapattach import namespaces
from dapclient import DapClient
from interpreters import PY314, PY315, needs_315
from subprocesses.conftest import (
    CHILD,
    CHILD_LINE,
    EXEC_AS_MOVED,
    FORKING_PRINTER,
    HANDLER_LINE,
    LOOKUP_LINE,
    POOL,
    POOL_LINE,
    PREFORK,
    SPAWNER,
    START_LINE,
    ask,
    attach_tree,
    output,
    port_of,
    stopped_child,
    workers_of,
)

CONTAINER = ("mnt", "pid", "user", "net")
IN_CONTAINER = TARGETS / "container_tree.py"
IN_CONTAINER_LINE = next(
    number for number, text in enumerate(IN_CONTAINER.read_text().splitlines(), 1) if "# child line" in text
)


async def stopped_at_start(child: DapClient) -> None:
    """The worker stopped on the first line it runs after the fork (its agent came with the fork), and
    goes on from there."""
    stopped = await child.wait_event("stopped")
    frames = (await child.request("stackTrace", {"threadId": stopped["body"]["threadId"]}))["stackFrames"]
    assert (frames[0]["name"], frames[0]["line"]) == ("work", START_LINE)
    child.events.clear()
    await child.request("continue", {"threadId": stopped["body"]["threadId"]})


async def test_a_request_to_any_worker_of_a_prefork_server_hits_the_breakpoint(adapter: DapClient) -> None:
    async with start_target(PREFORK, "3") as server:
        workers = workers_of(server)
        await attach_tree(adapter, server.pid, {PREFORK: [HANDLER_LINE]})
        children = await adapter.wait_children(3)
        assert {child.child_pid for child in children} == workers
        for child in children:
            assert child.configuration["name"].startswith(f"worker {child.child_pid}: prefork_server.py")
            assert child.configuration["subProcessOf"]["processId"] == server.pid
            assert child.configuration["request"] == "attach"

        for text in ("first", "second", "third"):
            asked = time.monotonic()
            answer = asyncio.ensure_future(ask(port_of(server), text))
            child, stopped = await stopped_child(adapter)
            took = time.monotonic() - asked
            assert stopped["body"]["reason"] == "breakpoint"
            thread = stopped["body"]["threadId"]
            frames = (await child.request("stackTrace", {"threadId": thread}))["stackFrames"]
            assert (frames[0]["name"], frames[0]["line"]) == ("handle", HANDLER_LINE)
            child.events.clear()
            await child.request("continue", {"threadId": thread})
            assert await answer == f"{child.child_pid} {text.upper()}"
            print(f"worker {child.child_pid} stopped {took * 1000:.0f} ms after the request")


async def follow_a_late_worker(adapter: DapClient, server: Target, text: str) -> None:
    """Attach to the prefork server, then make it fork a worker: the worker's session stops at its first
    line, then in the handler for the request `text`, and the worker answers it once continued."""
    await attach_tree(adapter, server.pid, {PREFORK: [START_LINE, HANDLER_LINE]})
    forked = time.monotonic()
    server.process.send_signal(signal.SIGUSR1)
    worker = int((await server.expect(r"^WORKER (\d+)$"))[1])
    [child] = await adapter.wait_children(1)
    took = (time.monotonic() - forked) * 1000
    print(f"late worker {worker}: its session was attached {took:.0f} ms after the fork")
    assert child.child_pid == worker
    await stopped_at_start(child)
    answer = asyncio.ensure_future(ask(port_of(server), text))
    _, stopped = await stopped_child(adapter)
    await child.request("continue", {"threadId": stopped["body"]["threadId"]})
    assert await answer == f"{worker} {text.upper()}"


async def test_a_worker_forked_after_the_attach_is_covered_from_its_start(adapter: DapClient) -> None:
    async with start_target(PREFORK, "0") as server:
        await follow_a_late_worker(adapter, server, "late")


async def test_a_worker_forked_after_a_non_stop_attach_is_non_stop_from_its_start(adapter: DapClient) -> None:
    """`stopAll: false` reaches the child's agent before its session takes it over: the stop at its first
    line, made while the root's adapter still held it, is reported as that one thread's."""
    async with start_target(PREFORK, "0") as server:
        await attach_tree(adapter, server.pid, {PREFORK: [START_LINE]}, stopAll=False)
        server.process.send_signal(signal.SIGUSR1)
        worker = int((await server.expect(r"^WORKER (\d+)$"))[1])
        [child] = await adapter.wait_children(1)
        assert child.child_pid == worker and child.configuration["stopAll"] is False
        stopped = (await child.wait_event("stopped"))["body"]
        assert stopped["allThreadsStopped"] is False
        child.events.clear()
        answer = await child.request("continue", {"threadId": stopped["threadId"]})
        assert answer == {"allThreadsContinued": False}
        assert (await child.wait_event("continued"))["body"]["allThreadsContinued"] is False
        assert await ask(port_of(server), "late") == f"{worker} LATE"


@needs_315
async def test_a_tree_on_python_315_is_followed_across_versions() -> None:
    """The adapter on 3.14, the prefork server and its workers on 3.15: existing and forked workers."""
    client = await DapClient.start("stdio")
    try:
        async with start_target(PREFORK, "1", python=str(PY315)) as server:
            [first] = workers_of(server)
            await attach_tree(client, server.pid, {PREFORK: [START_LINE, HANDLER_LINE]})
            server.process.send_signal(signal.SIGUSR1)
            late = int((await server.expect(r"^WORKER (\d+)$"))[1])
            children = await client.wait_children(2, timeout=30)
            assert {child.child_pid for child in children} == {first, late}
            await stopped_at_start(client.child_for(late))
            for number in range(2):
                answer = asyncio.ensure_future(ask(port_of(server), f"v{number}"))
                child, stopped = await stopped_child(client)
                thread = stopped["body"]["threadId"]
                top = (await child.request("stackTrace", {"threadId": thread}))["stackFrames"][0]
                version = await child.request(
                    "evaluate", {"expression": "sys.version_info[:2]", "frameId": top["id"]}
                )
                assert version["result"] == "(3, 15)"
                child.events.clear()
                await child.request("continue", {"threadId": thread})
                assert (await answer).endswith(f"V{number}")
            await client.request("disconnect", {})
    finally:
        assert await client.close() == 0
        client.assert_valid()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the target as another user")
async def test_a_tree_of_another_user_is_followed_by_root(adapter: DapClient) -> None:
    """The follower's socket is handed to the target's user, so a forked worker's agent can report."""
    nobody = ("--reuid=65534", "--regid=65534", "--clear-groups", PY314)
    async with start_target(PREFORK, "0", python="setpriv", python_args=nobody) as server:
        assert os.stat(f"/proc/{server.pid}").st_uid == 65534
        await follow_a_late_worker(adapter, server, "other user")


async def test_a_child_that_exits_while_stopped_ends_its_session(adapter: DapClient) -> None:
    async with start_target(PREFORK, "2") as server:
        await attach_tree(adapter, server.pid, {PREFORK: [HANDLER_LINE]})
        await adapter.wait_children(2)
        answer = asyncio.ensure_future(ask(port_of(server), "doomed"))
        child, _ = await stopped_child(adapter)
        assert child.child_pid is not None
        os.kill(child.child_pid, signal.SIGKILL)
        said = await output(child, f"Process {child.child_pid} has exited")
        if os.environ.get("DAPATTACH_DRIVER") == "portable" and "exit code is unknown" in said:
            # Held by PID and start time, as on macOS: the master collects its worker at once, and
            # without a pidfd nothing keeps the exit code after that.
            assert said.startswith(f"Process {child.child_pid} has exited; its exit code is unknown")
        else:
            assert said == f"Process {child.child_pid} has exited.\n"
            exited = await child.wait_event("exited")
            assert exited["body"]["exitCode"] == 137
        await child.wait_event("terminated")
        assert await answer == ""  # the connection died with the worker
        threads = await adapter.request("threads")
        assert any(thread["name"] == "MainThread" for thread in threads["threads"])
        assert await server.expect(rf"^WORKER EXIT {child.child_pid} -9$")


async def test_detaching_the_parent_detaches_every_child(adapter: DapClient) -> None:
    async with start_target(PREFORK, "3") as server:
        workers = workers_of(server)
        await attach_tree(adapter, server.pid, {PREFORK: [HANDLER_LINE]})
        children = await adapter.wait_children(3)
        answer = asyncio.ensure_future(ask(port_of(server), "held"))
        stopped_in, _ = await stopped_child(adapter)

        await adapter.request("disconnect", {})
        await output(adapter, "Detached from 3 child process(es)")
        for child in children:
            await output(
                child, f"Detached from process {child.child_pid}, as the session of process {server.pid}"
            )
            await child.wait_event("terminated")
        assert await answer == f"{stopped_in.child_pid} HELD"
        for number in range(6):
            assert (await ask(port_of(server), f"free {number}")).split()[0] in map(str, workers)
        for worker in workers:
            await agent_gone(worker)


async def test_a_child_session_can_be_detached_alone(adapter: DapClient) -> None:
    async with start_target(PREFORK, "2") as server:
        await attach_tree(adapter, server.pid, {PREFORK: [HANDLER_LINE]})
        first, second = await adapter.wait_children(2)
        answer = asyncio.ensure_future(ask(port_of(server), "one"))
        stopped_in, _ = await stopped_child(adapter)
        await stopped_in.request("disconnect", {})
        await output(stopped_in, f"Detached from process {stopped_in.child_pid}; it runs on.")
        assert await answer == f"{stopped_in.child_pid} ONE"
        assert stopped_in.child_pid is not None
        await agent_gone(stopped_in.child_pid)

        server.process.send_signal(signal.SIGUSR1)  # the root still follows: a new worker gets a session
        late = int((await server.expect(r"^WORKER (\d+)$"))[1])
        await adapter.wait_children(3)
        pids = [
            request["arguments"]["configuration"]["processId"] for request in adapter.start_debugging_requests
        ]
        assert sorted(pids) == sorted([first.child_pid, second.child_pid, late])
        threads = await adapter.request("threads")
        assert any(thread["name"] == "MainThread" for thread in threads["threads"])


async def test_without_start_debugging_the_children_are_listed(adapter: DapClient) -> None:
    async with start_target(PREFORK, "2") as server:
        workers = workers_of(server)
        await attach_tree(adapter, server.pid, sessions=False)
        said = await output(adapter, "Python child process(es)")
        for worker in workers:
            assert str(worker) in said
        assert '"processId"' in said and "startDebugging" in said
        server.process.send_signal(signal.SIGUSR1)
        late = int((await server.expect(r"^WORKER (\d+)$"))[1])
        said = await output(adapter, f"New Python child process {late}")
        assert f'"processId": {late}' in said
        assert adapter.start_debugging_requests == []
        threads = await adapter.request("threads")
        assert any(thread["name"] == "MainThread" for thread in threads["threads"])


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
async def test_a_pool_started_after_the_attach_stops_in_its_workers(method: str) -> None:
    client = await DapClient.start("stdio")
    try:
        async with start_target(POOL, method) as target:
            await attach_tree(client, target.pid, {POOL: [POOL_LINE]})
            target.process.send_signal(signal.SIGUSR1)
            workers = {int(pid) for pid in (await target.expect(r"^POOL ([\d,]+)$"))[1].split(",")}
            child, stopped = await stopped_child(client, pids=workers, timeout=30)
            frames = (await child.request("stackTrace", {"threadId": stopped["body"]["threadId"]}))[
                "stackFrames"
            ]
            assert (frames[0]["name"], frames[0]["line"]) == ("square", POOL_LINE)
            await client.request("setBreakpoints", {"source": {"path": str(POOL)}, "breakpoints": []})
            child.events.clear()
            await child.request("continue", {"threadId": stopped["body"]["threadId"]})
            result = asyncio.ensure_future(target.expect(r"^RESULT \[0, 1, 4, 9\]$", timeout=30))
            while not result.done():  # the other worker may have stopped too, before the clear
                stop = asyncio.ensure_future(stopped_child(client, pids=workers, timeout=30))
                await asyncio.wait([result, stop], return_when=asyncio.FIRST_COMPLETED)
                if stop.done() and not result.done():
                    other, again = stop.result()
                    other.events.clear()
                    await other.request("continue", {"threadId": again["body"]["threadId"]})
                stop.cancel()
            await result
            names = [c.configuration["name"] for c in client.children]
            print(method, names)
            await client.request("disconnect", {})
    finally:
        assert await client.close() == 0
        client.assert_valid()


@pytest.mark.parametrize("how", ["subprocess", "exec"])
async def test_a_python_child_started_after_the_attach_stops_at_its_breakpoint(
    adapter: DapClient, how: str
) -> None:
    async with start_target(SPAWNER) as parent:
        await attach_tree(adapter, parent.pid, {CHILD: [CHILD_LINE]})
        started = time.monotonic()
        parent.process.send_signal(signal.SIGUSR1 if how == "subprocess" else signal.SIGUSR2)
        child_pid = int((await parent.expect(r"^CHILD (\d+)$"))[1])
        child, stopped = await stopped_child(adapter, pids={child_pid})
        took = (time.monotonic() - started) * 1000
        print(f"{how}: the child stopped at its breakpoint {took:.0f} ms after it was started")
        frames = (await child.request("stackTrace", {"threadId": stopped["body"]["threadId"]}))["stackFrames"]
        assert (frames[0]["name"], frames[0]["line"]) == ("work", CHILD_LINE)
        assert frames[0]["source"]["path"] == str(CHILD)
        await adapter.request("setBreakpoints", {"source": {"path": str(CHILD)}, "breakpoints": []})
        await child.request("continue", {"threadId": stopped["body"]["threadId"]})
        await parent.expect(r"^CHILD EXIT 0$", timeout=20)
        exited = await child.wait_event("exited")
        assert exited["body"]["exitCode"] == 0
        await child.wait_event("terminated")


@pytest.mark.parametrize("delay", ["0", "0.001", "0.01"])
async def test_a_child_that_execs_as_its_agent_moves_to_its_session_stops_in_the_new_program(
    adapter: DapClient, delay: str
) -> None:
    """The forked child execs the moment its agent starts moving to the child's session (and a little
    later): whether the agent got there, died on the way, or the session's first requests meet the exec,
    the session attaches to the new program and it stops at its breakpoint."""
    async with start_target(EXEC_AS_MOVED, delay) as parent:
        await attach_tree(adapter, parent.pid, {CHILD: [CHILD_LINE]})
        parent.process.send_signal(signal.SIGUSR1)
        seen = await parent.expect(r"^(MOVING|NO MOVE) (\d+)$")
        assert seen[1] == "MOVING", "the child's agent never began to move to its session"
        pid = int(seen[2])
        child, stopped = await stopped_child(adapter, pids={pid})
        assert stopped["body"]["reason"] == "breakpoint"
        frames = (await child.request("stackTrace", {"threadId": stopped["body"]["threadId"]}))["stackFrames"]
        assert (frames[0]["name"], frames[0]["line"], frames[0]["source"]["path"]) == (
            "work",
            CHILD_LINE,
            str(CHILD),
        )
        await adapter.request("setBreakpoints", {"source": {"path": str(CHILD)}, "breakpoints": []})
        await child.request("continue", {"threadId": stopped["body"]["threadId"]})
        await parent.expect(r"^CHILD EXIT 0$", timeout=20)
        assert (await child.wait_event("exited"))["body"]["exitCode"] == 0
        assert [c.child_pid for c in adapter.children] == [pid]


async def test_a_child_that_cannot_be_attached_is_reported_once(adapter: DapClient) -> None:
    async with start_target(SPAWNER) as parent:
        await attach_tree(adapter, parent.pid)
        parent.process.send_signal(signal.SIGHUP)
        child_pid = int((await parent.expect(r"^CHILD (\d+)$"))[1])
        said = await output(adapter, f"Child process {child_pid}")
        assert "cannot be debugged: remote debugging is disabled" in said
        assert "PYTHON_DISABLE_REMOTE_DEBUG" in said
        await parent.expect(r"^CHILD EXIT 0$", timeout=20)  # 5 s of the process table being read
        reports = [
            e
            for e in adapter.events
            if e["event"] == "output" and f"Child process {child_pid}" in e["body"]["output"]
        ]
        assert len(reports) == 1
        assert adapter.start_debugging_requests == []


async def test_a_forked_child_gets_the_roots_exception_options_and_its_output_shows_in_its_session(
    adapter: DapClient,
) -> None:
    """What the parent's session asked for reaches the child's: a break mode per exception type (through
    the root while the child is held, and through the child session's own requests), and the program's
    output, shown in the child's console, not the root's."""
    always_on_key_error = {"path": [{"names": ["KeyError"]}], "breakMode": "always"}
    async with start_target(FORKING_PRINTER) as parent:
        await attach_tree(adapter, parent.pid)
        await adapter.request(
            "setExceptionBreakpoints", {"filters": [], "exceptionOptions": [always_on_key_error]}
        )
        parent.process.send_signal(signal.SIGUSR1)
        pid = int((await parent.expect(r"^CHILD (\d+)$"))[1])
        child, stopped = await stopped_child(adapter, pids={pid})
        assert stopped["body"]["reason"] == "exception"
        thread = stopped["body"]["threadId"]
        frames = (await child.request("stackTrace", {"threadId": thread}))["stackFrames"]
        assert (frames[0]["name"], frames[0]["line"]) == ("lookup", LOOKUP_LINE)
        assert (await child.request("exceptionInfo", {"threadId": thread}))["exceptionId"] == "KeyError"

        await child.request("setExceptionBreakpoints", {"filters": []})
        await child.request("continue", {"threadId": thread})
        tick = await child.wait_event(
            "output", lambda e: e["body"]["category"] == "stdout" and e["body"]["output"].startswith("TICK ")
        )
        assert tick["body"]["output"].endswith("\n")
        assert not [e for e in adapter.events if e["event"] == "output" and "TICK" in e["body"]["output"]]
        assert not [e for e in adapter.events if e["event"] == "stopped"]


@needs(*CONTAINER)
@pytest.mark.direct_only("containers are the direct driver's: the portable one refuses a target in one")
@pytest.mark.parametrize(
    ("how", "where"),
    [("fork", "host"), ("subprocess", "host"), ("fork", "sidecar")],
    ids=["fork-from-host", "subprocess-from-host", "fork-from-sidecar"],
)
async def test_a_child_in_a_container_is_followed_in_its_namespaces(how: str, where: str) -> None:
    """A tree in its own mount, PID, user and network namespaces, from the host and from a sidecar (each
    child session's adapter started like the first): a forked child gets its fresh agent from inside the
    container (so it stops on its first call), a program it starts is attached there too; each child session
    shows the container's paths and PIDs, and nothing is left in the container or printed in its output."""
    async with start_container(IN_CONTAINER.name, kinds=CONTAINER) as parent:
        client = await DapClient.start("stdio", prefix=sidecar(parent) if where == "sidecar" else ())
        try:
            path = f"/app/{IN_CONTAINER.name}"
            pid = parent.pid_inside if where == "sidecar" else parent.pid
            await attach_tree(client, pid, {Path(path): [IN_CONTAINER_LINE]})
            os.kill(parent.pid, signal.SIGUSR1 if how == "fork" else signal.SIGUSR2)
            inside = int((await parent.expect(r"^CHILD (\d+)$"))[1])
            child, stopped = await stopped_child(client, timeout=30)
            assert child.child_pid is not None
            assert (
                child.child_pid if where == "sidecar" else namespaces.pid_inside(child.child_pid)
            ) == inside
            thread = stopped["body"]["threadId"]
            top = (await child.request("stackTrace", {"threadId": thread}))["stackFrames"][0]
            assert (top["name"], top["line"], top["source"]["path"]) == ("work", IN_CONTAINER_LINE, path)
            reference = top["source"]["sourceReference"]
            served = await child.request("source", {"source": top["source"], "sourceReference": reference})
            assert served["content"] == IN_CONTAINER.read_text(), "served from the container's filesystem"
            scopes = (await child.request("scopes", {"frameId": top["id"]}))["scopes"]
            values = await child.request("variables", {"variablesReference": scopes[0]["variablesReference"]})
            number = next(v["value"] for v in values["variables"] if v["name"] == "number")
            if how == "fork":
                assert number == "0", "a forked child is held at its fork until its breakpoints are set"
            await client.request("setBreakpoints", {"source": {"path": path}, "breakpoints": []})
            await child.request("continue", {"threadId": thread})
            await parent.expect(r"^CHILD EXIT 0$", timeout=20)
            await child.wait_event("terminated")
            await client.request("disconnect", {})
            assert await client.close() == 0
            tmp = f"/proc/{parent.pid}/root/tmp"
            assert [name for name in os.listdir(tmp) if name.startswith("dapattach-")] == []
            assert parent.stderr_lines == [], "nothing may be printed into the container's output"
        finally:
            await client.close()
