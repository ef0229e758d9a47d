"""A target that forks when asked: SIGUSR1 makes the main thread fork, the child reports what it sees.

The child runs `child_work()` (a test puts a breakpoint there: it must not stop the child), then prints
one `CHILD {...}` JSON line (threads, sys.monitoring tools, modules and main names of dapattach) and exits.
The parent prints `CHILD EXIT n` once it has reaped the child. SIGUSR2 makes the parent run
`child_work()` itself. Any exception Python reports as unraisable prints `UNRAISABLE ...`.
"""

import json
import os
import signal
import sys
import threading
import time

stop = threading.Event()
requests = []


def child_work():
    total = 0
    for number in range(3):
        total += number
    return total


def report():
    return {
        "threads": sorted(thread.name for thread in threading.enumerate()),
        "tools": {tool: sys.monitoring.get_tool(tool) for tool in range(6) if sys.monitoring.get_tool(tool)},
        "modules": sorted(name for name in sys.modules if "dapattach" in name),
        "work": child_work(),
    }


def fork_now():
    pid = os.fork()
    if pid == 0:
        # os.write, not print: another thread may have held sys.stdout's lock when the fork happened.
        os.write(1, ("CHILD " + json.dumps(report()) + "\n").encode())
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    say(f"CHILD EXIT {os.waitstatus_to_exitcode(status)}")


def say(line):
    """One write per line: two threads' `print` calls can interleave a line with another's."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def tick():
    number = 0
    while not stop.is_set():
        number += 1
        say(f"tick {number}")
        stop.wait(0.05)


def main():
    sys.unraisablehook = lambda info: print(f"UNRAISABLE {info.exc_value!r}", flush=True)
    signal.signal(signal.SIGUSR1, lambda *_: requests.append(fork_now))
    signal.signal(signal.SIGUSR2, lambda *_: requests.append(child_work))
    threading.Thread(target=tick, name="ticker", daemon=True).start()
    print("READY", flush=True)
    while not stop.is_set():
        while requests:
            requests.pop(0)()
        time.sleep(0.01)


if __name__ == "__main__":
    main()
