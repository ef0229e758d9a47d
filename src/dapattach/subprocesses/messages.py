"""The line protocol on the subprocess socket of the session that follows a process tree.

Two kinds of peers connect, each saying what it is in its first line (newline-delimited JSON):

- a forked child's agent: `{"type": "hello", "protocol": 1, "nonce": ..., "proof": ..., "pid": N,
  "forkedFrom": P}`, proving it knows the follower's own secret (the parent's agent got it in `configure`)
  as any agent does (`attach/channel.py`), and welcomed with the follower's proof; from then on it is an
  agent link like any other.
- a child session's adapter: `{"type": "claim", "protocol": 1, "token": ..., "pid": N, "socket": ...,
  "secret": ..., "adapterPid": ...}` with the token from the `subProcessOf` of its attach configuration.
  It is answered `claimed`, `refused` (with a `message`) or `exited` (with an `exitCode`, null if unknown);
  once claimed, the agent is told to move to `socket` (`rehome`). Later the follower may send `detach`
  (the parent session ends: answer `detached` once the agent is gone), `exited` (before the agent got in),
  `failed` (with a `message`: the agent could not be handed over), or `exec` (the process exec'd while
  its agent was moving: answered `{"type": "exec", "taken": bool}`, whether the agent reached the child
  session, which then attaches to the new program itself; if not, the follower does and sends it over).
  The child session ending closes the connection.
"""

import asyncio
import json
from typing import Any

PROTOCOL = 1
LINE_LIMIT = 1024 * 1024
ANSWER_TIMEOUT = 5.0

type Message = dict[str, Any]


def encode(message: Message) -> bytes:
    return json.dumps(message).encode() + b"\n"


async def read(reader: asyncio.StreamReader, timeout: float | None = None) -> Message | None:
    """The next message, or None at end of stream or on a line that is not a JSON object."""
    try:
        async with asyncio.timeout(timeout):
            line = await reader.readline()
        message = json.loads(line) if line else None
    except TimeoutError, ValueError, OSError, asyncio.LimitOverrunError:
        return None
    return message if isinstance(message, dict) else None
