"""Targets that fight back: reprs that raise, hang or never end, recursion, 10,000 frames, 200 threads,
non-ASCII names and paths. Every check goes through the real adapter over DAP, as an editor would."""

import shutil
import signal
import time
from pathlib import Path

import pytest

from agent_harness import TARGETS, start_target
from dapclient import DapClient, DapError
from handlers.conftest import attach_session, ticks_after
from hardening.conftest import detach, frame_named, locals_of, pause_all, thread_ids, until


async def watch(client: DapClient, frame_id: int, expression: str) -> dict:
    return await client.request(
        "evaluate", {"expression": expression, "frameId": frame_id, "context": "watch"}
    )


async def hold_frame(adapter: DapClient, holder: int) -> int:
    """Pause every thread; the id of the frame where the holder thread keeps the nasty values."""
    await pause_all(adapter, holder)
    return (await frame_named(adapter, holder, "hold"))["id"]


async def test_reprs_that_raise_hang_explode_or_recurse(adapter: DapClient) -> None:
    async with start_target("hard_nasty.py") as target:
        await attach_session(adapter, target.pid)
        threads = await thread_ids(adapter)
        frame_id = await hold_frame(adapter, threads["nasty-holder"])

        assert (
            "repr raised RuntimeError: this repr always fails"
            in (await watch(adapter, frame_id, "raising"))["result"]
        )
        huge = (await watch(adapter, frame_id, "huge"))["result"]
        assert huge.startswith("HHH") and len(huge) <= 1003
        assert "[...]" in (await watch(adapter, frame_id, "looped"))["result"]
        assert "{...}" in (await watch(adapter, frame_id, "mapping"))["result"]

        started = time.monotonic()
        with pytest.raises(
            DapError, match=r"interrupted \(it did not finish in 3 s\) but has not stopped yet"
        ):
            await watch(adapter, frame_id, "hanging")
        listing = await locals_of(adapter, frame_id)
        assert listing["hanging"]["value"] == "<repr timed out after 1 s>"
        assert "repr raised RuntimeError: this repr always fails" in listing["raising"]["value"]
        assert listing["名前"]["value"] == repr("データ")
        assert time.monotonic() - started < 20  # 3 s + 1 s of budgets, and no 30 s hang; loaded CI is slow
        assert (await watch(adapter, frame_id, "café"))["result"] == repr("naïve — 日本語 ✓")
        await adapter.wait_event(
            "output", lambda e: "still blocked in an earlier request" in e["body"]["output"]
        )

        await adapter.request("continue", {"threadId": threads["nasty-holder"]})
        await ticks_after(target)
        target.process.send_signal(signal.SIGUSR1)
        await target.expect(r"^RELEASED$")  # before the pause, which would hold the signal handler off
        frame_id = await hold_frame(adapter, threads["nasty-holder"])
        listing = await locals_of(adapter, frame_id)
        assert listing["hanging"]["value"] == "HangingRepr(released)"
        assert listing["名前"]["value"] == repr("データ")
        await adapter.request("continue", {"threadId": threads["nasty-holder"]})
        await detach(adapter)
        target.drain()
        await ticks_after(target)


async def test_properties_run_only_when_asked(adapter: DapClient) -> None:
    async with start_target("hard_nasty.py") as target:
        await attach_session(adapter, target.pid)
        threads = await thread_ids(adapter)
        frame_id = await hold_frame(adapter, threads["nasty-holder"])
        effects = (await watch(adapter, frame_id, "effects"))["variablesReference"]
        members = {
            v["name"]: v
            for v in (await adapter.request("variables", {"variablesReference": effects}))["variables"]
        }
        lazy = members["counted"]
        assert lazy["presentationHint"]["lazy"] is True and lazy["value"] == "property"
        assert members["calls"]["value"] == "0"
        ran = await adapter.request("variables", {"variablesReference": lazy["variablesReference"]})
        assert ran["variables"][0]["value"] == "1"
        await target.expect(r"^SIDE EFFECT 1$")
        assert not any("SIDE EFFECT" in line for line in target.lines[:-1])
        await adapter.request("continue", {"threadId": threads["nasty-holder"]})
        await detach(adapter)


