"""A target for `stepInTargets`: a line with several calls, run on the thread `caller` on request.

A test sets a breakpoint on the `@calls` line and sets `go` (through `evaluate`); `caller` then runs
`several_calls`, prints `result N` and waits for `go` again. The calls on that line run in this order:
`double`, `triple`, `label.upper`, `combine` (arguments first), then `print`.
"""

import threading
import time

go = threading.Event()
stop = threading.Event()
label = "sum"


def double(value):
    return value * 2  # @double


def triple(value):
    return value * 3  # @triple


def combine(first, second, key):
    return f"{key} {first + second}"  # @combine


def several_calls(seed):
    total = combine(double(seed), triple(seed), key=label.upper())  # @calls
    print("result", total, flush=True)


def caller():
    while not stop.is_set():
        if go.wait(0.01):
            go.clear()
            several_calls(5)


def main():
    threading.Thread(target=caller, name="caller", daemon=True).start()
    print("READY", flush=True)
    while not stop.is_set():
        time.sleep(0.01)


main()
