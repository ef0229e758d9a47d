"""The agent's end of the wire: newline-delimited JSON over the adapter's socket.

The socket is a Unix socket in the adapter's attach folder (a path), or loopback TCP (`tcp:HOST:PORT`)
where there are none. The hello proves the agent knows the per-attach secret without sending it, and the
agent serves only an adapter whose welcome proves the same (`welcomed`): anyone can listen on a TCP port
once the adapter has closed it.

Reads happen on the agent thread only; writes come from the agent thread, from stopped threads (`stopped`
events, the answers of the jobs they run), from worker threads and from the ticker (program output), so
sending is serialised by a lock. A broken socket never raises: the reader sees end-of-file and the agent
detaches. Program output travels as raw bytes after a JSON header line (`send_output`), so the target
spends no time decoding or escaping it.
"""

import contextlib
import json
import os
import select
import socket
import threading
import time
from _operator import _compare_digest as compare_digest

try:
    from _hmac import compute_sha256
except ImportError:  # a build without CPython's own hash functions
    compute_sha256 = None

PROTOCOL = 1
MAX_LINE = 64 * 1024 * 1024
QUIET = object()
"""What `receive` returns when nothing came within its timeout."""
_DONT_WAIT = getattr(socket, "MSG_DONTWAIT", 0)
"""A send that takes what the socket has room for and returns (Windows has no such flag: there, a send
found writable may still wait for the rest)."""


class Channel:
    def __init__(self, address=None, sock=None):
        """Connect to the adapter's `address` (see `connect`), or talk over the connected `sock` (an agent
        in a sub-interpreter and the main agent, see `router.py`)."""
        self._sock = connect(address) if sock is None else sock
        self._send_lock = threading.Lock()
        self._buffer = b""
        self.broken = False

    def send(self, message, deadline=None):
        """Send one message; returns False when the adapter is gone. With a `deadline` (a
        `time.monotonic()` time), give up when it cannot be sent by then (`_write`)."""
        try:
            data = json.dumps(message, ensure_ascii=False, default=repr).encode("utf-8", "replace") + b"\n"
        except Exception:
            return False
        return self._write((data,), deadline)

    def fileno(self):
        return self._sock.fileno()

    def has_line(self):
        """Whether a whole message is waiting in the buffer (`receive(0)` returns it without reading)."""
        return b"\n" in self._buffer

    def send_output(self, category, encoding, payload, deadline=None):
        """`{"type": "output", "category": ..., "encoding": ..., "size": N}` then the N bytes of `payload`."""
        header = {"type": "output", "category": category, "encoding": encoding, "size": len(payload)}
        return self._write((json.dumps(header).encode() + b"\n", payload), deadline)

    def _write(self, pieces, deadline):
        """Write `pieces` as one message. Without a deadline this waits as long as the adapter takes to read.

        A deadline is for the program's way out (`atexit`): an adapter that reads nothing (stopped, or on
        a host that hangs) must not hold the exit. Then the lock (which a thread stuck in a send holds) and
        the socket are each waited for until the deadline at most; a message not sent by then marks the
        channel broken, for what was sent of it would garble the stream, and later sends return at once.
        """
        if not acquire_by(self._send_lock, deadline):
            self.broken = True
            return False
        try:
            if self.broken:
                return False
            if deadline is None:
                for piece in pieces:
                    self._sock.sendall(piece)
            elif not self._send_by(b"".join(pieces), deadline):
                self.broken = True
                return False
        except OSError:
            self.broken = True
            return False
        finally:
            self._send_lock.release()
        return True

    def _send_by(self, data, deadline):
        view = memoryview(data)
        while view:  # past the deadline, a socket with room still takes what fits (select polls)
            left = max(0.0, deadline - time.monotonic())
            if not select.select([], [self._sock], [], left)[1]:
                return False
            view = view[self._sock.send(view, _DONT_WAIT) :]
        return True

    def receive(self, timeout=None):
        """The next message as a dict, None at end of file / on a broken or garbled stream, or `QUIET`
        when no whole message came within `timeout` seconds."""
        while b"\n" not in self._buffer:
            if len(self._buffer) > MAX_LINE:
                return None
            try:
                if timeout is not None and not select.select([self._sock], [], [], timeout)[0]:
                    return QUIET
                chunk = self._sock.recv(65536)
            except OSError, ValueError:
                return None
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            message = json.loads(line)
        except ValueError:
            return None
        return message if isinstance(message, dict) else None

    def shutdown(self):
        """Wake a reader blocked in `receive` (used by a detach requested from another thread)."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    def abandon(self):
        """Close this process's copy of the socket without the lock (a forked child: the lock may be held
        by a thread that is not there). The adapter's connection, shared with the parent, stays up."""
        self.broken = True
        self._send_lock = threading.Lock()
        with contextlib.suppress(OSError):
            self._sock.close()

    def release(self):
        """Stop sending and hand over the socket, for the caller to close once everything else is gone
        (closing tells the adapter the agent has detached)."""
        with self._send_lock:
            self.broken = True
        return self._sock

    def close(self):
        with self._send_lock:
            self.broken = True
            with contextlib.suppress(OSError):
                self._sock.close()


