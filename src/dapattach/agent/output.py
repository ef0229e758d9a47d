"""Program output: what the target writes to stdout and stderr also goes to the editor's console.

The hook is an instance attribute `write` on the *binary* layer of `sys.stdout` and `sys.stderr` (their
`buffer`): the text layer calls its buffer's `write` by name, so `print`, logging handlers that hold the
stream, tracebacks and `sys.stdout.buffer.write` all pass through it, in chunks (up to 8 KB when the
stream is block-buffered, a line when it is line-buffered, each `write` when it is unbuffered), not one
call per `print` argument. The hook calls the original `write` first and returns its result, so the
program's own output is unchanged; a stream that is not a `TextIOWrapper` is hooked on its own `write`.
Removing the attributes puts the streams back exactly as they were.

An unbuffered text stream (`python -u`, `PYTHONUNBUFFERED`) hands its buffer every piece of a `print`
separately: `print("line", n)` is four `write` calls, four system calls, and would be four calls of the
hook, which alone made a loop that only prints 1.5x slower. So while its output is captured, such a stream
holds a line until it is complete, as Python's own stderr does without `-u` (`reconfigure` to line
buffering; `hold_lines`): a whole line is written with one call, and so reaches the program's file, pipe or
terminal no later than before (a `print` is complete when it returns). A partial line (no newline yet,
no `flush`) goes out at the ticker's next round, at most `ticker.IDLE_INTERVAL` later, before a stop is
reported, before `os.fork()` (`before_fork`), and on detach, which puts the stream's own buffering back.
So that holding changes no order, the hook writes what the text layer holds before a write made straight
to the buffer (`sys.stdout.buffer.write`), and a switch to the other stream first writes what that one
holds. What a hard exit (`os._exit`, a signal) finds held is lost, as with Python's default buffering.

A hook does as little as it can on the program's thread: a whole write of a `bytes` object is copied onto
its stream's `bytearray` when it fits in `LIMIT` bytes with what waits there, which bounds what waits
without counting chunks, and frees the program's object at once. Anything else (a mutable buffer, a
partial write, a chunk that does not fit) takes a slower path that copies what was written, or what fits,
and counts what it drops.

Which stream was written last is kept by the hooks themselves rather than checked on every write: the
stream written to last has its quick hook installed, the others a `switching` one that notes the switch
(`_marks`) and swaps the hooks round. So the ticker thread, which takes what is pending, sends stdout and
stderr in the order they were written, from all threads; only writes that race within microseconds may
swap places, never streams. The ticker sends each run as raw bytes in an `output` frame (`wire.py`):
decoding and JSON happen in the adapter, not in the target. A block-buffered stream (stdout to a pipe or
a file) holds text back until 8 KB are pending, so the ticker flushes it on each round: the same bytes go
out sooner, and the console shows output while it happens; it stops doing so when a fork or the exit
comes (`before_fork`, `_before_exit`). Before a thread reports a stop, and at exit, what is pending is
flushed and sent from that thread, so the console shows what the program printed before the stop ahead of
it, and the last lines of a program that ends. A stream is flushed, by the ticker or before a stop, only
when its file can take the whole flush without waiting for a reader (`pipes.py`: a pipe whose reader lags
is left to the program's own writes); the stop is reported all the same. The console is sent at most `RATE`
bytes a second; when the program writes more, or the adapter cannot keep up (at most `LIMIT` bytes wait
per stream), what is over is dropped uncopied and counted, and the console says how much it missed.
"""

import atexit
import contextlib
import gc
import io
import threading
import time

from . import context, pipes, suspend, ticker, wire
from .commands import command

LIMIT = 8 * 1024 * 1024
RATE = 4 * 1024 * 1024
"""Bytes a second the console is sent at most. Sending is the output's main cost in the target (the
kernel's copy into the socket, about 2 ns a byte here): a program printing 100 MB a second gave 8 % of its
CPU to sending half of it. No console shows a human more than this; the program's own output is never
cut."""
STREAMS = (("stdout", "stdout"), ("stderr", "stderr"))
_streams = []
_marks = []  # (stream, position): from here on the output is `stream`'s, which had written `position` bytes
_last = [None]
_flushable = []
_at_rest = {}
"""How many objects each stream of `_flushable` refers to right after a flush (see `_holds_text`)."""
_state = {"send": None, "notify": None, "allowance": RATE, "refilled": 0.0}
_guard = {"exiting": False}
_forking = set()
"""Threads inside an `os.fork()` that hold `_flushing` until it is over (`before_fork`)."""
FLUSH_WAIT = 1.0
"""Seconds a fork or the exit waits at most for the ticker's flush to end (a full pipe may not let it),
and the ticker for a fork to end."""
_NONE = object()
_switching = threading.Lock()
_sending = threading.Lock()
_flushing = threading.Lock()
"""Held by the ticker while it flushes a stream, by a forking thread from before the fork to after it,
and by the exit while it makes sure the ticker is not inside a flush (`before_fork`, `_before_exit`)."""


