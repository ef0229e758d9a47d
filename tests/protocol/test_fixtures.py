"""Runs `protocol-fixtures/`: each file's name says what must happen to it.

`request-COMMAND-True-*.json` must parse into the schema's arguments class, `...-False-*` must be rejected
with a message naming a field; `message-True/False-*` must (not) be a DAP message;
`stream-Nmessages-Merrors-*.bin` must decode into N messages and M errors.
"""

import json
import re
from pathlib import Path

import pytest

from dapattach.protocol.codec import Decoder
from dapattach.protocol.endpoint import Endpoint, InvalidMessage, Request
from dapattach.protocol.errors import ProtocolError

FIXTURES = Path(__file__).resolve().parents[2] / "protocol-fixtures"


def fixtures(pattern: str) -> list[Path]:
    found = sorted(FIXTURES.glob(pattern))
    assert found, f"no fixtures match {pattern}"
    return found


@pytest.mark.parametrize("path", fixtures("request-*.json"), ids=lambda p: p.stem)
def test_request_fixture(path: Path) -> None:
    _, command, valid, _ = path.stem.split("-", 3)
    endpoint = Endpoint()
    request = endpoint.receive_message(json.loads(path.read_text()))
    assert isinstance(request, Request) and request.command == command
    if valid == "True":
        endpoint.parse_arguments(request)
    else:
        with pytest.raises(ValueError, match=r"^arguments(\.\w+|\[\d+\])*: "):
            endpoint.parse_arguments(request)


def test_attach_arguments_keep_what_clients_add() -> None:
    endpoint = Endpoint()
    request = endpoint.receive_message(
        json.loads((FIXTURES / "request-attach-True-string-processId.json").read_text())
    )
    assert isinstance(request, Request)
    arguments = endpoint.parse_arguments(request)
    assert arguments.extra["processId"] == "4242" and arguments.extra["__sessionId"] == "f00"
    assert endpoint.converter.unstructure(arguments) == request.arguments


@pytest.mark.parametrize("path", fixtures("message-*.json"), ids=lambda p: p.stem)
def test_message_fixture(path: Path) -> None:
    valid = path.stem.split("-")[1] == "True"
    endpoint = Endpoint()
    raw = json.loads(path.read_text())
    if valid:
        endpoint.receive_message(raw)
    else:
        with pytest.raises(InvalidMessage):
            endpoint.receive_message(raw)


@pytest.mark.parametrize("path", fixtures("stream-*.bin"), ids=lambda p: p.stem)
def test_stream_fixture(path: Path) -> None:
    match = re.match(r"stream-(\d+)messages-(\d+)errors-", path.name)
    assert match is not None
    decoder = Decoder()
    decoder.feed(path.read_bytes())
    messages, errors = 0, 0
    while True:
        try:
            if decoder.next_message() is None:
                break
            messages += 1
        except ProtocolError:
            errors += 1
    assert (messages, errors) == (int(match[1]), int(match[2]))
