"""Where the adapter's start-up and attach path spend their time: `.venv/bin/python bench/cpu_profile.py`.

Starts a bench target, then the adapter the way an editor does (`python -m dapattach` on stdio), and runs
`initialize` → `attach` → `configurationDone` → `threads` → `stackTrace` → `disconnect` through the bench's
own client, twice: once under `-X importtime` (what each import costs, in start-up order) and once under
cProfile (where the CPU goes, imports included). Prints the timeline of the DAP messages, the costliest
imports, and the functions with the most cumulative time; the raw files stay in bench/results/
(`profile.prof` opens in any pstats viewer: `python -m pstats bench/results/profile.prof`).

`--target busy|sleep:0.2|accept|asyncio` picks what the target's main thread does (busy: a hot loop).
"""

import argparse
import asyncio
import os
import pstats
import sys
import time
from pathlib import Path

from sessions import Debugger, Session
from targets_io import Target

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
PYTHON = str(BENCH.parent / ".venv" / "bin" / "python")


async def drive(argv: list[str], target_python: str, target: str) -> list[tuple[str, float]]:
    """One editor-like session against a fresh target; returns (step, ms since the adapter started)."""
    script, args = ("loop.py", ["busy", "10"]) if target == "busy" else ("idle.py", [target])
    process = await Target.start(target_python, script, args)
    try:
        if target == "busy":
            await process.wait_for(lambda: len(process.calls) >= 2, 20.0)
        else:
            await asyncio.sleep(0.3)
        session, _ = await Session.open(Debugger("dapattach", tuple(argv), "dapattach"))
        steps = [("initialize answered", session.initialize_ms)]
        try:
            attached = await session.attach(process.pid, top_frames=True)
            since = (attached.threads_ns - session.started_ns) / 1e6
            steps.append(("threads answered", since))
            steps.append(("top frames answered", since - attached.attach_ms + (attached.shown_ms or 0)))
            steps.append((f"  (threads: {[t.get('name') for t in attached.threads]})", since))
            await session.detach()
        finally:
            await session.close()
    finally:
        await process.stop()
    return steps


def show_imports(path: Path, count: int) -> None:
    rows = []
    for line in path.read_text().splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, total, name = line.removeprefix("import time:").split("|")
        rows.append((int(total), int(own), name.rstrip()))
    top_level = sum(total for total, _, name in rows if not name.startswith("  "))
    print(f"\nimports (-X importtime, µs, cumulative and own; all top-level ones: {top_level / 1000:.1f} ms)")
    for total, own, name in sorted(rows, reverse=True)[:count]:
        print(f"  {total:8d} {own:8d}  {name.strip()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="busy", help="busy, sleep:SECONDS, accept or asyncio")
    parser.add_argument("--top", type=int, default=30, help="rows of each listing")
    parser.add_argument("--python", default=PYTHON, help="the adapter's interpreter")
    parser.add_argument("--target-python", default=sys.executable, help="the target's interpreter")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    imports, prof = RESULTS / "profile-imports.txt", RESULTS / "profile.prof"
    timed = ["sh", "-c", f'exec "$0" -X importtime -m dapattach 2>"{imports}"', args.python]
    profiled = [args.python, "-m", "cProfile", "-o", str(prof), "-m", "dapattach"]
    started = time.monotonic()
    plain = asyncio.run(drive([args.python, "-m", "dapattach"], args.target_python, args.target))
    asyncio.run(drive(timed, args.target_python, args.target))
    under_profile = asyncio.run(drive(profiled, args.target_python, args.target))
    print(
        f"target: {args.target}; adapter: {args.python}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
    )
    print("\nms since the adapter process started: plain run, and under cProfile (slower)")
    for (step, ms), (_, profiled_ms) in zip(plain, under_profile, strict=True):
        print(f"  {ms:7.1f} {profiled_ms:7.1f}  {step}")
    show_imports(imports, args.top)
    stats = pstats.Stats(str(prof))
    print(f"\ncProfile, by cumulative time (raw: {prof}):")
    stats.sort_stats("cumulative").print_stats(args.top)
    print("dapattach's own functions by cumulative time (a coroutine counts each time it resumes):")
    stats.print_stats(r"src/dapattach/(?!protocol/types)", args.top)
    print(f"({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
