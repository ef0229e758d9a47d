"""What a user attached to a live service sees when its code misbehaves under the debugger.

    .venv/bin/python bench/live.py [--src DIR] [--rounds N] [--only case,case]

Runs each case once against `python -m dapattach` (from `--src DIR`'s `dapattach` package when given, so
an older checkout can be measured the same way) attached to `bench/targets/service.py`, and prints one line
per case with what was seen and how long it took. Times are wall-clock from the harness's side. A case that
does not finish within its limit says so instead of a number.
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from dap import DapClient, DapError
from sessions import Debugger, Session

BENCH = Path(__file__).resolve().parent
SERVICE = BENCH / "targets" / "service.py"
HANDLER_LINE = next(
    number for number, text in enumerate(SERVICE.read_text().splitlines(), 1) if "bench:handler-line" in text
)
ADAPTER = Debugger(
    "dapattach",
    (sys.executable, "-m", "dapattach", *os.environ.get("LIVE_ADAPTER_ARGS", "").split()),
    "dapattach",
)


class Service:
    """The target process, with the times at which it printed each tick."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.pid = process.pid
        self.ticks: list[float] = []
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, *args: str) -> Service:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(SERVICE), *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        assert process.stdout is not None
        json.loads(await process.stdout.readline())
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            if line.startswith(b"tick"):
                self.ticks.append(time.monotonic())

    async def ticks_after(self, since: float, limit: float) -> float | None:
        """Seconds from `since` to the first tick printed after it, or None within `limit`."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            later = [t for t in self.ticks if t > since]
            if later:
                return later[0] - since
            await asyncio.sleep(0.005)
        return None

    def thread_cpu(self) -> float:
        """CPU seconds used so far by all threads."""
        total = 0
        for tid in os.listdir(f"/proc/{self.pid}/task"):
            try:
                fields = Path(f"/proc/{self.pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()
        self._reader.cancel()


async def attached_and_stopped(service: Service) -> tuple[Session, int, int]:
    """A session stopped at the handler's breakpoint: (session, thread id, frame id)."""
    session, _ = await Session.open(ADAPTER)
    await session.attach(service.pid, {str(SERVICE): [{"line": HANDLER_LINE}]})
    stopped = await session.client.event("stopped", 10)
    thread_id = stopped["threadId"]
    frames = await session.client.request("stackTrace", {"threadId": thread_id, "levels": 1})
    await session.set_breakpoints(str(SERVICE), [])
    return session, thread_id, frames["stackFrames"][0]["id"]


def evaluate_args(frame_id: int, expression: str, context: str = "repl") -> dict[str, Any]:
    return {"expression": expression, "frameId": frame_id, "context": context}


async def timed(coroutine: Any, limit: float) -> tuple[float | None, Any]:
    started = time.monotonic()
    try:
        result = await asyncio.wait_for(coroutine, limit)
    except (TimeoutError, DapError) as error:
        return (time.monotonic() - started if isinstance(error, DapError) else None), error
    return time.monotonic() - started, result


def fmt(seconds: float | None, limit: float | None = None) -> str:
    if seconds is None:
        return f"no answer within {limit:g} s" if limit else "never"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


async def case_threads_during_hung_evaluate() -> str:
    service = await Service.start()
    try:
        session, _thread_id, frame_id = await attached_and_stopped(service)
        client = session.client
        client.send("evaluate", evaluate_args(frame_id, "__import__('time').sleep(100)"))
        await asyncio.sleep(0.2)
        took, _answer = await timed(client.request("threads", timeout=40), 40)
        await client.close(timeout=1)
        return f"threads answered in {fmt(took, 40)} while evaluate(time.sleep(100)) runs"
    finally:
        await service.stop()


async def case_cancel_hung_evaluate() -> str:
    service = await Service.start()
    try:
        session, thread_id, frame_id = await attached_and_stopped(service)
        client = session.client
        seq = client.send("evaluate", evaluate_args(frame_id, "while True: pass"))
        await asyncio.sleep(0.2)
        await client.request("cancel", {"requestId": seq})
        took, answer = await timed(client.response(seq, 40), 40)
        next_took, _ = await timed(client.request("stackTrace", {"threadId": thread_id}, timeout=40), 40)
        cpu_before = service.thread_cpu()
        await asyncio.sleep(1.0)
        burn = service.thread_cpu() - cpu_before
        await client.close(timeout=1)
        reason = answer.get("message") if isinstance(answer, dict) else answer
        return (
            f"evaluate(while True) answered {fmt(took, 40)} after cancel ({reason!r}); the next stackTrace "
            f"took {fmt(next_took, 40)}; target CPU 1 s later: {burn * 100:.0f} % of a core"
        )
    finally:
        await service.stop()


