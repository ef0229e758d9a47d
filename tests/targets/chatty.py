"""A target that writes to stdout and stderr in every way a program does, when a test asks it to.

`chatty.py STDERR_FILE [custom]` sends its stderr (fd 2) to STDERR_FILE, so a test can compare it with what
the console showed, and waits in a Python loop (so an agent gets in at once). With `custom`, sys.stdout is
a Python object of the program's own (it upper-cases what it writes to the real stdout). A test sets one of
the events below with an `evaluate` (`burst.set()`):

- `burst`: three threads print numbered lines under one lock (so the order on stdout is the order they were
  written), a logging handler made at start-up logs to stderr, a thread dies with a traceback, the main
  thread writes a character split over two binary writes; between `BEGIN` and `END` lines.
- `slow`: prints `slow N` every 20 ms without flushing, ten times (with a block-buffered stdout, the bytes
  sit in the stream's buffer until something flushes it).
- `steady`: prints `steady N` every 0.4 s and flushes it, as a service logs a request now and then,
  ten times.
- `fork`: forks; the child writes through sys.stdout and reports whether its streams still carry a hook.
- `flood`: writes 20 MB to stdout as fast as it can, then `FLOODED`; `huge`: the same 20 MB in one binary
  write, then `HUGE`; `pour`: writes 10 KB lines for 2 s as fast as it can, with its fd 1 on /dev/null
  meanwhile (so the test need not read them), then `POURED <bytes>`.
- `interleave`: writes `out N` to stdout and `err N` to stderr in turn, flushing each, 300 times (every
  tenth round twice to stdout), then `INTERLEAVED` to stdout.
- `stop`: prints `before the stop` (not flushed) and runs the `@stop-here` line, where a test puts a
  breakpoint. `choke` does the same after pointing its fd 1 at a pipe nobody reads, filled up (with a
  block-buffered stdout, the line waits in the stream's buffer, and a flush would wait for ever).
- `nearly`: points fd 1 at a pipe nobody reads with one page of room left, prints a 6 KB line, then
  `NEARLY_LINES` lines of 100 bytes a few ms apart, each numbered on stderr too (`nearly N`). With a
  block-buffered stdout they all fit in the stream's own buffer: the program never waits for the pipe.
- `pieces`: writes a line in pieces, none of them flushed: `one ` as text, `two` as a line to stderr,
  `three ` as text, `four ` straight to stdout's binary buffer, then `five` with no newline; waits for the
  event `more`, then ends the line with `PIECES`. The parent side of `fork` writes `parent ` with no
  newline before it forks.
- `rewrap`: replaces sys.stdout by a new text layer over the same buffer (`detach()`, as programs do to
  change the encoding), writes `re` without a newline, then prints `WRAPPED` through the new one.
"""

import fcntl
import io
import itertools
import json
import logging
import os
import sys
import threading
import time
import warnings

os.dup2(os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND), 2)
# `os.fork()` with threads about (the agent's) warns on stderr, in the parent, after the fork: a write to
# stderr sends what stdout held ahead of it, which the fork test must see done by the fork itself.
warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
log = logging.getLogger("chatty")
log.addHandler(logging.StreamHandler())
log.setLevel(logging.INFO)
burst, slow, steady, fork, flood, huge, pour, halt, interleave, pieces, more, rewrap, stop, choke, nearly = (
    threading.Event() for _ in range(15)
)
kept = []
lock = threading.Lock()
numbers = itertools.count(1)
LINES_PER_THREAD = 300
NEARLY_LINES = 400


def printer(name):
    for _ in range(LINES_PER_THREAD):
        with lock:
            print(f"{name} {next(numbers)}")


def fail():
    raise ValueError("chatty thread failed")


def run_burst():
    print("BEGIN")
    threads = [threading.Thread(target=printer, args=(name,), name=name) for name in ("A", "B", "C")]
    for thread in threads:
        thread.start()
    log.info("logged to stderr while %d threads print", len(threads))
    for thread in threads:
        thread.join()
    failing = threading.Thread(target=fail, name="failing")
    failing.start()
    failing.join()
    sys.stdout.flush()
    sys.stdout.buffer.write("caf\u00e9 split: ".encode()[:-1])
    sys.stdout.buffer.write("caf\u00e9 split: ".encode()[-1:] + b"\xc3")
    sys.stdout.buffer.write(b"\xa9\n")
    print("END", flush=True)