class _Stream:
    """One hooked stream: its console category, the encoding of its bytes, what waits, and its hooks.

    `taken` counts the bytes the ticker has taken so far, so `taken + len(pending)` is a position that
    stays valid while the ticker takes from the front of `pending`. `text` is the text layer over a hooked
    buffer, and `held` its own `(line_buffering, write_through)` while it holds lines for us (`hold_lines`).
    `accepted` counts the bytes handed to the hooked buffer, and `tally` what its raw file wrote, for
    `pipes.flush_fits`.
    """

    __slots__ = (
        "accepted",
        "category",
        "dropped",
        "encoding",
        "held",
        "pending",
        "previous",
        "quick",
        "switching",
        "taken",
        "tally",
        "target",
        "text",
    )

    def __init__(self, category, encoding, target, text):
        self.category = category
        self.encoding = encoding
        self.target = target
        self.text = text
        self.held = None
        self.pending = bytearray()
        self.taken = 0
        self.dropped = 0
        self.accepted = 0
        self.tally = None
        self.quick = self.switching = None
        self.previous = _NONE

    def hold_lines(self):
        """Make an unbuffered text stream line-buffered while captured (see the module's docstring)."""
        text = self.text
        try:
            if text is None or not text.write_through or type(text.buffer) is not io.FileIO:
                return
            own = (text.line_buffering, text.write_through)
            text.reconfigure(line_buffering=True, write_through=False)
        except Exception:
            return
        self.held = own

    def flush_held(self):
        """Write what the text layer holds, if it holds lines for us."""
        if self.held is not None:
            with contextlib.suppress(Exception):
                self.text.flush()

    def release(self, *, forked=False):
        """Put back the stream's own buffering (what it held goes out through the hook, or, in a forked
        child, nowhere: the parent writes it), then its own `write`, where ours is in place."""
        try:
            ours = self._ours_in_place()
        except Exception:
            ours = False
        if self.held is not None:
            own, self.held = self.held, None
            try:
                if forked and ours:
                    self.target.write = len  # takes the bytes and writes none
                if (self.text.line_buffering, self.text.write_through) == (True, False):
                    self.text.reconfigure(line_buffering=own[0], write_through=own[1])
            except Exception:
                pass
        if ours:
            self._put_back()
        if self.tally is not None:
            self.tally.release()

    def install(self, hook):
        """Put `hook` in place of whichever of ours is there; never over a `write` the program set since."""
        try:
            if self._ours_in_place():
                self.target.write = hook
        except Exception:
            pass

    def _put_back(self):
        try:
            if self.previous is _NONE:
                del self.target.write
            else:
                self.target.write = self.previous
        except Exception:
            pass

    def flush_fits(self):
        """Whether the ticker's flush of this stream's text layer can end without waiting for a reader:
        what `pipes.flush_fits` says, while the counts are ours (no `write` of the program's in place)."""
        ours = self._ours_in_place()
        return pipes.flush_fits(self.text, lambda: self.accepted, self.tally if ours else None)

    def _ours_in_place(self):
        hook = vars(self.target).get("write")
        return hook is not None and hook in (self.quick, self.switching)


def _binary_hook(original, stream, before):
    """The quick `write` of a binary stream: `before()` (what its text layer holds, when it holds lines),
    the original, then the chunk onto the stream's bytes."""
    pending = stream.pending
    extend = pending.extend
    nudge = ticker.nudge

    def write(data, /):
        nonlocal before
        try:
            before()
        except Exception:
            before = int  # the text layer was closed or detached (`sys.stdout.detach()`): it holds nothing
        # Counted before the write, so that `pipes.flush_fits` never sees these bytes held but uncounted.
        stream.accepted += len(data) if type(data) is bytes else pipes.measure(data)
        written = original(data)
        first = not pending
        if type(data) is bytes and len(data) == written and written + len(pending) <= LIMIT:
            extend(data)
        else:
            _odd_write(stream, data, written)
        if first:
            nudge()  # the first output in a while: an idle ticker sends it now
        return written

    return write


