"""Program output: what the target writes also reaches the console, in order, and nothing else changes."""

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from agent.bp_support import line_of, next_event
from agent_harness import TARGETS, Target, agent_gone, attach, probe, start_target, ticker_task, wakeups
from dapattach.agent.output import RATE
from dapattach.attach.link import AgentLink
from interpreters import PY314, PY315, needs_315


async def capture(target: Target) -> AgentLink:
    """Attach with output captured, and let the thread that ran the agent's bootstrap go on at once."""
    link = await attach(target)
    await link.request("captureOutput", {"enabled": True})
    await link.request("ready")
    return link


class Console:
    """The `output` events of a link, collected per category."""

    def __init__(self, link: AgentLink) -> None:
        self.link = link
        self.text: dict[str, str] = {}

    async def until(self, category: str, last: str) -> str:
        """Everything of `category` the console got, once it ends with `last`."""
        async with asyncio.timeout(20):
            while not self.text.get(category, "").endswith(last):
                self._add(*await self.link.events.get())
        return self.text[category]

    def take_arrived(self) -> dict[str, str]:
        """Everything the console got, of every category, from the events that arrived so far."""
        while not self.link.events.empty():
            self._add(*self.link.events.get_nowait())
        return self.text

    def _add(self, event: str, body: dict[str, Any]) -> None:
        if event == "output":
            self.text[body["category"]] = self.text.get(body["category"], "") + body["output"]


async def go(link: AgentLink, event: str) -> None:
    await link.request("evaluate", {"expression": f"{event}.set()", "context": "watch"})


async def test_every_thread_in_order_and_the_programs_own_output_unchanged(chatty) -> None:
    target, stderr = chatty
    link = await capture(target)
    await go(link, "burst")
    output = Console(link)
    console = await output.until("stdout", "END\n")
    await target.expect("^END$")
    own = "\n".join(target.lines[target.lines.index("BEGIN") :]) + "\n"
    assert console[console.index("BEGIN\n") :] == own
    numbered = [line.split() for line in own.splitlines() if line[:2] in ("A ", "B ", "C ")]
    assert [int(number) for _, number in numbered] == list(range(1, 901))
    assert {name for name, _ in numbered} == {"A", "B", "C"}
    assert "café split: é\n" in console

    errors = await output.until("stderr", "ValueError: chatty thread failed\n")
    assert "logged to stderr while 3 threads print\n" in errors
    assert "Exception in thread failing:\nTraceback (most recent call last):\n" in errors
    assert stderr.read_text() == errors
    await link.detach()


async def test_stdout_and_stderr_arrive_in_the_order_they_were_written(chatty) -> None:
    target, _ = chatty
    link = await capture(target)
    await go(link, "interleave")
    lines: list[tuple[str, str]] = []
    async with asyncio.timeout(20):
        while ("stdout", "INTERLEAVED") not in lines:
            event, body = await link.events.get()
            if event == "output" and body["category"] in ("stdout", "stderr"):
                lines += [(body["category"], line) for line in body["output"].splitlines()]
    expected: list[tuple[str, str]] = []
    for number in range(1, 301):
        expected.append(("stdout", f"out {number}"))
        if number % 10 == 0:
            expected.append(("stdout", f"out {number} again"))
        expected.append(("stderr", f"err {number}"))
    expected.append(("stdout", "INTERLEAVED"))
    assert lines[lines.index(("stdout", "out 1")) :] == expected
    await link.detach()


async def test_block_buffered_output_shows_while_it_happens(tmp_path: Path) -> None:
    """Ten short lines never fill a pipe's 8 KB buffer: without the flushes the console would get none."""
    stderr = tmp_path / "stderr.txt"
    async with start_target("chatty.py", str(stderr), env={"PYTHONUNBUFFERED": ""}) as target:
        link = await capture(target)
        await go(link, "slow")
        console = await Console(link).until("stdout", "slow 10\n")
        assert console == "".join(f"slow {number}\n" for number in range(1, 11))
        await target.expect("^slow 10$")
        await link.detach()


