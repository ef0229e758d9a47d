"""A parent whose forked child execs a new program just as its agent moves to the child's own session.

On SIGUSR1 the parent forks. The child's agent came with the fork and reported to the session following
the tree (a connection to its `subprocesses.sock`); the session then sends it on to the child session's
adapter (`rehome`: a new connection). The child execs `tree_child.py` `argv[1]` seconds after it sees that
second connection, which may already be there when the fork returns (the forking thread waits for the
agent). Prints `READY`; in the child `MOVING <pid>` before the exec (or `NO MOVE <pid>` when nothing moved
within 10 s, and execs anyway); `CHILD EXIT <code>` when the child has ended.
"""

import os
import signal
import socket
import sys
import time
from pathlib import Path

CHILD = str(Path(__file__).with_name("tree_child.py"))
inherited = set()


def sockets():
    found = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:"):
            found[link] = int(fd)
    return found


def to_follower(fd):
    try:
        with socket.socket(fileno=os.dup(fd)) as sock:
            return str(sock.getpeername()).endswith("subprocesses.sock")
    except OSError:
        return False


def moving():
    return any(name not in inherited and not to_follower(fd) for name, fd in sockets().items())


def exec_when_moving(delay):
    deadline = time.monotonic() + 10
    while not moving():
        if time.monotonic() > deadline:
            print(f"NO MOVE {os.getpid()}", flush=True)
            break
        time.sleep(0.0002)
    else:
        time.sleep(delay)
        print(f"MOVING {os.getpid()}", flush=True)
    os.execv(sys.executable, [sys.executable, CHILD])


def fork_exec(delay):
    pid = os.fork()
    if pid == 0:
        exec_when_moving(delay)
    _, status = os.waitpid(pid, 0)
    print(f"CHILD EXIT {os.waitstatus_to_exitcode(status)}", flush=True)


def main():
    delay = float(sys.argv[1])
    # Runs before the hook of an agent that comes later (hooks after a fork run in the order registered).
    os.register_at_fork(after_in_child=lambda: inherited.update(sockets()))
    requests = []
    signal.signal(signal.SIGUSR1, lambda *_: requests.append(fork_exec))
    print("READY", flush=True)
    while True:
        while requests:
            requests.pop(0)(delay)
        time.sleep(0.02)


if __name__ == "__main__":
    main()
