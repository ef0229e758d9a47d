"""A small service for the container tests: its worker thread handles a job every 20 ms (and says so every
25 jobs), its main thread sleeps in 10 ms steps. Prints `READY <its own PID>`, the PID in its namespace."""

import os
import threading
import time


def handle(job):
    total = job * 2
    label = f"job-{job}"
    return total, label  # stop here


def work():
    job = 0
    while True:
        job += 1
        handle(job)
        if job % 25 == 0:
            print("handled", job, flush=True)
        time.sleep(0.02)


threading.Thread(target=work, name="worker", daemon=True).start()
print("READY", os.getpid(), flush=True)
while True:
    time.sleep(0.01)
