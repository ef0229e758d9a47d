"""The socket the agent connects back to, and the two proofs every connection must give on it.

First the kernel's word: the driver's `verify_peer` (`SO_PEERCRED` on a Unix socket, the socket's owner
on loopback TCP) must say the connection comes from the target process itself. Then the per-attach secret
from the bootstrap: the hello carries a proof made with it (`channel.proof`), compared in constant time,
and the welcome a proof of our own, so the agent knows it talks to this adapter. A connection that fails
either is closed and logged with who it came from, and the wait goes on: another process of the target's
user that read the secret cannot take the agent's place, and the real agent still gets in after it. The
first connection that passes is the agent's.
"""

import asyncio
import hmac
import json
import logging
import select
import socket
from typing import Any

from dapattach.attach import channel
from dapattach.attach.driver import Driver
from dapattach.attach.target import Target

log = logging.getLogger(__name__)

HELLO_TIMEOUT = 5.0
SETTLE_ROUNDS = 8
"""Loop rounds an accepted connection takes to reach `_on_connect` (accept, transport, protocol, task)."""
LINE_LIMIT = 64 * 1024 * 1024

type Arrival = tuple[asyncio.StreamReader, asyncio.StreamWriter, dict[str, Any]]


class AgentListener:
    def __init__(self, sock: socket.socket, target: Target, driver: Driver, secret: str) -> None:
        self._sock = sock
        self._target = target
        self._driver = driver
        self._secret = secret
        self._arrived: asyncio.Future[Arrival] = asyncio.get_running_loop().create_future()
        self._server: asyncio.Server | None = None
        self._verifying = 0
        """Connections whose proofs are being read."""

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._on_connect, sock=self._sock, limit=LINE_LIMIT)

    def welcome(self, hello: dict[str, Any]) -> dict[str, Any]:
        """The answer to an accepted hello, with the proof that we know the secret too."""
        return {
            "type": "welcome",
            "protocol": 1,
            "proof": channel.proof("adapter", self._secret, hello["nonce"]),
        }

    async def arrival(self, timeout: float | None) -> Arrival:
        """The agent's connection and hello; `TimeoutError` leaves the listener waiting."""
        async with asyncio.timeout(timeout):
            return await asyncio.shield(self._arrived)

    async def heard(self) -> bool:
        """Whether an agent proved itself here (even one gone since), once every connection already made
        to the socket has been read: a hand-over cut short by an exec asks it, to know who takes the new
        program (the old agent's hello may still be on its way through the loop when the question comes)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + HELLO_TIMEOUT
        while True:
            for _ in range(SETTLE_ROUNDS):
                await asyncio.sleep(0)
            try:
                waiting = bool(select.select([self._sock], [], [], 0)[0])
            except OSError, ValueError:  # closed: nothing more comes
                waiting = False
            if not (waiting or self._verifying) or loop.time() >= deadline:
                break
            await asyncio.sleep(0.005)
        arrived = self._arrived
        return arrived.done() and not arrived.cancelled() and arrived.exception() is None

    def fail(self, error: Exception) -> None:
        """No agent will come: `arrival` raises `error`."""
        if not self._arrived.done():
            self._arrived.set_exception(error)

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
        else:
            self._sock.close()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._verifying += 1
        try:
            await self._verify(reader, writer)
        finally:
            self._verifying -= 1

    async def _verify(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        pid = self._target.pid
        why = self._driver.verify_peer(self._target, writer.get_extra_info("socket"))
        if why is not None:
            log.warning("refused a connection to the agent socket of process %d: %s", pid, why)
            writer.close()
            return
        try:
            async with asyncio.timeout(HELLO_TIMEOUT):
                line = await reader.readline()
            hello = json.loads(line)
        except TimeoutError, ValueError, OSError, asyncio.LimitOverrunError:
            hello = None
        match hello:
            case {"type": "hello", "protocol": 1, "nonce": str(nonce), "proof": str(theirs)} if (
                hmac.compare_digest(theirs.encode(), channel.proof("agent", self._secret, nonce).encode())
            ):
                if not self._arrived.done():
                    self._arrived.set_result((reader, writer, hello))
                    if "refused" in hello or "error" in hello:
                        # Its peer is proven and it is read: let the sender go now. A refusal may run on
                        # the thread of an agent that has yet to say its own hello to another attach.
                        writer.close()
                    return
                log.warning("refused a second agent connection from process %d", pid)
            case _:
                log.warning(
                    "refused a connection to the agent socket of process %d: bad hello or secret", pid
                )
        writer.close()