def run_slow():
    for number in range(1, 11):
        print(f"slow {number}")
        time.sleep(0.02)


def run_steady():
    for number in range(1, 11):
        print(f"steady {number}", flush=True)
        time.sleep(0.4)


def run_fork():
    sys.stdout.write("parent ")
    pid = os.fork()
    if pid == 0:
        report = {name: "write" in vars(getattr(sys, name).buffer) for name in ("__stdout__", "__stderr__")}
        report["buffering"] = [sys.stdout.line_buffering, sys.stdout.write_through]
        print("CHILD " + json.dumps(report), flush=True)
        os._exit(0)
    os.waitpid(pid, 0)
    print("FORKED", flush=True)


def run_flood():
    line = "f" * 9999 + "\n"
    for _ in range(2000):
        sys.stdout.write(line)
    print("FLOODED", flush=True)


def run_interleave():
    for number in range(1, 301):
        print(f"out {number}", flush=True)
        if number % 10 == 0:
            print(f"out {number} again", flush=True)
        print(f"err {number}", file=sys.stderr, flush=True)
    print("INTERLEAVED", flush=True)


def run_pour():
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    line, written = "p" * 9999 + "\n", 0
    end = time.monotonic() + 2
    while time.monotonic() < end:
        for _ in range(100):
            sys.stdout.write(line)
        written += 100 * len(line)
    sys.stdout.flush()
    os.dup2(saved, 1)
    print(f"POURED {written}", flush=True)


def run_huge():
    sys.stdout.flush()
    sys.stdout.buffer.write(("h" * 9999 + "\n").encode() * 2000)
    print("HUGE", flush=True)


def run_pieces():
    sys.stdout.write("one ")
    print("two", file=sys.stderr)
    sys.stdout.write("three ")
    sys.stdout.buffer.write(b"four ")
    sys.stdout.write("five")
    more.wait()
    more.clear()
    print(" PIECES")


def run_rewrap():
    sys.stdout.write("re")
    sys.stdout = io.TextIOWrapper(sys.stdout.detach(), write_through=True)
    print("WRAPPED", flush=True)


def run_choke():
    """Point fd 1 at a pipe nobody reads, filled up, then do what `halt` does."""
    sys.stdout.flush()
    unread, end = os.pipe()
    kept.append(unread)  # open, so that writes wait for a reader instead of failing
    os.set_blocking(end, False)
    try:
        while True:
            os.write(end, b"x" * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(end, True)
    os.dup2(end, 1)
    run_halt()


def run_nearly():
    """Print into a pipe nobody reads that has one page of room (see the module's docstring)."""
    sys.stdout.flush()
    unread, end = os.pipe()
    kept.append(unread)
    os.write(end, b"x" * (fcntl.fcntl(end, fcntl.F_GETPIPE_SZ) - 4096))
    os.dup2(end, 1)
    print("b" * 6000)
    for number in range(1, NEARLY_LINES + 1):
        print(f"nearly {number:5} " + "n" * 86)
        print(f"nearly {number}", file=sys.stderr)
        time.sleep(0.005)


def run_halt():
    print("before the stop")
    reached = True  # @stop-here
    return reached


class Upper:
    """A stream of the program's own: upper-cases what it writes to the real stdout."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        return self.stream.write(text.upper())

    def flush(self):
        self.stream.flush()


def main():
    if sys.argv[2:] == ["custom"]:
        sys.stdout = Upper(sys.stdout)
    print("READY", flush=True)
    actions = (
        (burst, run_burst),
        (slow, run_slow),
        (steady, run_steady),
        (fork, run_fork),
        (flood, run_flood),
        (huge, run_huge),
        (pour, run_pour),
        (halt, run_halt),
        (choke, run_choke),
        (nearly, run_nearly),
        (interleave, run_interleave),
        (pieces, run_pieces),
        (rewrap, run_rewrap),
    )
    while not stop.is_set():
        for event, action in actions:
            if event.is_set():
                event.clear()
                action()
        time.sleep(0.01)


main()