async def _kill_adapter_mid_evaluate(expression: str) -> str:
    service = await Service.start()
    try:
        session, _thread_id, frame_id = await attached_and_stopped(service)
        client = session.client
        client.send("evaluate", evaluate_args(frame_id, expression))
        await asyncio.sleep(0.3)
        client.process.kill()
        killed = time.monotonic()
        resumed = await service.ticks_after(killed, 40)
        cpu_before = service.thread_cpu()
        await asyncio.sleep(2.0)
        burn = (service.thread_cpu() - cpu_before) / 2.0
        await client.close(timeout=1)
        cpu = f"{burn * 100:.0f} % of a core"
        return f"ticks again {fmt(resumed, 40)} after SIGKILL; target CPU 2 s later: {cpu}"
    finally:
        await service.stop()


async def case_kill_adapter_mid_sleep() -> str:
    return await _kill_adapter_mid_evaluate("__import__('time').sleep(100)")


async def case_kill_adapter_mid_loop() -> str:
    return await _kill_adapter_mid_evaluate("while True: pass")


async def _disconnect_mid_evaluate(expression: str) -> str:
    service = await Service.start()
    try:
        session, _thread_id, frame_id = await attached_and_stopped(service)
        client = session.client
        client.send("evaluate", evaluate_args(frame_id, expression))
        await asyncio.sleep(0.3)
        asked = time.monotonic()
        took, _ = await timed(client.request("disconnect", {}, timeout=40), 40)
        resumed = await service.ticks_after(asked, 40)
        cpu_before = service.thread_cpu()
        await asyncio.sleep(2.0)
        burn = (service.thread_cpu() - cpu_before) / 2.0
        await client.close(timeout=2)
        return (
            f"disconnect answered in {fmt(took, 40)}, ticks again {fmt(resumed, 40)} after it; "
            f"target CPU 2 s later: {burn * 100:.0f} % of a core"
        )
    finally:
        await service.stop()


async def case_disconnect_mid_sleep() -> str:
    return await _disconnect_mid_evaluate("__import__('time').sleep(100)")


async def case_disconnect_mid_loop() -> str:
    return await _disconnect_mid_evaluate("while True: pass")


async def case_continue_mid_loop() -> str:
    service = await Service.start()
    try:
        session, thread_id, frame_id = await attached_and_stopped(service)
        client = session.client
        seq = client.send("evaluate", evaluate_args(frame_id, "while True: pass"))
        await asyncio.sleep(0.3)
        asked = time.monotonic()
        took, _ = await timed(client.request("continue", {"threadId": thread_id}, timeout=40), 40)
        resumed = await service.ticks_after(asked, 40)
        _answer_took, answer = await timed(client.response(seq, 40), 40)
        await client.close(timeout=2)
        message = answer.get("message") if isinstance(answer, dict) else answer
        return (
            f"continue answered in {fmt(took, 40)}, ticks again {fmt(resumed, 40)} after it, "
            f"the evaluate answered {message!r}"
        )
    finally:
        await service.stop()


async def case_variables_with_hanging_repr() -> str:
    service = await Service.start()
    try:
        session, _thread_id, frame_id = await attached_and_stopped(service)
        client = session.client
        scopes = await client.request("scopes", {"frameId": frame_id})
        reference = scopes["scopes"][0]["variablesReference"]
        asked = client.request("variables", {"variablesReference": reference}, timeout=40)
        took, answer = await timed(asked, 40)
        await client.close(timeout=2)
        if not isinstance(answer, dict):
            return f"variables failed after {fmt(took, 40)}: {answer}"
        rows = {row["name"]: row["value"] for row in answer["variables"]}
        return f"variables answered in {fmt(took)}: " + ", ".join(f"{k}={v[:40]}" for k, v in rows.items())
    finally:
        await service.stop()


async def case_request_context() -> str:
    service = await Service.start()
    try:
        session, _thread_id, frame_id = await attached_and_stopped(service)
        client = session.client
        seen = []
        for expression in ("request_id.get()", "getattr(local, 'session', '<unset>')", "number"):
            asked = client.request("evaluate", evaluate_args(frame_id, expression, "watch"))
            _took, answer = await timed(asked, 10)
            seen.append(f"{expression} -> {answer.get('result') if isinstance(answer, dict) else answer}")
        await client.close(timeout=2)
        return "; ".join(seen)
    finally:
        await service.stop()


