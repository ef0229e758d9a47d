"""Three threads, each with its own `threading.local` value and `ContextVar` value, working in a loop.

Thread `worker-N` sets `local.name = "local-N"` and `current.set("var-N")`, then loops in `work()`
(its local `number` is N). Thread `ticker` prints `tick N` every 20 ms. READY comes once every worker
has set its values.
"""

import contextvars
import sys
import threading
import time

local = threading.local()
current = contextvars.ContextVar("current", default="unset")
started = threading.Barrier(4)


def say(line):
    """One write per line: two threads' `print` calls can interleave a line with another's."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def work(number):
    while True:
        time.sleep(0.005)  # @work


def start(number):
    local.name = f"local-{number}"
    current.set(f"var-{number}")
    started.wait()
    work(number)


def tick():
    count = 0
    while True:
        count += 1
        say(f"tick {count}")
        time.sleep(0.02)


for number in (1, 2, 3):
    threading.Thread(target=start, args=(number,), name=f"worker-{number}", daemon=True).start()
started.wait()
say("READY")
threading.Thread(target=tick, name="ticker", daemon=True).start()
while True:
    time.sleep(0.05)
