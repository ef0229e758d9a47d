"""Attach into containers, timed: every namespace combination, from the host and from a sidecar.

    .venv/bin/python bench/containers.py [--reps 5]

Builds the containers the tests build (`tests/containers.py`: unshare, nsenter, mount, chroot; needs root)
around `tests/targets/container_service.py`, and drives the adapter with the tests' DAP client over stdio.
Each run starts a fresh container and adapter, answers `initialize`, then times from sending `attach`
(configuration included: a breakpoint in the worker's handler) to the first `threads` answer, to the
`stopped` event of that breakpoint, and to the `variables` of its frame; then `disconnect`. Prints medians
(min-max) in milliseconds.
"""

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))

from containers import cannot_create, sidecar, start_container  # noqa: E402
from dapclient import DapClient  # noqa: E402

SERVICE = "container_service.py"
LINE = next(
    n
    for n, text in enumerate((TESTS / "targets" / SERVICE).read_text().splitlines(), 1)
    if "stop here" in text
)
ROWS: list[tuple[str, tuple[str, ...], bool]] = [
    ("host: no namespace", (), False),
    ("host: mnt", ("mnt",), False),
    ("host: pid", ("pid",), False),
    ("host: user", ("user",), False),
    ("host: net", ("net",), False),
    ("host: mnt+pid+net", ("mnt", "pid", "net"), False),
    ("host: mnt+pid+user+net", ("mnt", "pid", "user", "net"), False),
    ("sidecar: mnt+pid+net", ("mnt", "pid", "net"), True),
    ("sidecar: mnt+pid+user+net", ("mnt", "pid", "user", "net"), True),
]


async def once(kinds: tuple[str, ...], from_sidecar: bool) -> tuple[float, float, float]:
    async with start_container(SERVICE, kinds=kinds) as target:
        client = await DapClient.start("stdio", prefix=sidecar(target) if from_sidecar else ())
        await client.initialize(supportsProgressReporting=True)
        path = f"/app/{SERVICE}" if "mnt" in kinds else str(TESTS / "targets" / SERVICE)
        started = time.perf_counter()
        pid = target.pid_inside if from_sidecar else target.pid
        attach = asyncio.create_task(client.request("attach", {"processId": pid}))
        await client.wait_event("initialized")
        await client.request("setBreakpoints", {"source": {"path": path}, "breakpoints": [{"line": LINE}]})
        await client.request("configurationDone")
        await attach
        await client.request("threads")
        threads = time.perf_counter() - started
        stopped = await client.wait_event("stopped")
        hit = time.perf_counter() - started
        frame = (await client.request("stackTrace", {"threadId": stopped["body"]["threadId"]}))[
            "stackFrames"
        ][0]
        scopes = (await client.request("scopes", {"frameId": frame["id"]}))["scopes"]
        await client.request("variables", {"variablesReference": scopes[0]["variablesReference"]})
        variables = time.perf_counter() - started
        await client.request("disconnect", {})
        assert await client.close() == 0
        assert target.stderr_lines == [], target.stderr_lines
        return threads * 1000, hit * 1000, variables * 1000


def cell(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    options = parser.parse_args()
    headers = ("→ threads, ms", "→ breakpoint hit, ms", "→ variables, ms")
    print(f"{'attach to a process in':28}  " + "  ".join(f"{header:22}" for header in headers))
    for label, kinds, from_sidecar in ROWS:
        missing = [why for kind in kinds if (why := cannot_create(kind))]
        if missing:
            print(f"{label:28}  skipped: {'; '.join(missing)}")
            continue
        runs = [await once(kinds, from_sidecar) for _ in range(options.reps)]
        columns = [cell([run[index] for run in runs]) for index in range(3)]
        print(f"{label:28}  {columns[0]:22}  {columns[1]:22}  {columns[2]:22}")


if __name__ == "__main__":
    asyncio.run(main())