async def _told(client: DapClient, limit: float) -> str:
    """What the adapter said about the attach: "in", "waiting" (told the target is blocked) or the text."""
    deadline = time.monotonic() + limit
    while (left := deadline - time.monotonic()) > 0:
        try:
            said = (await client.event("output", left)).get("output", "")
        except DapError:
            break
        if "Attached to process" in said:
            return "in"
        if "has not run Python code" in said:
            return "waiting (told its threads are blocked)"
    return "nothing said"


async def _attach_outcome(
    pid: int, started: asyncio.Event, decided: asyncio.Barrier
) -> tuple[str, float, int]:
    """Attach when `started` is set; stay attached until both attaches know their outcome.
    Returns what happened, how long it took, and this adapter's PID."""
    session, _ = await Session.open(ADAPTER)
    adapter_pid = session.client.process.pid
    await started.wait()
    began = time.monotonic()
    try:
        await session.attach(pid, timeout=20)
    except DapError as error:
        took = time.monotonic() - began
        await decided.wait()
        await session.client.close(timeout=2)
        return f"refused: {error}", took, adapter_pid
    outcome = await _told(session.client, 5)
    took = time.monotonic() - began
    await decided.wait()
    await session.detach()
    return outcome, took, adapter_pid


async def case_concurrent_attach(rounds: int) -> str:
    service = await Service.start()
    outcomes: dict[str, int] = {}
    loser_times: list[float] = []
    messages: set[str] = set()
    try:
        for _ in range(rounds):
            go, decided = asyncio.Event(), asyncio.Barrier(2)
            tasks = [asyncio.create_task(_attach_outcome(service.pid, go, decided)) for _ in range(2)]
            await asyncio.sleep(0.5)
            go.set()
            try:
                results = await asyncio.wait_for(asyncio.gather(*tasks), 60)
            except TimeoutError:
                outcomes["hung > 60 s"] = outcomes.get("hung > 60 s", 0) + 1
                continue
            kinds = sorted("refused" if r[0].startswith("refused") else r[0] for r in results)
            key = " + ".join(kinds)
            outcomes[key] = outcomes.get(key, 0) + 1
            winners = [adapter for text, _, adapter in results if text == "in"]
            for text, took, _ in results:
                if text.startswith("refused"):
                    loser_times.append(took)
                    named = len(winners) == 1 and f"already attached by adapter PID {winners[0]}" in text
                    messages.add("named the winner's PID" if named else text[:160])
    finally:
        await service.stop()
    slowest = fmt(max(loser_times)) if loser_times else "-"
    return f"{rounds} rounds: {outcomes}; slowest refusal {slowest}; messages: {sorted(messages)}"


async def case_second_attach_while_stopped() -> str:
    service = await Service.start()
    try:
        first, _thread_id, _frame_id = await attached_and_stopped(service)
        second, _ = await Session.open(ADAPTER)
        began = time.monotonic()
        try:
            await second.attach(service.pid, timeout=20)
            said = await second.client.event("output", 5)
            outcome = f"attach answered, then told: {said.get('output', '').strip()[:150]!r}"
        except DapError as error:
            outcome = f"refused: {error}"
        took = time.monotonic() - began
        await second.client.close(timeout=2)
        await first.client.close(timeout=2)
        return f"{outcome} after {fmt(took)}"
    finally:
        await service.stop()


async def case_attach_to_adapter_itself() -> str:
    session, _ = await Session.open(ADAPTER)
    began = time.monotonic()
    try:
        await session.attach(session.client.process.pid, timeout=10)
        outcome = f"attached after {fmt(time.monotonic() - began)}"
        took, _answer = await timed(session.client.request("pause", {"threadId": 0}, timeout=10), 10)
        outcome += f"; pause answered {fmt(took, 10)}" if took is not None else "; pause: no answer in 10 s"
    except DapError as error:
        outcome = f"refused after {fmt(time.monotonic() - began)}: {error}"
    session.client.process.kill()
    await session.client.close(timeout=2)
    return outcome