def _odd_write(stream, data, written):
    """The slow path of a write: a mutable buffer or one of another kind, a write the stream took in part
    or not at all, or a chunk past `LIMIT`; keeps what was written, or as much of it as fits."""
    if not isinstance(written, int) or written <= 0:
        return
    try:
        view = memoryview(data).cast("B")[:written]
    except Exception:
        return
    with view:
        _keep(stream, view)


def _keep(stream, chunk):
    """Append as much of `chunk` as `LIMIT` leaves room for, counting the rest as dropped."""
    room = max(LIMIT - len(stream.pending), 0)
    if len(chunk) > room:
        stream.dropped += len(chunk) - room
        chunk = chunk[:room]
    stream.pending.extend(chunk)


def _text_hook(original, stream):
    """The quick `write` of a text stream of the program's own: what it was given is the output."""

    def write(text, /):
        written = original(text)
        if type(text) is str:
            first = not stream.pending
            _keep(stream, text.encode("utf-8", "replace"))
            if first:
                ticker.nudge()
        return written

    return write


def _switching_hook(stream):
    """The `write` of a stream other than the one written last: note the switch, then write quickly."""

    def write(data, /):
        for other in _streams:  # what the other stream holds was written first
            if other is not stream:
                other.flush_held()
        _switch_to(stream)
        return stream.quick(data)

    return write


def _switch_to(stream):
    """From here on the output is `stream`'s: mark where, and make its quick hook the one in place."""
    with _switching:
        if _last[0] is stream or stream not in _streams:  # not in: a write that raced the detach
            return
        _marks.append((stream, stream.taken + len(stream.pending)))
        _last[0] = stream
        for other in _streams:
            other.install(other.quick if other is stream else other.switching)


def start(send, notify):
    """Hook both streams. `send(category, encoding, payload, deadline)` delivers output and
    `notify(text, deadline)` a note for the console (`deadline`: see `_send_queued`). Returns the streams
    it cannot hook."""
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
        entry = _Stream(category, stream.encoding if binary else "utf-8", target, stream if binary else None)
        entry.hold_lines()
        try:
            original = target.write
            entry.previous = vars(target).get("write", _NONE)
            if binary:
                # `int()` does nothing, quickly: a block-buffered stream's own order is left as it is.
                entry.quick = _binary_hook(original, entry, stream.flush if entry.held else int)
            else:
                entry.quick = _text_hook(original, entry)
            entry.switching = _switching_hook(entry)
            # The first stream starts as the one written last.
            target.write = entry.switching if _streams else entry.quick
        except Exception:
            entry.release()
            missed.append(f"sys.{name} ({type(stream).__name__})")
            continue
        _streams.append(entry)
        _last[0] = _last[0] or entry
        if entry.held is not None or (
            binary and _flushes_safely(stream) and not (stream.line_buffering or stream.write_through)
        ):
            _flushable.append(stream)
            if entry.held is None:
                entry.tally = pipes.tally(target)
    ticker.add("output", _tick, _holds_text if _peeking_works() else None)
    suspend.before_report.append(_flush_before_report)
    atexit.register(_before_exit)
    return missed


def before_fork():
    """Before `os.fork()`, in the forking thread: what the streams hold goes out once, from the parent,
    ahead of the child; and the ticker is not inside a stream's `flush` when the fork copies the process.

    A flush holds the buffered stream's lock while it writes, with the GIL let go; a fork at that moment
    would give the child a stdout whose lock no thread of the child will ever release, and the child's
    first `print` would hang (a program that forks without threads of its own is safe unattached). So
    this takes the lock the ticker flushes under, waiting at most `FLUSH_WAIT` for a flush under way to
    end, and holds it through the rest of the fork, however long the program's other before-fork hooks
    take (a library may stop its own threads there), until `after_fork_in_parent`."""
    if _flushing.acquire(timeout=FLUSH_WAIT):
        _forking.add(threading.get_ident())
    for stream in list(_streams):
        stream.flush_held()


def after_fork_in_parent():
    """After `os.fork()` (made or failed), in the forking thread of the parent: the ticker may flush
    again."""
    ident = threading.get_ident()
    if ident in _forking:
        _forking.discard(ident)
        _flushing.release()