async def test_ten_thousand_frames_are_paged(adapter: DapClient) -> None:
    async with start_target("hard_nasty.py") as target:
        await attach_session(adapter, target.pid)
        deep = (await thread_ids(adapter))["deep"]
        await pause_all(adapter, deep)
        started = time.monotonic()
        first = await adapter.request("stackTrace", {"threadId": deep, "startFrame": 0, "levels": 20})
        took = time.monotonic() - started
        assert took < 1.0, f"the first page of a 10,000-frame stack took {took:.2f} s"
        assert len(first["stackFrames"]) == 20 and first["totalFrames"] >= 10_000
        assert [frame["name"] for frame in first["stackFrames"]].count("recurse") >= 15
        total = first["totalFrames"]
        last = await adapter.request("stackTrace", {"threadId": deep, "startFrame": total - 5, "levels": 20})
        assert len(last["stackFrames"]) == 5
        assert "recurse" not in last["stackFrames"][-1]["name"]
        ids = {frame["id"] for frame in first["stackFrames"]} | {frame["id"] for frame in last["stackFrames"]}
        assert len(ids) == 25
        await adapter.request("continue", {"threadId": deep})
        await detach(adapter)
        target.drain()
        await ticks_after(target)


async def test_two_hundred_threads_listed_and_all_stopped(adapter: DapClient) -> None:
    async with start_target("hard_nasty.py", "--threads", "200") as target:
        await attach_session(adapter, target.pid)
        threads = await thread_ids(adapter)
        assert {f"counter-{i}" for i in range(200)} <= set(threads)
        assert {"MainThread", "ticker", "deep", "nasty-holder"} <= set(threads)
        stopped = await pause_all(adapter, threads["counter-7"])
        assert stopped["body"]["allThreadsStopped"] is True
        registry = "len(__import__('sys').modules['_dapattach_agent.suspend'].stopped())"

        async def all_stopped() -> bool:
            answer = await adapter.request("evaluate", {"expression": registry, "context": "repl"})
            return int(answer["result"]) == len(threads)

        await until(all_stopped)
        await adapter.request("continue", {"threadId": threads["counter-7"]})
        await detach(adapter)
        target.drain()
        await ticks_after(target)


async def test_non_ascii_directory_names_and_strings(adapter: DapClient, tmp_path: Path) -> None:
    directory = tmp_path / "dïr 日本 ✓"
    directory.mkdir()
    program = directory / "hard_nasty.py"
    shutil.copy(TARGETS / "hard_nasty.py", program)
    lines = program.read_text(encoding="utf-8").splitlines()
    line = (
        lines.index("def hold():") + lines[lines.index("def hold():") :].index("        stop.wait(0.01)") + 1
    )
    async with start_target(program) as target:
        await attach_session(adapter, target.pid)
        threads = await thread_ids(adapter)
        answer = await adapter.request(
            "setBreakpoints", {"source": {"path": str(program)}, "breakpoints": [{"line": line}]}
        )
        assert answer["breakpoints"][0]["verified"] is True
        stopped = await adapter.wait_event("stopped")
        assert stopped["body"]["reason"] == "breakpoint"
        assert stopped["body"]["threadId"] == threads["nasty-holder"]
        frame = (await adapter.request("stackTrace", {"threadId": threads["nasty-holder"], "levels": 1}))[
            "stackFrames"
        ][0]
        assert frame["source"]["path"] == str(program) and frame["line"] == line
        assert (await watch(adapter, frame["id"], "café"))["result"] == repr("naïve — 日本語 ✓")
        assert (await watch(adapter, frame["id"], "名前"))["result"] == repr("データ")
        await adapter.request("setBreakpoints", {"source": {"path": str(program)}, "breakpoints": []})
        await adapter.request("continue", {"threadId": threads["nasty-holder"]})
        await detach(adapter)
        target.drain()
        await ticks_after(target)