async def case_oversized_content_length() -> str:
    session, _ = await Session.open(ADAPTER)
    client = session.client
    assert client.process.stdin is not None
    client.process.stdin.write(b"Content-Length: 99999999999\r\n\r\n{}")
    took, event = await timed(client.event("output", 3), 3)
    said = event.get("output", "").strip() if isinstance(event, dict) else "no output event"
    _after, answer = await timed(client.request("threads", timeout=3), 3)
    try:
        code = await asyncio.wait_for(client.process.wait(), 3)
    except TimeoutError:
        code = "none: still running"
    await client.close(timeout=1)
    return f"output event: {said!r} ({fmt(took, 3)}); next request: {str(answer)[:80]}; adapter exit {code}"


async def case_target_exits() -> str:
    service = await Service.start("3")
    try:
        session, _ = await Session.open(ADAPTER)
        await session.attach(service.pid)
        assert service.process.stdin is not None
        service.process.stdin.close()
        await session.client.event("terminated", 10)
        exited = session.client._events["exited"]
        await session.client.close(timeout=2)
        codes = [e.get("exitCode") for e in exited]
        return f"terminated came; exited events: {codes or 'none'}"
    finally:
        await service.stop()


LEFT_BEHIND = """\
import gc, json, sys, types
def _ours(o):
    if isinstance(o, types.ModuleType):
        return o.__name__.startswith('_dapattach_agent')
    if isinstance(o, types.FunctionType):
        return o.__module__ is not None and o.__module__.startswith('_dapattach_agent')
    if isinstance(o, type):
        return o.__module__.startswith('_dapattach_agent')
    return False
left = sum(1 for o in gc.get_objects() if _ours(o))
with open(%r + '.part', 'w') as f:
    json.dump({"left": left, "collected": gc.collect()}, f)
import os
os.replace(%r + '.part', %r)
"""


async def case_detach_while_stopped_leaves(rounds: int = 10) -> str:
    service = await Service.start()
    left: list[int] = []
    try:
        for _ in range(rounds):
            session, _thread_id, _frame_id = await attached_and_stopped(service)
            await session.detach()
            with tempfile.TemporaryDirectory() as directory:
                out = Path(directory) / "out.json"
                script = Path(directory) / "probe.py"
                script.write_text(LEFT_BEHIND % (str(out), str(out), str(out)))
                os.chmod(directory, 0o755)
                await asyncio.to_thread(sys.remote_exec, service.pid, str(script))
                deadline = time.monotonic() + 10
                while not out.exists() and time.monotonic() < deadline:
                    await asyncio.sleep(0.01)
                left.append(json.loads(out.read_text())["left"] if out.exists() else -1)
        kept = [count for count in left if count]
        return (
            f"{rounds} detaches while stopped: agent objects still in memory right after {len(kept)} of them "
            f"(counts {left})"
        )
    finally:
        await service.stop()


CASES = {
    "threads-during-evaluate": case_threads_during_hung_evaluate,
    "cancel-evaluate": case_cancel_hung_evaluate,
    "kill-adapter-sleep": case_kill_adapter_mid_sleep,
    "kill-adapter-loop": case_kill_adapter_mid_loop,
    "disconnect-sleep": case_disconnect_mid_sleep,
    "disconnect-loop": case_disconnect_mid_loop,
    "continue-loop": case_continue_mid_loop,
    "variables-hanging-repr": case_variables_with_hanging_repr,
    "request-context": case_request_context,
    "concurrent-attach": case_concurrent_attach,
    "attach-while-stopped": case_second_attach_while_stopped,
    "attach-to-adapter": case_attach_to_adapter_itself,
    "content-length": case_oversized_content_length,
    "target-exits": case_target_exits,
    "detach-while-stopped": case_detach_while_stopped_leaves,
}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", help="a checkout's src/ directory to run the adapter from")
    parser.add_argument("--rounds", type=int, default=20, help="rounds of the concurrent-attach case")
    parser.add_argument("--only", help="comma-separated case names: " + ", ".join(CASES))
    options = parser.parse_args()
    if options.src:
        os.environ["PYTHONPATH"] = os.path.abspath(options.src)
    chosen = options.only.split(",") if options.only else list(CASES)
    for name in chosen:
        case = CASES[name]
        started = time.monotonic()
        try:
            result = await (case(options.rounds) if name == "concurrent-attach" else case())
        except Exception as error:
            result = f"failed: {type(error).__name__}: {error}"
        print(f"{name:26} {result}  [{time.monotonic() - started:.0f} s]", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
