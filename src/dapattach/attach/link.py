"""`AgentLink`: the adapter's asyncio end of the connection to the agent inside the target.

Requests are matched to responses by `seq`, and any number may be in flight: the agent answers the
target's code (evaluations, reprs) from the stopped thread while it answers everything else at once.
Events go to `on_event` when set, else to the `events` queue. A request whose caller gives up (the editor
sent `cancel`, the session ends) is cancelled in the agent too, which interrupts the target's code it runs.
When the socket closes (detach, target exit, agent gone) every pending request fails with `AgentGone` and
`closed` is set.
The program's output comes as raw bytes after a header line; it is decoded here (one incremental decoder
per stream) and delivered as an `output` event. `flow`, when set, is awaited after each one, so a client
that reads slowly slows the link down instead of filling our memory (the agent then drops output, and says
so, rather than hold the target up).
"""

import asyncio
import codecs
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

log = logging.getLogger(__name__)

type Body = dict[str, Any]
type EventHandler = Callable[[str, Body], None]

OUTPUT_LIMIT = 64 * 1024 * 1024


class AgentError(Exception):
    """The agent answered a request with a failure; `str()` is the agent's message for the user."""

    def __init__(self, command: str, message: str) -> None:
        super().__init__(message)
        self.command = command


class AgentGone(AgentError):
    """The connection to the agent ended before the answer came."""


