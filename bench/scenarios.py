"""The bench scenarios: each starts a fresh target (and adapter), measures one thing, and cleans up.

A scenario returns {row key: Sample}. Loop-speed rows return iterations per second for the bare run and
for each debugger; the runner divides them within one repetition, so every ratio compares runs that were
made back to back.
"""

import asyncio
import collections
import dataclasses
import json
import os
import signal
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from dap import Body, DapClient, DapError
from sessions import Breakpoints, Debugger, Session
from targets_io import TARGETS, Target, marker_line


@dataclasses.dataclass(frozen=True)
class Config:
    python: str
    target_cpu: int | None
    window_ms: int
    warmup_s: float
    settle_s: float
    measure_s: float
    steps: int
    memory_settle_s: float

    def cpu_args(self) -> list[str]:
        return [] if self.target_cpu is None else [str(self.target_cpu)]

    @property
    def window_ns(self) -> int:
        return self.window_ms * 1_000_000

    @property
    def windows(self) -> int:
        return max(3, round(self.measure_s * 1000 / self.window_ms))


@dataclasses.dataclass
class Sample:
    value: float
    details: dict[str, Any]


type Kind = Literal["ms", "slowdown", "mib"]


@dataclasses.dataclass(frozen=True)
class Row:
    key: str
    title: str
    kind: Kind
    goal: float | None = None
    goal_text: str = ""


type Runner = Callable[[Config, Debugger | None], Awaitable[dict[str, Sample]]]


@dataclasses.dataclass(frozen=True)
class Scenario:
    key: str
    rows: tuple[Row, ...]
    with_bare: bool
    run: Runner


def _ms_since(start_ns: int) -> float:
    return (time.perf_counter_ns() - start_ns) / 1e6


async def _warm_up(cfg: Config, target: Target, busy: bool) -> None:
    if busy:
        warm = max(2, round(cfg.warmup_s * 1000 / cfg.window_ms))
        await target.windows_after(time.perf_counter_ns(), warm, cfg.window_ns, cfg.warmup_s * 4 + 10)
    else:
        await asyncio.sleep(cfg.warmup_s)


def _attach_scenario(mode: Literal["busy", "sleep"], key: str) -> Runner:
    async def run(cfg: Config, debugger: Debugger | None) -> dict[str, Sample]:
        assert debugger is not None
        target = await Target.start(cfg.python, "loop.py", [mode, str(cfg.window_ms), *cfg.cpu_args()])
        try:
            await _warm_up(cfg, target, busy=mode == "busy")
            session, initialize_ms = await Session.open(debugger)
            try:
                attached = await session.attach(target.pid)
                await session.detach()
            finally:
                await session.close()
        finally:
            await target.stop()
        names = [thread.get("name") for thread in attached.threads]
        details = {"initialize_ms": initialize_ms, "threads": names}
        return {key: Sample(attached.attach_ms, details)}

    return run


def _loop_breakpoints(target: Target, which: Literal["none", "cold", "false-condition"]) -> Breakpoints:
    match which:
        case "none":
            return {}
        case "cold":
            return {target.path: [{"line": marker_line("loop.py", "cold-line")}]}
        case "false-condition":
            return {target.path: [{"line": marker_line("loop.py", "hot-line"), "condition": "i < 0"}]}


def _loop_scenario(
    key: str, which: Literal["none", "cold", "false-condition"], detach_first: bool = False
) -> Runner:
    async def run(cfg: Config, debugger: Debugger | None) -> dict[str, Sample]:
        target = await Target.start(cfg.python, "loop.py", ["busy", str(cfg.window_ms), *cfg.cpu_args()])
        session: Session | None = None
        details: dict[str, Any] = {}
        try:
            await _warm_up(cfg, target, busy=True)
            before = [ips for _, ips, _ in target.windows[1:]]
            details["threads_before"] = target.thread_count()
            if debugger is not None:
                session, _ = await Session.open(debugger)
                attached = await session.attach(target.pid, _loop_breakpoints(target, which))
                details["attach_ms"] = attached.attach_ms
                details["breakpoints"] = attached.breakpoints
                if detach_first:
                    await asyncio.sleep(cfg.settle_s)
                    await session.detach()
            start = time.perf_counter_ns() + int(cfg.settle_s * 1e9)
            timeout = cfg.settle_s + cfg.measure_s * 4 + 20
            speeds = await target.windows_after(start, cfg.windows, cfg.window_ns, timeout)
            details["threads_measured"] = target.thread_count()
            if session is not None:
                await session.detach()
        finally:
            if session is not None:
                await session.close()
            await target.stop()
        wall, cpu = [s[0] for s in speeds], [s[1] for s in speeds]
        details["windows_ips"] = [round(s) for s in wall]
        details["windows_cpu_ips"] = [round(s) for s in cpu]
        # The same process before attach: immune to the process-to-process spread of a shared machine.
        details["before_ips"] = [round(s) for s in before]
        details["same_process_slowdown"] = statistics.median(before) / statistics.median(wall)
        return {
            key: Sample(statistics.median(wall), details),
            f"{key}-cpu": Sample(statistics.median(cpu), {}),
        }

    return run