async def test_a_stream_of_the_programs_own_is_hooked_on_its_write(tmp_path: Path) -> None:
    """Hooked on the program's own object, the console gets what the program wrote to it; the stream below
    it, which the agent does not flush, is unbuffered so the program's own output shows at once."""
    stderr = tmp_path / "stderr.txt"
    env = {"PYTHONUNBUFFERED": "1"}
    async with start_target("chatty.py", str(stderr), "custom", env=env) as target:
        link = await capture(target)
        await go(link, "slow")
        assert await Console(link).until("stdout", "slow 10\n") == "".join(
            f"slow {number}\n" for number in range(1, 11)
        )
        await target.expect("^SLOW 10$")
        await link.detach()


async def test_detach_puts_the_streams_back_exactly(chatty) -> None:
    target, _ = chatty
    before = await probe(target.pid)
    link = await capture(target)
    during = await probe(target.pid)
    for name in ("stdout", "stderr"):
        stream_id, attributes = before["streams"][name + ".buffer"]
        assert during["streams"][name + ".buffer"] == [stream_id, sorted([*attributes, "write"])]
        if before["buffering"][name] == [False, True]:  # unbuffered: held a line at a time while captured
            assert during["buffering"][name] == [True, False]
        else:
            assert during["buffering"][name] == before["buffering"][name]
    await link.detach()
    assert await probe(target.pid) == before


async def test_output_capture_is_off_until_asked_and_can_be_turned_off(chatty) -> None:
    target, _ = chatty
    before = await probe(target.pid)
    link = await attach(target)
    await link.request("ready")
    assert (await probe(target.pid))["streams"] == before["streams"]
    await link.request("captureOutput", {"enabled": True})
    await link.request("captureOutput", {"enabled": False})
    assert (await probe(target.pid))["streams"] == before["streams"]
    await link.detach()


async def test_a_forked_child_writes_without_the_hook(chatty, request: pytest.FixtureRequest) -> None:
    """The child gets the streams as they were before the attach. Unbuffered, the parent's `parent `,
    written just before the fork, goes out once, ahead of the child's line, as it would unattached."""
    target, _ = chatty
    unbuffered = request.node.callspec.params["chatty"] == "unbuffered"
    link = await capture(target)
    await go(link, "fork")
    child = await target.expect("^(parent )?CHILD (.*)$")
    assert json.loads(child[2]) == {
        "__stdout__": False,
        "__stderr__": False,
        "buffering": [False, unbuffered],
    }
    forked = await target.expect("FORKED$")
    if unbuffered:  # block-buffered, the child flushes the parent's copy too, as it always has
        assert (child.string, forked.string) == (
            'parent CHILD {"__stdout__": false, "__stderr__": false, "buffering": [false, true]}',
            "FORKED",
        )
    console = await Console(link).until("stdout", "FORKED\n")
    assert "CHILD" not in console
    await link.detach()


@pytest.mark.parametrize("python", [PY314, pytest.param(PY315, marks=needs_315)], ids=["3.14", "3.15"])
async def test_a_program_ends_with_its_own_status_when_its_stdout_is_flushed_at_exit(
    tmp_path: Path, python: str | None
) -> None:
    """The program prints at exit into a full pipe and ends: its exit status is its own (0), not the
    interpreter's fatal error at a last flush whose lock the agent's thread, frozen by the exit in the
    middle of a flush of its own, would never give back; and its line reaches its stdout."""
    fifo = tmp_path / "stdout"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert python is not None
        env = {"PYTHONUNBUFFERED": ""}
        async with start_target("flushed_at_exit.py", str(fifo), python=python, env=env) as target:
            link = await capture(target)
            await go(link, "leave")
            await target.expect("^AT EXIT$")
            written = await asyncio.to_thread(_read_to_the_end, reader)
            assert await asyncio.wait_for(target.process.wait(), 10) == 0
            assert written.endswith(b"xxleft in the buffer\n")
    finally:
        os.close(reader)


async def test_the_last_line_a_program_prints_before_it_ends_reaches_the_console() -> None:
    """Block-buffered, it sits in the stream's buffer when the program ends, until the interpreter's own
    last flush: the agent flushes and sends it at exit, ahead of the end."""
    async with start_target("flushed_at_exit.py", env={"PYTHONUNBUFFERED": ""}) as target:
        link = await capture(target)
        console = Console(link)
        await go(link, "leave")
        await target.expect("^the last line$")
        assert await asyncio.wait_for(target.process.wait(), 10) == 0
        assert await console.until("stdout", "the last line\n") == "the last line\n"


