"""Shared fixtures: `adapter` runs the adapter subprocess over each transport (stdio and TCP)."""

from collections.abc import AsyncIterator

import pytest

from dapclient import DapClient


@pytest.fixture(params=["stdio", "tcp"])
async def adapter(request: pytest.FixtureRequest) -> AsyncIterator[DapClient]:
    """A started adapter connected over `request.param`; stopped and checked for clean exit afterwards."""
    client = await DapClient.start(request.param)
    yield client
    code = await client.close()
    client.assert_valid()
    assert code == 0, f"adapter exited with {code}; stderr: {client.stderr_lines}"
