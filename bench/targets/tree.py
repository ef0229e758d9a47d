"""Bench target for process trees: a parent that starts a Python child when told to.

`tree.py [CPU]` prints {"ready": pid}. SIGUSR1: it prints {"forked": perf_counter_ns} and forks a child
whose first line is `first_line()`, which then exits. SIGUSR2: it prints {"spawned": perf_counter_ns} and
starts `tree_child.py` with `subprocess.Popen` (a new program). The monotonic clock is the bench's own.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def first_line():
    return os.getpid()  # bench:fork-line


def fork_child():
    print(json.dumps({"forked": time.perf_counter_ns()}), flush=True)
    pid = os.fork()
    if pid == 0:
        first_line()
        os._exit(0)
    os.waitpid(pid, 0)


def spawn_child():
    print(json.dumps({"spawned": time.perf_counter_ns()}), flush=True)
    children.append(subprocess.Popen([sys.executable, str(Path(__file__).with_name("tree_child.py"))]))


children = []


def main():
    if len(sys.argv) > 1:
        os.sched_setaffinity(0, {int(sys.argv[1])})
    requests = []
    signal.signal(signal.SIGUSR1, lambda *_: requests.append(fork_child))
    signal.signal(signal.SIGUSR2, lambda *_: requests.append(spawn_child))
    print(json.dumps({"ready": os.getpid()}), flush=True)
    while True:
        while requests:
            requests.pop(0)()
        time.sleep(0.005)


main()
