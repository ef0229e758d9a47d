"""The agent's proofs are the adapter's, and computing them loads no OpenSSL into the target."""

from pathlib import Path

import pytest

from agent_harness import Target, attach
from dapattach.agent import wire
from dapattach.attach import channel

CASES = [("agent", "s3cret", "00ff"), ("adapter", "x" * 64, "ab" * 16), ("agent", "é ünïcode", "")]


@pytest.mark.parametrize(("role", "secret", "nonce"), CASES)
def test_the_agent_proves_what_the_adapter_checks(role: str, secret: str, nonce: str) -> None:
    assert wire.proof(role, secret, nonce) == channel.proof(role, secret, nonce)


@pytest.mark.parametrize(("role", "secret", "nonce"), CASES)
def test_a_build_without_cpythons_own_hmac_proves_the_same(
    role: str, secret: str, nonce: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wire, "compute_sha256", None)
    assert wire.proof(role, secret, nonce) == channel.proof(role, secret, nonce)


def test_only_the_adapters_welcome_is_taken() -> None:
    welcome = {"type": "welcome", "protocol": wire.PROTOCOL, "proof": channel.proof("adapter", "k", "n")}
    assert wire.welcomed(welcome, "k", "n")
    assert not wire.welcomed(welcome, "other", "n")
    assert not wire.welcomed({**welcome, "proof": channel.proof("agent", "k", "n")}, "k", "n")
    assert not wire.welcomed({**welcome, "proof": None}, "k", "n")


def _libraries(pid: int) -> set[str]:
    return {line.split()[-1] for line in Path(f"/proc/{pid}/maps").read_text().splitlines() if "/" in line}


async def test_attaching_maps_no_openssl_into_a_program_that_had_none(showcase: Target) -> None:
    """hashlib would load libcrypto (1.9 MB of the target's memory) for the hello's one HMAC."""
    before = _libraries(showcase.pid)
    assert not any("libcrypto" in path for path in before), "the target itself loaded OpenSSL"
    link = await attach(showcase)
    try:
        await link.request("threads")
        added = _libraries(showcase.pid) - before
        assert not any("libcrypto" in path or "_hashlib" in path for path in added), added
    finally:
        await link.detach()
