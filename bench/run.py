"""Benchmark dapattach against debugpy and against the bare target: `.venv/bin/python bench/run.py`.

Sets up debugpy in its own Python 3.14 virtualenv once, runs every scenario interleaved (bare, debugpy,
dapattach, rotating which goes first), prints medians with ratios and goals, and writes the raw numbers
to bench/results/latest.json. See bench/README.md.
"""

import argparse
import asyncio
import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import report
from dap import DapError
from scenarios import SCENARIOS, Config, Row, Sample, Scenario
from sessions import Debugger
from targets_io import TargetError

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DEBUGPY_VENV = BENCH / ".venv-debugpy"
RUN_TIMEOUT = 400.0

type Results = tuple[list[Row], dict[str, dict[str, report.Cell]]]


def base_python() -> str:
    """The 3.14 interpreter targets and debugpy run on: the one ./dev found ($DAPATTACH_PY314), else the
    one the project's .venv was made from, else the one running the bench."""
    if named := os.environ.get("DAPATTACH_PY314"):
        return named
    config = ROOT / ".venv" / "pyvenv.cfg"
    if config.exists():
        for line in config.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "home":
                candidate = Path(value.strip()) / "python3.14"
                if candidate.exists():
                    return str(candidate)
    return getattr(sys, "_base_executable", None) or sys.executable


def ensure_debugpy(python: str, upgrade: bool) -> tuple[str, str]:
    """Create bench/.venv-debugpy with the latest debugpy once; returns (its python, debugpy version)."""
    venv_python = DEBUGPY_VENV / "bin" / "python"
    if not venv_python.exists():
        print(f"creating {DEBUGPY_VENV} with {python}", file=sys.stderr)
        subprocess.run([python, "-m", "venv", str(DEBUGPY_VENV)], check=True)
        upgrade = True
    version_check = [str(venv_python), "-c", "import debugpy; print(debugpy.__version__)"]
    found = subprocess.run(version_check, capture_output=True, text=True)
    if upgrade or found.returncode != 0:
        print("installing the latest debugpy from PyPI", file=sys.stderr)
        pip = [str(venv_python), "-m", "pip", "install", "--quiet", "--upgrade", "debugpy"]
        subprocess.run(pip, check=True)
        found = subprocess.run(version_check, capture_output=True, text=True, check=True)
    return str(venv_python), found.stdout.strip()


def parse_args(argv: list[str]) -> argparse.Namespace:
    keys = [s.key for s in SCENARIOS]
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="one short repetition of everything (smoke test)"
    )
    parser.add_argument("--reps", type=int, help="repetitions of each scenario (default 5, quick 1)")
    parser.add_argument("--only", help=f"comma-separated scenarios out of {','.join(keys)}")
    parser.add_argument("--debuggers", default="bare,debugpy,dapattach", help="columns to run")
    parser.add_argument("--hot-call-ms", type=float, default=250, help="bare hot call in rows b, c, g")
    parser.add_argument("--quick-call-ms", type=float, default=10, help="bare hot call in rows a, d")
    parser.add_argument("--measure-s", type=float, help="loop speed measured per run (default 2, quick 0.5)")
    parser.add_argument("--steps", type=int, default=50, help="`next` requests in scenario e")
    parser.add_argument("--dapattach-python", default=str(ROOT / ".venv" / "bin" / "python"))
    parser.add_argument("--upgrade-debugpy", action="store_true", help="reinstall the latest debugpy first")
    parser.add_argument("--no-pin", action="store_true", help="do not pin target and adapters to CPUs")
    parser.add_argument("--json", type=Path, default=BENCH / "results" / "latest.json")
    args = parser.parse_args(argv)
    args.reps = args.reps or (1 if args.quick else 5)
    args.measure_s = args.measure_s or (0.5 if args.quick else 2.0)
    chosen = args.only.split(",") if args.only else keys
    unknown = set(chosen) - set(keys)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}; choose from {keys}")
    args.scenarios = [s for s in SCENARIOS if s.key in chosen]
    args.columns = args.debuggers.split(",")
    if set(args.columns) - {"bare", "debugpy", "dapattach"}:
        parser.error("--debuggers takes bare, debugpy and/or dapattach")
    return args


def pin_cpus(no_pin: bool) -> tuple[int | None, int | None]:
    """Target on one CPU, this harness and the adapters (which inherit it) on another, when there are two."""
    cpus = sorted(os.sched_getaffinity(0))
    if no_pin or len(cpus) < 2:
        return None, None
    os.sched_setaffinity(0, {cpus[1]})
    return cpus[0], cpus[1]


async def run_one(scenario: Scenario, config: Config, debugger: Debugger | None) -> dict[str, Sample] | str:
    try:
        return await asyncio.wait_for(scenario.run(config, debugger), RUN_TIMEOUT)
    except TimeoutError:
        return f"did not finish within {RUN_TIMEOUT:g} s"
    except (DapError, TargetError) as error:
        return str(error)
    except Exception as error:
        # An adapter under construction may answer with shapes we do not expect: a cell, not a crash.
        return f"{type(error).__name__}: {error}"


async def probe(debugger: Debugger, config: Config) -> str | None:
    """Attach once to a sleeping target before measuring; a debugger that cannot is n/a everywhere."""
    attach = next(s for s in SCENARIOS if s.key == "a-sleep")
    outcome = await run_one(attach, config, debugger)
    return outcome if isinstance(outcome, str) else None


