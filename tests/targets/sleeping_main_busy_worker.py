"""The main thread sleeps for an hour while a worker thread computes: the agent must come in through it."""

import threading
import time


def crunch():
    total = 0
    while True:
        for value in range(10_000):
            total += value * value
        total %= 1_000_003


threading.Thread(target=crunch, name="cruncher", daemon=True).start()
print("READY", flush=True)
time.sleep(3600)
