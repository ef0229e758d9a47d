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
- `fork`: forks; the child writes through sys.stdout and reports whether its streams still carry a hook.
- `flood`: writes 20 MB to stdout as fast as it can, then `FLOODED`; `huge`: the same 20 MB in one binary
  write, then `HUGE`.
- `interleave`: writes `out N` to stdout and `err N` to stderr in turn, flushing each, 300 times (every
  tenth round twice to stdout), then `INTERLEAVED` to stdout.
- `stop`: prints `before the stop` (not flushed) and runs the `@stop-here` line, where a test puts a
  breakpoint.
"""

import itertools
import json
import logging
import os
import sys
import threading
import time

os.dup2(os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND), 2)
log = logging.getLogger("chatty")
log.addHandler(logging.StreamHandler())
log.setLevel(logging.INFO)
burst, slow, fork, flood, huge, halt, interleave, stop = (threading.Event() for _ in range(8))
lock = threading.Lock()
numbers = itertools.count(1)
LINES_PER_THREAD = 300


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


def run_fork():
    pid = os.fork()
    if pid == 0:
        hooked = {name: "write" in vars(getattr(sys, name).buffer) for name in ("__stdout__", "__stderr__")}
        print("CHILD " + json.dumps(hooked), flush=True)
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


def run_huge():
    sys.stdout.flush()
    sys.stdout.buffer.write(("h" * 9999 + "\n").encode() * 2000)
    print("HUGE", flush=True)


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
        (fork, run_fork),
        (flood, run_flood),
        (huge, run_huge),
        (halt, run_halt),
        (interleave, run_interleave),
    )
    while not stop.is_set():
        for event, action in actions:
            if event.is_set():
                event.clear()
                action()
        time.sleep(0.01)


main()
