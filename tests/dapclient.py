"""A small asyncio DAP client for end-to-end tests: starts `python -m dapattach` and talks to it.

It frames messages itself (not with dapattach's codec, so the two check each other) and validates every
message the adapter sends against the official DAP schema: a test fails on any invalid message.

Like VS Code, it can answer the `startDebugging` reverse request (`answer_start_debugging`): it starts a
child session the way the editor would (a new adapter process over stdio, or a new connection to the
listening adapter), sends it the `attach` configuration it was given and the breakpoints this
session set, and answers once the child's `attach` is answered.
"""

import asyncio
import contextlib
import json
import os
import re
import signal
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import jsonschema

from interpreters import ADAPTER

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "tools" / "dap" / "debugAdapterProtocol.json"
LISTENING = re.compile(r"dapattach: listening on (?P<host>\S+):(?P<port>\d+)$")
TIMEOUT = 15.0

type Message = dict[str, Any]
type Dial = Callable[[int, str, int], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]

BREAKPOINT_COMMANDS = ("setBreakpoints", "setFunctionBreakpoints", "setExceptionBreakpoints")


class DapError(Exception):
    """The adapter answered a request with an error; `response` is the whole message."""

    def __init__(self, response: Message) -> None:
        error = (response.get("body") or {}).get("error") or {}
        super().__init__(error.get("format") or response.get("message") or "error response without a message")
        self.response = response


class SchemaChecker:
    """Validates adapter messages against the schema definition that matches them."""

    def __init__(self) -> None:
        if not SCHEMA_PATH.is_file():
            raise FileNotFoundError(
                f"the DAP schema is missing at {SCHEMA_PATH}: messages are checked against it"
            )
        schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
        self.definitions: dict[str, Any] = schema["definitions"]
        self._validators: dict[str, jsonschema.Draft4Validator] = {}

    def definition_for(self, message: Message) -> str:
        def named(name: str, suffix: str) -> str:
            candidate = name[:1].upper() + name[1:] + suffix
            return candidate if candidate in self.definitions else suffix

        match message.get("type"):
            case "response" if message.get("success") is False:
                return "ErrorResponse"
            case "response":
                return named(str(message.get("command")), "Response")
            case "event":
                return named(str(message.get("event")), "Event")
            case "request":
                return named(str(message.get("command")), "Request")
            case _:
                return "ProtocolMessage"

    def problems(self, message: Message) -> list[str]:
        name = self.definition_for(message)
        if name not in self._validators:
            self._validators[name] = jsonschema.Draft4Validator(
                {"$ref": f"#/definitions/{name}", "definitions": self.definitions}
            )
        if message.get("request_seq") == 0:  # the client's own seq 0 echoed back; the schema wants >= 1
            message = {**message, "request_seq": 1}
        return [f"{name}: {error.message} at {list(error.absolute_path)}" for error in
                self._validators[name].iter_errors(message)]  # fmt: skip


_CHECKER: SchemaChecker | None = None


def checker() -> SchemaChecker:
    global _CHECKER
    if _CHECKER is None:
        _CHECKER = SchemaChecker()
    return _CHECKER


