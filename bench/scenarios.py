"""The bench scenarios: each starts a fresh target (and adapter), measures one thing, and cleans up.

A scenario returns {row key: Sample}. Loop-speed rows return iterations per second for the bare run and
for each debugger; the runner divides them within one repetition, so every ratio compares runs that were
made back to back.
"""

import asyncio
import collections
import contextlib
import dataclasses
import json
import os
import signal
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from dap import Body, DapClient, DapError
from sessions import Attached, Breakpoints, Debugger, Session
from targets_io import TARGETS, Call, Target, TargetError, marker_line


@dataclasses.dataclass(frozen=True)
class Config:
    python: str
    target_cpu: int | None
    hot_call_ms: float
    """Length of one bare call of the hot function in rows b, c and g (long, so a call is never lost in the
    noise of the clock or of the scheduler)."""
    quick_call_ms: float
    """Length of one bare hot call in rows a and d (short: a debugger that slows it 200x still returns)."""
    before_s: float
    settle_s: float
    measure_s: float
    min_calls: int
    steps: int
    idle_s: float
    memory_settle_s: float

    def cpu_args(self) -> list[str]:
        return [] if self.target_cpu is None else [str(self.target_cpu)]


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
    floor: tuple[str, float] | None = None
    """(row, factor): the goal is also met at or below factor x that row's bare median."""
    debuggers_only: bool = False
    """Measured of a debugger only: the bare column has nothing to show."""


type Runner = Callable[[Config, Debugger | None], Awaitable[dict[str, Sample]]]


@dataclasses.dataclass(frozen=True)
class Scenario:
    key: str
    rows: tuple[Row, ...]
    with_bare: bool
    run: Runner
    only_bare: bool = False


def _ms_since(start_ns: int) -> float:
    return (time.perf_counter_ns() - start_ns) / 1e6


async def _hot_calls(target: Target, start_ns: int, seconds: float, minimum: int, limit: float) -> list[Call]:
    """The hot calls that began after `start_ns`, for `seconds` and at least `minimum` of them; one call
    that alone lasts 4 x `seconds` (a debugger slowing the loop 50x) is taken alone."""
    deadline = time.monotonic() + limit

    def enough() -> bool:
        taken = [call for call in target.calls if call.start >= start_ns]
        elapsed = (time.perf_counter_ns() - start_ns) / 1e9
        return (elapsed >= seconds and len(taken) >= minimum) or (taken != [] and elapsed >= 4 * seconds)

    try:
        await target.wait_for(enough, max(deadline - time.monotonic(), 0.1))
    except TargetError:
        raise TargetError(f"{target.script} finished too few hot calls in {limit:g} s") from None
    return [call for call in target.calls if call.start >= start_ns]


async def _first_call(target: Target, timeout: float = 20.0) -> int:
    """When the target's second hot call began: the first one runs while the process is still warming."""
    await target.wait_for(lambda: len(target.calls) >= 1, timeout)
    return target.calls[0].start + 1


def _attach_scenario(key: str, script: str, mode: str) -> Runner:
    """Attach to a target and time `attach` → threads → the first thread's top frames, with an adapter
    that has finished starting. For the busy target also the whole start, in a second adapter attached as
    soon as it answers `initialize`: adapter started → `initialize` answered, and → `threads` answered."""
    busy = script == "loop.py"

    async def attach(
        cfg: Config, debugger: Debugger, pid: int, at_once: bool
    ) -> tuple[Session, Attached, Body]:
        session, _ = await Session.open(debugger)
        try:
            if not at_once:
                await asyncio.sleep(cfg.idle_s)
            attached = await session.attach(pid, timeout=15.0, top_frames=True)
            live = await _switch_to_live(session, attached) if mode == "sleep:0.2" else {}
            await session.detach()
        finally:
            await session.close()
        return session, attached, live

    async def run(cfg: Config, debugger: Debugger | None) -> dict[str, Sample]:
        assert debugger is not None
        args = ["busy", str(cfg.quick_call_ms)] if busy else [mode]
        target = await Target.start(cfg.python, script, [*args, *cfg.cpu_args()])
        samples: dict[str, Sample] = {}
        try:
            if busy:
                await target.calls_after(await _first_call(target), 2, 20.0)
                session, attached, _ = await attach(cfg, debugger, target.pid, at_once=True)
                samples["a0-init"] = Sample(session.initialize_ms, {})
                samples["a0-e2e"] = Sample((attached.threads_ns - session.started_ns) / 1e6, {})
            else:
                await asyncio.sleep(cfg.idle_s)
            session, attached, live = await attach(cfg, debugger, target.pid, at_once=False)
        finally:
            await target.stop()
        top = next((f for f in attached.frames if f.get("presentationHint") != "label"), {})
        details = {
            "initialize_ms": session.initialize_ms,
            "threads_ms": attached.attach_ms,
            "threads": [thread.get("name") for thread in attached.threads],
            "top_frame": f"{top.get('name')} line {top.get('line')}" if top else None,
            "frames": len(attached.frames),
            **live,
        }
        assert attached.shown_ms is not None
        samples[key] = Sample(attached.shown_ms, details)
        return samples

    return run


