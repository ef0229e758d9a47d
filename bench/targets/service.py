"""Bench target: a small threaded service whose requests run with a ContextVar and a threading.local set.

Thread `handler` serves a "request" every 10 ms: it sets `request_id` (a ContextVar, in a context of its
own per request, as web frameworks do) and `local.session` (a `threading.local`), then runs the line the
harness puts its breakpoint on (marked `bench:` handler-line). Thread `ticker` prints `tick N` every
20 ms, so the harness sees when the process runs. `Hanging()`'s repr never returns (a pure-Python loop);
`Blocked()`'s waits on an event nobody sets.
Prints `{"ready": pid}` first.
"""

import contextvars
import json
import os
import sys
import threading
import time

request_id = contextvars.ContextVar("request_id", default="no request")
local = threading.local()
stop = threading.Event()
never = threading.Event()


class Hanging:
    def __repr__(self):
        while True:
            pass


class Blocked:
    def __repr__(self):
        never.wait()
        return "Blocked()"


def handle(number):
    request_id.set(f"request-{number}")
    local.session = f"session-{number}"
    hanging = Hanging()
    blocked = Blocked()
    total = number * 2  # bench:handler-line
    return total, hanging, blocked


def serve():
    number = 0
    while not stop.is_set():
        number += 1
        contextvars.copy_context().run(handle, number)
        time.sleep(0.01)


def tick():
    number = 0
    while not stop.is_set():
        number += 1
        sys.stdout.write(f"tick {number}\n")
        sys.stdout.flush()
        time.sleep(0.02)


def main():
    sys.stdout.write(json.dumps({"ready": os.getpid()}) + "\n")
    sys.stdout.flush()
    threading.Thread(target=serve, name="handler", daemon=True).start()
    threading.Thread(target=tick, name="ticker", daemon=True).start()
    code = int(sys.argv[1]) if len(sys.argv) > 1 else None
    while not stop.is_set():
        if code is not None and sys.stdin.readline() == "":
            sys.exit(code)
        time.sleep(0.05)


if __name__ == "__main__":
    main()
