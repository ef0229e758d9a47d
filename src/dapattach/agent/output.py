"""Program output: what the target writes to stdout and stderr also goes to the editor's console.

The hook is an instance attribute `write` on the *binary* layer of `sys.stdout` and `sys.stderr` (their
`buffer`): the text layer calls its buffer's `write` by name, so `print`, logging handlers that hold the
stream, tracebacks and `sys.stdout.buffer.write` all pass through it, in chunks (up to 8 KB when the
stream is block-buffered, a line when it is line-buffered, each `write` when it is unbuffered), not one
call per `print` argument. The hook calls the original `write` first and returns its result, so the
program's own output is unchanged; a stream that is not a `TextIOWrapper` is hooked on its own `write`.
Removing the attributes puts the streams back exactly as they were.

A hook does as little as it can on the program's thread, as an unbuffered stream calls it for every
`print` argument (each check it makes costs a few percent of such a loop): when the stream written to is
the one written to last and the chunk is a small bytes object written whole, it appends the bytes object
the text layer made to its stream's list (no copy, nothing the garbage collector tracks), as long as the
list holds fewer than `SMALL_CHUNKS` of them, which bounds them to `SMALL_CHUNKS * SMALL` bytes without
counting bytes on every write; anything else (the other stream, a mutable buffer to copy, a partial
write, a bigger chunk, a full list) takes a slower path that counts what it keeps against `LIMIT`.

A switch of streams is noted (`_marks`), so the ticker thread, which takes what is pending, sends stdout
and stderr in the order they were written, from all threads; only writes that race within
microseconds may swap places, never streams. The ticker sends each run as raw bytes in an `output` frame
(`wire.py`): decoding and JSON happen in the adapter, not in the target. A block-buffered stream (stdout
to a pipe or a file) holds text back until 8 KB are pending, so the ticker flushes it every `FLUSH_EVERY`
seconds: the same bytes go out sooner, and the console shows output while it happens. Before a thread
reports a stop, what is pending is sent from that thread, so the console shows what the program printed
before the stop ahead of it. When the adapter cannot keep up, at most `LIMIT` bytes wait besides the
small chunks' share (about 23 MB in all, Python's object headers included); what is over is dropped and
counted, and the console says how much it missed.
"""

import contextlib
import io
import threading

from . import context, suspend, ticker
from .commands import command

LIMIT = 8 * 1024 * 1024
SMALL = 64
SMALL_CHUNKS = 128 * 1024
CHUNK_COST = 48
"""What one chunk costs besides its bytes (the bytes object's header and the list's pointer): many tiny
chunks must not get past `LIMIT` by being counted as nothing."""
FLUSH_EVERY = 0.1
STREAMS = (("stdout", "stdout"), ("stderr", "stderr"))
_streams = []
_marks = []  # (stream, position): from here on the output is `stream`'s, which had `position` chunks then
_last = [None]
_waiting = [0]  # bytes kept by the slow path (an estimate: threads add to it without a lock)
_hooked = []  # (object, previous instance attribute or _NONE, our hook)
_flushable = []
_state = {"send": None, "notify": None, "flushed": 0.0}
_NONE = object()
_switching = threading.Lock()
_sending = threading.Lock()


class _Stream:
    """One hooked stream: its console category, the encoding of its bytes, and the chunks waiting.

    `taken` counts the chunks the ticker has taken so far, so `taken + len(pending)` is a position that
    stays valid while the ticker takes from the front of `pending`.
    """

    __slots__ = ("category", "dropped", "encoding", "pending", "taken")

    def __init__(self, category, encoding):
        self.category = category
        self.encoding = encoding
        self.pending = []
        self.taken = 0
        self.dropped = 0


def _hook(original, stream):
    """The replacement `write` of a binary stream: the original first, then the chunk into the list."""
    pending = stream.pending
    append = pending.append
    last = _last

    def write(data, /):
        written = original(data)
        if (
            last[0] is stream
            and type(data) is bytes
            and len(data) == written <= SMALL
            and len(pending) < SMALL_CHUNKS
        ):
            append(data)
        else:
            _odd_write(stream, data, written)
        return written

    return write


def _odd_write(stream, data, written):
    """The slow path of a write: the first after the other stream's, a mutable buffer (copied, as its
    owner may reuse it), a write the stream took in part or not at all, a chunk over `SMALL` bytes, or
    one past the list's share of small chunks; what is kept here is counted against `LIMIT`."""
    if not isinstance(written, int) or written <= 0:
        return
    if _waiting[0] >= LIMIT:
        stream.dropped += written
        return
    if type(data) is bytes and written == len(data):
        _keep(stream, data)
        return
    try:
        chunk = bytes(memoryview(data).cast("B")[:written])
    except Exception:
        return
    _keep(stream, chunk)


def _keep(stream, chunk):
    """Append `chunk`, noting first where the output switched to this stream when it did."""
    if _last[0] is not stream:
        with _switching:
            _marks.append((stream, stream.taken + len(stream.pending)))
            _last[0] = stream
    _waiting[0] += len(chunk) + CHUNK_COST
    stream.pending.append(chunk)


def _text_hook(original, stream):
    """The replacement `write` of a text stream of the program's own: what it was given is the output."""

    def write(text, /):
        written = original(text)
        if type(text) is str:
            if _waiting[0] < LIMIT:
                _keep(stream, text.encode("utf-8", "replace"))
            else:
                stream.dropped += len(text)
        return written

    return write


