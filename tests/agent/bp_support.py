"""Helpers for breakpoint, stepping and exception tests against the `bp_jobs.py` target."""

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from agent_harness import TARGET, TARGETS, Target, attach, start_target
from dapattach.attach.link import AgentLink

JOBS = TARGETS / "bp_jobs.py"
LATER = TARGETS / "bp_later.py"


def line_of(marker: str, path: Path = JOBS) -> int:
    for number, text in enumerate(path.read_text().splitlines(), 1):
        if text.rstrip().endswith(f"# @{marker}"):
            return number
    raise AssertionError(f"no line marked @{marker} in {path}")


async def run_job(link: AgentLink, job: str) -> None:
    await link.request("evaluate", {"expression": f"requests.append({job!r})", "context": "repl"})


async def next_event(link: AgentLink, name: str, seen: list[tuple[str, Any]] | None = None) -> dict[str, Any]:
    """The next `name` event; every event before it is appended to `seen`."""
    async with asyncio.timeout(10):
        while True:
            event, body = await link.events.get()
            if event == name:
                return body
            if seen is not None:
                seen.append((event, body))


async def top_frame(link: AgentLink, thread_id: int) -> dict[str, Any]:
    frames = (await link.request("stackTrace", {"threadId": thread_id, "levels": 1}))["stackFrames"]
    return frames[0]


async def stack_names(link: AgentLink, thread_id: int) -> list[str]:
    frames = (await link.request("stackTrace", {"threadId": thread_id}))["stackFrames"]
    return [frame["name"] for frame in frames]


async def value_of(link: AgentLink, frame_id: int, expression: str) -> str:
    body = await link.request("evaluate", {"expression": expression, "frameId": frame_id, "context": "watch"})
    return str(body["result"])


async def set_lines(link: AgentLink, *specs: dict[str, Any], path: Path = JOBS) -> list[dict[str, Any]]:
    body = await link.request("setBreakpoints", {"source": {"path": str(path)}, "breakpoints": list(specs)})
    return list(body["breakpoints"])


async def resume(link: AgentLink) -> None:
    await link.request("continue", {"threadId": 0})


def done(job: str) -> str:
    return rf"^done {re.escape(job)}$"


@contextlib.asynccontextmanager
async def jobs_target(python: str = TARGET) -> AsyncIterator[tuple[Target, AgentLink]]:
    """The bp_jobs target with an agent attached and its main thread released; detached at the end."""
    async with start_target("bp_jobs.py", python=python) as target:
        link = await attach(target)
        await link.request("ready", {})
        try:
            yield target, link
        finally:
            await link.detach()
