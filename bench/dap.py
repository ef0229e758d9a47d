"""A small asyncio DAP client over an adapter's stdio, just enough to time what an editor would see.

The bench keeps its own client rather than the project's protocol package so that the numbers do not move
when that package changes, and so that debugpy and dapattach are driven by exactly the same bytes.
"""

import asyncio
import collections
import contextlib
import json
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

type Body = dict[str, Any]


class DapError(Exception):
    """The adapter answered `success: false`, closed the pipe, or did not answer in time."""


class DapClient:
    """One adapter process and the conversation with it."""

    def __init__(self, process: asyncio.subprocess.Process, name: str) -> None:
        self.process = process
        self.name = name
        self._seq = 0
        self._pending: dict[int, asyncio.Future[Body]] = {}
        self._events: dict[str, collections.deque[Body]] = collections.defaultdict(collections.deque)
        self._waiters: dict[str, collections.deque[asyncio.Future[Body]]] = collections.defaultdict(
            collections.deque
        )
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        self._closed: str | None = None
        self.on_start_debugging: Callable[[Body], Awaitable[None]] | None = None
        """When set, `startDebugging` reverse requests are run by it (answered once it returns)."""
        self._children: set[asyncio.Future[None]] = set()
        self._reader = asyncio.create_task(self._read_messages())
        self._stderr_reader = asyncio.create_task(self._read_stderr())

    @classmethod
    async def spawn(cls, argv: list[str], name: str) -> DapClient:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        return cls(process, name)

    def why_closed(self) -> str:
        """The adapter's own last words, for an 'n/a (reason)' cell."""
        tail = [line for line in self._stderr_tail if line.strip()]
        detail = tail[-1].strip() if tail else "no stderr"
        code = self.process.returncode
        return f"{self._closed or 'closed'} (exit {code}): {detail}"

    def send(self, command: str, arguments: Body | None = None) -> int:
        if self._closed is not None:
            raise DapError(f"{self.name} adapter is gone: {self.why_closed()}")
        self._seq += 1
        message: Body = {"seq": self._seq, "type": "request", "command": command}
        if arguments is not None:
            message["arguments"] = arguments
        body = json.dumps(message).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self._pending[self._seq] = asyncio.get_running_loop().create_future()
        return self._seq

    async def response(self, seq: int, timeout: float) -> Body:
        """The whole response message (not only its body): callers sometimes need `message`."""
        future = self._pending[seq]
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise DapError(f"no answer from {self.name} within {timeout:g} s") from None
        finally:
            self._pending.pop(seq, None)

    async def request(self, command: str, arguments: Body | None = None, timeout: float = 15.0) -> Body:
        message = await self.response(self.send(command, arguments), timeout)
        if not message.get("success"):
            raise DapError(f"{command} failed: {message.get('message') or message.get('body')}")
        body: Body = message.get("body") or {}
        return body

    async def event(self, name: str, timeout: float) -> Body:
        """The oldest `name` event not yet taken; events are kept in arrival order until asked for."""
        if self._events[name]:
            return self._events[name].popleft()
        if self._closed is not None:
            raise DapError(f"{self.name} adapter is gone: {self.why_closed()}")
        future: asyncio.Future[Body] = asyncio.get_running_loop().create_future()
        self._waiters[name].append(future)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise DapError(f"no {name!r} event from {self.name} within {timeout:g} s") from None

    def drop_events(self, name: str) -> None:
        self._events[name].clear()

    def take_events(self, name: str) -> list[Body]:
        """Every `name` event received and not yet taken."""
        events = list(self._events[name])
        self._events[name].clear()
        return events

    async def close(self, timeout: float = 5.0) -> None:
        """Close stdin and wait for the adapter to leave; kill it if it does not."""
        if self.process.stdin is not None and not self.process.stdin.is_closing():
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        for task in (self._reader, self._stderr_reader):
            task.cancel()

    async def _read_messages(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        try:
            while True:
                length = 0
                while (line := await stdout.readline()) not in (b"\r\n", b"\n"):
                    if not line:
                        raise EOFError
                    key, _, value = line.decode().partition(":")
                    if key.strip().lower() == "content-length":
                        length = int(value)
                self._dispatch(json.loads(await stdout.readexactly(length)), time.perf_counter_ns())
        except EOFError, asyncio.IncompleteReadError:
            await self._fail("adapter closed its output")
        except Exception as error:
            await self._fail(f"unreadable output from adapter: {error!r}")

    def _dispatch(self, message: Body, received_ns: int) -> None:
        match message:
            case {"type": "response", "request_seq": int(seq)}:
                message["received_ns"] = received_ns
                future = self._pending.get(seq)
                if future is not None and not future.done():
                    future.set_result(message)
            case {"type": "event", "event": str(name)}:
                body = message.get("body") or {}
                body["received_ns"] = received_ns
                waiters = self._waiters[name]
                while waiters and waiters[0].done():
                    waiters.popleft()
                if waiters:
                    waiters.popleft().set_result(body)
                else:
                    self._events[name].append(body)
            case {"type": "request", "seq": int(seq), "command": "startDebugging"} if self.on_start_debugging:
                task = asyncio.ensure_future(self._start_debugging(seq, message.get("arguments") or {}))
                self._children.add(task)
                task.add_done_callback(self._children.discard)
            case {"type": "request", "seq": int(seq), "command": str(command)}:
                self._answer_reverse_request(seq, command, "the bench client does not run reverse requests")

    async def _start_debugging(self, seq: int, arguments: Body) -> None:
        assert self.on_start_debugging is not None
        try:
            await self.on_start_debugging(arguments)
        except Exception as error:
            self._answer_reverse_request(seq, "startDebugging", f"the child session did not start: {error}")
        else:
            self._answer_reverse_request(seq, "startDebugging", None)

    def _answer_reverse_request(self, seq: int, command: str, failure: str | None) -> None:
        reply = {"seq": 0, "type": "response", "request_seq": seq, "command": command, "success": not failure}
        if failure:
            reply["message"] = failure
        if self._closed is not None or self.process.stdin is None or self.process.stdin.is_closing():
            return
        body = json.dumps(reply).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    async def _fail(self, reason: str) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.process.wait(), 2.0)
        await asyncio.sleep(0)
        self._closed = reason
        error = DapError(f"{self.name} adapter is gone: {self.why_closed()}")
        for future in [*self._pending.values(), *(w for ws in self._waiters.values() for w in ws)]:
            if not future.done():
                future.set_exception(error)
                future.exception()  # marks it retrieved: nobody may be waiting for this one

    async def _read_stderr(self) -> None:
        stderr = self.process.stderr
        assert stderr is not None
        while line := await stderr.readline():
            self._stderr_tail.append(line.decode(errors="replace"))
