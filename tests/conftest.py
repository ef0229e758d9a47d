"""Shared fixtures: `adapter` runs the adapter subprocess over each transport (stdio and TCP)."""

import signal
from collections.abc import AsyncIterator

import pytest

import interpreters
from dapclient import SCHEMA_PATH, DapClient


def pytest_configure() -> None:
    """Targets get Ctrl-C as a user's program does, however the suite was started: a shell runs a
    background job (`cmd &`, `nohup`) with SIGINT ignored, children inherit that through exec, and a
    Python started so installs no KeyboardInterrupt handler. A handled signal is reset on exec."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_report_header() -> list[str]:
    """Say which interpreters the run uses, so a skipped version is visible at the top of the output."""
    return [
        f"targets on Python 3.14: {interpreters.PY314}",
        f"targets on Python 3.15: {interpreters.PY315 or 'none found (3.15 tests skip)'}",
        f"adapter on Python 3.15: {interpreters.ADAPTER_PY315 or 'none found (those tests skip)'}",
        f"DAP schema: {SCHEMA_PATH}" + ("" if SCHEMA_PATH.is_file() else " (MISSING)"),
    ]


@pytest.fixture(params=["stdio", "tcp"])
async def adapter(request: pytest.FixtureRequest) -> AsyncIterator[DapClient]:
    """A started adapter connected over `request.param`; stopped and checked for clean exit afterwards."""
    client = await DapClient.start(request.param)
    yield client
    code = await client.close()
    client.assert_valid()
    assert code == 0, f"adapter exited with {code}; stderr: {client.stderr_lines}"
