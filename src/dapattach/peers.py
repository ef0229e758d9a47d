"""Who is on the other end of a local connection, as the kernel says (never as the peer says).

- A Unix socket: `SO_PEERCRED` gives the PID and uid of the process that connected.
- A TCP connection between two sockets of this host (and network namespace): the kernel's socket table
  (`/proc/net/tcp`, `/proc/net/tcp6`) lists the other end's socket, with its owner's uid, under the
  connection's 4-tuple seen from the other side. A peer on another host is not in it: its uid is unknown.
"""

import functools
import ipaddress
import pwd
import socket
import struct
from dataclasses import dataclass

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


def unix_peer(sock: socket.socket) -> tuple[int, int]:
    """(PID, uid) of the process that connected to the Unix socket `sock`, from `SO_PEERCRED`."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, _gid = struct.unpack("3i", raw)
    return pid, uid


def peer_of(sock: socket.socket) -> Peer:
    """The other end of a connected socket (Unix or TCP)."""
    if sock.family == socket.AF_UNIX:
        pid, uid = unix_peer(sock)
        return Peer(sock.getsockname() or "unix socket", uid, pid)
    local, remote = _address(sock.getsockname()), _address(sock.getpeername())
    return Peer(_show(remote), tcp_owner(local=remote, remote=local))


def tcp_owner(local: Address, remote: Address) -> int | None:
    """The uid owning the TCP socket of this host whose own address is `local` and whose peer is `remote`;
    None when there is none, or when no process holds it any more (closed, or not yet accepted: the
    kernel then shows uid 0 or the listener's)."""
    wanted = (_normal(local), _normal(remote))
    for row in _rows():
        if (row.local, row.remote) == wanted and row.inode != 0:
            return row.uid
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


@functools.cache
def user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)
