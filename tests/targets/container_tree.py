"""A parent in a container that starts Python children when asked, each running `work` every 10 ms for 5 s.

SIGUSR1: `os.fork()`, the child runs `child()`. SIGUSR2: `subprocess.run` of this file with `child`. Prints
`READY`, then `CHILD <pid>` (the child's PID in its namespace) and `CHILD EXIT <code>` once it ended.
The agent's thread makes the process multi-threaded, about which `os.fork` warns on stderr: that warning is
silenced here, so the test can tell that nothing else is printed there.
"""

import os
import signal
import subprocess
import sys
import time
import warnings


def work(number):
    return number * 2  # child line


def child():
    print(f"CHILD {os.getpid()}", flush=True)
    for number in range(500):
        work(number)
        time.sleep(0.01)


def fork():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        child()
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    print(f"CHILD EXIT {os.waitstatus_to_exitcode(status)}", flush=True)


def run():
    done = subprocess.run([sys.executable, __file__, "child"], check=False)
    print(f"CHILD EXIT {done.returncode}", flush=True)


def main():
    requests = []
    signal.signal(signal.SIGUSR1, lambda *_: requests.append(fork))
    signal.signal(signal.SIGUSR2, lambda *_: requests.append(run))
    print("READY", flush=True)
    while True:
        while requests:
            requests.pop(0)()
        time.sleep(0.02)


if __name__ == "__main__":
    child() if sys.argv[1:] == ["child"] else main()
