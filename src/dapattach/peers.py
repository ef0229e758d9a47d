"""Who is on the other end of a local connection, as the kernel says (never as the peer says).

- A Unix socket: `SO_PEERCRED` (Linux) gives the PID and uid of the process that connected; on macOS
  `LOCAL_PEERPID` gives the PID and `LOCAL_PEERCRED` the uid.
- A TCP connection between two sockets of this host (and network namespace): the kernel's socket table
  (`/proc/net/tcp`, `/proc/net/tcp6`) lists the other end's socket, with its owner's uid and its inode,
  under the connection's 4-tuple seen from the other side; the process holding that inode is the one
  with `socket:[inode]` among its descriptors. A peer on another host is not in it: its uid is unknown.
  Elsewhere psutil reads the system's own table (macOS: `proc_pidfdinfo` per descriptor, root for other
  users' processes; Windows: `GetExtendedTcpTable`, which names each socket's owning PID).
"""

import contextlib
import ipaddress
import os
import socket
import struct
import sys
from dataclasses import dataclass
from typing import Any

from dapattach import host
from dapattach.host import user_name as user_name

type Address = tuple[str, int]

SOCKET_TABLES = ("/proc/net/tcp", "/proc/net/tcp6")


@dataclass(frozen=True)
class Peer:
    address: str
    """How to name it in a log line: `127.0.0.1:45678`, or the Unix socket's path."""
    uid: int | None
    """The uid that owns the other end; None when it is not a socket of this host."""
    pid: int | None = None

    def __str__(self) -> str:
        if self.uid is None:
            return f"{self.address} (not a process of this host, or not visible from here)"
        who = f"{self.address}, uid {self.uid} ({user_name(self.uid)})"
        return f"{who}, PID {self.pid}" if self.pid else who


SOL_LOCAL, LOCAL_PEERCRED, LOCAL_PEERPID = 0, 1, 2
"""macOS's `<sys/un.h>` (CPython does not name them)."""


def unix_peer(sock: socket.socket) -> tuple[int, int]:
    """(PID, uid) of the process that connected to the Unix socket `sock`, as the kernel recorded them
    when it connected."""
    if sys.platform == "linux":
        raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        pid, uid, _gid = struct.unpack("3i", raw)
        return pid, uid
    if sys.platform == "darwin":
        (pid,) = struct.unpack("i", sock.getsockopt(SOL_LOCAL, LOCAL_PEERPID, 4))
        _version, uid = struct.unpack_from("II", sock.getsockopt(SOL_LOCAL, LOCAL_PEERCRED, 76))
        return pid, uid
    raise OSError(f"no way to ask who is on the other end of a Unix socket on {sys.platform}")


def peer_of(sock: socket.socket) -> Peer:
    """The other end of a connected socket (Unix or TCP)."""
    if sock.family == getattr(socket, "AF_UNIX", None):
        pid, uid = unix_peer(sock)
        return Peer(sock.getsockname() or "unix socket", uid, pid)
    local, remote = _address(sock.getsockname()), _address(sock.getpeername())
    return Peer(_show(remote), tcp_owner(local=remote, remote=local))


def tcp_owner(local: Address, remote: Address) -> int | None:
    """The uid owning the TCP socket of this host whose own address is `local` and whose peer is `remote`;
    None when there is none, or when no process holds it any more (closed, or not yet accepted: the
    kernel then shows uid 0 or the listener's)."""
    if not host.LINUX:
        return _owner_elsewhere(local, remote)
    wanted = (_normal(local), _normal(remote))
    for row in _rows():
        if (row.local, row.remote) == wanted and row.inode != 0:
            return row.uid
    return None


