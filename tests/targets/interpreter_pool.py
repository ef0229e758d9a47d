"""An `InterpreterPoolExecutor` whose workers run functions in sub-interpreters, for tests of those.

Commands on stdin, one a line (the main thread waits for them in 20 ms slices, so it runs Python and an
attach gets in): `N` runs `work(N)`, printed as `result N -> R in interpreter I`; `nap` makes a worker
sleep in its interpreter for an hour (printing `napping in interpreter I`), so the next call goes to a
new worker and a new interpreter; `traces` prints what of a debugger is left in a worker's interpreter
and in the main one. `work`'s line marked `@work` is where tests stop. Prints `READY` once the pool has
run one call (so its first interpreter exists).
"""

import queue
import sys
import threading
import time
from concurrent.futures import InterpreterPoolExecutor


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def helper(value):
    doubled = value * 2
    return doubled + 1


def work(number):
    import _interpreters

    interpreter = _interpreters.get_current()[0]
    total = helper(number)  # @work
    return f"result {number} -> {total} in interpreter {interpreter}"


def nap():
    import _interpreters

    print(f"napping in interpreter {_interpreters.get_current()[0]}", flush=True)
    time.sleep(3600)


def traces():
    import _interpreters

    modules = sorted(name for name in sys.modules if "dapattach" in name)
    tools = {tool: sys.monitoring.get_tool(tool) for tool in range(6) if sys.monitoring.get_tool(tool)}
    threads = sorted(t.name for t in threading.enumerate() if "dapattach" in t.name)
    return f"traces in interpreter {_interpreters.get_current()[0]}: {modules} {tools} {threads}"


def main_traces():
    import _interpreters

    modules = sorted(name for name in sys.modules if "dapattach" in name)
    entries = sorted({type(getattr(_interpreters, name)).__name__ for name in ("exec", "call", "run_string")})
    return f"traces in the main interpreter: {modules} {entries}"


def read_lines(lines):
    for line in sys.stdin:
        lines.put(line.strip())


def main():
    lines = queue.Queue()
    threading.Thread(target=read_lines, args=(lines,), name="stdin-reader", daemon=True).start()
    with InterpreterPoolExecutor(max_workers=2) as pool:
        pool.submit(work, 0).result()
        say("READY")
        while True:
            try:
                command = lines.get(timeout=0.02)
            except queue.Empty:
                continue
            if command == "nap":
                pool.submit(nap)
            elif command == "traces":
                say(pool.submit(traces).result())
                say(main_traces())
            else:
                pool.submit(work, int(command)).add_done_callback(lambda done: say(done.result()))


if __name__ == "__main__":
    main()
