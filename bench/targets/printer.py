"""Bench target: a chatty program, printing 100,000 lines per window through `print`.

`printer.py LINES WORK [CPU]` prints {"ready": pid}, then, forever, LINES lines (each after WORK turns
of a small loop: 0 prints as fast as it can, 1000 is about 20 us of work per line, like a program that
logs a line per task) and one JSON line per window:
{"ips": lines per wall-clock second, "cpu_ips": lines per second of the process's CPU time, "t": ns}.
The lines go to /dev/null (fd 1 is pointed there after the ready line), so the figure is the cost of
printing itself, with no reader to wait for; the reports go to the original stdout. Whether stdout is
block-buffered or unbuffered is up to the environment (PYTHONUNBUFFERED).
"""

import json
import os
import sys
import time


def report(fd, message):
    os.write(fd, (json.dumps(message) + "\n").encode())


def main():
    lines, work = int(sys.argv[1]), int(sys.argv[2])
    if len(sys.argv) > 3:
        os.sched_setaffinity(0, {int(sys.argv[3])})
    reports = os.dup(1)
    report(reports, {"ready": os.getpid()})
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    number = 0
    while True:
        start = time.perf_counter_ns()
        cpu_start = time.process_time_ns()
        for _ in range(lines):
            number += 1
            done = 0
            for turn in range(work):
                done += turn
            print("line", number, "of a chatty program")
        sys.stdout.flush()
        now = time.perf_counter_ns()
        cpu = max(time.process_time_ns() - cpu_start, 1)
        report(reports, {"ips": lines * 1e9 / (now - start), "cpu_ips": lines * 1e9 / cpu, "t": now})


main()
