"""Two endpoints wired together in memory (like h11's ConnectionPair): seq, correlation, errors."""

import pytest

from dapattach.protocol import types
from dapattach.protocol.endpoint import Endpoint, Event, InvalidMessage, Request, Response
from dapattach.protocol.errors import LocalProtocolError


class Pair:
    def __init__(self) -> None:
        self.client = Endpoint()
        self.adapter = Endpoint()

    def deliver(self, data: bytes, to: Endpoint) -> Request | Response | Event:
        to.receive_data(data)
        message = to.next_message()
        assert message is not None and to.next_message() is None
        return message


def test_request_response_event_round_trip_with_seq_numbering() -> None:
    pair = Pair()
    _, data = pair.client.send_request("initialize", types.InitializeRequestArguments(adapter_id="x"))
    request = pair.deliver(data, pair.adapter)
    assert request == Request(1, "initialize", {"adapterID": "x"})
    assert pair.adapter.parse_arguments(request) == types.InitializeRequestArguments(adapter_id="x")
    capabilities = types.Capabilities(supports_configuration_done_request=True)
    response = pair.deliver(pair.adapter.send_response(request, capabilities), pair.client)
    assert response == Response(1, 1, "initialize", True, None, {"supportsConfigurationDoneRequest": True})
    assert pair.client.parse_body(response) == capabilities
    event = pair.deliver(pair.adapter.send_event("initialized"), pair.client)
    assert event == Event(2, "initialized", None)
    stopped = types.StoppedEventBody(reason="breakpoint", thread_id=3)
    event = pair.deliver(pair.adapter.send_event("stopped", stopped), pair.client)
    assert event.seq == 3 and pair.client.parse_body(event) == stopped


def test_reverse_request_is_paired_with_its_response() -> None:
    pair = Pair()
    sent, data = pair.adapter.send_request("runInTerminal", {"cwd": "/", "args": ["python"]})
    request = pair.deliver(data, pair.client)
    assert pair.client.parse_arguments(request).args == ["python"]
    response = pair.deliver(pair.client.send_response(request, {"processId": 12}), pair.adapter)
    assert response.command == "runInTerminal" and response.request_seq == sent.seq
    assert pair.adapter.parse_body(response) == types.RunInTerminalResponseBody(process_id=12)
    assert not pair.adapter.awaiting


def test_error_response_carries_a_message_and_a_structured_error() -> None:
    pair = Pair()
    _, data = pair.client.send_request("evaluate", {"expression": "1/0"})
    request = pair.deliver(data, pair.adapter)
    response = pair.deliver(
        pair.adapter.send_error(request, "ZeroDivisionError: division by zero"), pair.client
    )
    assert response.success is False and response.message == "ZeroDivisionError: division by zero"
    assert response.body == {
        "error": {"id": 1, "format": "ZeroDivisionError: division by zero", "showUser": True}
    }
    _, data = pair.client.send_request("stackTrace", {"threadId": 1})
    request = pair.deliver(data, pair.adapter)
    response = pair.deliver(pair.adapter.send_error(request, "gave up", short="cancelled"), pair.client)
    assert response.message == "cancelled"


def test_answering_twice_is_our_bug() -> None:
    pair = Pair()
    _, data = pair.client.send_request("threads")
    request = pair.deliver(data, pair.adapter)
    pair.adapter.send_response(request, {"threads": []})
    with pytest.raises(LocalProtocolError, match="not awaiting an answer"):
        pair.adapter.send_response(request, {"threads": []})


def test_unsolicited_response_and_broken_envelopes_are_invalid() -> None:
    endpoint = Endpoint()
    with pytest.raises(InvalidMessage, match="not awaiting"):
        endpoint.receive_message(
            {"seq": 1, "type": "response", "request_seq": 5, "success": True, "command": "x"}
        )
    with pytest.raises(InvalidMessage) as raised:
        endpoint.receive_message({"seq": 4, "type": "request", "command": 7})
    assert raised.value.seq == 4 and raised.value.command is None and raised.value.recoverable
    with pytest.raises(InvalidMessage):
        endpoint.receive_message({"seq": True, "type": "event", "event": "x"})


def test_missing_or_null_arguments_are_empty() -> None:
    endpoint = Endpoint()
    request = endpoint.receive_message({"seq": 0, "type": "request", "command": "threads", "arguments": None})
    assert request == Request(0, "threads", {})
    assert endpoint.parse_arguments(request) == types.EmptyArguments()
