"""The floor under the bench's row d: what `sys.monitoring` itself costs on the hot line, with no debugger.

Runs `hot()` of `targets/loop.py`'s shape in this process and enables LINE on its code for one tool, with
callbacks that do less than any conditional breakpoint can: nothing, `sys._getframe(1)`, also read
`f_locals` (the PEP 667 proxy), read one local through it (the least a condition on a local can do; the
bench's row d-floor), call a one-line function of the proxy, and `eval` with the proxy as locals (what a
debugger does without compiling the condition). Every other line of `hot()` answers `DISABLE`.
Each cell is the median over repetitions of bare speed ÷ speed with the callback, by CPU time, bare and
hooked runs interleaved. `.venv/bin/python bench/floor.py [--reps N]`; run it on other Pythons directly.
"""

import argparse
import statistics
import sys
import time

mon = sys.monitoring
TOOL = mon.PROFILER_ID


def hot(n):
    total = 0
    for i in range(n):
        total += i * i % 7
        if total < 0:
            total = 0
    return total


HOT_LINE = hot.__code__.co_firstlineno + 3
DISABLE = mon.DISABLE
_getframe = sys._getframe
_condition_code = compile("i < 0", "<condition>", "eval")
_condition_function = eval("lambda proxy: proxy['i'] < 0")


def empty(code, line):
    if line != HOT_LINE:
        return DISABLE
    return None


def frame(code, line):
    if line != HOT_LINE:
        return DISABLE
    _getframe(1)
    return None


def frame_locals(code, line):
    if line != HOT_LINE:
        return DISABLE
    _getframe(1).f_locals  # noqa: B018 (the cost measured)
    return None


def read_local(code, line):
    if line != HOT_LINE:
        return DISABLE
    _getframe(1).f_locals["i"]
    return None


def function_of_proxy(code, line):
    if line != HOT_LINE:
        return DISABLE
    _condition_function(_getframe(1).f_locals)
    return None


def eval_with_proxy(code, line):
    if line != HOT_LINE:
        return DISABLE
    caller = _getframe(1)
    eval(_condition_code, caller.f_globals, caller.f_locals)
    return None


CALLBACKS = (empty, frame, frame_locals, read_local, function_of_proxy, eval_with_proxy)


def speed(seconds):
    start = time.process_time_ns()
    done = 0
    while time.process_time_ns() - start < seconds * 1e9:
        hot(1000)
        done += 1000
    return done / ((time.process_time_ns() - start) / 1e9)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.2, help="per measurement")
    args = parser.parse_args()
    mon.use_tool_id(TOOL, "bench-floor")
    ratios = {callback.__name__: [] for callback in CALLBACKS}
    speed(args.seconds)
    for _ in range(args.reps):
        for callback in CALLBACKS:
            bare = speed(args.seconds)
            mon.register_callback(TOOL, mon.events.LINE, callback)
            mon.set_local_events(TOOL, hot.__code__, mon.events.LINE)
            mon.restart_events()
            hooked = speed(args.seconds)
            mon.set_local_events(TOOL, hot.__code__, 0)
            ratios[callback.__name__].append(bare / hooked)
    mon.free_tool_id(TOOL)
    print(f"Python {sys.version.split()[0]}: slowdown of the hot loop, median of {args.reps} (min-max)")
    for name, values in ratios.items():
        print(f"  {name:18} {statistics.median(values):5.2f}x ({min(values):.2f}-{max(values):.2f})")


if __name__ == "__main__":
    main()
