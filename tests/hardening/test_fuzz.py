"""Whole DAP sessions of random, wrongly typed, out-of-order and broken input against the real adapter
subprocess, attached to a real target. The adapter must answer every request it can parse (an error
response that names the problem when it cannot serve it), never crash, and leave the target unharmed.

`DAPATTACH_FUZZ_EXAMPLES` raises the number of sessions (default 25, a few seconds each).
"""

import asyncio
import contextlib
import json
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_harness import TARGET, TARGETS, probe
from dapattach.protocol import types
from dapclient import DapClient
from handlers.conftest import attach_session

EXAMPLES = int(os.environ.get("DAPATTACH_FUZZ_EXAMPLES", "25"))
UNSAFE = {"disconnect", "terminate"}
"""Requests that end the target when they succeed (`terminate`, `disconnect` with `terminateDebuggee`):
the target is shared by every example, so `disconnect` is sent once at the end of every session."""
COMMANDS = [*sorted(set(types.REQUESTS) - UNSAFE), "", "notACommand", "threads\n", "ünïcode"]
KEYS = [
    "threadId",
    "frameId",
    "variablesReference",
    "levels",
    "startFrame",
    "expression",
    "context",
    "source",
    "breakpoints",
    "lines",
    "name",
    "value",
    "filter",
    "start",
    "count",
    "sourceReference",
    "requestId",
    "targetId",
    "granularity",
    "clientID",
    "adapterID",
    "format",
    "path",
    "line",
]
SAFE_TEXT = st.sampled_from(["", "x", "1", "count", "no_such_name", "(", "名前", "a" * 3000, "repl", "watch"])
"""Strings only from here: random text could be an expression that changes the target (`stop = 1`)."""
NUMBERS = st.integers(-(2**70), 2**70) | st.integers(0, 20) | st.floats(allow_nan=True)
JSON = st.recursive(
    st.none() | st.booleans() | NUMBERS | SAFE_TEXT,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(SAFE_TEXT | st.sampled_from(KEYS), inner, max_size=4)
    ),
    max_leaves=12,
)
ARGUMENTS = st.none() | JSON | st.dictionaries(st.sampled_from(KEYS), JSON, max_size=5)
PROCESS_IDS = st.sampled_from([-1, 0, "abc", None, 2**40, [1], "${command:pickProcess}", True])


@st.composite
def steps(draw: st.DrawFn) -> list[tuple[Any, ...]]:
    """A session: requests in any order, attaches (valid or not), broken envelopes, and maybe broken framing
    at the end."""
    body = draw(
        st.lists(
            st.one_of(
                st.tuples(st.just("request"), st.sampled_from(COMMANDS), ARGUMENTS),
                st.tuples(st.just("attach"), st.booleans(), PROCESS_IDS),
                st.tuples(st.just("initialize")),
                st.tuples(
                    st.just("envelope"),
                    st.dictionaries(
                        st.sampled_from(["seq", "type", "command", "arguments", "request_seq"]),
                        JSON,
                        max_size=5,
                    ),
                ),
            ),
            max_size=10,
        )
    )
    framing = draw(
        st.sampled_from(
            [
                None,
                b"Content-Length: 999999999999\r\n\r\n{",
                b'Content-Length: 20\r\n\r\n{"seq": 1, "type"',
                b"Content-Length: abc\r\n\r\n{}",
                b"no header at all\r\n\r\n",
                b"Content-Length: 2\r\n\r\n[]",
                b"Content-Length: 70000000\r\n\r\n" + b"x" * 1000,
            ]
        )
    )
    return [*body, ("framing", framing)]


class Ticks:
    """The target's `tick N` lines, read in a thread (hypothesis runs each example in its own event loop)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.count = 0
        self.changed = threading.Condition()
        self._process = process
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            if re.match(r"tick \d+", line):
                with self.changed:
                    self.count += 1
                    self.changed.notify_all()

    def advance(self, by: int = 3, timeout: float = 10.0) -> bool:
        with self.changed:
            goal = self.count + by
            return self.changed.wait_for(lambda: self.count >= goal, timeout)


@pytest.fixture(scope="module")
def target() -> Iterator[tuple[subprocess.Popen[str], Ticks]]:
    process = subprocess.Popen([TARGET, str(TARGETS / "showcase.py")], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    while "READY" not in process.stdout.readline():
        assert process.poll() is None, "the target exited before it was ready"
    yield process, Ticks(process)
    process.kill()
    process.wait()


def expect_answer(response: dict[str, Any], command: str) -> None:
    assert response["type"] == "response"
    if not response["success"]:
        assert response.get("message"), f"error response to {command!r} without a message: {response}"


async def run_session(pid: int, session: list[tuple[Any, ...]]) -> None:
    client = await DapClient.start("stdio")
    try:
        for step in session:
            match step:
                case ("request", str(command), arguments):
                    expect_answer(await client.request_raw(command, arguments), command)
                case ("initialize",):
                    expect_answer(await client.request_raw("initialize", {"adapterID": "fuzz"}), "initialize")
                case ("attach", True, _):
                    try:
                        await attach_session(client, pid)
                    except Exception as error:  # an earlier step may have made it refuse: it must say why
                        assert str(error), "attach failed without a message"
                case ("attach", False, process_id):
                    answer = asyncio.create_task(client.request_raw("attach", {"processId": process_id}))
                    await client.request_raw("configurationDone")
                    expect_answer(await answer, "attach")
                case ("envelope", dict(message)):
                    data = json.dumps(message).encode()
                    await client.send_raw(b"Content-Length: %d\r\n\r\n%s" % (len(data), data))
                    expect_answer(await client.request_raw("threads"), "threads after a broken envelope")
                case ("framing", bytes(data)):
                    await client.send_raw(data)  # what follows may be read as its body: hang up after it
        broken_framing = session[-1][1] is not None
        still_up = client.process.returncode is None and not client.closed_by_adapter.is_set()
        if still_up and not broken_framing:
            with contextlib.suppress(ConnectionError):
                await client.request_raw("disconnect", {}, timeout=15)
        assert await client.close() == 0, client.stderr_lines
        client.assert_valid()
    finally:
        if client.process.returncode is None:
            client.process.kill()
            await client.process.wait()
    report = await probe(pid)
    assert report["tools"] == {} and report["modules"] == [], report
    assert not any(name.startswith("dapattach") for name in report["threads"]), report


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
    database=None,
)
@given(session=steps())
def test_random_sessions_never_crash_the_adapter_or_harm_the_target(
    target: tuple[subprocess.Popen[str], Ticks], session: list[tuple[Any, ...]]
) -> None:
    process, ticks = target
    asyncio.run(asyncio.wait_for(run_session(process.pid, session), 120))
    assert process.poll() is None, "the target died"
    assert ticks.advance(), "the target stopped ticking: " + json.dumps(session, default=repr)[:2000]
