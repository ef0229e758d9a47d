"""A busy main thread that prints its GIL switch interval whenever it changes.

SIGUSR1 forks: the child prints its interval and the parent's at the fork, then exits. SIGUSR2 sets the
program's own interval (2 ms). The first argument, if any, is the interval to start with.
"""

import os
import signal
import sys


def fork_and_report(signum, frame):
    at_fork = sys.getswitchinterval()
    child = os.fork()
    if child == 0:
        print(f"child {sys.getswitchinterval()} parent-at-fork {at_fork}", flush=True)
        os._exit(0)
    os.waitpid(child, 0)


def set_own(signum, frame):
    sys.setswitchinterval(0.002)


if len(sys.argv) > 1:
    sys.setswitchinterval(float(sys.argv[1]))
signal.signal(signal.SIGUSR1, fork_and_report)
signal.signal(signal.SIGUSR2, set_own)
print("READY", flush=True)
seen = None
while True:
    now = sys.getswitchinterval()
    if now != seen:
        print(f"interval {now}", flush=True)
        seen = now
    for _ in range(1000):
        pass
