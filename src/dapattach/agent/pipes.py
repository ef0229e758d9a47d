"""Whether the agent's own flush of a block-buffered stream can end without waiting for the stream's reader.

The ticker flushes the program's stdout and stderr so that the console shows output as it happens. A
flush writes everything the stream holds; into a pipe with less room than that, the write takes what fits
and waits for the reader, holding the stream's lock: the program's next `print` then waits for that lock.
Left alone, the program would have gone on filling its own buffer (128 KiB on Python 3.14, twice a pipe's
usual 64 KiB) and met the slow reader only when that buffer was full. So a service whose log reader lags
must not be stopped by the agent's flush sooner than by its own writes.

`select` only says that a pipe has some room. On Linux the agent knows more: how many bytes the pipe holds
unread (`FIONREAD`) and its capacity (`F_GETPIPE_SZ`), and, with `Tally`, an upper bound of what the stream
holds: the bytes its buffer took in (counted by the output hook, before each write) less the bytes its raw
file wrote (counted by a hook on the raw file's `write`, which the buffer calls by name, under its own
lock), plus what the text layer may hold (less than its chunk size). A flush into a pipe is started only
when the pipe is empty (its reader keeps up: an empty pipe has every page free) and that bound fits in it
with a page to spare. A pipe that holds anything is left to the program's own writes until its reader has
caught up; the output still reaches the console as the text layer hands it to the buffer. Elsewhere (a
socket, a terminal, other systems) the answer is `select`'s, as before: some room now.

What a thread of the program writes between the check and the flush is not in the bound; a flush can then
still wait, as it always could, for as long as that write's share takes to be read.
"""

import contextlib
import os
import select
import stat
import sys

try:
    import fcntl

    PIPE_SIZE = fcntl.F_GETPIPE_SZ
except ImportError, AttributeError:  # not Linux
    PIPE_SIZE = None

PAGE = os.sysconf("SC_PAGE_SIZE") if PIPE_SIZE is not None else 4096
"""A pipe's unit of room (a page per buffer slot on Linux), kept free as a margin."""


class Tally:
    """What a buffered stream's raw file has written, counted by a `write` of ours in place of its own."""

    __slots__ = ("previous", "raw", "write", "written")

    def __init__(self, raw):
        self.raw = raw
        self.written = 0
        self.previous = vars(raw).get("write", _NONE)
        original = raw.write

        def write(data, /):
            written = original(data)
            if type(written) is int:
                self.written += written
            return written

        self.write = write
        raw.write = write

    def release(self):
        """Put the raw file's own `write` back, unless the program has set another since."""
        with contextlib.suppress(Exception):
            if vars(self.raw).get("write") is self.write:
                if self.previous is _NONE:
                    del self.raw.write
                else:
                    self.raw.write = self.previous


_NONE = object()


def tally(buffer):
    """A `Tally` on `buffer`'s raw file where pipes can be measured (Linux), else None."""
    if PIPE_SIZE is None:
        return None
    try:
        return Tally(buffer.raw)
    except Exception:
        return None


def measure(data):
    """How many bytes a write of `data` hands a binary stream: none when `data` is not a buffer, which the
    stream's own `write` refuses too."""
    try:
        with memoryview(data) as view:
            return view.nbytes
    except Exception:
        return 0


def flush_fits(text, taken_in, counted):
    """Whether flushing `text` (a text stream) ends without waiting for its reader (see the module's
    docstring). `taken_in()` is how many bytes its buffer took in so far; `counted` is its `Tally`, or
    None."""
    try:
        fd = text.fileno()
        if counted is None or not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return _writable(fd)
        if _unread(fd):
            return False
        capacity = fcntl.fcntl(fd, PIPE_SIZE)
    except Exception:
        return True  # not a file, or one that cannot be asked: as before, a flush is tried
    written = counted.written  # first: what is counted in after this can only raise the bound
    held = taken_in() - written
    if held < 0:
        return False  # the raw file was written past its buffer: the bound is unknown
    return held + getattr(text, "_CHUNK_SIZE", 8192) <= capacity - PAGE


def _unread(fd):
    """Bytes the pipe holds unread (`termios`, a library of its own, is loaded only when a pipe comes)."""
    from termios import FIONREAD

    return int.from_bytes(fcntl.ioctl(fd, FIONREAD, bytes(4)), sys.byteorder)


def _writable(fd):
    """Whether the file can take a write now, as `select` says (a regular file or a terminal always)."""
    return bool(select.select([], [fd], [], 0)[1])
