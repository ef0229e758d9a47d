"""Shared fixtures: `adapter` runs the adapter subprocess over each transport (stdio and TCP).

`--driver portable` runs everything with the portable attach driver (`sys.remote_exec` by the target's own
interpreter) instead of the direct one, and `--channel tcp` gives it the loopback TCP agent channel that
Windows uses; both are handed to the adapters the tests start through `DAPATTACH_DRIVER` and
`DAPATTACH_CHANNEL`. Tests of what only the direct driver can do are marked `direct_only(reason)` and skip
with that reason in such a run.
"""

import os
import signal
from collections.abc import AsyncIterator

import pytest

import interpreters
from dapclient import SCHEMA_PATH, DapClient


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--driver",
        choices=("direct", "portable"),
        help="the attach driver every attach uses (default: the platform's)",
    )
    parser.addoption("--channel", choices=("unix", "tcp"), help="the portable driver's agent channel")


def pytest_configure(config: pytest.Config) -> None:
    """Targets get Ctrl-C as a user's program does, however the suite was started: a shell runs a
    background job (`cmd &`, `nohup`) with SIGINT ignored, children inherit that through exec, and a
    Python started so installs no KeyboardInterrupt handler. A handled signal is reset on exec."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    config.addinivalue_line(
        "markers", "direct_only(reason): needs the direct PEP 768 writer; skipped with --driver portable"
    )
    for option, variable in (("driver", "DAPATTACH_DRIVER"), ("channel", "DAPATTACH_CHANNEL")):
        if value := config.getoption(option):
            os.environ[variable] = value


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("DAPATTACH_DRIVER") != "portable":
        return
    for item in items:
        if (marker := item.get_closest_marker("direct_only")) is not None:
            item.add_marker(pytest.mark.skip(reason=f"needs the direct driver: {marker.args[0]}"))


def pytest_report_header() -> list[str]:
    """Say which interpreters the run uses, so a skipped version is visible at the top of the output."""
    return [
        f"attach driver: {os.environ.get('DAPATTACH_DRIVER') or 'the platform default'}"
        + (
            f", agent channel {os.environ['DAPATTACH_CHANNEL']}"
            if os.environ.get("DAPATTACH_CHANNEL")
            else ""
        ),
        f"targets run on {interpreters.TARGET}, adapter processes on {interpreters.ADAPTER}"
        + (" (DAPATTACH_TARGETS_ON=3.15)" if interpreters.ON_315 else ""),
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