PRINTER_LINES = 100_000
PRINTER_WINDOWS = 5


def _printer_scenario(key: str, buffering: Literal["buffered", "unbuffered"], work: int = 0) -> Runner:
    """A program printing 100,000 lines per window (after `work` loop turns each), bare and with the
    debugger showing its output."""

    async def run(cfg: Config, debugger: Debugger | None) -> dict[str, Sample]:
        env = {"PYTHONUNBUFFERED": "1" if buffering == "unbuffered" else ""}
        args = [str(PRINTER_LINES), str(work), *cfg.cpu_args()]
        target = await Target.start(cfg.python, "printer.py", args, env=env)
        session: Session | None = None
        details: dict[str, Any] = {"buffering": buffering, "work": work}
        try:
            await target.windows_after(time.perf_counter_ns(), 1, 0, 120)
            if debugger is not None:
                session, _ = await Session.open(debugger)
                await session.attach(target.pid, options={"redirectOutput": True})
            # The window running while the session attached is left out: it began before.
            start = time.perf_counter_ns()
            speeds = await target.windows_after(start, PRINTER_WINDOWS + 1, 0, 300)
            speeds = speeds[1:]
            if session is not None:
                details["console_lines"] = _console_lines(session)
                await session.detach()
        finally:
            if session is not None:
                await session.close()
            await target.stop()
        wall, cpu = [s[0] for s in speeds], [s[1] for s in speeds]
        details["windows_lines_per_s"] = [round(s) for s in wall]
        details["windows_cpu_lines_per_s"] = [round(s) for s in cpu]
        return {
            key: Sample(statistics.median(wall), details),
            f"{key}-cpu": Sample(statistics.median(cpu), {}),
        }

    return run


def _console_lines(session: Session) -> int:
    """How many of the program's lines reached the client as `output` events (stdout) so far."""
    events = session.client.take_events("output")
    return sum(str(body.get("output", "")).count("\n") for body in events if body.get("category") == "stdout")


async def _stop_at(session: Session, target: Target, script: str, marker: str, cfg: Config) -> Body:
    """Attach with one breakpoint, wait until it is hit, and return the `stopped` event body."""
    await session.attach(target.pid, {target.path: [{"line": marker_line(script, marker)}]})
    return await session.client.event("stopped", 30.0)


async def run_steps(cfg: Config, debugger: Debugger | None) -> dict[str, Sample]:
    assert debugger is not None
    target = await Target.start(cfg.python, "stepper.py", cfg.cpu_args())
    session: Session | None = None
    try:
        await asyncio.sleep(cfg.warmup_s)
        session, _ = await Session.open(debugger)
        client = session.client
        stopped = await _stop_at(session, target, "stepper.py", "step-line", cfg)
        thread = stopped["threadId"]
        await session.set_breakpoints(target.path, [])
        client.drop_events("stopped")
        steps: list[float] = []
        reasons: collections.Counter[str] = collections.Counter()
        for _ in range(cfg.steps):
            sent = time.perf_counter_ns()
            seq = client.send("next", {"threadId": thread})
            event = await client.event("stopped", 15.0)
            steps.append((event["received_ns"] - sent) / 1e6)
            reasons[str(event.get("reason"))] += 1
            answer = await client.response(seq, 15.0)
            if not answer.get("success"):
                raise DapError(f"next failed: {answer.get('message')}")
        await client.request("continue", {"threadId": thread})
        await session.detach()
    finally:
        if session is not None:
            await session.close()
        await target.stop()
    details = {"steps_ms": [round(s, 3) for s in steps], "reasons": dict(reasons)}
    return {"e": Sample(statistics.median(steps), details)}


async def _variables_timed(client: DapClient, arguments: Body) -> tuple[float, Body]:
    sent = time.perf_counter_ns()
    body = await client.request("variables", arguments, timeout=60.0)
    return _ms_since(sent), body


