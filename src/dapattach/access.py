"""Who may talk DAP to this adapter over `--listen` and `--connect`.

Whoever talks DAP to the adapter can run code in every process it may attach to: as root, in every
process. So a connection is served only when the kernel says which user is on the other end
(`peers.peer_of`) and that user is the adapter's own or one named with `--allow-user`. Anyone else,
including every peer on another host, needs the opt-in `--allow-token`: the token the adapter printed once
at start must come in the `attach` arguments (`"token": "..."`), and until it has, such a connection is
answered `initialize` (the capabilities, the same for everyone) and nothing else. A refused request gets
an error response that says why and what to do, the refusal is logged with the peer, and the connection
is closed; other connections are served on.
"""

import hmac
import logging
import secrets
from collections.abc import Iterable

from attrs import frozen

from dapattach import host
from dapattach.host import user_name
from dapattach.peers import Peer
from dapattach.protocol.endpoint import Request
from dapattach.session import Gate, Refusal

log = logging.getLogger("dapattach.access")


@frozen
class Access:
    users: frozenset[int]
    """The uids whose connections are served: the adapter's own, and those of `--allow-user`."""
    token: str | None = None
    """With `--allow-token`: the token that lets any other peer in."""

    @classmethod
    def build(cls, allow_users: Iterable[str] = (), allow_token: bool = False) -> Access:
        """`allow_users` are names or uids; raises `ValueError` naming one that does not exist."""
        own = host.own_uid()
        users = {*(() if own is None else (own,)), *(_uid(user) for user in allow_users)}
        return cls(frozenset(users), secrets.token_urlsafe(24) if allow_token else None)

    def gate(self, peer: Peer) -> Gate | None:
        """None when `peer` is served at once; else what decides request by request."""
        if peer.uid is not None and peer.uid in self.users:
            return None
        if self.token is not None:
            log.info("connection from %s: served once it presents the token", peer)
            return TokenGate(self.token, peer, self._why(peer))
        return Refused(peer, f"dapattach refused this connection: {self._why(peer)}. {self._remedy(peer)}")

    def _why(self, peer: Peer) -> str:
        served = ", ".join(f"uid {uid} ({user_name(uid)})" for uid in sorted(self.users))
        if peer.uid is None:
            return (
                f"it comes from {peer.address}, whose user cannot be identified (another host or network "
                f"namespace), and this adapter serves only {served}"
            )
        return f"it comes from uid {peer.uid} ({user_name(peer.uid)}), and this adapter serves only {served}"

    def _remedy(self, peer: Peer) -> str:
        danger = "whoever talks to it can run code in every process it can attach to"
        if peer.uid is None:
            return (
                f"Because {danger}, peers that cannot be identified need the adapter started with "
                '--allow-token, and the token it prints as "token" in the attach arguments'
            )
        return (
            f"Because {danger}, other users need the adapter started with --allow-user "
            f"{user_name(peer.uid)} (or --allow-token, and the token in the attach arguments)"
        )


class Refused:
    """Every request is answered with the refusal, and the connection closed."""

    def __init__(self, peer: Peer, message: str) -> None:
        self._peer = peer
        self._message = message

    def admit(self, request: Request) -> Refusal:
        log.warning("refused %r from %s: %s", request.command, self._peer, self._message)
        return Refusal(self._message)


class TokenGate:
    """`initialize` is answered; then an `attach` carrying the token opens the session, anything else
    closes the connection."""

    def __init__(self, token: str, peer: Peer, why: str) -> None:
        self._token = token.encode()
        self._peer = peer
        self._why = why
        self._open = False

    def admit(self, request: Request) -> Refusal | None:
        if self._open or request.command == "initialize":
            return None
        arguments = request.arguments if isinstance(request.arguments, dict) else {}
        given = arguments.get("token") if request.command == "attach" else None
        if isinstance(given, str) and hmac.compare_digest(given.encode(), self._token):
            self._open = True
            log.info("connection from %s presented the token: served", self._peer)
            return None
        if request.command != "attach":
            problem = f"send the token in the attach arguments before {request.command!r}"
        elif given is None:
            problem = 'the attach arguments carry no "token"'
        else:
            problem = "the token in the attach arguments is wrong"
        message = (
            f"dapattach refused this connection: {self._why}; {problem}. Send the token the adapter "
            'printed when it started (--allow-token) as "token" in the attach arguments'
        )
        log.warning("refused %r from %s: %s", request.command, self._peer, problem)
        return Refusal(message)


def _uid(user: str) -> int:
    if user.isdigit():
        return int(user)
    try:
        return host.uid_of(user)
    except KeyError:
        raise ValueError(f"--allow-user {user}: there is no such user on this system") from None