class AgentLink:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        hello: Mapping[str, Any],
        on_event: EventHandler | None = None,
        *,
        pid: int | None = None,
    ) -> None:
        self.hello: dict[str, Any] = dict(hello)
        self.pid: int = int(hello.get("pid", 0)) if pid is None else pid
        """The target's PID as the adapter sees it (the hello's is the one inside its PID namespace)."""
        self.python: str = str(hello.get("python", ""))
        self.executable: str = str(hello.get("executable", ""))
        self.free_threaded = bool(hello.get("freeThreaded"))
        """The target ran without the GIL when the agent came in (a 3.14t build)."""
        self.on_event = on_event
        self.flow: Callable[[], Awaitable[None]] | None = None
        self.events: asyncio.Queue[tuple[str, Body]] = asyncio.Queue()
        self.closed = asyncio.Event()
        self._reader = reader
        self._writer = writer
        self._seq = 0
        self._pending: dict[int, asyncio.Future[Body]] = {}
        self._decoders: dict[tuple[str, str], codecs.IncrementalDecoder] = {}
        self._reading = asyncio.get_running_loop().create_task(
            self._read_loop(), name=f"agent-link-{self.pid}"
        )

    async def request(self, command: str, arguments: Mapping[str, Any] | None = None) -> Body:
        """Send a request and return the response body; raises `AgentError` when the agent says no."""
        return await self.send(command, arguments)

    def send(self, command: str, arguments: Mapping[str, Any] | None = None) -> Awaitable[Body]:
        """Write a request now and return what to await for its answer: requests sent one after another
        reach the agent in that order without waiting for each other's answers (on a busy target each
        wait for an answer is a wait for the GIL). Failures are raised when the answer is awaited."""
        if self.closed.is_set():
            return _raise(AgentGone(command, f"the agent in process {self.pid} is no longer connected"))
        self._seq += 1
        seq = self._seq
        future: asyncio.Future[Body] = asyncio.get_running_loop().create_future()
        self._pending[seq] = future
        message = {"type": "request", "seq": seq, "command": command, "arguments": dict(arguments or {})}
        try:
            self._writer.write(json.dumps(message).encode() + b"\n")
        except (ConnectionError, OSError) as error:
            self._pending.pop(seq, None)
            return _raise(AgentGone(command, f"lost the agent in process {self.pid}: {error}"))
        return self._answer(command, seq, future)

    async def _answer(self, command: str, seq: int, future: asyncio.Future[Body]) -> Body:
        try:
            await self._writer.drain()
            return await future
        except (ConnectionError, OSError) as error:
            raise AgentGone(command, f"lost the agent in process {self.pid}: {error}") from error
        except asyncio.CancelledError:
            if future.cancelled() or not future.done():  # cancelling this task cancels the future too
                self._send_cancel(seq)
            raise
        finally:
            self._pending.pop(seq, None)

    def _send_cancel(self, seq: int) -> None:
        """Tell the agent to stop request `seq`; its answer, if any, is dropped (nobody waits for it)."""
        if self.closed.is_set() or self._writer.is_closing():
            return
        self._seq += 1
        message = {"type": "request", "seq": self._seq, "command": "cancel", "arguments": {"requestId": seq}}
        self._writer.write(json.dumps(message).encode() + b"\n")

    async def wait_for_event(self, name: str, timeout: float) -> Body:
        """The body of the next `name` event from the queue, dropping other events before it."""
        async with asyncio.timeout(timeout):
            while True:
                event, body = await self.events.get()
                if event == name:
                    return body

    async def detach(self, timeout: float = 5.0) -> None:
        """Ask the agent to remove itself, and wait until it has closed the connection."""
        with contextlib.suppress(AgentError, TimeoutError):
            async with asyncio.timeout(timeout):
                await self.request("detach", {})
                await self.closed.wait()
        self.close()

    def close(self) -> None:
        """Drop the connection at once (the agent sees end of file and detaches by itself)."""
        if not self._writer.is_closing():
            self._writer.close()

    async def wait_closed(self) -> None:
        await self.closed.wait()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()

    async def _read_loop(self) -> None:
        try:
            while line := await self._reader.readline():
                message = json.loads(line)
                match message:
                    case {"type": "output", "size": int(size)} if 0 <= size <= OUTPUT_LIMIT:
                        await self._output(message, await self._reader.readexactly(size))
                    case {"type": "output"}:
                        raise ValueError(f"bad output frame {message!r:.200}")
                    case _:
                        self._dispatch(message)
        except (ConnectionError, OSError, ValueError, asyncio.IncompleteReadError) as error:
            log.warning("agent link to process %s broke: %s", self.pid, error)
        finally:
            self.closed.set()
            self.close()
            for seq, future in self._pending.items():
                if not future.done():
                    future.set_exception(AgentGone("", f"the agent in process {self.pid} disconnected"))
                log.debug("request %s abandoned", seq)

    async def _output(self, header: Mapping[str, Any], payload: bytes) -> None:
        category, encoding = str(header.get("category")), str(header.get("encoding"))
        decoder = self._decoders.get((category, encoding))
        if decoder is None:
            try:
                decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
            except LookupError:
                decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            self._decoders[category, encoding] = decoder
        text = decoder.decode(payload)
        if text:
            self._dispatch(
                {"type": "event", "event": "output", "body": {"category": category, "output": text}}
            )
        if self.flow is not None:
            with contextlib.suppress(Exception):
                await self.flow()

    def _dispatch(self, message: Mapping[str, Any]) -> None:
        match message:
            case {"type": "response", "request_seq": int(seq), "success": True}:
                self._resolve(seq, lambda future: future.set_result(dict(message.get("body") or {})))
            case {"type": "response", "request_seq": int(seq), "command": str(command)}:
                error = AgentError(command, str(message.get("message") or f"{command} failed"))
                self._resolve(seq, lambda future: future.set_exception(error))
            case {"type": "event", "event": str(event)}:
                body = dict(message.get("body") or {})
                if self.on_event is not None:
                    self.on_event(event, body)
                else:
                    self.events.put_nowait((event, body))
            case _:
                log.warning("unexpected message from the agent in process %s: %.200r", self.pid, message)

    def _resolve(self, seq: int, settle: Callable[[asyncio.Future[Body]], None]) -> None:
        future = self._pending.get(seq)
        if future is not None and not future.done():
            settle(future)


async def _raise(error: AgentError) -> Body:
    raise error