async def _switch_to_live(session: Session, attached: Attached) -> dict[str, Any]:
    """After answering from a snapshot, does the adapter tell the editor when the live agent is in, and do
    the thread ids stay the same? (Up to 2 s: the target's main thread wakes every 0.2 s.)"""
    try:
        event = await session.client.event("invalidated", 2.0)
    except DapError:
        return {"invalidated_after_ms": None}
    threads = (await session.client.request("threads")).get("threads", [])
    return {
        "invalidated_after_ms": (event["received_ns"] - attached.threads_ns) / 1e6,
        "same_thread_ids": sorted(t["id"] for t in threads) == sorted(t["id"] for t in attached.threads),
        "threads_after": [thread.get("name") for thread in threads],
    }


def _loop_breakpoints(
    target: Target, which: Literal["none", "cold", "false-condition", "logpoint"]
) -> Breakpoints:
    match which:
        case "none":
            return {}
        case "cold":
            return {target.path: [{"line": marker_line("loop.py", "cold-line")}]}
        case "false-condition":
            return {target.path: [{"line": marker_line("loop.py", "hot-line"), "condition": "i < 0"}]}
        case "logpoint":
            return {target.path: [{"line": marker_line("loop.py", "hot-line"), "logMessage": "i={i}"}]}


def _loop_scenario(
    key: str,
    which: Literal["none", "cold", "false-condition", "floor", "logpoint"],
    detach_first: bool = False,
) -> Runner:
    """Speed of the hot function in one process before and after the debugger came (or, for the bare
    column, before and after nothing happened; for the floor, before and after the target hooked its hot
    line itself), each time relative to a twin process that runs the same loop on the same CPU, over the
    same calls' time, and is never attached. The slowdown is the target's speed relative to its twin
    before ÷ the same after: the spread between processes and what other programs do to the machine
    meanwhile fall on both alike and cancel out."""
    quick = which in ("false-condition", "floor", "logpoint")

    async def run(cfg: Config, debugger: Debugger | None) -> dict[str, Sample]:
        call_ms = cfg.quick_call_ms if quick else cfg.hot_call_ms
        args = ["busy", str(call_ms), *cfg.cpu_args()]
        if which == "floor":
            args = ["floor", str(call_ms), *cfg.cpu_args(), str(round(cfg.before_s * 1000 / call_ms) + 2)]
        target = await Target.start(cfg.python, "loop.py", args)
        twin = await Target.start(cfg.python, "loop.py", ["busy", str(call_ms), *cfg.cpu_args()])
        session: Session | None = None
        details: dict[str, Any] = {"call_ms": call_ms}
        adapter_ms: float | None = None
        limit = cfg.settle_s + cfg.measure_s * 4 + 150  # a debugger that slows the loop 50x on a busy machine
        try:
            began = max(await _first_call(target), await _first_call(twin))
            before = await _hot_calls(target, began, cfg.before_s, cfg.min_calls, limit)
            before_twin = _calls_within(twin, began, time.perf_counter_ns())
            details["threads_before"] = target.thread_count()
            if which == "floor":
                await target.wait_for(lambda: target.hooked_ns is not None, limit)
            elif debugger is not None:
                session, _ = await Session.open(debugger)
                attached = await session.attach(target.pid, _loop_breakpoints(target, which))
                details["attach_ms"] = attached.attach_ms
                details["breakpoints"] = attached.breakpoints
                if detach_first:
                    await asyncio.sleep(cfg.settle_s)
                    await session.detach()
            start = time.perf_counter_ns() + int(cfg.settle_s * 1e9)
            await asyncio.sleep(cfg.settle_s)
            adapter_cpu = _cpu_ns(session.client.process.pid) if session and not session.detached else None
            after = await _hot_calls(target, start, cfg.measure_s, cfg.min_calls, limit)
            after_twin = _calls_within(twin, start, time.perf_counter_ns())
            if adapter_cpu is not None and session is not None:
                adapter_ms = _cpu_ms_a_second(session.client.process.pid, adapter_cpu, start)
            details["threads_measured"] = target.thread_count()
            if session is not None:
                await session.detach()
        finally:
            if session is not None:
                await session.close()
            await target.stop()
            await twin.stop()
        if target.hooked_ns is not None:
            before = [call for call in before if call.start < target.hooked_ns]
        if not before_twin or not after_twin:
            raise TargetError("the twin process finished no hot call in a measured span")
        details["before_ips"] = [round(call.ips) for call in before]
        details["after_ips"] = [round(call.ips) for call in after]
        details["twin_before_ips"] = [round(call.ips) for call in before_twin]
        details["twin_after_ips"] = [round(call.ips) for call in after_twin]
        details["before_cpu_ips"] = [round(call.cpu_ips) for call in before]
        details["after_cpu_ips"] = [round(call.cpu_ips) for call in after]
        details["speed_ips"] = statistics.median(call.cpu_ips for call in before)
        samples = {}
        for name, speed in ((key, _wall), (f"{key}-cpu", _cpu)):
            relative_before = _median(before, speed) / _median(before_twin, speed)
            relative_after = _median(after, speed) / _median(after_twin, speed)
            samples[name] = Sample(relative_before / relative_after, details if name == key else {})
        if adapter_ms is not None:
            samples[f"{key}-adapter"] = Sample(adapter_ms, {})
        return samples

    return run


