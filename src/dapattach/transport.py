"""The byte streams a session runs over: stdio (default), `--listen HOST:PORT | unix:PATH`, `--connect`.

This is the only asyncio I/O module of the adapter's DAP side; sessions see a `Connection` (and, for a
peer that was not admitted at once, the `Gate` that `access.Access` chose for it) and nothing else. Every
message is written with one `write()` call and TCP sockets get TCP_NODELAY, so a message never waits on
Nagle's algorithm and the peer's delayed ACK.
"""

import asyncio
import contextlib
import logging
import os
import socket
import stat
import sys
from collections.abc import Awaitable, Callable
from typing import BinaryIO

from attrs import frozen

from dapattach import peers
from dapattach.access import Access
from dapattach.host import user_name
from dapattach.session import Connection, Gate

log = logging.getLogger("dapattach.transport")

type RunSession = Callable[[Connection, Gate | None], Awaitable[None]]


@frozen
class UnixAddress:
    path: str


READ_SIZE = 256 * 1024
PEER_TIMEOUT = 30.0
"""Seconds after which a TCP client that stopped answering counts as gone (`--peer-timeout`)."""


class TransportError(Exception):
    """A transport could not be set up; the message says what to change."""


class StreamConnection:
    """A `Connection` over an asyncio stream pair (TCP)."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer_timeout: float = PEER_TIMEOUT
    ) -> None:
        self.reader = reader
        self.writer = writer
        sock = writer.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            notice_silent_peer(sock, peer_timeout)

    async def read(self) -> bytes:
        return await self.reader.read(READ_SIZE)

    def write(self, data: bytes) -> None:
        if not self.writer.is_closing():
            self.writer.write(data)

    async def drain(self) -> None:
        await self.writer.drain()

    def close(self) -> None:
        self.writer.close()


def notice_silent_peer(sock: socket.socket, seconds: float) -> None:
    """Make a TCP connection fail once its peer has not answered for about `seconds`.

    A client whose machine went to sleep or lost its network sends nothing more, not even a reset: without
    this, reading waits forever, the session never ends, and a target stopped at a breakpoint stays
    stopped. Keep-alive probes start after a third of `seconds` of silence, and the kernel gives up on
    data or probes left unanswered for `seconds` (TCP_USER_TIMEOUT, Linux); the read then fails and the
    session ends as if the client had closed it (the target is detached and runs on). Where an option is
    missing (another system's names), the ones there are still apply.
    """
    whole = max(1, round(seconds))
    options = (
        (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
        (
            socket.IPPROTO_TCP,
            getattr(socket, "TCP_KEEPIDLE", getattr(socket, "TCP_KEEPALIVE", None)),
            whole // 3,
        ),
        (socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPINTVL", None), max(1, whole // 6)),
        (socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPCNT", None), 3),
        (socket.IPPROTO_TCP, getattr(socket, "TCP_USER_TIMEOUT", None), whole * 1000),
    )
    for level, option, value in options:
        if option is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(level, option, max(1, value))


class _WriteFlow(asyncio.Protocol):
    """Flow control for a write pipe: `drain()` waits while the pipe is full."""

    def __init__(self) -> None:
        self._writable = asyncio.Event()
        self._writable.set()
        self.lost: BaseException | None = None

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    def connection_lost(self, exc: BaseException | None) -> None:
        self.lost = exc or ConnectionResetError("the client closed the adapter's stdout")
        self._writable.set()

    async def drain(self) -> None:
        await self._writable.wait()
        if self.lost is not None:
            raise ConnectionResetError(str(self.lost))


class PipeConnection:
    """A `Connection` over the adapter's stdin and stdout.

    Pipes, sockets and terminals go through the event loop; regular files (`dapattach < requests.bin`)
    cannot, so those are read in a worker thread and written directly (a file write does not block). So are
    Windows' anonymous pipes, which its event loop cannot read (they are not opened for overlapped I/O).
    """

    def __init__(self, dap_in: BinaryIO, dap_out: BinaryIO) -> None:
        self.dap_in = dap_in
        self.dap_out = dap_out
        self.reader: asyncio.StreamReader | None = None
        self.transport: asyncio.WriteTransport | None = None
        self.flow = _WriteFlow()

    async def open(self) -> None:
        if sys.platform == "win32":
            return
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=READ_SIZE)
        try:
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), self.dap_in)
            self.reader = reader
        except ValueError:
            log.info("stdin is not a pipe; reading it in a thread")
        try:
            self.transport, self.flow = await loop.connect_write_pipe(_WriteFlow, self.dap_out)
        except ValueError:
            log.info("stdout is not a pipe; writing it directly")

    async def read(self) -> bytes:
        if self.reader is None:
            return await asyncio.to_thread(os.read, self.dap_in.fileno(), READ_SIZE)
        return await self.reader.read(READ_SIZE)

    def write(self, data: bytes) -> None:
        if self.transport is None:
            self.dap_out.write(data)
        elif not self.transport.is_closing():
            self.transport.write(data)

    async def drain(self) -> None:
        await self.flow.drain()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        else:
            self.dap_out.close()


async def serve_stdio(run_session: RunSession) -> None:
    """One session over stdin/stdout; returns at end of input.

    The DAP streams are moved to private descriptors and fd 1 is pointed at stderr, so a stray `print()`
    anywhere in the adapter cannot corrupt the protocol stream.
    """
    _check_stdin()
    dap_in = os.fdopen(os.dup(sys.stdin.fileno()), "rb", buffering=0)
    dap_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    connection = PipeConnection(dap_in, dap_out)
    await connection.open()
    await run_session(connection, None)


def _check_stdin() -> None:
    """Say at once what the adapter expects when a person, not an editor, started it."""
    if sys.stdin.isatty():
        print(
            "dapattach: speaking the Debug Adapter Protocol on stdin/stdout, as editors start it; "
            "see `dapattach --help` (Ctrl-D quits)",
            file=sys.stderr,
            flush=True,
        )
        return
    mode = os.fstat(sys.stdin.fileno()).st_mode
    if stat.S_ISCHR(mode):  # /dev/null and the like: no client can ever write there
        raise TransportError(
            "stdin is a character device, not a DAP client: editors start dapattach with pipes; "
            "see `dapattach --help` for --listen and --connect"
        )


def parse_address(text: str) -> tuple[str, int]:
    """`HOST:PORT`, `[IPv6]:PORT` or just `PORT` (loopback)."""
    host, colon, port = text.rpartition(":")
    if not colon:
        host, port = "127.0.0.1", text
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or int(port) > 65535:
        raise TransportError(f"expected HOST:PORT with a port from 0 to 65535, got {text!r}")
    return host, int(port)


def parse_listen(text: str) -> tuple[str, int] | UnixAddress:
    """What `--listen` takes: an address as `parse_address` reads it, or `unix:PATH`."""
    if text.startswith("unix:"):
        if not text[5:]:
            raise TransportError("expected unix:PATH with the path of the socket to create")
        return UnixAddress(os.path.abspath(text[5:]))
    return parse_address(text)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    import ipaddress  # only `--listen` asks: editors start the adapter on stdio

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def serve_listen(
    address: tuple[str, int] | UnixAddress,
    access: Access,
    run_session: RunSession,
    *,
    peer_timeout: float = PEER_TIMEOUT,
) -> None:
    """Accept clients forever (until cancelled), one session per connection, each checked by `access`; a
    TCP client silent for `peer_timeout` seconds counts as gone (`notice_silent_peer`)."""
    if not isinstance(address, UnixAddress) and not is_loopback(address[0]) and access.token is None:
        raise TransportError(
            f"not listening on {address[0]}: peers on other hosts cannot be identified, so a non-loopback "
            'address needs --allow-token (clients then send the token the adapter prints as "token" in '
            "their attach arguments). Or listen on loopback and tunnel to it (ssh -L)"
        )

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = peers.peer_of(writer.get_extra_info("socket"))
        log.info("client connected from %s", peer)
        try:
            await run_session(StreamConnection(reader, writer, peer_timeout), access.gate(peer))
        except Exception:
            log.exception("session with %s failed", peer)
        log.info("client %s done", peer.address)

    if isinstance(address, UnixAddress):
        if sys.platform == "win32":
            raise TransportError("--listen unix:PATH needs Unix sockets, which Windows does not offer here")
        sock = _unix_listener(address.path, private=access.users == {os.geteuid()} and access.token is None)
        ours = os.lstat(address.path)
        server = await asyncio.start_unix_server(on_client, sock=sock)
        where = f"unix:{address.path}"
    else:
        try:
            server = await asyncio.start_server(on_client, *address)
        except OSError as error:
            raise TransportError(
                f"cannot listen on {address[0]}:{address[1]}: {error.strerror or error}"
            ) from None
        bound_host, bound_port = server.sockets[0].getsockname()[:2]
        where = f"{bound_host}:{bound_port}"
    print(f"dapattach: listening on {where}", file=sys.stderr, flush=True)
    try:
        async with server:
            await server.serve_forever()
    finally:
        if isinstance(address, UnixAddress):
            with contextlib.suppress(OSError):
                if os.path.samestat(os.lstat(address.path), ours):
                    os.unlink(address.path)


def _unix_listener(path: str, *, private: bool) -> socket.socket:
    """A listening socket at `path`, created 0600 (0666 when other users are let in: each connection is
    still checked with SO_PEERCRED)."""
    if sys.platform == "win32":
        raise TransportError("no Unix sockets on Windows")
    _remove_stale_socket(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    mask = os.umask(0o177)  # before any thread starts: the process-wide umask covers only this bind
    try:
        sock.bind(path)
    except OSError as error:
        sock.close()
        raise TransportError(f"cannot listen on unix:{path}: {error.strerror or error}") from None
    finally:
        os.umask(mask)
    if not private:
        os.chmod(path, 0o666)
    sock.listen(16)
    return sock


def _remove_stale_socket(path: str) -> None:
    """A socket file nobody listens on (an adapter that is gone left it) is removed; anything else stays."""
    try:
        if not stat.S_ISSOCK(os.lstat(path).st_mode):
            raise TransportError(f"cannot listen on unix:{path}: it exists and is not a socket")
    except FileNotFoundError:
        return
    if sys.platform == "win32":
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(path)
        except ConnectionRefusedError:
            os.unlink(path)
            return
        except OSError as error:
            raise TransportError(f"cannot listen on unix:{path}: {error.strerror or error}") from None
    raise TransportError(f"cannot listen on unix:{path}: another program is listening there")


async def serve_connect(
    host: str, port: int, access: Access, run_session: RunSession, *, peer_timeout: float = PEER_TIMEOUT
) -> None:
    """Dial a client that listens (e.g. an editor waiting for the adapter) and run one session.

    On loopback, the program listening there must run as one of the users `access` serves: any local user
    could have taken the port first."""
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError as error:
        raise TransportError(
            f"cannot connect to the client at {host}:{port}: {error.strerror or error}"
        ) from None
    sock = writer.get_extra_info("socket")
    owner = peers.listener_owner(server=sock.getpeername()[:2], client=sock.getsockname()[:2])
    if is_loopback(host) and owner not in access.users:
        writer.close()
        who = "an unknown user" if owner is None else f"uid {owner} ({user_name(owner)})"
        raise TransportError(
            f"not talking DAP to {host}:{port}: the program listening there runs as {who}, not as a user "
            "this adapter serves (whoever talks to it can run code in every process it can attach to); "
            "use --allow-user to trust that user"
        )
    if not is_loopback(host):
        log.warning("connected to %s:%d: its user cannot be checked; it will be served as you", host, port)
    await run_session(StreamConnection(reader, writer, peer_timeout), None)
