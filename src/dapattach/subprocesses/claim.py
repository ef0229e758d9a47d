"""A child process's own session: claiming the process from the session that found it.

The editor starts a child session with the configuration the root session's follower wrote, whose
`subProcessOf` says where that follower listens and with which token. The child session's adapter opens
its own agent socket without injecting anything (the hand-over driver), claims the child there, and the
follower sends the child's agent over (it is already configured and running, so nothing of the child runs
unwatched); the agent proves itself on that socket as at any attach (the kernel's word, the secret). Over
the same connection the follower later says `detach` when the root session ends; closing it tells the
follower this session is over.
"""

import asyncio
import contextlib
import os
import sys
from collections.abc import Awaitable, Callable

from dapattach.options import SubProcessOf
from dapattach.subprocesses import messages


class ClaimRefused(Exception):
    """The follower cannot hand the child over (gone, unknown token); attach to the PID directly instead."""


class ChildExited(Exception):
    """The child ended before its session could take it."""

    def __init__(self, pid: int, exit_code: int | None) -> None:
        super().__init__(f"process {pid} exited before its session started")
        self.exit_code = exit_code


class ParentSession:
    """The child session's end of the connection to the root session's follower."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, of: SubProcessOf) -> None:
        self.root = of.process_id
        self._reader = reader
        self._writer = writer

    async def serve(
        self,
        on_detach: Callable[[], Awaitable[None]],
        on_failed: Callable[[str], Awaitable[None]],
        on_exec: Callable[[], Awaitable[bool]],
    ) -> None:
        """Follow the root session: `on_detach` when it ends (or its adapter is gone), `on_failed` when
        the agent could not be handed over, `on_exec` when the process exec'd while its agent was on its
        way here (it says whether the agent got here: then this session attaches to the new program)."""
        while (message := await messages.read(self._reader)) is not None:
            match message:
                case {"type": "detach"}:
                    await on_detach()
                    self._send({"type": "detached"})
                    return
                case {"type": "failed", "message": str(why)}:
                    await on_failed(why)
                case {"type": "exec"}:
                    self._send({"type": "exec", "taken": await on_exec()})
        if not self._writer.is_closing():
            await on_detach()

    def close(self) -> None:
        """This session is over: the follower leaves the child alone from now on."""
        self._writer.close()

    def _send(self, message: messages.Message) -> None:
        if not self._writer.is_closing():
            self._writer.write(messages.encode(message))


async def claim(of: SubProcessOf, pid: int, socket_path: str, secret: str) -> ParentSession:
    """Ask the follower of `of` to send child `pid`'s agent to `socket_path`, where it says `secret`."""
    if sys.platform == "win32":
        raise ClaimRefused(f"process {pid}'s session cannot be claimed here: following children needs Linux")
    try:
        reader, writer = await asyncio.open_unix_connection(of.socket, limit=messages.LINE_LIMIT)
    except OSError as error:
        raise ClaimRefused(
            f"the session of process {of.process_id} that found process {pid} is gone ({error.strerror})"
        ) from None
    writer.write(
        messages.encode(
            {
                "type": "claim",
                "protocol": messages.PROTOCOL,
                "token": of.token,
                "pid": pid,
                "socket": socket_path,
                "secret": secret,
                "adapterPid": os.getpid(),
            }
        )
    )
    answer = await messages.read(reader, messages.ANSWER_TIMEOUT)
    match answer:
        case {"type": "claimed"}:
            return ParentSession(reader, writer, of)
        case {"type": "exited", "exitCode": int() | None as code}:
            writer.close()
            raise ChildExited(pid, code)
        case {"type": "refused", "message": str(why)}:
            writer.close()
            raise ClaimRefused(why)
    with contextlib.suppress(OSError):
        writer.close()
    raise ClaimRefused(f"the session of process {of.process_id} did not answer for process {pid}")
