"""Turn per-repetition samples into medians, ratios, goal verdicts, a text table and a JSON document."""

import dataclasses
import datetime
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from scenarios import Row, Sample

BARE = "bare"


@dataclasses.dataclass
class Cell:
    """One row by column: the per-repetition values (ratios for loop rows), or why there are none."""

    values: list[float] = dataclasses.field(default_factory=list)
    details: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return bool(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)


def _run(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError as error:
        return f"unknown ({error})"


def describe_machine(target_python: str, debugpy_version: str, root: Path) -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line), "?"
    )
    commit = _run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"])
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpu": model,
        "cores": os.cpu_count(),
        "usable_cores": sorted(os.sched_getaffinity(0)),
        "kernel": platform.release(),
        "platform": platform.platform(),
        "target_python": _run(
            [target_python, "-c", "import sys; print(sys.version.split()[0], sys.executable)"]
        ),
        "debugpy": debugpy_version,
        "dapattach_commit": commit,
        "loadavg_at_start": os.getloadavg(),
    }


class CpuShare:
    """How much of the machine other programs took while the bench ran: the noise behind the numbers."""

    def __init__(self) -> None:
        self._stat = self._read_stat()
        self._ours = self._our_seconds()
        self._wall = time.monotonic()

    @staticmethod
    def _read_stat() -> list[int]:
        return [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]

    @staticmethod
    def _our_seconds() -> float:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def summary(self) -> dict[str, float]:
        tick = os.sysconf("SC_CLK_TCK")
        delta = [b - a for a, b in zip(self._stat, self._read_stat(), strict=False)]
        idle = delta[3] + delta[4]
        steal = delta[7] if len(delta) > 7 else 0
        busy_s = (sum(delta[:8]) - idle - steal) / tick
        capacity_s = (time.monotonic() - self._wall) * (os.cpu_count() or 1)
        ours_s = self._our_seconds() - self._ours
        return {
            "bench_cpu_pct": round(100 * ours_s / capacity_s, 1),
            "others_cpu_pct": round(100 * max(busy_s - ours_s, 0) / capacity_s, 1),
            "steal_pct": round(100 * steal / tick / capacity_s, 1),
        }


def collect(
    rows: list[Row], columns: list[str], runs: dict[tuple[str, str], list[Sample | str]]
) -> dict[str, dict[str, Cell]]:
    """Build cells from raw runs: runs[(row, column)][rep] is a Sample or the reason it is missing.

    Loop rows come as slowdowns already: each run divides its own speed before the debugger came by its
    speed after (1.00 = no cost; the bare column, where nothing came, shows the method's own noise).
    """
    table: dict[str, dict[str, Cell]] = {}
    for row in rows:
        table[row.key] = {}
        for column in columns:
            cell = Cell()
            for run in runs.get((row.key, column), []):
                if isinstance(run, str):
                    cell.reason = cell.reason or run
                    continue
                cell.values.append(run.value)
                cell.details.append(run.details)
            if not cell.values and cell.reason is None:
                cell.reason = "not run"
            table[row.key][column] = cell
    return table


def _number(value: float) -> str:
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _spread(cell: Cell) -> str:
    if len(cell.values) < 2:
        return ""
    return f" ({_number(min(cell.values))}-{_number(max(cell.values))})"


def format_cell(row: Row, column: str, cell: Cell, width: int = 30) -> str:
    if not cell.ok:
        if (column == BARE and row.kind in ("ms",)) or cell.reason == "not run":
            return "-"
        text = f"n/a ({cell.reason})"
        return text if len(text) <= width else text[: width - 1] + "…"
    match row.kind, column:
        case "slowdown", _:
            return f"{_number(cell.median)}x{_spread(cell)}"
        case "mib", _:
            return f"{cell.median:+.2f} MiB{_spread(cell)}"
        case _:
            return f"{_number(cell.median)} ms{_spread(cell)}"


def goal_of(row: Row, table: dict[str, dict[str, Cell]]) -> float | None:
    """The row's goal; for a row measured against a floor, the larger of its goal and factor x floor."""
    if row.goal is None or row.floor is None:
        return row.goal
    key, factor = row.floor
    floor = table.get(key, {}).get(BARE)
    return row.goal if floor is None or not floor.ok else max(row.goal, factor * floor.median)


def goal_text(row: Row, table: dict[str, dict[str, Cell]]) -> str:
    goal = goal_of(row, table)
    if row.floor is None or goal is None or goal == row.goal:
        return row.goal_text
    return f"{row.goal_text} (= {_number(goal)}x)"


def verdict(row: Row, cell: Cell, table: dict[str, dict[str, Cell]]) -> str:
    goal = goal_of(row, table)
    if goal is None or not row.goal_text:
        return ""
    if not cell.ok:
        return "n/a"
    if cell.median <= goal:
        return "met"
    if _number(cell.median) == _number(goal):  # the table shows the two alike: show what was judged
        return f"missed ({cell.median:.4g} > {goal:.4g})"
    return "missed"


def versus(cell: Cell, reference: Cell | None) -> str:
    if reference is None or not cell.ok or not reference.ok or reference.median == 0:
        return "-"
    return f"{cell.median / reference.median:.2f}x"


