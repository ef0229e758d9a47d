"""The README's main job: the demo attaches to its sample service, breaks, steps and detaches."""

import asyncio
import sys

from dapclient import ROOT


async def test_the_demo_stops_at_its_breakpoint_steps_and_leaves_the_service_running() -> None:
    demo = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "dapattach", "demo", cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    output, _ = await asyncio.wait_for(demo.communicate(), 60)
    text = output.decode()
    assert demo.returncode == 0, text
    for expected in (
        "Attached to process",
        "Stopped at the breakpoint on orders.py:26",
        "'worker-1'",
        "'worker-2'",
        "order = Order(",
        "evaluate `order.customer, len(order.items)` -> (",
        "Stepped over one line: now at price() line 27.",
        "runs on:",
    ):
        assert expected in text, f"{expected!r} missing from the demo's output:\n{text}"
    assert text.count("processed ") == 2
