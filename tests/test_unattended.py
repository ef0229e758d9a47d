"""`stoppedTimeout`: a target left stopped with nobody at the editor is let go, and only then."""

import asyncio
import time
from typing import Any

import pytest

from agent_harness import TARGETS, Target
from dapattach.unattended import StoppedWatch, effective
from dapclient import DapClient
from handlers.conftest import attach_session
from handlers.conftest import showcase as showcase
from test_transport import SHOWCASE_TICK, adapter_exit

SOURCE = {"path": str(TARGETS / "showcase.py")}


def watch(all_stop: bool = True) -> StoppedWatch:
    return StoppedWatch(3600.0, all_stop, expired=lambda: None, busy=lambda: False)


async def test_all_stop_any_resume_or_continued_event_means_running() -> None:
    for resume in ("continue", "next", "stepIn", "stepOut", "goto"):
        stops = watch()
        stops.event_sent("stopped", {"reason": "breakpoint", "threadId": 7})
        stops.request_received("threads", {})
        assert stops.stopped
        stops.request_received(resume, {"threadId": 7})
        assert not stops.stopped, resume
    stops = watch()
    stops.event_sent("stopped", {"reason": "pause", "threadId": 7})
    stops.event_sent("continued", {"threadId": 7})
    assert not stops.stopped
    stops.event_sent("stopped", {"reason": "pause", "threadId": 7})
    stops.event_sent("terminated", None)
    assert not stops.stopped


async def test_non_stop_counts_threads_and_takes_an_unclear_case_for_running() -> None:
    stops = watch(all_stop=False)
    stops.event_sent("stopped", {"reason": "breakpoint", "threadId": 1})
    stops.event_sent("stopped", {"reason": "breakpoint", "threadId": 2})
    stops.request_received("continue", {"threadId": 1})
    assert stops.stopped
    stops.request_received("next", {"threadId": 2})
    assert not stops.stopped
    stops.event_sent("stopped", {"reason": "pause", "threadId": 1, "allThreadsStopped": True})
    stops.request_received("continue", {"threadId": 1})
    assert not stops.stopped  # which of the others still stand is not known: never let go on a guess


async def test_it_expires_only_stopped_and_not_while_a_request_is_answered() -> None:
    expired = asyncio.Event()
    busy = [True]
    stops = StoppedWatch(0.05, True, expired=expired.set, busy=lambda: busy[0])
    stops.event_sent("stopped", {"reason": "breakpoint", "threadId": 1})
    await asyncio.sleep(0.2)  # four times the limit, a request under way all along
    assert not expired.is_set()
    busy[0] = False
    async with asyncio.timeout(10):
        await expired.wait()
    stops.close()


async def test_it_warns_a_quarter_of_the_time_before_and_at_most_30_s() -> None:
    calls: list[tuple[str, float]] = []
    expired = asyncio.Event()

    def expire() -> None:
        calls.append(("expired", time.monotonic()))
        expired.set()

    stops = StoppedWatch(
        0.4, True, expired=expire, busy=lambda: False, warn=lambda lead: calls.append(("warn", lead))
    )
    stops.event_sent("stopped", {"reason": "breakpoint", "threadId": 1})
    async with asyncio.timeout(10):
        await expired.wait()
    assert [name for name, _ in calls] == ["warn", "expired"]
    assert calls[0][1] == pytest.approx(0.1)
    assert StoppedWatch(3600, True, expired=lambda: None, busy=lambda: False).lead == 30


def test_the_adapter_option_caps_the_sessions() -> None:
    assert effective(None, None) is None
    assert effective(600.0, None) == 600.0
    assert effective(None, 60.0) == 60.0
    assert effective(600.0, 60.0) == 60.0 and effective(30.0, 60.0) == 30.0


async def _stop_at_tick(adapter: DapClient, showcase: Target, **options: Any) -> float:
    await attach_session(adapter, showcase.pid, **options)
    await adapter.request("setBreakpoints", {"source": SOURCE, "breakpoints": [{"line": SHOWCASE_TICK}]})
    await adapter.wait_event("stopped")
    stopped_at = time.monotonic()
    showcase.drain()
    return stopped_at


async def _let_go(adapter: DapClient, showcase: Target, seconds: float, stopped_at: float) -> None:
    """The console says it is coming, then why, the editor is told the session ended, and the target
    runs on."""
    warned = await adapter.wait_event("output", lambda event: "will be let go" in event["body"]["output"])
    lead = seconds / 4
    assert (
        f"stopped for {seconds - lead:g} s with no request from the editor; in {lead:g} s"
        in (warned["body"]["output"])
    )
    assert warned["body"]["category"] == "important"
    said = await adapter.wait_event(
        "output", lambda event: "so this session lets it go" in event["body"]["output"], timeout=60
    )
    assert f"stayed stopped for {seconds:g} s" in said["body"]["output"]
    assert said["body"]["category"] == "important"
    assert adapter.events.index(warned) < adapter.events.index(said)
    await adapter.wait_event("terminated", timeout=30)
    assert time.monotonic() - stopped_at >= seconds
    await showcase.expect(r"^tick \d+$", timeout=30)
    await adapter.request("disconnect", {})  # what an editor does on `terminated`


@pytest.mark.parametrize("stop_all", [True, False], ids=["all-stop", "non-stop"])
async def test_a_target_left_stopped_with_no_request_is_let_go(
    adapter: DapClient, showcase: Target, stop_all: bool
) -> None:
    stopped_at = await _stop_at_tick(adapter, showcase, stoppedTimeout=2, stopAll=stop_all)
    await _let_go(adapter, showcase, 2, stopped_at)


async def test_each_request_starts_the_count_again(adapter: DapClient, showcase: Target) -> None:
    """A user who is there sends requests (here a `threads` every 0.3 s for three times the limit): the
    target stays stopped for them; once they stop coming, it is let go."""
    await _stop_at_tick(adapter, showcase, stoppedTimeout=1.5)
    asked = time.monotonic()
    until = asked + 4.5
    while time.monotonic() < until:
        asked = time.monotonic()
        await adapter.request("threads")
        await asyncio.sleep(0.3)  # the user's pace, not a wait for something to happen
    assert not [event for event in adapter.events if event["event"] == "terminated"]
    assert not [event for event in adapter.events if "will be let go" in str(event.get("body"))]
    await _let_go(adapter, showcase, 1.5, asked)


async def test_the_adapters_stopped_timeout_caps_the_sessions(showcase: Target) -> None:
    adapter = await DapClient.start("stdio", "--stopped-timeout", "1")
    try:
        stopped_at = await _stop_at_tick(adapter, showcase, stoppedTimeout=3600)
        await _let_go(adapter, showcase, 1, stopped_at)
        assert any("stoppedTimeout" in line for line in adapter.stderr_lines)
    finally:
        assert await adapter.close() == 0


async def test_bad_values_are_refused_with_their_name(adapter: DapClient, showcase: Target) -> None:
    await adapter.initialize()
    with pytest.raises(Exception, match=r"attach\.stoppedTimeout.*positive number of seconds"):
        await adapter.request("attach", {"processId": showcase.pid, "stoppedTimeout": 0})
    code, stderr = await adapter_exit("--stopped-timeout", "0")
    assert code == 2 and "--stopped-timeout must be a positive number of seconds" in stderr
