"""The agent channel's two kinds of address, and the proofs both ends give over it.

The agent connects to a Unix socket in the attach folder (its path), or, where there are no Unix sockets
(Windows) or when asked, to a loopback TCP port (`tcp:127.0.0.1:PORT`). A Unix socket in a private folder
can be reached by the target's user only; a TCP port by anyone on the machine, and after the adapter
closes it, anyone may listen there. So neither end takes the other's word:

- the adapter asks the kernel who connected (the driver's `verify_peer`), and the agent proves it knows the
  per-attach secret without sending it: `proof("agent", secret, nonce)` with a nonce of its own;
- the agent serves only an adapter whose welcome carries `proof("adapter", secret, nonce)` for that nonce,
  so a program that took the port after the adapter left learns nothing it could use and is not served.
"""

import hashlib
import hmac
import socket
import sys

TCP_PREFIX = "tcp:"


def proof(role: str, secret: str, nonce: str) -> str:
    """What `role` ("agent" or "adapter") sends to show it knows `secret` (the agent computes the same)."""
    return hmac.new(secret.encode(), f"{role}:{nonce}".encode(), hashlib.sha256).hexdigest()


def loopback_listener() -> tuple[socket.socket, str]:
    """A listening TCP socket on 127.0.0.1 (a free port the system picks) and its address for the agent."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if sys.platform == "win32":
            # Without it another program could bind the same port with SO_REUSEADDR and take connections.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    host, port = sock.getsockname()[:2]
    return sock, f"{TCP_PREFIX}{host}:{port}"