def held_by(pid: int, local: Address, remote: Address) -> bool:
    """Whether process `pid` holds the TCP socket whose own address is `local` and whose peer is `remote`
    (the other end of a connection we accepted, with `local` its address and `remote` ours)."""
    wanted = (_normal(local), _normal(remote))
    if not host.LINUX:
        return any(
            (_normal(connection.laddr[:2]), _normal(connection.raddr[:2])) == wanted
            for connection in _connections(pid)
        )
    inodes = {row.inode for row in _rows() if (row.local, row.remote) == wanted and row.inode != 0}
    if not inodes:
        return False
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    held = {f"socket:[{inode}]" for inode in inodes}
    for fd in descriptors:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{pid}/fd/{fd}") in held:
                return True
    return False


def tcp_holder(local: Address, remote: Address) -> tuple[int, int | None] | None:
    """(PID, uid) of a process holding the TCP socket whose own address is `local` and whose peer is
    `remote`, for saying who a refused connection came from; None when the system does not tell us."""
    wanted = (_normal(local), _normal(remote))
    for connection in _connections(None):
        if (_normal(connection.laddr[:2]), _normal(connection.raddr[:2])) == wanted and connection.pid:
            psutil = host.psutil()
            uid = None
            with contextlib.suppress(psutil.Error, AttributeError):
                uid = int(psutil.Process(connection.pid).uids().effective)
            return int(connection.pid), uid
    return None


def _connections(pid: int | None) -> list[Any]:
    """The TCP connections psutil sees, of process `pid` or of every process; [] when it may not look."""
    psutil = host.psutil()
    try:
        if pid is None:
            return [c for c in psutil.net_connections("tcp") if c.raddr]
        return [c for c in psutil.Process(pid).net_connections("tcp") if c.raddr]
    except psutil.Error:
        return []


def _owner_elsewhere(local: Address, remote: Address) -> int | None:
    wanted = (_normal(local), _normal(remote))
    for connection in _connections(None):
        ends = (_normal(connection.laddr[:2]), _normal(connection.raddr[:2]))
        if ends == wanted and connection.pid:
            psutil = host.psutil()
            with contextlib.suppress(psutil.Error, AttributeError):
                return int(psutil.Process(connection.pid).uids().effective)
    return None


def listener_owner(server: Address, client: Address) -> int | None:
    """The uid of the program that took (or will take) our connection from `client` to `server`: the
    socket that accepted it, else the socket listening on that port. None when neither is there."""
    accepted = tcp_owner(local=server, remote=client)
    if accepted is not None:
        return accepted
    host, port = _normal(server)
    for row in _rows():
        if row.state == LISTEN and row.local[1] == port and row.local[0] in (host, "0.0.0.0", "::"):
            return row.uid if row.inode != 0 else None
    return None


@dataclass(frozen=True)
class Row:
    local: Address
    remote: Address
    state: int
    uid: int
    inode: int


LISTEN = 0x0A


def _rows() -> list[Row]:
    rows: list[Row] = []
    for path in SOCKET_TABLES:
        try:
            with open(path, encoding="ascii") as table:
                rows += parse_socket_table(table.read())
        except OSError:
            continue
    return rows


def parse_socket_table(text: str) -> list[Row]:
    """Every row of a `/proc/net/tcp{,6}` table, addresses normalised."""
    rows = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10:
            continue
        local, remote = _decode(fields[1]), _decode(fields[2])
        rows.append(Row(local, remote, int(fields[3], 16), int(fields[7]), int(fields[9])))
    return rows


def _decode(hex_address: str) -> Address:
    """`0100007F:1F90` → ("127.0.0.1", 8080). The kernel prints the address as 32-bit words in host order."""
    address, _, port = hex_address.partition(":")
    raw = bytes.fromhex(address)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    ip = ipaddress.ip_address(words) if len(words) == 4 else ipaddress.IPv6Address(words)
    return _normal((str(ip), int(port, 16)))


def _normal(address: Address) -> Address:
    """IPv4-mapped IPv6 addresses (a dual-stack socket's view of an IPv4 peer) as plain IPv4."""
    ip = ipaddress.ip_address(address[0].split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip), address[1]


def _address(name: tuple[str, int] | tuple[str, int, int, int]) -> Address:
    return name[0], name[1]


def _show(address: Address) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
