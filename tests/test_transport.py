"""Transports: address parsing, the loopback warning, and `--connect` dialling a listening client."""

import asyncio
import sys

import pytest

from dapattach.transport import TransportError, is_loopback, parse_address
from dapclient import ROOT, DapClient


def test_addresses_parse_with_loopback_by_default() -> None:
    assert parse_address("5678") == ("127.0.0.1", 5678)
    assert parse_address("localhost:0") == ("localhost", 0)
    assert parse_address("[::1]:9") == ("::1", 9)
    with pytest.raises(TransportError, match="port from 0 to 65535"):
        parse_address("127.0.0.1:http")


def test_loopback_is_recognised() -> None:
    assert is_loopback("127.0.0.2") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.org")


async def test_connect_dials_the_client_and_serves_one_session() -> None:
    accepted: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    server = await asyncio.start_server(lambda r, w: accepted.put_nowait((r, w)), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *["-m", "dapattach", "--connect", f"127.0.0.1:{port}"],
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        reader, writer = await asyncio.wait_for(accepted.get(), 15)
        try:
            client = DapClient(process, "connect")
            client.attach_streams(reader, writer)
            assert (await client.initialize())["supportsConfigurationDoneRequest"] is True
            await client.request("disconnect")
            assert await client.wait_exit() == 0
            client.assert_valid()
        finally:
            writer.close()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        server.close()


async def test_connect_to_nobody_fails_with_a_clear_message() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "dapattach",
        "--connect",
        f"127.0.0.1:{port}",
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 2
    assert f"cannot connect to the client at 127.0.0.1:{port}" in stderr.decode()


async def test_listening_on_a_non_loopback_address_warns() -> None:
    client = await DapClient.start("stdio", "--listen", "0.0.0.0:0")
    try:
        await client.wait_stderr(lambda line: "not a loopback address" in line)
        host, port = await client.listening_address()
        assert host == "0.0.0.0" and port > 0
    finally:
        client.transport = "tcp"
        assert await client.close() == 0