def render(rows: list[Row], columns: list[str], table: dict[str, dict[str, Cell]]) -> str:
    debuggers = [c for c in columns if c != BARE]
    header = ["scenario", *columns]
    if "dapattach" in columns and "debugpy" in columns:
        header.append("dapattach÷debugpy")
    header += ["goal", *(f"met: {d}" for d in debuggers)]
    lines: list[list[str]] = []
    for row in rows:
        cells = table[row.key]
        line = [row.title, *(format_cell(row, c, cells[c]) for c in columns)]
        if "dapattach÷debugpy" in header:
            line.append(versus(cells["dapattach"], cells["debugpy"]))
        line += [goal_text(row, table), *(verdict(row, cells[d], table) for d in debuggers)]
        lines.append(line)
    widths = [max(len(r[i]) for r in [header, *lines]) for i in range(len(header))]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)) for line in lines]
    return "\n".join(out)


def _details(table: dict[str, dict[str, Cell]], key: str, column: str) -> dict[str, Any] | None:
    cell = table.get(key, {}).get(column)
    return cell.details[0] if cell is not None and cell.ok else None


def notes(rows: list[Row], columns: list[str], table: dict[str, dict[str, Cell]]) -> list[str]:
    """What each debugger actually returned or failed on, so a number is never read without its shape."""
    found: list[str] = []
    for column in columns:
        reasons = {table[r.key][column].reason for r in rows if not table[r.key][column].ok}
        found += [f"{column}: n/a because {r}" for r in sorted(r for r in reasons if r and r != "not run")]
        for row in rows:
            cell = table[row.key][column]
            if cell.ok and cell.reason:
                found.append(f"{column} {row.key}: some repetitions failed: {cell.reason}")
        if (d := _details(table, "a-busy", column)) is not None:
            found.append(
                f"{column} a-busy: threads answered {d['threads']} after {d['threads_ms']:.1f} ms; "
                f"top frame {d['top_frame']}"
            )
        for key in ("a-sleep", "a-sleep200", "a-accept", "a-asyncio"):
            if (d := _details(table, key, column)) is not None:
                text = f"{column} {key}: threads {d['threads']}, top frame {d['top_frame']}"
                if "invalidated_after_ms" in d:
                    after = d["invalidated_after_ms"]
                    text += (
                        "; no `invalidated` within 2 s"
                        if after is None
                        else f"; `invalidated` {after:.0f} ms later, then threads {d['threads_after']} "
                        f"(same ids: {d['same_thread_ids']})"
                    )
                found.append(text)
        for key in ("c", "d", "g"):
            if (d := _details(table, key, column)) is not None and "breakpoints" in d:
                verified = [bp.get("verified") for bp in d["breakpoints"]]
                found.append(f"{column} {key}: breakpoint verified={verified}")
        for key in ("b", "c", "d-floor", "d", "g"):
            loop = table.get(key, {}).get(column)
            if loop is not None and loop.ok:
                speeds = Cell([d["speed_ips"] / 1e6 for d in loop.details])
                calls = [len(d["after_ips"]) for d in loop.details]
                found.append(
                    f"{column} {key}: hot call of {loop.details[0]['call_ms']:g} ms bare; speed before "
                    f"{_number(speeds.median)} M it/s{_spread(speeds)}; {min(calls)}-{max(calls)} calls after"
                )
        if (d := _details(table, "g", column)) is not None:
            found.append(
                f"{column} g: target OS threads {d['threads_before']} before attach, "
                f"{d['threads_measured']} after detach"
            )
        if (d := _details(table, "e", column)) is not None:
            found.append(f"{column} e: stop reasons {d['reasons']}")
        for key in ("f-list", "f-dict"):
            if (d := _details(table, key, column)) is not None:
                found.append(
                    f"{column} {key}: {d['request']}; returned {d['returned']} children "
                    f"({d['bytes']} bytes), indexedVariables={d['indexedVariables']}, "
                    f"namedVariables={d['namedVariables']}, first {d['first_names']}, "
                    f"last {d['last_names']}; the locals answer holding it took {d['locals_ms']:.1f} ms"
                )
        if (d := _details(table, "f-dict-all", column)) is not None:
            found.append(f"{column} f-dict-all: returned {d['returned']} children ({d['bytes']} bytes)")
    return found


def to_json(
    machine: dict[str, Any],
    config: dict[str, Any],
    rows: list[Row],
    columns: list[str],
    table: dict[str, dict[str, Cell]],
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for row in rows:
        results[row.key] = {
            "title": row.title,
            "kind": row.kind,
            "goal": goal_of(row, table),
            "goal_text": goal_text(row, table),
        }
        for column in columns:
            cell = table[row.key][column]
            entry: dict[str, Any] = {"values": cell.values, "details": cell.details}
            if cell.ok:
                entry |= {"median": cell.median, "min": min(cell.values), "max": max(cell.values)}
                entry["verdict"] = verdict(row, cell, table) if column != BARE else None
            else:
                entry["na"] = cell.reason
            results[row.key][column] = entry
    return {"machine": machine, "config": config, "results": results}
