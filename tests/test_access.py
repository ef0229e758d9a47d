"""Who is served over --listen: the adapter's own user and the users allowed by name; anyone else only
with the token, presented in the attach arguments, and is answered nothing but `initialize` until then."""

import os

import pytest

from dapattach.access import Access, Refused, TokenGate
from dapattach.peers import Peer
from dapattach.protocol.endpoint import Request


def request(command: str, **arguments: object) -> Request:
    return Request(seq=1, command=command, arguments=arguments)


def test_the_adapters_own_user_and_allowed_users_are_served_at_once() -> None:
    access = Access.build(["nobody", "4242"])
    assert access.users == {os.geteuid(), 65534, 4242}
    assert access.token is None
    for uid in access.users:
        assert access.gate(Peer("127.0.0.1:5000", uid)) is None


def test_an_unknown_user_name_is_an_error() -> None:
    with pytest.raises(ValueError, match="--allow-user no-such-user: there is no such user"):
        Access.build(["no-such-user"])


def test_others_are_refused_with_what_to_do() -> None:
    access = Access.build()
    gate = access.gate(Peer("127.0.0.1:5000", 4242))
    assert isinstance(gate, Refused)
    refusal = gate.admit(request("initialize"))
    assert "it comes from uid 4242 (4242)" in refusal.message
    assert "--allow-user 4242" in refusal.message and "--allow-token" in refusal.message
    remote = access.gate(Peer("10.0.0.5:5000", None))
    assert isinstance(remote, Refused)
    message = remote.admit(request("initialize")).message
    assert "10.0.0.5:5000, whose user cannot be identified" in message and "--allow-token" in message


def test_with_the_token_option_others_must_present_it_in_attach() -> None:
    access = Access.build(allow_token=True)
    assert access.token is not None and len(access.token) >= 32
    gate = access.gate(Peer("10.0.0.5:5000", None))
    assert isinstance(gate, TokenGate)
    assert gate.admit(request("initialize")) is None
    assert "before 'threads'" in refusal_of(gate, request("threads"))
    assert 'carry no "token"' in refusal_of(access.gate(Peer("x", None)), request("attach", processId=1))
    assert "token in the attach arguments is wrong" in refusal_of(
        access.gate(Peer("x", None)), request("attach", processId=1, token="guess")
    )
    opened = access.gate(Peer("x", None))
    assert opened is not None
    assert opened.admit(request("attach", processId=1, token=access.token)) is None
    assert opened.admit(request("threads")) is None


def refusal_of(gate: object, message: Request) -> str:
    assert isinstance(gate, TokenGate)
    refusal = gate.admit(message)
    assert refusal is not None
    return refusal.message
