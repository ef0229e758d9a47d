"""Attach and detach the way an editor does, identically for every adapter under test.

DAP orders it: `initialize` → `attach` → `initialized` event → breakpoints → `configurationDone` → the
`attach` response. Some adapters answer `attach` before `initialized`; both orders are accepted.
"""

import asyncio
import dataclasses
import time
from typing import Any

from dap import Body, DapClient, DapError


@dataclasses.dataclass(frozen=True)
class Debugger:
    name: str
    argv: tuple[str, ...]
    adapter_id: str


@dataclasses.dataclass
class Attached:
    """What attaching cost and returned."""

    attach_ms: float
    """From sending `attach` to the `threads` answer."""
    threads: list[Body]
    breakpoints: list[Body]
    threads_ns: int
    """When the `threads` answer arrived (`perf_counter_ns`)."""
    shown_ms: float | None = None
    """From sending `attach` to the top frames of the first thread (`top_frames=True`)."""
    frames: list[Body] = dataclasses.field(default_factory=list)


type Breakpoints = dict[str, list[dict[str, Any]]]


class Session:
    def __init__(self, client: DapClient, started_ns: int) -> None:
        self.client = client
        self.started_ns = started_ns
        """When the adapter process was started (`perf_counter_ns`)."""
        self.initialize_ms = 0.0
        """From starting the adapter process to its `initialize` answer."""
        self.detached = False

    @classmethod
    async def open(cls, debugger: Debugger) -> tuple[Session, float]:
        """Start the adapter and run `initialize`; returns the session and the ms that took."""
        started = time.perf_counter_ns()
        client = await DapClient.spawn(list(debugger.argv), debugger.name)
        session = cls(client, started)
        try:
            await client.request(
                "initialize",
                {
                    "clientID": "dapattach-bench",
                    "clientName": "dapattach bench",
                    "adapterID": debugger.adapter_id,
                    "linesStartAt1": True,
                    "columnsStartAt1": True,
                    "pathFormat": "path",
                    "supportsVariableType": True,
                    "supportsVariablePaging": True,
                    "supportsRunInTerminalRequest": False,
                    "supportsProgressReporting": True,
                    "supportsInvalidatedEvent": True,
                    "supportsStartDebuggingRequest": True,
                },
                timeout=20.0,
            )
        except BaseException:
            await client.close(timeout=2.0)
            raise
        session.initialize_ms = (time.perf_counter_ns() - started) / 1e6
        return session, session.initialize_ms

    async def attach(
        self,
        pid: int,
        breakpoints: Breakpoints | None = None,
        timeout: float = 30.0,
        top_frames: bool = False,
        configuration: Body | None = None,
        options: Body | None = None,
    ) -> Attached:
        """Attach to `pid` (with `configuration`, for a child session; `options` added to the attach
        arguments), configure, and time it up to the first `threads` answer (and, with `top_frames`, up to
        the first thread's top 20 frames, which is what an editor shows next)."""
        client = self.client
        started = time.perf_counter_ns()
        base = configuration if configuration is not None else {"processId": pid}
        arguments = {**base, **(options or {})}
        attach_answer = asyncio.ensure_future(client.response(client.send("attach", arguments), timeout))
        initialized = asyncio.ensure_future(client.event("initialized", timeout))
        try:
            await asyncio.wait({attach_answer, initialized}, return_when=asyncio.FIRST_COMPLETED)
            if attach_answer.done() and not attach_answer.result().get("success"):
                raise DapError(f"attach failed: {attach_answer.result().get('message')}")
            await initialized
            verified: list[Body] = []
            for path, lines in (breakpoints or {}).items():
                verified += await self.set_breakpoints(path, lines)
            await client.request("configurationDone", timeout=timeout)
            answer = await attach_answer
            if not answer.get("success"):
                raise DapError(f"attach failed: {answer.get('message')}")
            threads = (await client.request("threads", timeout=timeout)).get("threads", [])
            threads_ns = time.perf_counter_ns()
            attached = Attached((threads_ns - started) / 1e6, threads, verified, threads_ns)
            if top_frames and threads:
                arguments = {"threadId": threads[0]["id"], "startFrame": 0, "levels": 20}
                trace = await client.request("stackTrace", arguments, timeout=timeout)
                attached.shown_ms = (time.perf_counter_ns() - started) / 1e6
                attached.frames = trace.get("stackFrames", [])
        finally:
            attach_answer.cancel()
            initialized.cancel()
        return attached

    async def set_breakpoints(self, path: str, lines: list[dict[str, Any]]) -> list[Body]:
        body = await self.client.request(
            "setBreakpoints", {"source": {"path": path}, "breakpoints": lines}, timeout=15.0
        )
        result: list[Body] = body.get("breakpoints", [])
        return result

    async def detach(self) -> None:
        """`disconnect` without terminating the target, as an editor's stop button on an attach does."""
        if self.detached:
            return
        self.detached = True
        try:
            await self.client.request("disconnect", {"terminateDebuggee": False}, timeout=10.0)
        finally:
            await self.client.close()

    async def close(self) -> None:
        """Best effort, for error paths: never raises."""
        try:
            await self.detach()
        except Exception:
            await self.client.close(timeout=2.0)