def _cpu_ns(pid: int) -> dict[str, int]:
    """The CPU time each thread of `pid` has had so far, in ns (the scheduler's own count, exact where
    `/proc/PID/stat`'s clock ticks are 10 ms); empty where `/proc` does not say."""
    times = {}
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with (
                contextlib.suppress(OSError, ValueError, IndexError),
                open(f"/proc/{pid}/task/{task}/schedstat") as file,
            ):
                times[task] = int(file.read().split()[0])
    return times


def _cpu_since(pid: int, before: dict[str, int]) -> int:
    """ns of CPU the threads of `pid` have had since `before` (a thread that ended meanwhile is left out:
    its time is no longer to be read)."""
    return sum(ns - before.get(task, 0) for task, ns in _cpu_ns(pid).items())


def _cpu_ms_a_second(pid: int, before: dict[str, int], start_ns: int) -> float:
    """ms of CPU the threads of `pid` have had a second since `before` was read at `start_ns`."""
    return _cpu_since(pid, before) / 1e6 / ((time.perf_counter_ns() - start_ns) / 1e9)


def _wall(call: Call) -> float:
    return call.ips


def _cpu(call: Call) -> float:
    return call.cpu_ips


def _median(calls: list[Call], speed: Callable[[Call], float]) -> float:
    return statistics.median(speed(call) for call in calls)


def _calls_within(target: Target, start_ns: int, end_ns: int) -> list[Call]:
    return [call for call in target.calls if call.start >= start_ns and call.end <= end_ns]


PRINTER_LINES = 100_000
PRINTER_WINDOWS = 5


def _printer_scenario(
    key: str, buffering: Literal["buffered", "unbuffered"], work: int = 0, lines: int = PRINTER_LINES
) -> Runner:
    """A program printing `lines` lines per window (after `work` loop turns each): its speed before ÷
    after the debugger came to show its output (nothing comes in the bare column), each relative to a
    twin process that prints the same on the same CPU over the same span and is never attached, as in the
    loop rows: what the machine does to both meanwhile cancels out. At least 100,000 lines are printed
    in the windows measured after the attach."""

    async def run(cfg: Config, debugger: Debugger | None) -> dict[str, Sample]:
        env = {"PYTHONUNBUFFERED": "1" if buffering == "unbuffered" else ""}
        args = [str(lines), str(work), *cfg.cpu_args()]
        target = await Target.start(cfg.python, "printer.py", args, env=env)
        twin = await Target.start(cfg.python, "printer.py", args, env=env)
        session: Session | None = None
        details: dict[str, Any] = {"buffering": buffering, "work": work, "lines_per_window": lines}
        try:
            began = time.perf_counter_ns()
            before = await target.windows_after(began, PRINTER_WINDOWS, 0, 300)
            before_twin = _windows_within(twin, began, time.perf_counter_ns())
            if debugger is not None:
                session, _ = await Session.open(debugger)
                await session.attach(target.pid, options={"redirectOutput": True})
            # The window running while the session attached is left out: it began before.
            start = time.perf_counter_ns()
            after = (await target.windows_after(start, PRINTER_WINDOWS + 1, 0, 300))[1:]
            measured_from = min(t for t, _, _ in target.windows if t >= start)  # the end of the left-out one
            after_twin = _windows_within(twin, measured_from, time.perf_counter_ns())
            if session is not None:
                details["console_lines"] = _console_lines(session)
                await session.detach()
        finally:
            if session is not None:
                await session.close()
            await target.stop()
            await twin.stop()
        if not before_twin or not after_twin:
            raise TargetError("the twin printer finished no window in a measured span")
        details["windows_lines_per_s"] = [round(s[0]) for s in [*before, *after]]
        details["windows_cpu_lines_per_s"] = [round(s[1]) for s in [*before, *after]]
        details["twin_windows_cpu_lines_per_s"] = [round(s[1]) for s in [*before_twin, *after_twin]]
        return {
            key: Sample(_relative_slowdown(before, before_twin, after, after_twin, 0), details),
            f"{key}-cpu": Sample(_relative_slowdown(before, before_twin, after, after_twin, 1), {}),
        }

    return run


