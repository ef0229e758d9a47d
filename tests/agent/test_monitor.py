"""The agent's sys.monitoring tool id: it never takes one another tool holds."""

import pytest

from agent_harness import attach, probe, start_target
from dapattach.attach.attempt import inject_agent
from dapattach.attach.checks import AttachError


async def test_a_held_debugger_id_makes_the_agent_take_a_free_one() -> None:
    async with start_target("tool_holder.py", "0") as target:
        link = await attach(target)
        await link.request("ready", {})
        seen = await probe(target.pid)
        await link.detach()
        after = await probe(target.pid)
    assert "dapattach" in str(seen["tools"]) and "other-profiler-0" in str(seen["tools"])
    assert "dapattach" not in str(after["tools"]) and "other-profiler-0" in str(after["tools"])


async def test_no_free_tool_id_is_refused_naming_the_holders() -> None:
    async with start_target("tool_holder.py", "0,3,4") as target:
        with pytest.raises(AttachError) as error:
            await inject_agent(target.pid, timeout=10)
    message = str(error.value)
    assert f"process {target.pid}" in message and "no free sys.monitoring tool id" in message
    assert "other-profiler-0" in message and "other-profiler-4" in message
