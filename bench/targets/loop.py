"""Bench target: a hot pure-Python function, called over and over, that times each of its calls.

`loop.py busy CALL_MS [CPU]` first sizes the call so that one takes about CALL_MS milliseconds bare, then
calls it forever and prints one JSON line per call: {"ips": iterations per wall-clock second, "cpu_ips":
iterations per second of the process's CPU time, "start": ns, "t": ns (end)}. The CPU-time figure still
counts an agent's threads (they burn this process's CPU) but not the time other programs take the CPU
away. `loop.py floor CALL_MS CPU CALLS` does the same, and after CALLS calls it hooks the hot line itself
with the cheapest callback a condition on a local can have (see `floor_hook`), printing {"hooked": ns}.
Both print {"ready": pid} first. The `# bench:` markers name lines the harness puts breakpoints on.
"""

import json
import os
import sys
import time


def hot(n):
    total = 0
    for i in range(n):
        total += i * i % 7  # bench:hot-line
        if total < 0:
            total = 0  # bench:cold-line
    return total


HOT_LINE = hot.__code__.co_firstlineno + 3


def emit(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def size_call(call_ms):
    """Iterations that take about `call_ms` milliseconds of CPU bare: the fastest of a few timed runs,
    scaled (by CPU time, so a process sharing its CPU with a twin sizes its calls the same)."""
    sample = 50_000
    fastest = min(_timed(sample) for _ in range(5))
    return max(1000, round(sample * call_ms / 1000 / fastest))


def _timed(n):
    start = time.process_time()
    hot(n)
    return max(time.process_time() - start, 1e-6)


def floor_hook():
    """A LINE callback on the hot line that reads one local of the frame and nothing else: what any
    debugger's `i < 0` condition costs at least through `sys.monitoring` (bench/floor.py has more)."""
    mon = sys.monitoring
    getframe, disable = sys._getframe, mon.DISABLE

    def on_line(code, line):
        if line != HOT_LINE:
            return disable
        getframe(1).f_locals["i"]
        return None

    mon.use_tool_id(mon.PROFILER_ID, "bench-floor")
    mon.register_callback(mon.PROFILER_ID, mon.events.LINE, on_line)
    mon.set_local_events(mon.PROFILER_ID, hot.__code__, mon.events.LINE)


def run(call_ms, hook_after=None):
    n = size_call(call_ms)
    calls = 0
    while True:
        if calls == hook_after:
            floor_hook()
            emit({"hooked": time.perf_counter_ns()})
        start = time.perf_counter_ns()
        cpu_start = time.process_time_ns()
        hot(n)
        end = time.perf_counter_ns()
        cpu = max(time.process_time_ns() - cpu_start, 1)
        emit({"ips": n * 1e9 / (end - start), "cpu_ips": n * 1e9 / cpu, "start": start, "t": end})
        calls += 1


def main():
    mode, call_ms = sys.argv[1], float(sys.argv[2])
    if len(sys.argv) > 3:
        os.sched_setaffinity(0, {int(sys.argv[3])})
    emit({"ready": os.getpid()})
    run(call_ms, int(sys.argv[4]) if mode == "floor" else None)


main()