def _windows_within(target: Target, start_ns: int, end_ns: int) -> list[tuple[float, float]]:
    """(wall, CPU) speeds of the windows `target` finished between `start_ns` and `end_ns`."""
    return [(ips, cpu) for t, ips, cpu in target.windows if start_ns < t <= end_ns]


def _relative_slowdown(
    before: list[tuple[float, float]],
    before_twin: list[tuple[float, float]],
    after: list[tuple[float, float]],
    after_twin: list[tuple[float, float]],
    which: int,
) -> float:
    """The target's median speed relative to its twin's before ÷ the same after."""

    def median(windows: list[tuple[float, float]]) -> float:
        return statistics.median(window[which] for window in windows)

    return (median(before) / median(before_twin)) / (median(after) / median(after_twin))


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
        await asyncio.sleep(cfg.idle_s)
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
            if key == "f-dict":
                elapsed, body = await _variables_timed(
                    client, {"variablesReference": variable["variablesReference"]}
                )
                children = body.get("variables", [])
                samples["f-dict-all"] = Sample(
                    elapsed, {"returned": len(children), "bytes": len(json.dumps(body))}
                )
        await client.request("continue", {"threadId": thread})
        await session.detach()
    finally:
        if session is not None:
            await session.close()
        await target.stop()
    return samples


async def run_memory(cfg: Config, debugger: Debugger | None) -> dict[str, Sample]:
    target = await Target.start(cfg.python, "idle.py", ["sleep:0.01", *cfg.cpu_args()])
    session: Session | None = None
    try:
        await asyncio.sleep(cfg.idle_s)
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


IDLE_COST_AFTER_S = 2.0
"""Seconds from the attach to the idle-cost window: past the agent's first quiet second (`ticker.py`)."""
IDLE_COST_WINDOW_S = 5.0


async def run_idle_cost(cfg: Config, debugger: Debugger | None) -> dict[str, Sample]:
    """What an attached service that waits for work pays: the CPU of the target process (every thread,
    as the scheduler counts it) per second, while its main thread sleeps 0.5 s at a time, over
    `IDLE_COST_WINDOW_S` from `IDLE_COST_AFTER_S` after the attach (output shown, as by default); the
    bare column is the same process with nothing attached."""
    target = await Target.start(cfg.python, "idle.py", ["sleep:0.5", *cfg.cpu_args()])
    session: Session | None = None
    try:
        await asyncio.sleep(cfg.idle_s)
        if debugger is not None:
            session, _ = await Session.open(debugger)
            await session.attach(target.pid)
        await asyncio.sleep(IDLE_COST_AFTER_S)
        threads = target.thread_count()
        before, start = _cpu_ns(target.pid), time.perf_counter_ns()
        await asyncio.sleep(IDLE_COST_WINDOW_S)
        used = _cpu_ms_a_second(target.pid, before, start)
        if session is not None:
            await session.detach()
    finally:
        if session is not None:
            await session.close()
        await target.stop()
    return {"l": Sample(used, {"threads": threads})}


def _attach_row(key: str, what: str) -> Row:
    return Row(key, f"a. attach → threads + top frames, {what}", "ms", 50, "≤ 50 ms")


