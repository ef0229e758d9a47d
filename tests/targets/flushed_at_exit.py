"""A target that ends with text for its stdout in the buffer, and its stdout a full pipe.

`flushed_at_exit.py` prints `READY`, waits for `leave` as below, then prints `the last line` (stdout
block-buffered: it waits in the buffer) and ends at once.

`flushed_at_exit.py FIFO` prints `READY` and waits in a Python loop (so an agent gets in at once) until a
test sets `leave` (with an `evaluate`). Then it points its fd 1 at FIFO, whose reader the test opened
beforehand and does not read yet, fills it, and ends. Its `atexit` function, which runs after the main
module's own last flush, prints `left in the buffer` without flushing, waits 0.3 s (a flush of stdout
started meanwhile by another thread would be stuck in the full pipe by then), and says `AT EXIT` on the
stdout it had at the start: only then does the test empty the FIFO. What is in the buffer is written by the
interpreter's own flush as it finalizes.
"""

import atexit
import os
import sys
import threading
import time

leave = threading.Event()
first_stdout = os.dup(1)


def last_words():
    print("left in the buffer")
    time.sleep(0.3)
    os.write(first_stdout, b"AT EXIT\n")


def point_stdout_at_a_full_pipe(path):
    sys.stdout.flush()
    fifo = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    try:
        while True:
            os.write(fifo, b"x" * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(fifo, True)
    os.dup2(fifo, 1)
    os.close(fifo)


def main():
    if sys.argv[1:]:
        atexit.register(last_words)
    print("READY", flush=True)
    while not leave.is_set():
        time.sleep(0.01)
    if sys.argv[1:]:
        point_stdout_at_a_full_pipe(sys.argv[1])
    else:
        print("the last line")


main()
