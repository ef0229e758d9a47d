"""How much of a live service keeps answering while one request is stopped at a breakpoint.

    .venv/bin/python bench/nonstop.py [--reps N] [--window S] [--clients N]

`bench/targets/http_service.py` (a `ThreadingHTTPServer`) is loaded by N clients asking `/orders/K` in a
loop. For each mode in turn — no debugger, attached all-stop (`stopAll: true`, the default) and attached
non-stop (`stopAll: false`) — the bench counts the answers in a window of S seconds while nothing is
stopped, then sends `/orders/7`, which stops at a breakpoint (condition `number == 7`), and counts the
answers the other clients get in a window of S seconds while that request is stopped; then it continues
and detaches. Prints requests per second, median (min-max) over the repetitions. Not part of `./dev bench`.
"""

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

from dap import DapClient

BENCH = Path(__file__).resolve().parent
SERVICE = BENCH / "targets" / "http_service.py"
ORDER_LINE = next(
    n for n, text in enumerate(SERVICE.read_text().splitlines(), 1) if text.endswith("# bench:order-line")
)


async def get(port: int, number: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET /orders/{number} HTTP/1.0\r\n\r\n".encode())
        await writer.drain()
        answer = await reader.read()
        if not answer.startswith(b"HTTP/1.0 200"):
            raise RuntimeError(f"unexpected answer {answer[:80]!r}")
    finally:
        writer.close()


class Load:
    def __init__(self, port: int, clients: int) -> None:
        self.answered = 0
        self._tasks = [asyncio.create_task(self._client(port, 100 + n)) for n in range(clients)]

    async def _client(self, port: int, number: int) -> None:
        while True:
            await get(port, number)
            self.answered += 1

    async def rate(self, window: float) -> float:
        before, started = self.answered, time.monotonic()
        await asyncio.sleep(window)  # a measuring window, not synchronisation
        return (self.answered - before) / (time.monotonic() - started)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def attach(pid: int, stop_all: bool) -> DapClient:
    client = await DapClient.spawn([sys.executable, "-m", "dapattach"], "dapattach")
    await client.request("initialize", {"clientID": "bench", "adapterID": "dapattach"})
    answer = asyncio.ensure_future(
        client.response(client.send("attach", {"processId": pid, "stopAll": stop_all}), 30)
    )
    await client.event("initialized", 30)
    spec = {"line": ORDER_LINE, "condition": "number == 7"}
    await client.request("setBreakpoints", {"source": {"path": str(SERVICE)}, "breakpoints": [spec]})
    await client.request("configurationDone")
    await answer
    return client


async def one_round(mode: str, window: float, clients: int) -> tuple[float, float]:
    service = await asyncio.create_subprocess_exec(
        sys.executable, str(SERVICE), stdout=asyncio.subprocess.PIPE
    )
    assert service.stdout is not None
    port = json.loads(await service.stdout.readline())["port"]
    load = Load(port, clients)
    client = None
    try:
        if mode != "bare":
            client = await attach(service.pid, stop_all=mode == "all-stop")
        running = await load.rate(window)
        if client is None:
            stopped = await load.rate(window)
        else:
            held = asyncio.create_task(get(port, 7))
            thread = (await client.event("stopped", 30))["threadId"]
            stopped = await load.rate(window)
            await client.request("continue", {"threadId": thread})
            await asyncio.wait_for(held, 30)
            await client.request("disconnect", {"terminateDebuggee": False})
            await client.close()
        return running, stopped
    finally:
        await load.stop()
        service.kill()
        await service.wait()


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):8.0f} ({min(values):.0f}-{max(values):.0f})"


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--window", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=4)
    options = parser.parse_args()
    results: dict[str, tuple[list[float], list[float]]] = {
        m: ([], []) for m in ("bare", "all-stop", "non-stop")
    }
    modes = list(results)
    for rep in range(options.reps):
        for mode in modes[rep % 3 :] + modes[: rep % 3]:  # each mode goes first in turn
            running, stopped = await one_round(mode, options.window, options.clients)
            results[mode][0].append(running)
            results[mode][1].append(stopped)
    print(
        f"requests/s answered by the other clients ({options.clients} clients, {options.window:g} s windows, "
        f"{options.reps} repetitions; median (min-max))"
    )
    print(f"{'mode':10} {'nothing stopped':>24} {'one request stopped':>24}")
    for mode, (running, stopped) in results.items():
        label = "bare" if mode == "bare" else mode
        print(f"{label:10} {summary(running):>24} {summary(stopped):>24}")


if __name__ == "__main__":
    asyncio.run(main())
