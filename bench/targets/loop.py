"""Bench target: a hot pure-Python loop that measures its own speed, or a main thread in short sleeps.

`loop.py busy WINDOW_MS [CPU]` prints one JSON line per window: {"ips": iterations per wall-clock second,
"cpu_ips": iterations per second of the process's CPU time, "t": ns}. The CPU-time figure still counts an
agent's threads (they burn this process's CPU) but not the time other programs take the CPU away.
`loop.py sleep 0 [CPU]` sleeps in 10 ms steps, the shape of a poller or a GUI-less worker.
Both print {"ready": pid} first. The `# bench:` markers name lines the harness puts breakpoints on.
"""

import json
import os
import sys
import time

CHUNK = 1000


def hot(n):
    total = 0
    for i in range(n):
        total += i * i % 7  # bench:hot-line
        if total < 0:
            total = 0  # bench:cold-line
    return total


def emit(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def busy(window_ns):
    while True:
        start = time.perf_counter_ns()
        cpu_start = time.process_time_ns()
        done = 0
        while (now := time.perf_counter_ns()) - start < window_ns:
            hot(CHUNK)
            done += CHUNK
        cpu = max(time.process_time_ns() - cpu_start, 1)
        emit({"ips": done * 1e9 / (now - start), "cpu_ips": done * 1e9 / cpu, "t": now})


def sleepy():
    while True:
        time.sleep(0.01)


def main():
    mode, window_ms = sys.argv[1], int(sys.argv[2])
    if len(sys.argv) > 3:
        os.sched_setaffinity(0, {int(sys.argv[3])})
    emit({"ready": os.getpid()})
    if mode == "busy":
        busy(window_ms * 1_000_000)
    else:
        sleepy()


main()