def acquire_by(lock, deadline):
    """Take `lock`, waiting for it until `deadline` (a `time.monotonic()` time; None: for as long as it
    takes; past it, only if it is free). Whether it was taken."""
    return lock.acquire(timeout=-1 if deadline is None else max(0.0, deadline - time.monotonic()))


def connect(address, timeout=None):
    """A socket connected to the adapter's `address` (a Unix socket's path, or `tcp:HOST:PORT`)."""
    if address.startswith("tcp:"):
        host, _, port = address[4:].rpartition(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    else:
        host, port = None, None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(address if host is None else (host, int(port)))
        sock.settimeout(None)
        if host is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except BaseException:
        sock.close()
        raise
    return sock


FAILED_NOTE = "agent.failed"
"""The file in the attach folder that says why the agent could not reach the adapter (the adapter's
`attach/attempt.py` reads it); it can be written only where the target may write there (a target of the
adapter's own user)."""


def report_failure(address, secret, error, folder=None, wait=5.0):
    """Tell the adapter at `address` that the agent could not start, in a hello carrying `error`, and wait
    (at most `wait` seconds) until the adapter has read it: over TCP it asks who sent it, which it can no
    longer tell once the socket is closed. When the adapter cannot be reached either (something in the
    program refuses the agent a socket), leave the reason in `folder` (the attach folder; for a socket
    path, its folder when None) as `FAILED_NOTE`, where the adapter looks for it. Never raises."""
    try:
        channel = Channel(address)
    except Exception as unreachable:
        if folder is None and not address.startswith("tcp:"):
            folder = os.path.dirname(address)
        if folder is not None:
            _leave_note(folder, f"{type(unreachable).__name__}: {unreachable}")
        return
    try:
        channel.send(hello(secret, os.urandom(16).hex(), error=f"{type(error).__name__}: {error}"))
        channel.receive(timeout=wait)
    except Exception:
        pass
    finally:
        channel.close()


def _leave_note(folder, reason):
    with contextlib.suppress(Exception):
        fd = os.open(
            os.path.join(folder, FAILED_NOTE), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600
        )
        try:
            os.write(fd, reason[:500].encode("utf-8", "replace"))
        finally:
            os.close(fd)


def proof(role, secret, nonce):
    """Shows that `role` knows the secret (the adapter's `attach/channel.py` computes the same): its
    HMAC-SHA256. CPython's own HMAC (`_hmac`, the one `hmac` itself prefers) is used where the build has
    it: `hashlib` would load OpenSSL's libcrypto into the target, 1.9 MB of its memory for one hash."""
    key, message = secret.encode(), f"{role}:{nonce}".encode()
    if compute_sha256 is not None:
        return compute_sha256(key, message).hex()
    import hashlib
    import hmac

    return hmac.new(key, message, hashlib.sha256).hexdigest()


def welcomed(message, secret, nonce):
    """Whether `message` is the welcome of the adapter that wrote our bootstrap."""
    return (
        isinstance(message, dict)
        and message.get("type") == "welcome"
        and message.get("protocol") == PROTOCOL
        and isinstance(message.get("proof"), str)
        and compare_digest(message["proof"].encode(), proof("adapter", secret, nonce).encode())
    )


def hello(secret, nonce, **extra):
    import sys

    gil = getattr(sys, "_is_gil_enabled", None)
    return {
        "type": "hello",
        "protocol": PROTOCOL,
        "nonce": nonce,
        "proof": proof("agent", secret, nonce),
        "pid": os.getpid(),
        "python": ".".join(map(str, sys.version_info[:3])),
        "executable": sys.executable,
        "freeThreaded": gil is not None and not gil(),
        **extra,
    }