def _before_exit():
    """At exit (`atexit`, once the program's last non-daemon thread has ended): the ticker flushes no
    stream from now on; this waits, at most `FLUSH_WAIT`, for a flush under way to end, then flushes the
    streams itself and sends the console what the program wrote up to here.

    The ticker is a daemon thread. Were it inside a flush when the interpreter finalizes, it would stop
    for good where it next takes the GIL, still holding the stream's lock, and the interpreter's own
    last flush of stdout would end the process with a fatal error instead of its exit status."""
    _guard["exiting"] = True
    _wait_for_flush()
    _flush_and_send(context.exit_deadline())


def _wait_for_flush():
    if _flushing.acquire(timeout=FLUSH_WAIT):
        _flushing.release()


def _flush_and_send(deadline=None):
    """At exit: what the program printed goes to the console now, as much as can be sent by `deadline`
    (see `context.exit_deadline`)."""
    for stream in list(_flushable):
        with contextlib.suppress(Exception):
            stream.flush()
    _send_queued(deadline)


def _flush_before_report():
    """Before a thread reports a stop: what the program printed goes to the console ahead of the stop.

    A stream whose file cannot take the flush now (a pipe nobody reads, full or nearly) is not flushed:
    the flush would hold this thread in the program's own I/O, and the stop would never be reported.
    Its bytes go out from the ticker once the file takes them, after the stop."""
    for stream in list(_flushable):
        if _flush_fits(stream):
            with contextlib.suppress(Exception):
                stream.flush()
    _send_queued()


def _flush_fits(stream):
    """Whether flushing `stream` ends without waiting for the reader of its file (`pipes.flush_fits`)."""
    for entry in list(_streams):
        if entry.text is stream:
            return entry.flush_fits()
    return pipes.flush_fits(stream, int, None)


def _flushes_safely(stream):
    """C objects all the way down: flushing them from the ticker runs none of the target's code."""
    buffer = stream.buffer
    return type(buffer) is io.BufferedWriter and type(buffer.raw) is io.FileIO


def _tick():
    """One round of the ticker: flush the block-buffered streams, send what is pending.

    Answers true when a flush wrote something (a stream's buffer held it: only looking finds that), else
    `ticker.ANNOUNCED` when something went out or came in meanwhile (the program's own writes, which nudge
    the ticker), else False.

    A stream whose file cannot take the whole flush now (a pipe whose reader lags) is left for a later
    round (`pipes.py`): stuck in its flush, the ticker would hold the stream's lock until a reader came,
    the program's next write would wait for that lock, and a fork or the exit meanwhile could wait for it
    only `FLUSH_WAIT`."""
    before = _written()
    for stream in list(_flushable):
        if not _flush_fits(stream):
            continue
        if not _flushing.acquire(timeout=FLUSH_WAIT):
            break  # a fork that long under way: the next round flushes
        try:
            if _guard["exiting"]:
                break  # the exit is coming: no stream lock of ours may be held then
            try:
                stream.flush()
                _at_rest[stream] = _referents(stream)
            except Exception:
                _flushable.remove(stream)
        finally:
            _flushing.release()
    flushed = _written() != before
    if _send_queued() | any(stream.pending for stream in _streams):
        return True if flushed else ticker.ANNOUNCED
    return flushed


def _holds_text():
    """Whether the text layer of a stream the ticker flushes holds text, which no hook has seen yet: the
    ticker's `peek` (see `ticker.look`), which the agent thread calls.

    A `TextIOWrapper` holds what it was given in one object (a `str`, `bytes` or a list of them) until it
    hands it to its buffer, and the garbage collector's list of what it refers to has that object, and one
    entry fewer when it holds nothing. Nothing is taken or written, so this is safe from any thread and
    costs about a microsecond a stream. A count taken as the program wrote, or a stream that came to refer
    to one object more, can only make a round come sooner or, at worst, a line wait for the ticker's
    `BACKSTOP`."""
    return any(_referents(stream) > _at_rest.get(stream, -1) for stream in list(_flushable))


def _referents(stream):
    return len(gc.get_referents(stream))


def _peeking_works():
    """Whether `_holds_text` can tell on this Python: tried on a text stream of our own."""
    try:
        probe = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        empty = _referents(probe)
        probe.write("text")
        holding = _referents(probe)
        probe.flush()
        return holding == empty + 1 and _referents(probe) == empty
    except Exception:
        return False


