"""A parent that starts Python children when asked, by three means; each child runs `tree_child.py`.

SIGUSR1: `subprocess.run` of the child. SIGUSR2: `os.fork()`, then `os.execv` of the child in the forked
process. SIGHUP: `subprocess.run` of the child with remote debugging disabled in it. Prints `READY`, then
`CHILD EXIT <code>` when a child has ended.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

CHILD = str(Path(__file__).with_name("tree_child.py"))


def run(env=None):
    done = subprocess.run([sys.executable, CHILD], env=env, check=False)
    print(f"CHILD EXIT {done.returncode}", flush=True)


def fork_exec():
    pid = os.fork()
    if pid == 0:
        os.execv(sys.executable, [sys.executable, CHILD])
    _, status = os.waitpid(pid, 0)
    print(f"CHILD EXIT {os.waitstatus_to_exitcode(status)}", flush=True)


def main():
    requests = []
    signal.signal(signal.SIGUSR1, lambda *_: requests.append(run))
    signal.signal(signal.SIGUSR2, lambda *_: requests.append(fork_exec))
    disabled = {**os.environ, "PYTHON_DISABLE_REMOTE_DEBUG": "1"}
    signal.signal(signal.SIGHUP, lambda *_: requests.append(lambda: run(disabled)))
    print("READY", flush=True)
    while True:
        while requests:
            requests.pop(0)()
        time.sleep(0.02)


if __name__ == "__main__":
    main()
