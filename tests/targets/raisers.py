"""A target for exception options: jobs that raise, caught or not, each on a thread of its own.

A test calls `run("name")` through `evaluate`; the job runs on a thread named after it and prints
`done name` at its end, or, when an exception ends it, from `threading.excepthook`, which runs once the
exception has left the thread's `run` (where the debugger sees it is uncaught).
"""

import threading
import time

stop = threading.Event()


def caught_key():
    try:
        raise KeyError("key")
    except KeyError:
        pass


def caught_value():
    try:
        raise ValueError("value")
    except ValueError:
        pass


def stop_iteration():
    items = iter([])
    try:
        return next(items)
    except StopIteration:
        return None


def uncaught_key():
    raise KeyError("uncaught key")


def uncaught_lookup():
    raise LookupError("uncaught lookup")


def _job(name):
    globals()[name]()
    print("done", name, flush=True)


def _ended_by(args):
    print("done", args.thread.name, flush=True)


def run(name):
    threading.Thread(target=_job, args=(name,), name=name, daemon=True).start()


def main():
    threading.excepthook = _ended_by
    print("READY", flush=True)
    while not stop.is_set():
        time.sleep(0.01)


main()
