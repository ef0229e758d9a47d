"""One DAP session: reads messages from a connection, runs handlers, writes their answers.

Handlers are registered explicitly per command in a `HandlerTable` (one per DAP area, merged in
`dapattach.handlers`). Each request runs as its own task, so a handler may await for as long as it needs
(attach waits for `configurationDone`) while the session keeps serving other requests; `cancel` cancels that
task. A handler returns the response body, raises `RequestError` for an error the user should read, and
any other exception becomes an error response too: the session keeps serving.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import attrs

from dapattach.greeting import Opening
from dapattach.protocol import types
from dapattach.protocol.converter import structure
from dapattach.protocol.endpoint import Endpoint, Event, InvalidMessage, Request, Response
from dapattach.protocol.errors import ProtocolError

log = logging.getLogger("dapattach.session")
trace = logging.getLogger("dapattach.trace")


class Connection(Protocol):
    """What a transport gives a session: a byte stream in both directions."""

    async def read(self) -> bytes:
        """Some bytes, or b"" at end of stream."""
        ...

    def write(self, data: bytes) -> None:
        """Queue bytes for sending; one call per message, never blocking."""
        ...

    async def drain(self) -> None: ...

    def close(self) -> None: ...


class RequestError(Exception):
    """Raised by a handler to fail its request with a message meant for the user.

    `short` is DAP's raw reason (`cancelled`, `notStopped`); when set, the client does not show the message.
    """

    def __init__(self, message: str, *, short: str | None = None) -> None:
        super().__init__(message)
        self.short = short


@attrs.frozen
class Refusal:
    """A request a connection may not make; it is answered with `message` and the connection closed."""

    message: str


class Gate(Protocol):
    """Decides request by request whether a connection is served (see `access.py`)."""

    def admit(self, request: Request) -> Refusal | None:
        """None to serve `request`."""
        ...


class Watcher(Protocol):
    """Told of each request the session receives and each event it sends (see `unattended.py`)."""

    def request_received(self, command: str, arguments: object) -> None: ...

    def event_sent(self, event: str, body: object) -> None: ...


class ClientRequestFailed(Exception):
    """The client answered a reverse request (e.g. `runInTerminal`) with an error."""


type Handler = Callable[[Any, RequestContext], Awaitable[object]]
type Cleanup = Callable[[types.DisconnectArguments], Awaitable[None]]


@attrs.frozen
class Registration:
    handler: Handler
    arguments: type | None
    """Class the raw arguments are structured into; None passes the raw JSON value."""


class HandlerTable:
    """Handlers of one DAP area plus the capabilities they implement.

    Capabilities are keyword arguments of `types.Capabilities` (snake_case), so a typo fails at import.
    """

    def __init__(self, **capabilities: Any) -> None:
        unknown = capabilities.keys() - types.Capabilities.__annotations__.keys()
        if unknown:
            raise TypeError(f"not capabilities of DAP: {sorted(unknown)}")
        self.capabilities: dict[str, Any] = dict(capabilities)
        self.handlers: dict[str, Registration] = {}

    def on(self, command: str, *, arguments: type | None = None) -> Callable[[Handler], Handler]:
        """Register the decorated coroutine for `command`.

        Arguments are structured into `arguments`, by default the schema's class for the command
        (`types.REQUESTS`); a command outside the schema without `arguments` gets the raw JSON value.
        """
        if arguments is None and command in types.REQUESTS:
            arguments = types.REQUESTS[command][0]

        def register(handler: Handler) -> Handler:
            if command in self.handlers:
                raise ValueError(f"two handlers for the {command!r} request")
            self.handlers[command] = Registration(handler, arguments)
            return handler

        return register

    @classmethod
    def merge(cls, *tables: HandlerTable) -> HandlerTable:
        merged = cls()
        for table in tables:
            for command, registration in table.handlers.items():
                if command in merged.handlers:
                    raise ValueError(f"two handler modules register the {command!r} request")
                merged.handlers[command] = registration
            merged.capabilities.update(table.capabilities)
        return merged


@attrs.define
class RequestContext:
    """What a handler gets besides its arguments: the session and the request being answered."""

    session: Session
    request: Request

    def send_event(self, event: str, body: object = None) -> None:
        self.session.send_event(event, body)

    async def request_client(self, command: str, arguments: object = None) -> Any:
        return await self.session.request_client(command, arguments)


class Session:
    """Serves one client connection until disconnect, end of stream or a broken stream."""

    def __init__(
        self,
        connection: Connection,
        table: HandlerTable,
        *,
        label: str = "session",
        gate: Gate | None = None,
        opening: Opening | None = None,
    ) -> None:
        """`opening`: the stream as `dapattach.greeting` left it, `initialize` perhaps answered already."""
        self.connection = connection
        self.label = label
        self.table = table
        self.gate = gate
        """Asked before each request when the peer was not admitted at once (`--listen`)."""
        self.endpoint = (
            Endpoint() if opening is None else Endpoint(decoder=opening.decoder, next_seq=opening.next_seq)
        )
        self.converter = self.endpoint.converter
        self.state: dict[str, Any] = {}
        """Per-session data of the handler areas (the attached target, its agent link, ...)."""
        self.client: types.InitializeRequestArguments | None = None
        """The client's `initialize` arguments, once received."""
        self.configured = asyncio.Event()
        """Set by `configurationDone`; attach awaits it before answering."""
        self.initialized_response_sent = False
        self.watchers: list[Watcher] = []
        self._held_events: list[bytes] = []
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._reverse: dict[int, asyncio.Future[Response]] = {}
        self._cleanups: list[Cleanup] = []
        self._ending = False
        self._closed = False
        self._reader: asyncio.Task[None] | None = None
        if opening is not None and opening.exchange is not None:
            request, answer = opening.exchange
            self.client = structure(self.converter, request["arguments"], types.InitializeRequestArguments)
            self.initialized_response_sent = True
            if trace.isEnabledFor(logging.DEBUG):
                trace.debug(
                    "%s: initialize was answered as the adapter started, before the trace began:", label
                )
                self._trace_in(request)
                self._trace_out(answer)

    @property
    def capabilities(self) -> types.Capabilities:
        """Everything the registered areas implement, as sent in the `initialize` response."""
        return types.Capabilities(**self.table.capabilities)

    # -- for handlers -----------------------------------------------------------------------------------

    def send_event(self, event: str, body: object = None) -> None:
        """Send an event now (held back until the `initialize` response is out, as DAP requires)."""
        data = self.endpoint.send_event(event, body)
        for watcher in self.watchers:
            watcher.event_sent(event, body)
        if self.initialized_response_sent:
            self._write(data)
        else:
            self._held_events.append(data)

    async def request_client(self, command: str, arguments: object = None) -> Any:
        """Send a reverse request (`runInTerminal`, `startDebugging`) and return the response body."""
        request, data = self.endpoint.send_request(command, arguments)
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._reverse[request.seq] = future
        self._write(data)
        try:
            response = await future
        finally:
            self._reverse.pop(request.seq, None)
            self.endpoint.cancel_awaiting(request.seq)
        if not response.success:
            raise ClientRequestFailed(
                f"the client refused {command!r}: {response.message or 'no reason given'}"
            )
        return response.body

    def add_cleanup(self, cleanup: Cleanup) -> None:
        """Run `cleanup` once when the session ends (disconnect, or the client vanishing), newest first."""
        self._cleanups.append(cleanup)

    async def run_cleanups(self, arguments: types.DisconnectArguments) -> None:
        while self._cleanups:
            cleanup = self._cleanups.pop()
            try:
                await cleanup(arguments)
            except Exception:
                log.exception("cleanup %r failed", cleanup)

    def answering(self) -> bool:
        """Whether a request is still being handled."""
        return any(not task.done() for task in self._tasks.values())

    def end(self) -> None:
        """Stop serving once the current request is answered (disconnect calls this)."""
        self._ending = True

    def cancel_request(self, seq: int) -> bool:
        """Cancel a request still being handled; it is answered with the error `cancelled`."""
        task = self._tasks.get(seq)
        if task is None or task.done():
            return False
        task.cancel()
        return True

    # -- the loop ---------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Serve until the client disconnects or goes away; cleanups have run when this returns."""
        self._reader = asyncio.create_task(self._read_loop(), name="dap-reader")
        try:
            await self._reader
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
        finally:
            await self._shutdown()

    async def _read_loop(self) -> None:
        try:
            while not self._ending and self._receive_next():
                pass
            while not self._ending:
                data = await self.connection.read()
                if not data:
                    self._receive_eof()
                    return
                self.endpoint.receive_data(data)
                while not self._ending and self._receive_next():
                    pass
                await self.connection.drain()
        except TimeoutError:
            log.warning(
                "%s: the client stopped answering (see --peer-timeout), so it is taken for gone and the "
                "session ends: what it attached to is detached and runs on",
                self.label,
            )
        except OSError as error:
            log.info("connection lost: %s", error)

    def _receive_eof(self) -> None:
        try:
            self.endpoint.receive_eof()
        except ProtocolError as error:
            log.warning("client closed the stream: %s", error)
        log.info("end of stream from the client")

    def _receive_next(self) -> bool:
        """Handle one message; False when more bytes are needed."""
        try:
            message = self.endpoint.next_message()
        except InvalidMessage as error:
            self._trace_received()
            self._report_broken(str(error))
            if error.seq is not None:
                self._write(self.endpoint.send_invalid_request_error(error.seq, error.command, str(error)))
            return True
        except ProtocolError as error:
            self._report_broken(str(error), fatal=not error.recoverable)
            if not error.recoverable:
                self._ending = True
            return error.recoverable
        if message is None:
            return False
        self._trace_received()
        match message:
            case Request(seq=seq):
                for watcher in self.watchers:
                    watcher.request_received(message.command, message.arguments)
                self._tasks[seq] = asyncio.create_task(
                    self._answer(message), name=f"dap-{message.command}-{seq}"
                )
            case Response(request_seq=request_seq):
                future = self._reverse.get(request_seq)
                if future is not None and not future.done():
                    future.set_result(message)
            case Event(event=event):
                log.info("ignoring event %r from the client", event)
        return True

    def _trace_received(self) -> None:
        if trace.isEnabledFor(logging.DEBUG):
            self._trace_in(self.endpoint.last_received)

    def _trace_in(self, message: dict[str, Any] | None) -> None:
        """A message received, into the trace; an `attach` token is never written to a file."""
        arguments = message.get("arguments") if message is not None else None
        if message is not None and isinstance(arguments, dict) and "token" in arguments:
            message = {**message, "arguments": {**arguments, "token": "(not logged)"}}
        trace.debug("%s <-- %s", self.label, json.dumps(message, ensure_ascii=False))

    def _report_broken(self, problem: str, fatal: bool = False) -> None:
        """Tell the client what was wrong with its input, so it knows why an answer does not come.

        Ordinary problems cost one message and are said as soon as events may be sent; a stream that
        cannot be read any further is said at once, before the connection closes.
        """
        log.warning("bad input from the client: %s", problem)
        if not fatal:
            body = {"category": "console", "output": f"dapattach: ignored input: {problem}\n"}
            self.send_event("output", body)
            return
        text = f"dapattach: closing the connection: {problem}. Start a new session to go on debugging.\n"
        self._write(self.endpoint.send_event("output", {"category": "important", "output": text}))

    async def _answer(self, request: Request) -> None:
        try:
            body = await self._dispatch(request)
        except asyncio.CancelledError:
            self._respond_error(request, "The request was cancelled.", short="cancelled")
        except RequestError as error:
            self._respond_error(request, str(error), short=error.short)
        except Exception as error:
            log.exception("handler for %r failed", request.command)
            self._respond_error(
                request, f"Internal error in {request.command!r}: {type(error).__name__}: {error}"
            )
        else:
            self._write(self.endpoint.send_response(request, body))
            if request.command == "initialize":
                self._release_held_events()
        finally:
            self._tasks.pop(request.seq, None)
        if self._ending and self._reader is not None:
            self._reader.cancel()

    async def _dispatch(self, request: Request) -> object:
        if self.gate is not None and (refusal := self.gate.admit(request)) is not None:
            self._ending = True
            raise RequestError(refusal.message)
        registration = self.table.handlers.get(request.command)
        if registration is None:
            known = (
                "is not supported by dapattach"
                if request.command in types.REQUESTS
                else "is not a DAP request"
            )
            raise RequestError(f"The {request.command!r} request {known}.")
        arguments: object = request.arguments
        if registration.arguments is not None:
            try:
                arguments = self.endpoint.parse_arguments(request, registration.arguments)
            except ValueError as error:
                raise RequestError(f"Invalid arguments for {request.command!r}: {error}") from None
        return await registration.handler(arguments, RequestContext(self, request))

    def _respond_error(self, request: Request, message: str, short: str | None = None) -> None:
        if request.seq in self.endpoint.unanswered:
            self._write(self.endpoint.send_error(request, message, short=short))

    def _release_held_events(self) -> None:
        self.initialized_response_sent = True
        held, self._held_events = self._held_events, []
        for data in held:
            self._write(data)

    def _write(self, data: bytes) -> None:
        if self._closed:
            return
        if trace.isEnabledFor(logging.DEBUG):
            self._trace_out(data)
        self.connection.write(data)

    def _trace_out(self, data: bytes) -> None:
        """A message sent (framed, as written), into the trace."""
        trace.debug("%s --> %s", self.label, data.partition(b"\r\n\r\n")[2].decode("utf-8"))

    async def _shutdown(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for future in self._reverse.values():
            if not future.done():
                future.cancel()
        await self.run_cleanups(types.DisconnectArguments())
        with contextlib.suppress(OSError):  # reset, or a client that stopped answering
            await self.connection.drain()
        self._closed = True
        self.connection.close()