def _read_to_the_end(fd: int) -> bytes:
    os.set_blocking(fd, True)
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("python", [PY314, pytest.param(PY315, marks=needs_315)], ids=["3.14", "3.15"])
async def test_an_unbuffered_line_written_in_pieces_keeps_its_order_and_shows_unflushed(
    tmp_path: Path, python: str | None
) -> None:
    """While captured, an unbuffered stream holds a line until it is complete (one write instead of one
    per piece): the console and the program's own output still get every piece in the order written,
    across stdout's text, its binary buffer and stderr, and a partial line shows without a flush."""
    stderr = tmp_path / "stderr.txt"
    assert python is not None
    env = {"PYTHONUNBUFFERED": "1"}
    async with start_target("chatty.py", str(stderr), python=python, env=env) as target:
        link = await capture(target)
        await go(link, "pieces")
        runs: list[tuple[str, str]] = []
        async with asyncio.timeout(20):
            while len("".join(text for category, text in runs if category == "stdout")) < len(
                "one three four five"
            ):
                event, body = await link.events.get()
                if event == "output" and body["category"] in ("stdout", "stderr"):
                    if runs and runs[-1][0] == body["category"]:
                        runs[-1] = (body["category"], runs[-1][1] + body["output"])
                    else:
                        runs.append((body["category"], body["output"]))
        assert runs == [("stdout", "one "), ("stderr", "two\n"), ("stdout", "three four five")]
        assert stderr.read_text() == "two\n"
        await go(link, "more")
        await target.expect("^one three four five PIECES$")
        await link.detach()


@pytest.mark.parametrize(("event", "done"), [("flood", "FLOODED"), ("huge", "HUGE")])
async def test_a_console_that_cannot_keep_up_loses_output_not_the_programs_time(
    tmp_path: Path, event: str, done: str
) -> None:
    """The link stops reading (as when the editor is slow): the program still writes its 20 MB at once
    (in 10 KB lines, or in one write), and the console is told how much it missed; no more than the
    limit waited for it."""
    stderr = tmp_path / "stderr.txt"
    async with start_target("chatty.py", str(stderr), env={"PYTHONUNBUFFERED": ""}) as target:
        link = await capture(target)
        reading = asyncio.Event()
        link.flow = reading.wait
        await go(link, event)
        await target.expect(f"^{done}$", timeout=30)
        reading.set()
        output = Console(link)
        notice = await output.until("console", "the program's own output is complete.\n")
        missed = int(notice.split("dapattach: ")[1].split(" bytes")[0].replace(",", ""))
        assert 0 < missed < 20_000_000
        shown = output.text.get("stdout", "")
        assert len(shown) + missed <= 20_000_000 + len("FLOODED\n")
        if event == "huge":
            assert missed >= 20_000_000 - 8 * 1024 * 1024
        await link.detach()


async def test_a_program_that_replaces_its_text_layer_keeps_printing(chatty) -> None:
    """`sys.stdout.detach()` while captured: what the old layer held goes first, the new layer's writes
    pass the hook (which no longer asks the old one), and the detach leaves the new layer as it is."""
    target, _ = chatty
    link = await capture(target)
    await go(link, "rewrap")
    await target.expect("^reWRAPPED$")
    assert (await Console(link).until("stdout", "WRAPPED\n")).endswith("reWRAPPED\n")
    during = await probe(target.pid)
    await link.detach()
    after = await probe(target.pid)
    assert after["buffering"]["stdout"] == during["buffering"]["stdout"] == [False, True]
    assert "write" not in after["streams"]["stdout.buffer"][1]