def _written():
    """Bytes the hooks have seen so far, on every stream (what was taken and what waits)."""
    return sum(stream.taken + len(stream.pending) for stream in _streams)


def _send_queued(deadline=None):
    """Send what is pending; true when there was something. With a `deadline`, give up when it has
    passed, on the lock (which the ticker holds while it sends to an adapter that reads nothing) and on
    each message."""
    if not wire.acquire_by(_sending, deadline):
        return False
    try:
        runs, dropped = _take(_allowance())
        send = _state["send"]
        for stream, data in runs:
            if send is not None:
                send(stream.category, stream.encoding, data, deadline)
        notify = _state["notify"]
        if dropped and notify is not None:
            notify(
                f"dapattach: {dropped:,} bytes of the program's output are not shown here (more than the "
                f"console is sent, {RATE // 2**20} MB a second, or more than it could take); the program's "
                "own output is complete.\n",
                deadline,
            )
        return bool(runs or dropped)
    finally:
        _sending.release()


def _allowance():
    """How many bytes may go to the console now: `RATE` a second, at most a second's worth at once."""
    now = time.monotonic()
    allowance = min(RATE, _state["allowance"] + (now - _state["refilled"]) * RATE)
    _state["refilled"] = now
    return int(allowance)


def _take(allowance):
    """What is pending, as (stream, bytes) runs in the order written, at most `allowance` bytes of it,
    and the bytes dropped meanwhile; what is over the allowance is dropped too, without being copied."""
    with _switching:
        marks = _marks.copy()
        _marks.clear()
        taken = {}
        for stream in _streams:
            whole = len(stream.pending)
            keep = min(whole, allowance)
            allowance -= keep
            data = stream.pending[:keep]
            del stream.pending[:whole]  # what a thread added meanwhile stays for the next round
            stream.dropped += whole - keep
            taken[stream] = (stream.taken, data)
            stream.taken += whole
        _state["allowance"] = allowance
        if _last[0] is not None:
            _marks.append((_last[0], _last[0].taken))
    dropped = 0
    for stream in _streams:
        dropped, stream.dropped = dropped + stream.dropped, 0
    ends, starts = [], {}
    for stream, position in reversed(marks):
        first, data = taken[stream]
        ends.append(starts.get(stream, first + len(data)))
        starts[stream] = position
    ends.reverse()
    runs = []
    for stream, (first, data) in taken.items():
        before = starts.get(stream, first + len(data)) - first
        if before > 0:  # written by a thread that raced a switch: its stream is right, its place nearly
            runs.append((stream, [data[:before]]))
    for (stream, position), end in zip(marks, ends, strict=True):
        first, data = taken[stream]
        if end > position:
            piece = data[position - first : end - first]
            if runs and runs[-1][0] is stream:
                runs[-1][1].append(piece)
            else:
                runs.append((stream, [piece]))
    return [(stream, b"".join(pieces)) for stream, pieces in runs if any(pieces)], dropped


def _unhook(*, forked=False):
    _flushable.clear()
    _at_rest.clear()
    for stream in _streams:
        stream.release(forked=forked)


def _forget():
    _streams.clear()
    _marks.clear()
    _last[0] = None
    _state["send"] = _state["notify"] = None
    _state["allowance"], _state["refilled"] = RATE, 0.0


def stop():
    """Put the streams back and send what was captured up to now."""
    _unhook()
    if _state["send"] is None:
        return
    ticker.remove("output")
    atexit.unregister(_before_exit)
    with contextlib.suppress(ValueError):
        suspend.before_report.remove(_flush_before_report)
    _send_queued()
    with _sending:
        _forget()


def release_after_fork():
    """In a forked child: put the child's streams back and drop what its parent had captured, without
    the lock a thread of the parent may have held."""
    global _sending, _switching, _flushing
    _sending = threading.Lock()
    _switching = threading.Lock()
    _flushing = threading.Lock()
    _forking.clear()
    atexit.unregister(_before_exit)
    _unhook(forked=True)
    _forget()


@command("captureOutput")
def _capture_output(agent, arguments):
    if not arguments.get("enabled", True):
        stop()
        return {}

    def notify(text, deadline=None):
        context.emit("output", {"category": "console", "output": text}, deadline)

    missed = start(agent.send_output, notify)
    if missed:
        notify(
            f"dapattach: the output written to {' and '.join(missed)} is not shown here: "
            "that stream cannot be hooked.\n"
        )
    return {}