class DapClient:
    """One connection to an adapter subprocess (see `start`)."""

    def __init__(
        self, process: asyncio.subprocess.Process, transport: str, *, owns_process: bool = True
    ) -> None:
        self.process = process
        self.transport = transport
        self.owns_process = owns_process
        """False for a child session over TCP: another connection to the parent's adapter process."""
        self.address: tuple[str, int] | None = None
        self.python = ADAPTER
        self.env: dict[str, str] | None = None
        self.options: tuple[str, ...] = ()
        self.prefix: Sequence[str] = ()
        """The command the adapter was started under (child sessions over stdio start theirs the same way)."""
        self.children: list[DapClient] = []
        """Child sessions started for `startDebugging`, in order."""
        self.start_debugging_requests: list[Message] = []
        self.breakpoint_requests: dict[tuple[str, str], Any] = {}
        self._start_debugging = False
        self._children_changed = asyncio.Condition()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | asyncio.StreamWriter | None = None
        self.messages: list[Message] = []
        self.events: list[Message] = []
        self.schema_errors: list[str] = []
        self.stderr_lines: list[str] = []
        self.closed_by_adapter = asyncio.Event()
        self._seq = 0
        self._responses: dict[int, asyncio.Future[Message]] = {}
        self._new_event = asyncio.Condition()
        self._stderr_changed = asyncio.Condition()
        self._tasks: list[asyncio.Task[None]] = []
        self.attached = asyncio.Event()
        """Set once this child session's `attach` was answered."""
        self.child_pid: int | None = None
        self.configuration: Message = {}

    # -- starting ---------------------------------------------------------------------------------------

    @classmethod
    async def start(
        cls,
        transport: str = "stdio",
        *options: str,
        python: str = ADAPTER,
        env: dict[str, str] | None = None,
        prefix: Sequence[str] = (),
        dial: Dial | None = None,
    ) -> DapClient:
        """Start the adapter (on `python`, with `env` added to the environment, after the command `prefix`
        such as one that enters namespaces) over `stdio`, `tcp` (`--listen 127.0.0.1:0`) or `unix:PATH`
        (`--listen unix:PATH`), and connect (over TCP with `dial(adapter_pid, host, port)` if given: an
        adapter in a network namespace of its own is reached from there)."""
        checker()  # a missing schema fails here, in the test, rather than in the reader task
        command = [*prefix, python, "-m", "dapattach", *options]
        if transport == "tcp":
            command += ["--listen", "127.0.0.1:0"]
        elif transport.startswith("unix:"):
            command += ["--listen", transport]
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
        )
        client = cls(process, transport)
        client.python, client.env, client.options, client.prefix = python, env, options, prefix
        client._tasks.append(asyncio.create_task(client._read_stderr()))
        if transport == "stdio":
            assert process.stdout is not None and process.stdin is not None
            client.attach_streams(process.stdout, None)
        elif transport.startswith("unix:"):
            await client.wait_stderr(lambda line: line == f"dapattach: listening on {transport}")
            client.attach_streams(*await asyncio.open_unix_connection(transport[5:]))
        elif dial is not None:
            client.address = await client.listening_address()
            client.attach_streams(*await dial(process.pid, *client.address))
        else:
            client.address = await client.listening_address()
            await client.connect_tcp(*client.address)
        return client

    async def listening_address(self) -> tuple[str, int]:
        line = await self.wait_stderr(LISTENING.search)
        match = LISTENING.search(line)
        assert match is not None
        return match["host"], int(match["port"])

    async def connect_tcp(self, host: str, port: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        self.attach_streams(reader, writer)

    def attach_streams(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter | None) -> None:
        self.reader, self.writer = reader, writer
        self.closed_by_adapter = asyncio.Event()
        self._tasks.append(asyncio.create_task(self._read_messages(reader)))

    # -- sending ----------------------------------------------------------------------------------------

    async def send_raw(self, data: bytes) -> None:
        if self.writer is not None:
            self.writer.write(data)
            await self.writer.drain()
        else:
            assert self.process.stdin is not None
            self.process.stdin.write(data)
            await self.process.stdin.drain()

    async def send(self, message: Message) -> int:
        """Send a message, numbering it if it has no `seq`; returns its seq."""
        if "seq" not in message:
            self._seq += 1
            message = {"seq": self._seq, **message}
        body = json.dumps(message).encode("utf-8")
        await self.send_raw(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        return int(message["seq"])

    async def request_raw(
        self, command: str, arguments: Any = None, *, timeout: float = TIMEOUT, **fields: Any
    ) -> Message:
        """Send a request (no `arguments` key when None) and return the whole response."""
        message: Message = {"type": "request", "command": command, **fields}
        if arguments is not None:
            message["arguments"] = arguments
        seq = message.get("seq")
        if seq is None:
            self._seq += 1
            seq = message["seq"] = self._seq
        if command in BREAKPOINT_COMMANDS and isinstance(arguments, dict):
            source = arguments.get("source")
            path = source.get("path", "") if isinstance(source, dict) else ""
            self.breakpoint_requests[command, str(path)] = arguments
        future = self._responses[seq] = asyncio.get_running_loop().create_future()
        await self.send(message)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._responses.pop(seq, None)
            self.assert_valid()

    async def request(self, command: str, arguments: Any = None, *, timeout: float = TIMEOUT) -> Any:
        """The response body; raises `DapError` with the adapter's message on an error response.

        Breakpoint requests go to every child session too, as VS Code sends them to every session."""
        response = await self.request_raw(command, arguments, timeout=timeout)
        if not response["success"]:
            raise DapError(response)
        if command in BREAKPOINT_COMMANDS:
            for child in self.children:
                if child.attached.is_set() and not child.closed_by_adapter.is_set():
                    with contextlib.suppress(DapError, ConnectionError):
                        await child.request(command, arguments, timeout=timeout)
        return response.get("body")

    async def initialize(self, **arguments: Any) -> Any:
        if self._start_debugging:
            arguments.setdefault("supportsStartDebuggingRequest", True)
        return await self.request("initialize", {"clientID": "tests", "adapterID": "dapattach", **arguments})

    # -- child sessions ---------------------------------------------------------------------------------

    def answer_start_debugging(self) -> None:
        """Start child sessions when the adapter asks (and say so in `initialize`)."""
        self._start_debugging = True

    async def wait_children(self, count: int, *, timeout: float = TIMEOUT) -> list[DapClient]:
        """The first `count` child sessions, once each has had its `attach` answered."""

        def ready() -> bool:
            return sum(child.attached.is_set() for child in self.children) >= count

        async with self._children_changed:
            await asyncio.wait_for(self._children_changed.wait_for(ready), timeout)
        return [child for child in self.children if child.attached.is_set()][:count]

    def child_for(self, pid: int) -> DapClient:
        return next(child for child in self.children if child.child_pid == pid)

    async def _start_child(self, request: Message) -> None:
        """What VS Code does for `startDebugging`: a new session with the given configuration."""
        configuration = dict(request["arguments"]["configuration"])
        if self.transport == "stdio":
            child = await DapClient.start(
                "stdio", *self.options, python=self.python, env=self.env, prefix=self.prefix
            )
        elif self.transport.startswith("unix:"):
            child = DapClient(self.process, self.transport, owns_process=False)
            child.attach_streams(*await asyncio.open_unix_connection(self.transport[5:]))
        else:
            assert self.address is not None
            child = DapClient(self.process, "tcp", owns_process=False)
            child.address = self.address
            await child.connect_tcp(*self.address)
        child.child_pid = int(configuration["processId"])
        child.configuration = configuration
        self.children.append(child)
        try:
            await child.initialize(supportsStartDebuggingRequest=True, supportsProgressReporting=True)
            attach = asyncio.create_task(child.request("attach", configuration))
            await child.wait_event("initialized")
            for (command, _), arguments in self.breakpoint_requests.items():
                await child.request(command, arguments)
            await child.request("configurationDone")
            await attach
        except (DapError, ConnectionError, TimeoutError) as error:
            await self._respond(request, success=False, message=f"the child session did not start: {error}")
            return
        child.attached.set()
        await self._notify(self._children_changed)
        await self._respond(request)

    async def _respond(self, request: Message, *, success: bool = True, message: str | None = None) -> None:
        response: Message = {
            "type": "response",
            "request_seq": request["seq"],
            "command": request["command"],
            "success": success,
        }
        if message is not None:
            response["message"] = message
        with contextlib.suppress(ConnectionError):
            await self.send(response)

    # -- receiving --------------------------------------------------------------------------------------

    async def wait_event(
        self, name: str, predicate: Callable[[Message], bool] | None = None, *, timeout: float = TIMEOUT
    ) -> Message:
        """The first event called `name` (already received or coming) for which `predicate` holds."""

        def find() -> Message | None:
            for event in self.events:
                if event["event"] == name and (predicate is None or predicate(event)):
                    return event
            return None

        try:
            async with self._new_event:
                await asyncio.wait_for(self._new_event.wait_for(find), timeout)
        except TimeoutError:
            seen = "\n".join(json.dumps(event)[:300] for event in self.events[-15:])
            raise TimeoutError(
                f"no {name!r} event as wanted within {timeout} s; the last events:\n{seen}\n"
                f"the adapter's stderr:\n" + "\n".join(self.stderr_lines[-15:])
            ) from None
        found = find()
        assert found is not None
        return found

    async def wait_stderr(self, predicate: Callable[[str], object], *, timeout: float = TIMEOUT) -> str:
        def find() -> str | None:
            return next((line for line in self.stderr_lines if predicate(line)), None)

        async with self._stderr_changed:
            try:
                await asyncio.wait_for(self._stderr_changed.wait_for(find), timeout)
            except TimeoutError:
                raise AssertionError(f"adapter stderr never matched; it said: {self.stderr_lines}") from None
        line = find()
        assert line is not None
        return line

    def assert_valid(self) -> None:
        assert not self.schema_errors, f"the adapter sent invalid DAP: {self.schema_errors}"

    async def _read_messages(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                header = await reader.readuntil(b"\r\n\r\n")
                match = re.search(rb"Content-Length: (\d+)", header)
                if match is None:
                    self.schema_errors.append(f"header without Content-Length: {header!r}")
                    return
                message = json.loads(await reader.readexactly(int(match[1])))
                self._receive(message)
        except asyncio.IncompleteReadError, ConnectionError:
            pass
        finally:
            self.closed_by_adapter.set()
            for future in self._responses.values():
                if not future.done():
                    future.set_exception(ConnectionError("the adapter closed the connection"))

    def _receive(self, message: Message) -> None:
        self.messages.append(message)
        self.schema_errors += checker().problems(message)
        match message.get("type"):
            case "response":
                future = self._responses.get(message.get("request_seq", -1))
                if future is not None and not future.done():
                    future.set_result(message)
            case "event":
                self.events.append(message)
                self._tasks.append(asyncio.create_task(self._notify(self._new_event)))
            case "request" if message.get("command") == "startDebugging" and self._start_debugging:
                self.start_debugging_requests.append(message)
                self._tasks.append(asyncio.create_task(self._start_child(message)))
            case "request":
                self._tasks.append(
                    asyncio.create_task(self._respond(message, success=False, message="not supported"))
                )

    async def _notify(self, condition: asyncio.Condition) -> None:
        async with condition:
            condition.notify_all()

    async def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            self.stderr_lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
            await self._notify(self._stderr_changed)

    # -- stopping ---------------------------------------------------------------------------------------

    async def wait_exit(self, timeout: float = TIMEOUT) -> int:
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def close_stream(self) -> None:
        """Hang up like a client that is done: close our side of the DAP stream."""
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError):
                await self.writer.wait_closed()
        elif self.process.stdin is not None:
            self.process.stdin.close()

    async def close(self) -> int:
        """Stop the adapter (EOF on stdio, SIGTERM for a listening adapter) and return its exit code."""
        for child in self.children:
            await child.close()
        await self.close_stream()
        if not self.owns_process:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            return 0
        if self.transport == "stdio":
            with contextlib.suppress(TimeoutError):
                return await self.wait_exit()
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = await self.wait_exit()
        except TimeoutError:
            self.process.kill()
            code = await self.process.wait()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        return code


class SessionPeer:
    """A `Session` run in this process over a real socket pair, with the test as its client.

    For session and handler tests that need no subprocess; the client side uses dapattach's own
    sans-IO `Endpoint`, and every message the session sends is schema-checked like `DapClient`'s.
    """

    def __init__(self, table: Any) -> None:
        from dapattach.protocol.endpoint import Endpoint
        from dapattach.session import Session
        from dapattach.transport import StreamConnection

        self._make = lambda reader, writer: Session(StreamConnection(reader, writer), table)
        self.endpoint = Endpoint()
        self.received: list[Any] = []
        self.schema_errors: list[str] = []

    async def __aenter__(self) -> SessionPeer:
        import socket

        ours, theirs = socket.socketpair()
        self.reader, self.writer = await asyncio.open_unix_connection(sock=ours)
        session_reader, session_writer = await asyncio.open_unix_connection(sock=theirs)
        self.session = self._make(session_reader, session_writer)
        self.task = asyncio.create_task(self.session.run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.writer.close()
        await asyncio.wait_for(self.task, TIMEOUT)
        assert not self.schema_errors, self.schema_errors

    async def send(self, command: str, arguments: Any = None) -> int:
        request, data = self.endpoint.send_request(command, arguments)
        self.writer.write(data)
        await self.writer.drain()
        return request.seq

    async def next(self) -> Any:
        """The next message from the session (`Request`, `Response` or `Event`)."""
        while (message := self.endpoint.next_message()) is None:
            data = await asyncio.wait_for(self.reader.read(65536), TIMEOUT)
            if not data:
                raise ConnectionError("the session closed the connection")
            self.endpoint.receive_data(data)
        assert self.endpoint.last_received is not None
        self.schema_errors += checker().problems(self.endpoint.last_received)
        self.received.append(message)
        return message

    async def request(self, command: str, arguments: Any = None) -> Any:
        """Send a request and return its response, skipping any events before it."""
        seq = await self.send(command, arguments)
        while True:
            message = await self.next()
            if getattr(message, "request_seq", None) == seq:
                return message
