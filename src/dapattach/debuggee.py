"""The attached process as one DAP session sees it: its agent link, the user's options, its paths.

Handlers talk to the target only through `Debuggee.request`, which turns the agent's failures into
messages for the user and translates paths between the editor and the target. When the agent's link
closes without a detach (the target exited or was killed), the editor is told at once.
"""

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable
from typing import Any

from dapattach.attach.inject import inject_agent
from dapattach.attach.link import AgentError, AgentGone, AgentLink
from dapattach.options import AttachOptions
from dapattach.pathmap import PathMapper
from dapattach.session import RequestError

log = logging.getLogger(__name__)

type Body = dict[str, Any]
type SendEvent = Callable[[str, Body | None], None]

TERMINATE_GRACE = 5.0


class Debuggee:
    def __init__(self, options: AttachOptions, send_event: SendEvent) -> None:
        self.pid = options.process_id
        self.options = options
        self.paths = PathMapper(options.path_mappings)
        self.link: AgentLink | None = None
        self._send_event = send_event
        self._leaving = False
        self._watcher: asyncio.Task[None] | None = None

    async def attach(self) -> AgentLink:
        """Inject the agent and configure it; raises `AttachError` with the user's message."""
        link = await inject_agent(self.pid, timeout=self.options.timeout, on_event=self._forward_event)
        self.link = link
        await self.request(
            "configure",
            {"justMyCode": self.options.just_my_code, "showReturnValue": self.options.show_return_value},
        )
        self._watcher = asyncio.create_task(self._watch(link), name=f"watch-agent-{self.pid}")
        return link

    async def request(self, command: str, arguments: Body | None = None) -> Body:
        """Ask the agent; a failure becomes a `RequestError` the editor shows as it is."""
        link = self.link
        if link is None:
            raise RequestError(f"{command!r} needs an attached process: attach to a PID first.")
        try:
            return await link.request(command, arguments)
        except AgentGone:
            raise RequestError(
                f"Process {self.pid} is no longer attached (it exited or the agent was stopped)."
            ) from None
        except AgentError as error:
            raise RequestError(str(error)) from None

    async def detach(self) -> None:
        """Let the target run on without us: the agent resumes every thread and removes itself."""
        self._leaving = True
        if self.link is not None:
            await self.link.detach()
        await self._stop_watching()

    async def terminate(self) -> int | None:
        """End the target (SIGTERM, then SIGKILL after a grace period); returns a shell-style exit code."""
        self._leaving = True
        if self.link is not None:
            self.link.close()
        await self._stop_watching()
        try:
            pidfd = os.pidfd_open(self.pid)
        except ProcessLookupError:
            return None
        try:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError):
                    signal.pidfd_send_signal(pidfd, sig)
                if await _exited(pidfd, TERMINATE_GRACE):
                    return 128 + sig
            return None
        finally:
            os.close(pidfd)

    def _forward_event(self, event: str, body: Body) -> None:
        if event in ("breakpoint", "loadedSource"):
            self.map_sources(body)
        self._send_event(event, body)

    def map_sources(self, body: object) -> None:
        """Rewrite every `source.path` in an answer from the target's paths to the editor's."""
        match body:
            case {"source": {"path": str(path)} as source}:
                source["path"] = self.paths.to_editor(path)
        if isinstance(body, dict):
            for value in body.values():
                if isinstance(value, dict | list):
                    self.map_sources(value)
        elif isinstance(body, list):
            for item in body:
                self.map_sources(item)

    async def _watch(self, link: AgentLink) -> None:
        await link.closed.wait()
        if self._leaving:
            return
        if not await _exits_soon(self.pid):
            reason = "the agent in it stopped answering"
            self._send_event(
                "output", {"category": "important", "output": f"Process {self.pid}: {reason}.\n"}
            )
        else:
            self._send_event("output", {"category": "console", "output": f"Process {self.pid} has exited.\n"})
        self._send_event("terminated", None)

    async def _stop_watching(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher


async def _exits_soon(pid: int, within: float = 1.0) -> bool:
    """Whether the process has exited or does so shortly: a dying process closes its sockets (which is
    how we noticed) a moment before it is gone, so look again for a little while."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return await _exited(pidfd, within)
    finally:
        os.close(pidfd)


async def _exited(pidfd: int, timeout: float) -> bool:
    """Wait until the process behind `pidfd` has exited (the fd becomes readable), or time out."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def readable() -> None:
        if not done.done():
            done.set_result(None)

    loop.add_reader(pidfd, readable)
    try:
        async with asyncio.timeout(timeout):
            await done
        return True
    except TimeoutError:
        return False
    finally:
        loop.remove_reader(pidfd)