def _loop_rows(
    key: str, title: str, goal: float, goal_text: str, floor: str | None = None
) -> tuple[Row, ...]:
    """The wall-clock row and the CPU-time row; a floor is compared in the same kind of time."""
    wall, cpu = (None, None) if floor is None else ((floor, 1.1), (f"{floor}-cpu", 1.1))
    return (
        Row(key, title, "slowdown", goal, goal_text, wall),
        Row(f"{key}-cpu", "   same, per process CPU second", "slowdown", goal, goal_text, cpu),
    )


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
            await asyncio.sleep(cfg.idle_s)
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
        (
            Row("a0-init", "a. adapter started → initialize answered", "ms", 60, "≤ 60 ms"),
            Row("a0-e2e", "a. adapter started → threads answered, busy", "ms", 150, "≤ 150 ms"),
            _attach_row("a-busy", "busy target"),
        ),
        False,
        _attach_scenario("a-busy", "loop.py", "busy"),
    ),
    Scenario(
        "a-sleep",
        (_attach_row("a-sleep", "main in sleep(0.01) loop"),),
        False,
        _attach_scenario("a-sleep", "idle.py", "sleep:0.01"),
    ),
    Scenario(
        "a-sleep200",
        (_attach_row("a-sleep200", "main in sleep(0.2) loop"),),
        False,
        _attach_scenario("a-sleep200", "idle.py", "sleep:0.2"),
    ),
    Scenario(
        "a-accept",
        (_attach_row("a-accept", "main blocked in accept()"),),
        False,
        _attach_scenario("a-accept", "idle.py", "accept"),
    ),
    Scenario(
        "a-asyncio",
        (_attach_row("a-asyncio", "idle asyncio loop"),),
        False,
        _attach_scenario("a-asyncio", "idle.py", "asyncio"),
    ),
    Scenario(
        "b",
        (
            *_loop_rows("b", "b. hot call (≥ 200 ms) attached, no breakpoint", 1.02, "≤ 1.02x"),
            Row("b-adapter", "   adapter's own CPU, per second", "ms", 10, "≤ 10 ms", debuggers_only=True),
        ),
        True,
        _loop_scenario("b", "none"),
    ),
    Scenario(
        "c",
        _loop_rows("c", "c. hot call, never-hit breakpoint in it", 1.02, "≤ 1.02x"),
        True,
        _loop_scenario("c", "cold"),
    ),
    Scenario(
        "d-floor",
        _loop_rows("d-floor", "d. floor: LINE callback reading one local", 0, ""),
        True,
        _loop_scenario("d-floor", "floor"),
        only_bare=True,
    ),
    Scenario(
        "d",
        _loop_rows("d", "d. hot line, always-false condition", 3.0, "≤ 3x or ≤ 1.1 x floor", "d-floor"),
        True,
        _loop_scenario("d", "false-condition"),
    ),
    Scenario("e", (Row("e", "e. next → stopped", "ms", 5, "≤ 5 ms"),), False, run_steps),
    Scenario(
        "f",
        (
            Row("f-list", "f. variables, 1M list, first page", "ms", 3, "≤ 3 ms"),
            Row("f-dict", "f. variables, 100k dict, first page", "ms", 5, "≤ 5 ms"),
            Row("f-dict-all", "f. variables, 100k dict, no paging", "ms", 10, "≤ 10 ms"),
        ),
        False,
        run_variables,
    ),
    Scenario(
        "g",
        _loop_rows("g", "g. hot call after detach", 1.02, "≤ 1.02x"),
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
            Row("j", "j. print 1M lines a window, output shown, buffered", "slowdown", 1.05, "≤ 1.05x"),
            Row("j-cpu", "   same, per process CPU second", "slowdown", 1.05, "≤ 1.05x"),
        ),
        True,
        # 100k buffered lines take 30 ms, less than the agent's 50 ms round of sending: a window of them
        # held a round's cost or none, and the row read anything from 1.0x to 1.4x.
        _printer_scenario("j", "buffered", lines=10 * PRINTER_LINES),
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
        _printer_scenario("j-work", "unbuffered", work=1000, lines=PRINTER_LINES // PRINTER_WINDOWS),
    ),
    Scenario(
        "k",
        _loop_rows("k", "k. hot line, logpoint (the console takes what it can)", 0, ""),
        True,
        _loop_scenario("k", "logpoint"),
    ),
    Scenario(
        "l",
        (Row("l", "l. idle service attached: its CPU, per second", "ms", 2, "≤ 2 ms"),),
        True,
        run_idle_cost,
    ),
)
