"""Transports: addresses, `--connect` dialling a listening client, and who is served over `--listen`
(TCP and Unix sockets) and `--connect`: real connections of real users."""

import asyncio
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agent_harness import TARGETS, Target, start_target
from dapattach.transport import TransportError, UnixAddress, is_loopback, parse_address, parse_listen
from dapclient import ROOT, DapClient
from handlers.conftest import attach_session
from handlers.conftest import showcase as showcase
from interpreters import PY314
from users import AS_NOBODY, HOSTILE, NOBODY, OTHER, as_user, needs_root, reachable_tmp


def test_addresses_parse_with_loopback_by_default() -> None:
    assert parse_address("5678") == ("127.0.0.1", 5678)
    assert parse_address("localhost:0") == ("localhost", 0)
    assert parse_address("[::1]:9") == ("::1", 9)
    with pytest.raises(TransportError, match="port from 0 to 65535"):
        parse_address("127.0.0.1:http")
    assert parse_listen("unix:/run/dap.sock") == UnixAddress("/run/dap.sock")
    assert parse_listen("[::1]:0") == ("::1", 0)


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


async def adapter_exit(*options: str) -> tuple[int | None, str]:
    """Run the adapter with `options` until it exits on its own; its exit code and stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "dapattach", *options, stdin=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), 15)
    return process.returncode, stderr.decode()


async def test_a_non_loopback_address_needs_the_token_option() -> None:
    code, stderr = await adapter_exit("--listen", "0.0.0.0:0")
    assert code == 2
    assert "not listening on 0.0.0.0: peers on other hosts cannot be identified" in stderr
    assert "--allow-token" in stderr
    client = await DapClient.start("stdio", "--listen", "0.0.0.0:0", "--allow-token")
    try:
        await client.wait_stderr(lambda line: '"token": "' in line)
        host, port = await client.listening_address()
        assert host == "0.0.0.0" and port > 0
        await client.connect_tcp("127.0.0.1", port)
        assert (await client.initialize())["supportsConfigurationDoneRequest"] is True, (
            "our own user is served"
        )
    finally:
        client.transport = "tcp"
        assert await client.close() == 0


async def test_the_allow_options_need_a_network_transport() -> None:
    code, stderr = await adapter_exit("--allow-user", "nobody")
    assert code == 2 and "apply to --listen and --connect only" in stderr
    code, stderr = await adapter_exit("--listen", "0", "--allow-user", "no-such-user")
    assert code == 2 and "--allow-user no-such-user: there is no such user on this system" in stderr


async def test_a_peer_timeout_under_a_second_is_refused() -> None:
    code, stderr = await adapter_exit("--listen", "0", "--peer-timeout", "0.2")
    assert code == 2 and "--peer-timeout must be at least 1 second" in stderr


async def as_user_client(
    address: str, requests: list[tuple[str, dict[str, Any]]], uid: int = NOBODY
) -> list[Any]:
    """What another user's DAP client gets: one parsed line per response, then `{"closed": true}`."""
    done = await asyncio.to_thread(
        subprocess.run,
        [*as_user(uid), PY314, str(HOSTILE / "dap_client.py"), address, json.dumps(requests)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


@needs_root
async def test_listen_serves_its_own_user_and_refuses_others_saying_what_to_do(showcase: Target) -> None:
    adapter = await DapClient.start("tcp")
    try:
        await attach_session(adapter, showcase.pid)
        host, port = await adapter.listening_address()
        answers = await as_user_client(f"{host}:{port}", [("initialize", {}), ("threads", {})])
        assert answers[0]["success"] is False and answers[1:] == [{"closed": True}]
        assert answers[0]["message"].startswith(
            "dapattach refused this connection: it comes from uid 65534 (nobody), and this adapter serves "
            "only uid 0 (root). Because whoever talks to it can run code in every process it can attach to, "
            "other users need the adapter started with --allow-user nobody"
        )
        warning = await adapter.wait_stderr(lambda line: "refused 'initialize'" in line)
        assert f"from {host}:" in warning and "uid 65534 (nobody)" in warning
        threads = (await adapter.request("threads"))["threads"]
        assert showcase.pid in [thread["id"] for thread in threads], "the adapter's own session goes on"
    finally:
        assert await adapter.close() == 0


@needs_root
async def test_an_allowed_user_is_served() -> None:
    async with start_target("showcase.py", run_as=AS_NOBODY) as target:
        adapter = await DapClient.start("tcp", "--allow-user", "nobody")
        try:
            host, port = await adapter.listening_address()
            answers = await as_user_client(
                f"{host}:{port}",
                [("initialize", {}), ("attach", {"processId": target.pid}),
                 ("evaluate", {"expression": "__import__('os').getuid()", "context": "repl"})],
            )  # fmt: skip
            assert [answer["success"] for answer in answers[:3]] == [True, True, True]
            assert answers[2]["body"]["result"] == str(NOBODY)
        finally:
            assert await adapter.close() == 0


@needs_root
async def test_with_the_token_option_another_user_is_served_only_with_the_token(
    showcase: Target, tmp_path: Path
) -> None:
    adapter = await DapClient.start("tcp", "--allow-token", "--log-dir", str(tmp_path))
    try:
        said = await adapter.wait_stderr(lambda line: '"token": "' in line)
        token = re.search(r'"token": "([^"]+)"', said)[1]  # type: ignore[index]
        host, port = await adapter.listening_address()
        address = f"{host}:{port}"
        attach = ("attach", {"processId": showcase.pid})
        without = await as_user_client(address, [("initialize", {}), attach, ("threads", {})])
        assert without[0]["success"] is True, "initialize is answered: capabilities, as for everyone"
        assert (
            without[1]["success"] is False
            and 'the attach arguments carry no "token"' in without[1]["message"]
        )
        assert without[2:] == [{"closed": True}]
        early = await as_user_client(address, [("initialize", {}), ("threads", {})])
        assert "send the token in the attach arguments before 'threads'" in early[1]["message"]
        wrong = await as_user_client(address, [("initialize", {}), ("attach", {**attach[1], "token": "x"})])
        assert "the token in the attach arguments is wrong" in wrong[1]["message"]
        right = await as_user_client(
            address,
            [("initialize", {}), ("attach", {**attach[1], "token": token}),
             ("evaluate", {"expression": "6 * 7", "context": "repl"})],
        )  # fmt: skip
        assert [answer["success"] for answer in right[:3]] == [True, True, True]
        assert right[2]["body"]["result"] == "42"
    finally:
        assert await adapter.close() == 0
    files = "".join(path.read_text() for path in tmp_path.iterdir())
    assert token not in files and '"token": "(not logged)"' in files, (
        "the token is printed once, never logged"
    )


@needs_root
async def test_a_unix_socket_is_private_unless_others_are_allowed() -> None:
    with reachable_tmp() as folder:
        path = folder / "dap.sock"
        with socket.socket(socket.AF_UNIX) as left_behind:  # as by an adapter that was killed
            left_behind.bind(str(path))
        adapter = await DapClient.start(f"unix:{path}")
        try:
            assert (stat.S_IMODE(path.stat().st_mode), path.stat().st_uid) == (0o600, 0)
            assert (await adapter.initialize())["supportsConfigurationDoneRequest"] is True
            answers = await as_user_client(f"unix:{path}", [("initialize", {})])
            assert answers == [{"error": "PermissionError: [Errno 13] Permission denied"}]
        finally:
            assert await adapter.close() == 0
        assert not path.exists(), "the socket file goes with the adapter"
        adapter = await DapClient.start(f"unix:{path}", "--allow-user", "nobody")
        try:
            assert stat.S_IMODE(path.stat().st_mode) == 0o666
            assert (await as_user_client(f"unix:{path}", [("initialize", {})]))[0]["success"] is True
            other = await as_user_client(f"unix:{path}", [("initialize", {})], uid=OTHER)
            assert other[0]["success"] is False and f"it comes from uid {OTHER}" in other[0]["message"]
            warning = await adapter.wait_stderr(lambda line: "refused 'initialize'" in line)
            assert f"uid {OTHER}" in warning and "PID" in warning
        finally:
            assert await adapter.close() == 0


LISTENER = """\
import json, socket
with socket.create_server(("127.0.0.1", 0)) as server:
    print(server.getsockname()[1], flush=True)
    connection, _ = server.accept()
    initialize = {"seq": 1, "type": "request", "command": "initialize", "arguments": {"adapterID": "x"}}
    request = json.dumps(initialize).encode()
    data = b""
    try:
        connection.sendall(b"Content-Length: %d\\r\\n\\r\\n%s" % (len(request), request))
        while b"\\r\\n\\r\\n" not in data and (chunk := connection.recv(65536)):
            data += chunk
        head, _, body = data.partition(b"\\r\\n\\r\\n")
        while head and len(body) < int(head.split(b":")[1]) and (chunk := connection.recv(65536)):
            body += chunk
        print("served" if json.loads(body)["success"] else "refused", flush=True)
    except (ConnectionError, ValueError, IndexError):
        print("closed", flush=True)
"""


@needs_root
@pytest.mark.parametrize("allowed", [False, True])
async def test_connect_talks_only_to_a_listener_of_a_served_user(allowed: bool) -> None:
    listener = await asyncio.create_subprocess_exec(
        *AS_NOBODY, PY314, "-c", LISTENER, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert listener.stdout is not None
        port = int(await listener.stdout.readline())
        options = ("--allow-user", "nobody") if allowed else ()
        code, stderr = await adapter_exit("--connect", f"127.0.0.1:{port}", *options)
        said = (await listener.stdout.readline()).decode().strip()
        if allowed:
            assert (code, said) == (0, "served"), stderr
        else:
            assert (code, said) == (2, "closed")
            assert (
                f"not talking DAP to 127.0.0.1:{port}: the program listening there runs as uid 65534 (nobody)"
                in stderr
            )
    finally:
        if listener.returncode is None:
            listener.kill()
        await listener.wait()


SHOWCASE_TICK = next(
    number
    for number, text in enumerate((TARGETS / "showcase.py").read_text().splitlines(), 1)
    if 'say(f"tick {count}"' in text
)
OWN_NETWORK = ["unshare", "--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"]
"""A command prefix: run in a network namespace of its own, with only its loopback, up."""


async def dial_into_its_network(
    pid: int, host: str, port: int
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to `host:port` in the network namespace of process `pid`: a socket belongs to the namespace
    of the thread that made it, and only that worker thread enters the other one for the moment."""

    def connect() -> socket.socket:
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        theirs = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
        try:
            os.setns(theirs, os.CLONE_NEWNET)
            try:
                return socket.create_connection((host, port), timeout=10)
            finally:
                os.setns(own, os.CLONE_NEWNET)
        finally:
            os.close(own)
            os.close(theirs)

    sock = await asyncio.to_thread(connect)
    sock.setblocking(False)
    return await asyncio.open_connection(sock=sock)


@needs_root
@pytest.mark.skipif(
    shutil.which("ip") is None or shutil.which("unshare") is None, reason="needs ip and unshare"
)
@pytest.mark.direct_only(
    "the adapter has a network of its own, where a TCP channel from the target cannot reach"
)
async def test_a_client_that_stops_answering_is_let_go_and_the_target_runs_on(showcase: Target) -> None:
    """The editor's machine vanishes (asleep, off the network) while the target is stopped at a
    breakpoint: no reset ever comes, yet after about `--peer-timeout` seconds the adapter takes the client
    for gone, detaches, and the target runs on. Its loopback taken down, the adapter's namespace drops
    every packet of the connection, as a network that has gone does."""
    adapter = await DapClient.start(
        "tcp", "--peer-timeout", "2", prefix=OWN_NETWORK, dial=dial_into_its_network
    )
    try:
        await attach_session(adapter, showcase.pid)
        source = {"path": str(TARGETS / "showcase.py")}
        await adapter.request("setBreakpoints", {"source": source, "breakpoints": [{"line": SHOWCASE_TICK}]})
        await adapter.wait_event("stopped")
        showcase.drain()
        network = ["nsenter", "-t", str(adapter.process.pid), "-n"]
        subprocess.run([*network, "ip", "link", "set", "lo", "down"], check=True)
        await showcase.expect(r"^tick \d+$", timeout=30)
        said = await adapter.wait_stderr(lambda line: "the client stopped answering" in line)
        assert "is detached and runs on" in said
        assert await adapter.close() == 0
        assert not [line for line in adapter.stderr_lines if "Traceback" in line], adapter.stderr_lines
    finally:
        await adapter.close()
