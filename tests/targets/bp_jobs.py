"""Jobs for breakpoint, stepping and exception tests, started on request.

A test appends a job name to `requests` (through the agent's `evaluate`); the main thread runs jobs whose
name starts with `main_` itself and starts a thread named after any other job. Lines tests refer to carry
a `# @marker` comment. Each job prints `done <name>` when it ends.
"""

import asyncio
import sys
import threading
import time

requests = []
spinning = threading.Event()
stop_spinning = False


def add(a, b):
    total = a + b  # @add-total
    return total  # @add-return


def job_steps():
    result = add(2, 3)  # @steps-call
    doubled = result * 2  # @steps-after
    print("steps", doubled)


def fact(n):
    if n <= 1:  # @fact-test
        return 1
    return n * fact(n - 1)  # @fact-recurse


def job_recursion():
    print("fact", fact(4))


def shared(worker):
    value = worker * 10  # @shared
    return value


def job_pair():
    barrier = threading.Barrier(2)

    def run(worker):
        barrier.wait()
        shared(worker)

    threads = [threading.Thread(target=run, args=(i,), name=f"pair-{i}") for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def produce(limit):
    for index in range(limit):
        value = index * 10  # @gen-value
        yield value  # @gen-yield
        print("resumed", index)  # @gen-resumed


def job_generator():
    total = 0
    for value in produce(3):
        total += value  # @gen-consume
    print("total", total)


async def pause_a_bit(label):
    print("before", label)  # @async-before
    await asyncio.sleep(0.01)  # @async-await
    after = label + "!"  # @async-after
    return after


async def gather_both():
    return await asyncio.gather(pause_a_bit("a"), pause_a_bit("b"))


def job_async():
    print("async", asyncio.run(gather_both()))


def raise_key():
    raise KeyError("missing")  # @raise-key


def job_caught():
    try:
        raise_key()
    except KeyError:
        print("caught")


def job_library_error():
    import json

    try:
        json.loads("{broken")  # @library-error
    except ValueError:
        print("bad json")


def job_uncaught():
    values = {"a": 1}
    return values["b"]  # @uncaught-worker


def main_uncaught():
    reason = "fatal"
    raise RuntimeError(reason)  # @uncaught-main


def job_jumpy():
    marker = "start"  # @goto-start
    marker = "skipped"  # @goto-skipped
    marker = marker + "-end"  # @goto-end
    print("jumpy", marker)


class Calculator:
    def double(self, value):
        return value * 2  # @double


def job_methods():
    print("double", Calculator().double(21))


def job_later():
    import bp_later

    print(bp_later.greet("later"))


def spin_window(seconds, announce=False):
    count = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end and not stop_spinning:
        count += 1
        if count == 1000 and announce:
            print("spinning", flush=True)
        if count < 0:
            print("never")  # @never
    return count


def job_spin():
    while spinning.is_set():
        print("rate", spin_window(0.2), flush=True)


def job_spin_long():
    print("spun", spin_window(60, announce=True), flush=True)  # @spin-long


def monitoring_report():
    """Every event any sys.monitoring tool has enabled: global ones and local ones on any code object."""
    import gc
    import types

    codes, stack = set(), [f.__code__ for f in gc.get_objects() if isinstance(f, types.FunctionType)]
    for frame in sys._current_frames().values():
        while frame is not None:
            stack.append(frame.f_code)
            frame = frame.f_back
    while stack:
        code = stack.pop()
        if code not in codes:
            codes.add(code)
            stack.extend(const for const in code.co_consts if isinstance(const, types.CodeType))
    report = {}
    for tool in range(6):
        if sys.monitoring.get_tool(tool) is None:
            continue
        local = {}
        for code in codes:  # several codes share a name (`<module>`): their events are merged
            if events := sys.monitoring.get_local_events(tool, code):
                local[code.co_qualname] = local.get(code.co_qualname, 0) | events
        report[tool] = [sys.monitoring.get_events(tool), dict(sorted(local.items()))]
    return report


def run(name):
    try:
        globals()[name]()
    finally:
        print("done", name, flush=True)  # @run-done


def main():
    sys.stdout.reconfigure(line_buffering=True)
    print("READY", flush=True)
    while True:
        while requests:
            name = requests.pop(0)
            if name.startswith("job_spin"):
                spinning.set()
            if name.startswith("main_"):
                run(name)
            else:
                threading.Thread(target=run, args=(name,), name=name, daemon=True).start()
        time.sleep(0.005)


if __name__ == "__main__":
    main()
