"""While the agent serves requests a busy program's GIL switch interval is shorter; then it is its own again.

The target (`targets/switch_interval.py`) keeps its main thread busy and prints its interval whenever it
changes, so each test sees what the program itself sees.
"""

import os
import signal
from collections.abc import AsyncIterator

import pytest

from agent_harness import Target, attach, probe, start_target
from dapattach.attach.link import AgentLink

PROGRAM = 0.005
"""CPython's default interval, which the target starts with."""
BOOSTED = 0.0005
"""`agent/switching.py`'s BOOSTED: a test of this kind cannot import the agent into the test process."""


@pytest.fixture
async def busy() -> AsyncIterator[Target]:
    async with start_target("switch_interval.py") as target:
        await target.expect(rf"^interval {PROGRAM}$")
        yield target


async def _attached(target: Target) -> AgentLink:
    """Attached, with the main thread let go (`ready`), as the adapter does once breakpoints are set."""
    link = await attach(target)
    await link.request("ready")
    return link


async def _linger_for_a_minute(link: AgentLink) -> None:
    """Make the linger outlast the test, so only what the test does next can put the interval back."""
    expression = "setattr(__import__('sys').modules['_dapattach_agent.switching'], 'LINGER', 60.0)"
    await link.request("evaluate", {"expression": expression, "context": "repl"})


async def test_a_request_shortens_the_interval_until_requests_stop_coming(busy: Target) -> None:
    link = await _attached(busy)
    try:
        await link.request("threads")
        await busy.expect(rf"^interval {BOOSTED}$")
        await busy.expect(rf"^interval {PROGRAM}$", timeout=5.0)  # nothing asked for half a second
        await link.request("threads")
        await busy.expect(rf"^interval {BOOSTED}$")
    finally:
        await link.detach()


async def test_a_detach_gives_the_program_its_interval_back_at_once(busy: Target) -> None:
    baseline = await probe(busy.pid)
    link = await _attached(busy)
    await _linger_for_a_minute(link)
    await busy.expect(rf"^interval {BOOSTED}$")
    await link.detach()
    await busy.expect(rf"^interval {PROGRAM}$", timeout=5.0)
    assert (await probe(busy.pid))["switchinterval"] == baseline["switchinterval"] == PROGRAM


async def test_an_interval_the_program_sets_meanwhile_is_kept(busy: Target) -> None:
    link = await _attached(busy)
    await _linger_for_a_minute(link)
    await busy.expect(rf"^interval {BOOSTED}$")
    os.kill(busy.pid, signal.SIGUSR2)
    await busy.expect(r"^interval 0.002$")
    await link.detach()
    assert (await probe(busy.pid))["switchinterval"] == 0.002


async def test_a_program_with_a_shorter_interval_of_its_own_is_left_alone() -> None:
    async with start_target("switch_interval.py", "0.00025") as target:
        await target.expect(r"^interval 0.00025$")
        link = await _attached(target)
        try:
            await link.request("threads")
            shown = await link.request("evaluate", {"expression": "__import__('sys').getswitchinterval()"})
            assert shown["result"] == "0.00025"
        finally:
            await link.detach()
        assert (await probe(target.pid))["switchinterval"] == 0.00025


async def test_a_child_forked_while_the_interval_is_short_gets_the_programs_own(busy: Target) -> None:
    link = await _attached(busy)
    try:
        await _linger_for_a_minute(link)
        await busy.expect(rf"^interval {BOOSTED}$")
        os.kill(busy.pid, signal.SIGUSR1)
        await busy.expect(rf"^child {PROGRAM} parent-at-fork {BOOSTED}$")
    finally:
        await link.detach()