def _first_page(variable: Body) -> tuple[Body, str]:
    """Page when the adapter says the children are countable (as VS Code does), else ask for all."""
    arguments: Body = {"variablesReference": variable["variablesReference"]}
    if variable.get("indexedVariables"):
        return arguments | {"filter": "indexed", "start": 0, "count": 100}, "indexed page start 0 count 100"
    if variable.get("namedVariables"):
        return arguments | {"filter": "named", "start": 0, "count": 100}, "named page start 0 count 100"
    return arguments, "whole (no indexedVariables/namedVariables given)"


async def run_variables(cfg: Config, debugger: Debugger | None) -> dict[str, Sample]:
    assert debugger is not None
    target = await Target.start(cfg.python, "data.py", cfg.cpu_args())
    session: Session | None = None
    samples: dict[str, Sample] = {}
    try:
        session, _ = await Session.open(debugger)
        client = session.client
        stopped = await _stop_at(session, target, "data.py", "data-line", cfg)
        thread = stopped["threadId"]
        frames = await client.request("stackTrace", {"threadId": thread, "startFrame": 0, "levels": 1})
        frame = frames["stackFrames"][0]
        scopes = (await client.request("scopes", {"frameId": frame["id"]}))["scopes"]
        local_scope = next((s for s in scopes if s["name"].lower().startswith("local")), scopes[0])
        locals_ms, local_vars = await _variables_timed(
            client, {"variablesReference": local_scope["variablesReference"]}
        )
        by_name = {v["name"]: v for v in local_vars.get("variables", [])}
        for key, name in (("f-list", "big_list"), ("f-dict", "big_dict")):
            if name not in by_name:
                raise DapError(f"{name} not among the locals {sorted(by_name)} of {frame.get('name')}")
            variable = by_name[name]
            arguments, mode = _first_page(variable)
            elapsed, body = await _variables_timed(client, arguments)
            children = body.get("variables", [])
            samples[key] = Sample(
                elapsed,
                {
                    "request": mode,
                    "returned": len(children),
                    "indexedVariables": variable.get("indexedVariables"),
                    "namedVariables": variable.get("namedVariables"),
                    "value_shown": str(variable.get("value"))[:80],
                    "bytes": len(json.dumps(body)),
                    "first_names": [c.get("name") for c in children[:3]],
                    "last_names": [c.get("name") for c in children[-2:]],
                    "locals_ms": locals_ms,
                },
            )
        await client.request("continue", {"threadId": thread})
        await session.detach()
    finally:
        if session is not None:
            await session.close()
        await target.stop()
    return samples


async def run_memory(cfg: Config, debugger: Debugger | None) -> dict[str, Sample]:
    target = await Target.start(cfg.python, "loop.py", ["sleep", "0", *cfg.cpu_args()])
    session: Session | None = None
    try:
        await asyncio.sleep(cfg.warmup_s)
        before = target.rss_kib()
        if debugger is not None:
            session, _ = await Session.open(debugger)
            await session.attach(target.pid)
        await asyncio.sleep(cfg.memory_settle_s)
        after = target.rss_kib()
        if session is not None:
            await session.detach()
    finally:
        if session is not None:
            await session.close()
        await target.stop()
    return {"h": Sample((after - before) / 1024, {"vmrss_before_kib": before, "vmrss_after_kib": after})}


