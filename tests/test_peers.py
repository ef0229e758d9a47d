"""The kernel names the user at the other end of a local connection: the socket table for TCP (IPv4,
IPv6, dual-stack), SO_PEERCRED for Unix sockets; a peer that is not in the table has no uid."""

import os
import socket
import subprocess

import pytest

from dapattach.peers import Peer, parse_socket_table, peer_of, tcp_owner
from interpreters import PY314
from users import AS_NOBODY, NOBODY, needs_root

TABLE = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:8CDD 0100007F:AD9C 01 00000000:00000000 00:00000000 00000000     0        0 114572 1
   1: 0100007F:AD9C 0100007F:8CDD 01 00000000:00000000 00:00000000 00000000 65534        0 114789 1
"""
TABLE6 = """\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:D431 01 00000000:00000000 00:00000000 00000000  1000        0 1 1
   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:D432 01 00000000:00000000 00:00000000 00000000  1001        0 1 1
"""  # noqa: E501


def test_the_socket_tables_decode_to_addresses_and_owners() -> None:
    assert [(row.local, row.remote, row.uid) for row in parse_socket_table(TABLE)] == [
        (("127.0.0.1", 36061), ("127.0.0.1", 44444), 0),
        (("127.0.0.1", 44444), ("127.0.0.1", 36061), NOBODY),
    ]
    assert [(row.local, row.remote, row.uid) for row in parse_socket_table(TABLE6)] == [
        (("::1", 8080), ("::1", 54321), 1000),
        (("127.0.0.1", 8080), ("127.0.0.1", 54322), 1001),
    ]


CLIENT = """\
import socket, sys
with socket.create_connection((sys.argv[1], int(sys.argv[2]))) as sock:
    print(sock.getsockname()[1], flush=True)
    sys.stdin.read()
"""


@needs_root
@pytest.mark.parametrize(("family", "host"), [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")])
def test_a_loopback_client_of_another_user_is_named(family: socket.AddressFamily, host: str) -> None:
    with socket.socket(family) as server:
        server.bind((host, 0))
        server.listen()
        port = server.getsockname()[1]
        with subprocess.Popen(
            [*AS_NOBODY, PY314, "-c", CLIENT, host, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        ) as client:
            connection, _ = server.accept()
            with connection:
                peer = peer_of(connection)
                assert peer.uid == NOBODY and peer.address.endswith(f":{connection.getpeername()[1]}")
                assert f"uid {NOBODY} (nobody)" in str(peer)
                assert client.stdin is not None
                client.stdin.close()


def test_our_own_loopback_and_unix_connections_are_ours() -> None:
    with (
        socket.create_server(("127.0.0.1", 0)) as server,
        socket.create_connection(server.getsockname()) as client,
    ):
        connection, _ = server.accept()
        with connection:
            assert peer_of(connection).uid == os.geteuid()
            assert tcp_owner(local=client.getpeername(), remote=client.getsockname()) == os.geteuid()
    left, right = socket.socketpair()
    with left, right:
        assert peer_of(left) == Peer(peer_of(left).address, os.geteuid(), os.getpid())


def test_a_peer_that_is_gone_has_no_uid() -> None:
    assert tcp_owner(local=("127.0.0.1", 1), remote=("127.0.0.1", 2)) is None
    assert "not a process of this host" in str(Peer("10.1.2.3:4567", None))
