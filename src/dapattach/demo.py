"""`dapattach demo`: the whole product in one run, driven over DAP exactly as an editor drives it.

It starts the sample order service, attaches to it by PID, stops at a breakpoint in the pricing code
(or pauses it, if breakpoints are unavailable), prints every thread's stack and the values in the stopped
frame, evaluates an expression, steps one line, detaches, and shows the service still working.
"""

import argparse
import asyncio
import os
import re
import sys
from pathlib import Path

from dapattach.client import AdapterClient, Body, ClientError
from dapattach.samples import orders

SAMPLE = Path(orders.__file__)
STEP_WAIT = 10.0


def _breakpoint_line() -> int:
    for number, text in enumerate(SAMPLE.read_text().splitlines(), start=1):
        if "# demo breakpoint" in text:
            return number
    raise RuntimeError(f"{SAMPLE} has no '# demo breakpoint' line")


def say(text: str = "") -> None:
    print(text, flush=True)


async def _wait_line(stream: asyncio.StreamReader, pattern: str, timeout: float = 15.0) -> str:
    async with asyncio.timeout(timeout):
        while line := (await stream.readline()).decode():
            if re.search(pattern, line):
                return line.strip()
    raise RuntimeError(f"the sample exited before printing {pattern!r}")


async def _show_threads(client: AdapterClient) -> None:
    threads = (await client.request("threads"))["threads"]
    for thread in threads:
        trace = await client.request("stackTrace", {"threadId": thread["id"], "levels": 4})
        frames = trace["stackFrames"]
        total = trace.get("totalFrames", len(frames))
        shown = f"{total} frames" if total == len(frames) else f"top {len(frames)} of {total} frames"
        say(f"  thread {thread['id']} {thread['name']!r} ({shown})")
        for frame in frames:
            path = (frame.get("source") or {}).get("path", "?")
            say(f"      {frame['name']:<12} {os.path.basename(path)}:{frame['line']}")
        if total > len(frames):
            say(f"      ... {total - len(frames)} more (outer) frame(s)")


async def _show_locals(client: AdapterClient, frame_id: int) -> None:
    scopes = (await client.request("scopes", {"frameId": frame_id}))["scopes"]
    local_scope = scopes[0]["variablesReference"]
    for variable in (await client.request("variables", {"variablesReference": local_scope}))["variables"]:
        say(f"      {variable['name']} = {variable['value']}  ({variable.get('type', '')})")


async def run_demo() -> int:
    line = _breakpoint_line()
    sample = await asyncio.create_subprocess_exec(sys.executable, str(SAMPLE), stdout=asyncio.subprocess.PIPE)
    assert sample.stdout is not None
    client = await AdapterClient.start()
    try:
        await _wait_line(sample.stdout, "ready")
        say(f"1. Started the sample service {SAMPLE.name} as process {sample.pid}.")
        await client.request("initialize", {"clientID": "dapattach-demo", "adapterID": "dapattach"})
        attach = asyncio.create_task(client.request("attach", {"processId": sample.pid}))
        await client.event("initialized")
        # attach may be answered before the agent is in (a loaded machine): its breakpoints wait for it
        await client.event("output", lambda body: "Attached to process" in body.get("output", ""))
        say(f"2. Attached to process {sample.pid} over DAP; the agent is in.")
        try:
            placed = await client.request(
                "setBreakpoints", {"source": {"path": str(SAMPLE)}, "breakpoints": [{"line": line}]}
            )
        except ClientError as error:
            placed = {"breakpoints": [{"verified": False, "message": str(error)}]}
        await client.request("configurationDone")
        await attach
        stopped = await _stop(client, placed, line)
        thread_id = stopped["threadId"]
        say("4. Every thread's stack (all threads are stopped):")
        await _show_threads(client)
        top = (await client.request("stackTrace", {"threadId": thread_id, "levels": 1}))["stackFrames"][0]
        say(f"5. Values in {top['name']}() at line {top['line']}:")
        await _show_locals(client, top["id"])
        if top["name"] == "price":
            answer = await client.request(
                "evaluate",
                {"expression": "order.customer, len(order.items)", "frameId": top["id"], "context": "repl"},
            )
            say(f"6. evaluate `order.customer, len(order.items)` -> {answer['result']}")
            await client.request("next", {"threadId": thread_id})
            await client.event("stopped", timeout=STEP_WAIT)
            after = (await client.request("stackTrace", {"threadId": thread_id, "levels": 1}))["stackFrames"][
                0
            ]
            say(f"7. Stepped over one line: now at {after['name']}() line {after['line']}.")
        if placed["breakpoints"][0].get("verified"):
            await client.request("setBreakpoints", {"source": {"path": str(SAMPLE)}, "breakpoints": []})
        await client.request("disconnect", {})
        say(f"8. Detached; process {sample.pid} runs on:")
        say("   " + await _wait_line(sample.stdout, r"processed \d+ orders"))
        say("   " + await _wait_line(sample.stdout, r"processed \d+ orders"))
        return 0
    except (ClientError, TimeoutError, RuntimeError) as error:
        say(f"demo failed: {type(error).__name__}: {error}")
        return 1
    finally:
        await client.close()
        sample.kill()
        await sample.wait()


async def _stop(client: AdapterClient, placed: Body, line: int) -> Body:
    """Wait for the breakpoint; pause instead when the adapter could not place it."""
    verified = [b for b in placed.get("breakpoints", []) if b.get("verified")]
    if verified:
        stopped = await client.event("stopped", lambda body: body.get("reason") == "breakpoint")
        say(f"3. Stopped at the breakpoint on {SAMPLE.name}:{line} in thread {stopped['threadId']}.")
        return stopped
    reason = (placed.get("breakpoints") or [{}])[0].get("message", "not verified")
    say(f"3. The breakpoint could not be placed ({reason}); pausing instead.")
    threads = (await client.request("threads"))["threads"]
    await client.request("pause", {"threadId": threads[0]["id"]})
    return await client.event("stopped")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="dapattach demo", description=__doc__)
    parser.parse_args(argv)
    return asyncio.run(run_demo())