async def bench(args: argparse.Namespace, config: Config, debuggers: dict[str, Debugger]) -> Results:
    rows: list[Row] = [row for s in args.scenarios for row in s.rows]
    runs: dict[tuple[str, str], list[Sample | str]] = {}
    unavailable: dict[str, str] = {}
    for name, debugger in debuggers.items():
        print(f"probing {name} ...", file=sys.stderr, flush=True)
        reason = await probe(debugger, config)
        if reason is not None:
            unavailable[name] = f"attach does not work yet: {reason}"
            print(f"  {name} unavailable: {reason}", file=sys.stderr)
    for rep in range(args.reps):
        order = args.columns[rep % len(args.columns) :] + args.columns[: rep % len(args.columns)]
        for scenario in args.scenarios:
            for column in order:
                if (column == report.BARE and not scenario.with_bare) or (
                    column != report.BARE and scenario.only_bare
                ):
                    continue
                earlier = [runs.get((row.key, column), []) for row in scenario.rows]
                failed_before = next((r for rs in earlier for r in rs if isinstance(r, str)), None)
                if column in unavailable or failed_before is not None:
                    outcome: dict[str, Sample] | str = unavailable.get(column) or failed_before or ""
                else:
                    started = time.monotonic()
                    outcome = await run_one(scenario, config, debuggers.get(column))
                    shown = (
                        outcome
                        if isinstance(outcome, str)
                        else {k: round(v.value, 3) for k, v in outcome.items()}
                    )
                    print(
                        f"[rep {rep + 1}/{args.reps}] {scenario.key:7} {column:9} {shown} "
                        f"({time.monotonic() - started:.1f} s)",
                        file=sys.stderr,
                        flush=True,
                    )
                for row in scenario.rows:
                    if row.debuggers_only and column == report.BARE:
                        continue
                    value = outcome if isinstance(outcome, str) else outcome.get(row.key, "no value returned")
                    runs.setdefault((row.key, column), []).append(value)
    return rows, report.collect(rows, args.columns, runs)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    target_python = base_python()
    debugpy_version = "not used"
    debuggers: dict[str, Debugger] = {}
    if "debugpy" in args.columns:
        debugpy_python, debugpy_version = ensure_debugpy(target_python, args.upgrade_debugpy)
        debuggers["debugpy"] = Debugger("debugpy", (debugpy_python, "-m", "debugpy.adapter"), "python")
    if "dapattach" in args.columns:
        debuggers["dapattach"] = Debugger(
            "dapattach", (args.dapattach_python, "-m", "dapattach"), "dapattach"
        )
    target_cpu, harness_cpu = pin_cpus(args.no_pin)
    config = Config(
        python=target_python,
        target_cpu=target_cpu,
        hot_call_ms=args.hot_call_ms,
        quick_call_ms=args.quick_call_ms,
        before_s=0.5 if args.quick else 2.0,
        settle_s=0.1 if args.quick else 0.3,
        measure_s=args.measure_s,
        min_calls=2 if args.quick else 4,
        steps=args.steps,
        idle_s=0.2 if args.quick else 0.5,
        memory_settle_s=0.3 if args.quick else 1.0,
    )
    machine = report.describe_machine(target_python, debugpy_version, ROOT)
    started = time.monotonic()
    share = report.CpuShare()
    rows, table = asyncio.run(bench(args, config, debuggers))
    machine |= share.summary()
    machine["loadavg_at_end"] = os.getloadavg()
    machine["bench_seconds"] = round(time.monotonic() - started, 1)
    pinning = (
        "off"
        if target_cpu is None
        else f"target on CPU {target_cpu}, adapters and harness on CPU {harness_cpu}"
    )
    print()
    print(f"dapattach bench — {machine['date']}")
    print(f"CPU: {machine['cpu']} x {machine['cores']}; kernel {machine['kernel']}; pinning: {pinning}")
    print(
        f"Python (targets): {machine['target_python']}; debugpy {debugpy_version}; "
        f"dapattach commit {machine['dapattach_commit']}"
    )
    load = ", ".join(f"{x:.2f}" for x in machine["loadavg_at_start"])
    print(
        f"reps {args.reps}; hot calls of {config.hot_call_ms:g} ms (b, c, g) and {config.quick_call_ms:g} ms "
        f"(a, d), {config.before_s:g} s before and {config.measure_s:g} s after; load average at start {load}"
    )
    print(
        f"CPU used during the bench: {machine['bench_cpu_pct']}% by the bench, "
        f"{machine['others_cpu_pct']}% by other programs, {machine['steal_pct']}% stolen by the host"
    )
    print("cells: median (min-max) over repetitions; loop rows: speed before ÷ after, within one process")
    print()
    print(report.render(rows, args.columns, table))
    print()
    for note in report.notes(rows, args.columns, table):
        print(f"- {note}")
    config_json = dataclasses.asdict(config) | {
        "reps": args.reps,
        "quick": args.quick,
        "columns": args.columns,
    }
    document = report.to_json(machine, config_json, rows, args.columns, table)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=1) + "\n")
    print(f"\nraw numbers: {args.json} ({machine['bench_seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
