"""Helpers for process-tree tests: a session that answers `startDebugging`, requests to a prefork server."""

import asyncio
from pathlib import Path
from typing import Any

from agent_harness import TARGETS, Target
from dapclient import DapClient


def marked_line(path: Path, marker: str) -> int:
    return next(number for number, text in enumerate(path.read_text().splitlines(), 1) if marker in text)


PREFORK = TARGETS / "prefork_server.py"
HANDLER_LINE = marked_line(PREFORK, "# handler line")
START_LINE = marked_line(PREFORK, "# worker start line")
POOL = TARGETS / "pool_target.py"
POOL_LINE = marked_line(POOL, "# pool line")
SPAWNER = TARGETS / "spawner.py"
EXEC_AS_MOVED = TARGETS / "exec_as_moved.py"
CHILD = TARGETS / "tree_child.py"
CHILD_LINE = marked_line(CHILD, "# child line")
FORKING_PRINTER = TARGETS / "forking_printer.py"
LOOKUP_LINE = marked_line(FORKING_PRINTER, "# lookup line")


async def attach_tree(
    client: DapClient,
    pid: int,
    breakpoints: dict[Path, list[int]] | None = None,
    *,
    sessions: bool = True,
    **options: Any,
) -> None:
    """DAP's attach sequence as VS Code runs it, with breakpoints set before `configurationDone`; with
    `sessions`, child sessions are started for `startDebugging` like VS Code does."""
    if sessions:
        client.answer_start_debugging()
    await client.initialize(supportsProgressReporting=True)
    attach = asyncio.create_task(client.request("attach", {"processId": pid, **options}))
    await client.wait_event("initialized")
    for path, lines in (breakpoints or {}).items():
        await client.request(
            "setBreakpoints", {"source": {"path": str(path)}, "breakpoints": [{"line": n} for n in lines]}
        )
    await client.request("configurationDone")
    await attach


async def ask(port: int, text: str, timeout: float = 15.0) -> str:
    """One request to the prefork server; its answer is `<worker pid> <TEXT>`."""
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(text.encode() + b"\n")
        await writer.drain()
        answer = await reader.readline()
        writer.close()
    return answer.decode().strip()


def port_of(server: Target) -> int:
    return int(next(line.split()[1] for line in server.lines if line.startswith("LISTENING")))


def workers_of(server: Target) -> set[int]:
    return {int(line.split()[1]) for line in server.lines if line.startswith("WORKER ")}


async def stopped_child(
    client: DapClient, timeout: float = 15.0, pids: set[int] | None = None
) -> tuple[DapClient, dict[str, Any]]:
    """The first child session (of `pids`, if given) that reports `stopped`, and the event; child sessions
    that start meanwhile count too."""

    async def stop_of(child: DapClient) -> tuple[DapClient, dict[str, Any]]:
        return child, await child.wait_event("stopped", timeout=timeout)

    async with asyncio.timeout(timeout):
        while True:
            attached = [child for child in client.children if child.attached.is_set()]
            watched = [child for child in attached if pids is None or child.child_pid in pids]
            waits = [asyncio.ensure_future(stop_of(child)) for child in watched]
            more = asyncio.ensure_future(client.wait_children(len(attached) + 1, timeout=timeout))
            try:
                done, _ = await asyncio.wait([*waits, more], return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if task is not more:
                        return task.result()
            finally:
                for wait in [*waits, more]:
                    wait.cancel()


async def sessions_of(client: DapClient, pids: set[int], timeout: float = 30.0) -> list[DapClient]:
    """The child sessions of `pids`, once each has had its `attach` answered."""
    async with asyncio.timeout(timeout):
        count = 1
        while True:
            attached = await client.wait_children(count, timeout=timeout)
            if pids <= {child.child_pid for child in attached}:
                return [child for child in attached if child.child_pid in pids]
            count = len(attached) + 1


async def output(client: DapClient, text: str, timeout: float = 15.0) -> str:
    """The first `output` event containing `text`."""
    event = await client.wait_event("output", lambda e: text in e["body"]["output"], timeout=timeout)
    return str(event["body"]["output"])
