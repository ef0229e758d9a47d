"""A target that ends the way argv[1] says when it gets SIGUSR1.

`exit N`: `sys.exit(N)` from a function called by the main module; `return`: the main module ends;
`raise`: an uncaught `ValueError`; `interrupt`: an uncaught `KeyboardInterrupt`; `os-exit N`: `os._exit(N)`.
A daemon thread `ticker` runs Python meanwhile. Prints READY first.
"""

import os
import signal
import sys
import threading
import time

go = threading.Event()


def tick():
    while True:
        time.sleep(0.01)


def finish(how, number):
    match how:
        case "exit":
            sys.exit(number)
        case "raise":
            raise ValueError("the target's own error")
        case "interrupt":
            raise KeyboardInterrupt
        case "os-exit":
            os._exit(number)


threading.Thread(target=tick, name="ticker", daemon=True).start()
signal.signal(signal.SIGUSR1, lambda *_: go.set())
print("READY", flush=True)
while not go.is_set():
    time.sleep(0.01)
finish(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0)
