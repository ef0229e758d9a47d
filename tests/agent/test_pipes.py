"""When the agent may flush a stream into a pipe: measured on real pipes and real buffered streams."""

import contextlib
import fcntl
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from dapattach.agent import pipes


@pytest.fixture
def pipe() -> Iterator[tuple[int, io.TextIOWrapper]]:
    """A pipe's read end, and a block-buffered text stream over its write end (as a program's stdout)."""
    unread, end = os.pipe()
    buffer = io.BufferedWriter(io.FileIO(end, "w"), buffer_size=128 * 1024)
    stream = io.TextIOWrapper(buffer, encoding="utf-8")
    try:
        yield unread, stream
    finally:
        os.set_blocking(end, False)  # closing must not wait for a reader
        for close in (stream.close, lambda: os.close(unread)):
            with contextlib.suppress(OSError):
                close()


def test_the_tally_counts_what_the_raw_file_wrote_and_leaves_no_trace(pipe) -> None:
    unread, stream = pipe
    raw = stream.buffer.raw
    tally = pipes.tally(stream.buffer)
    assert tally is not None
    stream.write("x" * 5000)
    stream.flush()
    assert tally.written == 5000 == len(os.read(unread, 10_000))
    tally.release()
    assert "write" not in vars(raw)


def test_an_empty_pipe_takes_what_fits_with_a_page_to_spare(pipe) -> None:
    _, stream = pipe
    tally = pipes.tally(stream.buffer)
    capacity = fcntl.fcntl(stream.fileno(), fcntl.F_GETPIPE_SZ)
    room = capacity - pipes.PAGE - stream._CHUNK_SIZE  # what may be held in the buffer beside the text
    assert pipes.flush_fits(stream, lambda: room, tally)
    assert not pipes.flush_fits(stream, lambda: room + 1, tally)


def test_a_pipe_holding_anything_is_left_to_the_programs_own_writes(pipe) -> None:
    """One byte unread: the reader lags, and a flush of any size could be the one that waits."""
    unread, stream = pipe
    tally = pipes.tally(stream.buffer)
    os.write(stream.fileno(), b"!")
    assert not pipes.flush_fits(stream, lambda: 0, tally)
    os.read(unread, 1)
    assert pipes.flush_fits(stream, lambda: 0, tally)


def test_a_raw_file_written_past_its_buffer_makes_the_bound_unknown(pipe) -> None:
    _, stream = pipe
    tally = pipes.tally(stream.buffer)
    assert tally is not None
    stream.buffer.raw.write(b"straight to the file")
    assert not pipes.flush_fits(stream, lambda: 0, tally)


def test_without_a_tally_or_a_pipe_the_answer_is_selects(tmp_path: Path, pipe) -> None:
    _, stream = pipe
    assert pipes.flush_fits(stream, lambda: 10**9, None)  # not counted: some room is enough, as before
    with open(tmp_path / "log.txt", "w") as regular:
        assert pipes.flush_fits(regular, lambda: 10**9, pipes.tally(regular.buffer))
    os.set_blocking(stream.fileno(), False)
    try:
        while True:
            os.write(stream.fileno(), b"x" * 4096)
    except BlockingIOError:
        pass
    assert not pipes.flush_fits(stream, lambda: 0, None)


def test_a_write_is_measured_in_the_bytes_it_hands_the_stream() -> None:
    assert pipes.measure(bytearray(10)) == 10
    assert pipes.measure(memoryview(b"abcd")[1:]) == 3
    assert pipes.measure(memoryview(bytes(8)).cast("d")) == 8
    assert pipes.measure("text") == 0  # refused by the stream's own write
