"""A target for `terminate`: says how it ends, so a test can see its clean-up ran.

`terminates.py` runs `work()` in a loop under `try/finally` and registers an `atexit` function; each prints a
line when it runs. `terminates.py term` also handles SIGTERM by ending the loop (exit status 0), and
`terminates.py refuse` answers SIGTERM with `not now` and goes on.
"""

import atexit
import signal
import sys
import threading
import time

stop = threading.Event()


def work(number):
    done = number + 1  # TERMINATE-BREAKPOINT
    return done


def on_term(signum, frame):
    if sys.argv[1:] == ["refuse"]:
        print("not now", flush=True)
    else:
        print("SIGTERM handled", flush=True)
        stop.set()


def main():
    if sys.argv[1:]:
        signal.signal(signal.SIGTERM, on_term)
    atexit.register(lambda: print("atexit ran", flush=True))
    print("READY", flush=True)
    number = 0
    try:
        while not stop.is_set():
            number = work(number)
            time.sleep(0.01)
    finally:
        print("finally ran", flush=True)


main()
