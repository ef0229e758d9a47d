"""A parent that forks a child when sent SIGUSR1. The child prints `TICK <n>` every 10 ms and, every tenth
tick, looks up a key that is not there (a `KeyError`, caught); after 5 s it exits. The parent prints
`READY`, then `CHILD <pid>` per child."""

import os
import signal
import time


def lookup(table, key):
    try:
        return table[key]  # lookup line
    except KeyError:
        return None


def child():
    for number in range(500):
        print(f"TICK {number}", flush=True)
        if number % 10 == 9:
            lookup({}, number)
        time.sleep(0.01)


def main():
    requests = []
    signal.signal(signal.SIGUSR1, lambda *_: requests.append("fork"))
    print("READY", flush=True)
    while True:
        while requests:
            requests.pop(0)
            pid = os.fork()
            if pid == 0:
                try:
                    child()
                finally:
                    os._exit(0)
            print(f"CHILD {pid}", flush=True)
        time.sleep(0.02)


if __name__ == "__main__":
    main()
