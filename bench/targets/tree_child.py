"""A Python child started by `tree.py`: calls `work()` every millisecond for up to 10 s, then exits."""

import time


def work(n):
    return n + 1  # bench:exec-line


def main():
    deadline = time.monotonic() + 10
    n = 0
    while time.monotonic() < deadline:
        n = work(n)
        time.sleep(0.001)


main()