async def test_the_console_is_sent_no_more_than_its_rate(tmp_path: Path) -> None:
    """A program writing far more than a console shows a human costs the target no more than sending
    `RATE` bytes a second: the rest is dropped, and the console says so; the program's own output is
    whole (it reports what it wrote)."""
    stderr = tmp_path / "stderr.txt"
    async with start_target("chatty.py", str(stderr), env={"PYTHONUNBUFFERED": ""}) as target:
        link = await capture(target)
        began = time.monotonic()
        await go(link, "pour")
        poured = int((await target.expect(r"^POURED (\d+)$", timeout=30))[1])
        await link.detach()  # sends what it still may: after it, the console has all it will get
        elapsed = time.monotonic() - began
        text = Console(link).take_arrived()
        assert "bytes of the program's output are not shown here" in text["console"]
        assert 0 < len(text["stdout"]) <= RATE * (elapsed + 1)
        assert poured > 2 * RATE, "the program wrote too little to tell"


async def test_what_was_printed_before_a_stop_arrives_before_it(chatty) -> None:
    target, _ = chatty
    link = await capture(target)
    chatty_py = TARGETS / "chatty.py"
    await link.request(
        "setBreakpoints",
        {"source": {"path": str(chatty_py)}, "breakpoints": [{"line": line_of("stop-here", chatty_py)}]},
    )
    await go(link, "halt")
    seen: list[tuple[str, Any]] = []
    await next_event(link, "stopped", seen)
    printed = "".join(
        body["output"] for event, body in seen if event == "output" and body["category"] == "stdout"
    )
    assert printed.endswith("before the stop\n")
    await link.request("continue", {"threadId": 0})
    await link.detach()


@pytest.mark.parametrize("python", [PY314, pytest.param(PY315, marks=needs_315)], ids=["3.14", "3.15"])
async def test_a_stop_is_reported_while_stdout_is_a_full_pipe_nobody_reads(
    tmp_path: Path, python: str | None
) -> None:
    """The program's stdout a pipe nobody reads, full, with a line in the stream's buffer: flushing it
    before reporting the stop would hold the thread in the program's own I/O for ever; the stop is
    reported all the same; nor does the agent's own thread get stuck in that pipe, so the detach leaves
    nothing behind."""
    stderr = tmp_path / "stderr.txt"
    assert python is not None
    env = {"PYTHONUNBUFFERED": ""}
    async with start_target("chatty.py", str(stderr), python=python, env=env) as target:
        link = await capture(target)
        chatty_py = TARGETS / "chatty.py"
        breakpoints = [{"line": line_of("stop-here", chatty_py)}]
        await link.request("setBreakpoints", {"source": {"path": str(chatty_py)}, "breakpoints": breakpoints})
        await go(link, "choke")
        stopped = await next_event(link, "stopped")
        assert stopped["reason"] == "breakpoint"
        await link.request("continue", {"threadId": 0})
        await ticker_rounds(target.pid, 3)  # none of them starts a flush it could not finish
        await link.detach()
        await agent_gone(target.pid)


@pytest.mark.parametrize("python", [PY314, pytest.param(PY315, marks=needs_315)], ids=["3.14", "3.15"])
async def test_a_pipe_whose_reader_lags_stops_the_program_no_sooner_than_unattached(
    tmp_path: Path, python: str | None
) -> None:
    """The program's stdout a pipe nobody reads with one page of room, and 6 KB waiting in the stream:
    a flush from the agent would write the page and wait for a reader, holding the stream's lock, and the
    program would stop at its next write; unattached, its own 128 KiB buffer takes the 40 KB it prints
    next. It prints them all attached too, and the console shows them as the text layer hands them on."""
    stderr = tmp_path / "stderr.txt"
    assert python is not None
    async with start_target("chatty.py", str(stderr), python=python, env={"PYTHONUNBUFFERED": ""}) as target:
        link = await capture(target)
        await go(link, "nearly")
        last = "nearly 400\n"
        async with asyncio.timeout(20):
            while last not in stderr.read_text():
                await asyncio.sleep(0.01)
        await ticker_rounds(target.pid, 2)
        await link.detach()
        await agent_gone(target.pid)
        console = Console(link).take_arrived()["stdout"]
        assert console.startswith("b" * 6000 + "\n") and "nearly   300 " in console


async def ticker_rounds(pid: int, count: int) -> None:
    """Wait until the agent's periodic thread has gone to sleep `count` more times (a round each)."""
    task = await ticker_task(pid)
    first = wakeups(pid, task)
    async with asyncio.timeout(10):
        while wakeups(pid, task) < first + count:
            await asyncio.sleep(0.01)