def _late_child_scenario(key: str, sent: signal.Signals, note: str, script: str, marker: str) -> Runner:
    """A parent already attached starts a Python child; the child's session (opened on `startDebugging`,
    with the same breakpoint) stops in it. Measured: from the moment the parent starts the child (its own
    clock reading, printed just before) to the child session's `stopped` event."""

    async def run(cfg: Config, debugger: Debugger | None) -> dict[str, Sample]:
        assert debugger is not None
        if debugger.name != "dapattach":
            raise DapError(
                f"{debugger.name} announces children of an attach-by-PID with its own debugpyAttach event, "
                "not startDebugging, which this bench follows"
            )
        target = await Target.start(cfg.python, "tree.py", cfg.cpu_args())
        breakpoints: Breakpoints = {str(TARGETS / script): [{"line": marker_line(script, marker)}]}
        children: list[Session] = []
        stops: asyncio.Queue[tuple[Session, Body]] = asyncio.Queue()

        async def start_child(arguments: Body) -> None:
            child, _ = await Session.open(debugger)
            children.append(child)
            await child.attach(0, breakpoints, configuration=arguments.get("configuration"))
            await stops.put((child, await child.client.event("stopped", 30.0)))

        session: Session | None = None
        try:
            await asyncio.sleep(cfg.warmup_s)
            session, _ = await Session.open(debugger)
            session.client.on_start_debugging = start_child
            await session.attach(target.pid, breakpoints)
            os.kill(target.pid, sent)
            started_ns = await target.note(note, 10.0)
            child, stopped = await asyncio.wait_for(stops.get(), 30.0)
            elapsed = (stopped["received_ns"] - started_ns) / 1e6
            await child.set_breakpoints(str(TARGETS / script), [])
            await child.client.request("continue", {"threadId": stopped["threadId"]})
            await session.detach()
        finally:
            for child in children:
                await child.close()
            if session is not None:
                await session.close()
            await target.stop()
        return {key: Sample(elapsed, {"reason": stopped.get("reason"), "children": len(children)})}

    return run


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "a-busy",
        (Row("a-busy", "a. attach → threads answered, busy target", "ms", 30, "≤ 30 ms"),),
        False,
        _attach_scenario("busy", "a-busy"),
    ),
    Scenario(
        "a-sleep",
        (Row("a-sleep", "a. attach → threads answered, sleep loop", "ms", 30, "≤ 30 ms"),),
        False,
        _attach_scenario("sleep", "a-sleep"),
    ),
    Scenario(
        "b",
        (
            Row("b", "b. hot loop attached, no breakpoint", "slowdown", 1.01, "≤ 1.01x"),
            Row("b-cpu", "   same, per process CPU second", "slowdown", 1.01, "≤ 1.01x"),
        ),
        True,
        _loop_scenario("b", "none"),
    ),
    Scenario(
        "c",
        (
            Row("c", "c. hot loop, never-hit breakpoint in it", "slowdown", 1.05, "≤ 1.05x"),
            Row("c-cpu", "   same, per process CPU second", "slowdown", 1.05, "≤ 1.05x"),
        ),
        True,
        _loop_scenario("c", "cold"),
    ),
    Scenario(
        "d",
        (
            Row("d", "d. hot loop, always-false condition", "slowdown", 3.0, "≤ 3x"),
            Row("d-cpu", "   same, per process CPU second", "slowdown", 3.0, "≤ 3x"),
        ),
        True,
        _loop_scenario("d", "false-condition"),
    ),
    Scenario("e", (Row("e", "e. next → stopped", "ms", 5, "≤ 5 ms"),), False, run_steps),
    Scenario(
        "f",
        (
            Row("f-list", "f. variables, 1M list, first page", "ms", 20, "≤ 20 ms"),
            Row("f-dict", "f. variables, 100k dict, first page", "ms"),
        ),
        False,
        run_variables,
    ),
    Scenario(
        "g",
        (
            Row("g", "g. hot loop after detach", "slowdown", 1.005, "1.00x"),
            Row("g-cpu", "   same, per process CPU second", "slowdown", 1.005, "1.00x"),
        ),
        True,
        _loop_scenario("g", "cold", detach_first=True),
    ),
    Scenario("h", (Row("h", "h. target VmRSS added by attach", "mib", 3, "≤ 3 MiB"),), True, run_memory),
    Scenario(
        "i-fork",
        (Row("i-fork", "i. late child: fork → stopped at its 1st line", "ms", 1000, "≤ 1 s"),),
        False,
        _late_child_scenario("i-fork", signal.SIGUSR1, "forked", "tree.py", "fork-line"),
    ),
    Scenario(
        "i-exec",
        (Row("i-exec", "i. late child: new program → stopped in it", "ms", 1000, "≤ 1 s"),),
        False,
        _late_child_scenario("i-exec", signal.SIGUSR2, "spawned", "tree_child.py", "exec-line"),
    ),
    Scenario(
        "j",
        (
            Row("j", "j. print 100k lines, output shown, buffered", "slowdown", 1.05, "≤ 1.05x"),
            Row("j-cpu", "   same, per process CPU second", "slowdown", 1.05, "≤ 1.05x"),
        ),
        True,
        _printer_scenario("j", "buffered"),
    ),
    Scenario(
        "j-unbuffered",
        (
            Row("j-unbuf", "j. print 100k lines, output shown, unbuffered", "slowdown", 1.05, "≤ 1.05x"),
            Row("j-unbuf-cpu", "   same, per process CPU second", "slowdown", 1.05, "≤ 1.05x"),
        ),
        True,
        _printer_scenario("j-unbuf", "unbuffered"),
    ),
    Scenario(
        "j-work",
        (
            Row("j-work", "j. 100k lines, ~20 us of work each, unbuffered", "slowdown", 1.05, "≤ 1.05x"),
            Row("j-work-cpu", "   same, per process CPU second", "slowdown", 1.05, "≤ 1.05x"),
        ),
        True,
        _printer_scenario("j-work", "unbuffered", work=1000),
    ),
)