def _install(target, hook):
    try:
        previous = vars(target).get("write", _NONE)
        target.write = hook
    except Exception:
        return False
    _hooked.append((target, previous, hook))
    return True


def start(send, notify):
    """Hook both streams. `send(category, encoding, payload)` delivers output, `notify(text)` a note for
    the console. Returns the streams it cannot hook."""
    if _state["send"] is not None:
        return []
    import sys

    _state["send"], _state["notify"] = send, notify
    seen, missed = set(), []
    for name, category in STREAMS:
        stream = getattr(sys, name, None)
        if stream is None:
            continue
        binary = type(stream) is io.TextIOWrapper
        target = stream.buffer if binary else stream
        if id(target) in seen:
            continue
        seen.add(id(target))
        entry = _Stream(category, stream.encoding if binary else "utf-8")
        hook = _hook(target.write, entry) if binary else _text_hook(target.write, entry)
        if not _install(target, hook):
            missed.append(f"sys.{name} ({type(stream).__name__})")
            continue
        _streams.append(entry)
        _last[0] = _last[0] or entry  # writes to it take the quick path from the start
        if binary and _flushes_safely(stream) and not (stream.line_buffering or stream.write_through):
            _flushable.append(stream)
    ticker.add("output", _tick)
    suspend.before_report.append(_before_stop)
    return missed


def _before_stop():
    """A thread is about to report a stop: what the program printed before it goes to the console first."""
    for stream in list(_flushable):
        with contextlib.suppress(Exception):
            stream.flush()
    _send_queued()


def _flushes_safely(stream):
    """C objects all the way down: flushing them from the ticker runs none of the target's code."""
    buffer = stream.buffer
    return type(buffer) is io.BufferedWriter and type(buffer.raw) is io.FileIO


def _tick():
    import time

    now = time.monotonic()
    if _flushable and now - _state["flushed"] >= FLUSH_EVERY:
        _state["flushed"] = now
        for stream in list(_flushable):
            try:
                stream.flush()
            except Exception:
                _flushable.remove(stream)
    _send_queued()


def _send_queued():
    with _sending:
        runs, dropped = _take()
        send = _state["send"]
        for stream, data in runs:
            if send is not None:
                send(stream.category, stream.encoding, data)
        notify = _state["notify"]
        if dropped and notify is not None:
            notify(
                f"dapattach: {dropped:,} bytes of the program's output are not shown here (the console "
                "could not keep up); the program's own output is complete.\n"
            )


def _take():
    """What is pending, as (stream, bytes) runs in the order written, and the bytes dropped meanwhile."""
    with _switching:
        marks = _marks.copy()
        _marks.clear()
        taken = {}
        for stream in _streams:
            count = len(stream.pending)
            taken[stream] = (stream.taken, stream.pending[:count])
            del stream.pending[:count]
            stream.taken += count
        if _last[0] is not None:
            _marks.append((_last[0], _last[0].taken))
    # What was written since the lists were emptied counts in full, the quick path's chunks too: an
    # estimate that errs on the side of keeping less.
    _waiting[0] = sum(len(chunk) + CHUNK_COST for stream in _streams for chunk in list(stream.pending))
    dropped = 0
    for stream in _streams:
        dropped, stream.dropped = dropped + stream.dropped, 0
    ends, starts = [], {}
    for stream, position in reversed(marks):
        first, chunks = taken[stream]
        ends.append(starts.get(stream, first + len(chunks)))
        starts[stream] = position
    ends.reverse()
    runs = []
    for stream, (first, chunks) in taken.items():
        before = starts.get(stream, first + len(chunks)) - first
        if before > 0:  # written by a thread that raced a switch: its stream is right, its place nearly
            runs.append((stream, chunks[:before]))
    for (stream, position), end in zip(marks, ends, strict=True):
        first, chunks = taken[stream]
        if end > position:
            if runs and runs[-1][0] is stream:
                runs[-1][1].extend(chunks[position - first : end - first])
            else:
                runs.append((stream, chunks[position - first : end - first]))
    return [(stream, b"".join(chunks)) for stream, chunks in runs], dropped


def _unhook():
    while _hooked:
        target, previous, hook = _hooked.pop()
        try:
            if vars(target).get("write") is hook:
                if previous is _NONE:
                    del target.write
                else:
                    target.write = previous
        except Exception:
            pass
    _flushable.clear()


def _forget():
    _streams.clear()
    _marks.clear()
    _last[0] = None
    _state["send"] = _state["notify"] = None


def stop():
    """Put the streams back and send what was captured up to now."""
    _unhook()
    if _state["send"] is None:
        return
    ticker.remove("output")
    with contextlib.suppress(ValueError):
        suspend.before_report.remove(_before_stop)
    _send_queued()
    with _sending:
        _forget()


def release_after_fork():
    """In a forked child: put the child's streams back and drop what its parent had captured, without
    the lock a thread of the parent may have held."""
    global _sending, _switching
    _sending = threading.Lock()
    _switching = threading.Lock()
    _unhook()
    _forget()


@command("captureOutput")
def _capture_output(agent, arguments):
    if not arguments.get("enabled", True):
        stop()
        return {}

    def notify(text):
        context.output("console", text)

    missed = start(agent.send_output, notify)
    if missed:
        notify(
            f"dapattach: the output written to {' and '.join(missed)} is not shown here: "
            "that stream cannot be hooked.\n"
        )
    return {}
