"""A child session that cannot claim its process ends at once and says why; it never attaches on its own."""

import asyncio

from agent_harness import start_target
from dapclient import DapClient
from subprocesses.conftest import PREFORK, attach_tree, output, workers_of


async def claim_session(client: DapClient, configuration: dict[str, object]) -> None:
    await client.initialize()
    attach = asyncio.create_task(client.request("attach", configuration))
    await client.wait_event("initialized")
    await client.request("configurationDone")
    await attach


async def test_a_child_session_whose_parent_session_is_gone_ends(adapter: DapClient) -> None:
    async with start_target(PREFORK, "1") as server:
        [worker] = workers_of(server)
        of = {"processId": server.pid, "socket": "/nonexistent/subprocesses.sock", "token": "0" * 32}
        await claim_session(adapter, {"processId": worker, "subProcessOf": of})
        said = await output(adapter, f"Process {worker} is not debugged in this session")
        assert f"the session of process {server.pid} that found process {worker} is gone" in said
        assert f'"processId": {worker}' in said
        await adapter.wait_event("terminated")
        assert not [e for e in adapter.events if e["event"] == "exited"]


async def test_a_claim_with_a_wrong_token_is_refused(adapter: DapClient) -> None:
    async with start_target(PREFORK, "1") as server:
        [worker] = workers_of(server)
        await attach_tree(adapter, server.pid)
        [child] = await adapter.wait_children(1)
        forged = dict(child.configuration["subProcessOf"]) | {"token": "f" * 32}
        intruder = await DapClient.start("stdio")
        try:
            await claim_session(intruder, {"processId": worker, "subProcessOf": forged})
            said = await output(intruder, f"Process {worker} is not debugged in this session")
            assert "no such child" in said
            await intruder.wait_event("terminated")
            assert (await child.request("threads"))["threads"]  # the real child session is unaffected
        finally:
            assert await intruder.close() == 0
