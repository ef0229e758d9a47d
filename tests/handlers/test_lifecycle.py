"""Lifecycle handlers with the adapter's real handler table, over a real socket pair."""

import asyncio

from dapattach.handlers import build_table
from dapattach.protocol import types
from dapclient import SessionPeer


async def test_initialize_only_once() -> None:
    async with SessionPeer(build_table()) as peer:
        assert (await peer.request("initialize", {"adapterID": "t"})).success
        again = await peer.request("initialize", {"adapterID": "t"})
        assert again.success is False and "only once" in again.message
        assert peer.session.client == types.InitializeRequestArguments(adapter_id="t")


async def test_configuration_done_releases_waiters() -> None:
    async with SessionPeer(build_table()) as peer:
        await peer.request("initialize", {"adapterID": "t"})
        assert not peer.session.configured.is_set()
        assert (await peer.request("configurationDone")).success
        assert peer.session.configured.is_set()


async def test_disconnect_runs_cleanups_answers_then_ends_the_session() -> None:
    seen: list[types.DisconnectArguments] = []

    async def detach(arguments: types.DisconnectArguments) -> None:
        seen.append(arguments)

    async with SessionPeer(build_table()) as peer:
        await peer.request("initialize", {"adapterID": "t"})
        peer.session.add_cleanup(detach)
        response = await peer.request("disconnect", {"terminateDebuggee": False, "restart": False})
        assert response.success
        await asyncio.wait_for(peer.task, 5)
        assert seen == [types.DisconnectArguments(restart=False, terminate_debuggee=False)]
        assert await peer.reader.read() == b""


async def test_terminate_and_cancel_of_nothing_are_harmless() -> None:
    async with SessionPeer(build_table()) as peer:
        await peer.request("initialize", {"adapterID": "t"})
        assert (await peer.request("terminate", {})).success
        assert (await peer.request("cancel", {"requestId": 999})).success
        assert (await peer.request("cancel", {"progressId": "p"})).success
        assert (await peer.request("configurationDone")).success
