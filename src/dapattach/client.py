"""A minimal DAP client over a subprocess's stdio, built on the sans-IO endpoint.

The demo uses it to drive the adapter exactly as an editor would; it is small on purpose (requests,
events, nothing else) and lives in the package so the demo needs nothing beyond dapattach itself.
"""

import asyncio
import contextlib
import sys
from collections.abc import Callable
from typing import Any

from dapattach.protocol.endpoint import Endpoint, Event, Response

type Body = dict[str, Any]


class ClientError(Exception):
    """The adapter answered a request with an error; the message is the adapter's."""


class AdapterClient:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.endpoint = Endpoint()
        self.events: list[Event] = []
        self._pending: dict[int, asyncio.Future[Response]] = {}
        self._changed = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, *adapter_args: str) -> AdapterClient:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "dapattach", *adapter_args,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        return cls(process)

    async def request(self, command: str, arguments: Body | None = None, timeout: float = 30.0) -> Body:
        request, data = self.endpoint.send_request(command, arguments)
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._pending[request.seq] = future
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        await self.process.stdin.drain()
        async with asyncio.timeout(timeout):
            response = await future
        if not response.success:
            raise ClientError(response.message or f"{command} failed")
        body = response.body
        return body if isinstance(body, dict) else {}

    async def event(
        self, name: str, match: Callable[[Body], bool] | None = None, timeout: float = 30.0
    ) -> Body:
        """The body of the first `name` event (already received or coming) that `match` accepts."""

        def find() -> Body | None:
            for event in self.events:
                body = event.body if isinstance(event.body, dict) else {}
                if event.event == name and (match is None or match(body)):
                    self.events.remove(event)
                    return body
            return None

        async with asyncio.timeout(timeout), self._changed:
            found: Body | None = None

            def ready() -> bool:
                nonlocal found
                found = find()
                return found is not None

            await self._changed.wait_for(ready)
            assert found is not None
            return found

    async def close(self) -> int:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            async with asyncio.timeout(10):
                return await self.process.wait()
        finally:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while data := await self.process.stdout.read(65536):
            self.endpoint.receive_data(data)
            while (message := self.endpoint.next_message()) is not None:
                match message:
                    case Response(request_seq=seq) if seq in self._pending:
                        self._pending.pop(seq).set_result(message)
                    case Event():
                        self.events.append(message)
                        async with self._changed:
                            self._changed.notify_all()
