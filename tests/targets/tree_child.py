"""A short-lived Python child: prints `CHILD <pid>`, calls `work` every 10 ms for 5 s, then exits 0."""

import os
import time


def work(number):
    return number * 2  # child line


def main():
    print(f"CHILD {os.getpid()}", flush=True)
    for number in range(500):
        work(number)
        time.sleep(0.01)


if __name__ == "__main__":
    main()
