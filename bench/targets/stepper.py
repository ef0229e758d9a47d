"""Bench target for stepping: a busy main loop calling a short function, stopped in and stepped through.

`stepper.py [CPU]` prints {"ready": pid} and loops forever.
"""

import json
import os
import sys


def tick(n):
    a = n + 1  # bench:step-line
    b = a * 2
    c = b - n
    d = c % 5
    e = d + a
    return e


def main():
    if len(sys.argv) > 1:
        os.sched_setaffinity(0, {int(sys.argv[1])})
    print(json.dumps({"ready": os.getpid()}), flush=True)
    n = 0
    while True:
        n += 1
        tick(n)


main()
