"""The framing codec, with no event loop: byte counts, headers, splits, resync, limits."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dapattach.protocol.codec import Decoder, encode
from dapattach.protocol.errors import ProtocolError


def frame(body: bytes, header: bytes = b"Content-Length") -> bytes:
    return header + b": %d\r\n\r\n" % len(body) + body


def drain(decoder: Decoder) -> list[dict | str]:
    """Every message and every error (as its text) the decoder yields now."""
    out: list[dict | str] = []
    while True:
        try:
            message = decoder.next_message()
        except ProtocolError as error:
            out.append(str(error))
            continue
        if message is None:
            return out
        out.append(message)


def test_content_length_counts_encoded_bytes() -> None:
    data = encode({"text": "héllo ☃"})
    assert data.startswith(b"Content-Length: %d\r\n\r\n" % len('{"text":"héllo ☃"}'.encode()))
    decoder = Decoder()
    decoder.feed(data)
    assert drain(decoder) == [{"text": "héllo ☃"}]


def test_header_names_are_case_insensitive_and_unknown_headers_ignored() -> None:
    decoder = Decoder()
    decoder.feed(b"content-type: application/json\r\nCONTENT-LENGTH:  2\r\n\r\n{}")
    assert drain(decoder) == [{}]


def test_a_message_split_byte_by_byte_arrives_whole() -> None:
    decoder = Decoder()
    out = []
    for byte in encode({"seq": 1, "type": "event", "event": "x"}):
        decoder.feed(bytes([byte]))
        out += drain(decoder)
    assert out == [{"seq": 1, "type": "event", "event": "x"}]
    assert not decoder.pending


def test_malformed_json_loses_one_message_only() -> None:
    decoder = Decoder()
    decoder.feed(frame(b"{nope") + frame(b"[1]") + frame(b"\xff") + frame(b'{"ok":1}'))
    out = drain(decoder)
    assert "not JSON" in out[0] and "not a JSON object" in out[1] and "not UTF-8" in out[2]
    assert out[3] == {"ok": 1}


@pytest.mark.parametrize(
    ("header", "why"),
    [
        (b"Content-Length: abc\r\n\r\n", "Content-Length is not a number"),
        (b"Content-Type: x\r\n\r\n", "no Content-Length header"),
        (b"garbage\r\n\r\n", "header line without a colon"),
        (b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n", "two different Content-Length"),
    ],
)
def test_broken_header_resyncs_at_the_next_message(header: bytes, why: str) -> None:
    decoder = Decoder()
    decoder.feed(header + b'{"lost":1}' + frame(b'{"ok":1}'))
    out = drain(decoder)
    assert why in out[0] and out[-1] == {"ok": 1}
    assert all(isinstance(item, str) for item in out[:-1])


def test_a_length_over_the_limit_breaks_the_stream_once_and_for_all() -> None:
    decoder = Decoder(max_body=10)
    decoder.feed(b"Content-Length: 99999999999\r\n\r\n{")
    with pytest.raises(ProtocolError) as raised:
        decoder.next_message()
    assert raised.value.recoverable is False
    assert "declares a body of 99999999999 bytes, over the limit of 10 bytes" in str(raised.value)
    assert decoder.broken == str(raised.value)
    decoder.feed(frame(b"{}"))
    assert decoder.next_message() is None
    assert not decoder.pending
    decoder.close()


def test_eof_inside_a_message_is_not_recoverable() -> None:
    decoder = Decoder()
    decoder.feed(b"Content-Length: 5\r\n\r\n{}")
    assert drain(decoder) == []
    with pytest.raises(ProtocolError) as raised:
        decoder.close()
    assert raised.value.recoverable is False
    Decoder().close()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=10,
)
messages = st.dictionaries(st.text(), json_values, max_size=5)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@given(st.lists(messages, max_size=5), st.lists(st.integers(min_value=0), max_size=10))
def test_valid_messages_round_trip_whatever_the_splits(batch: list[dict], cuts: list[int]) -> None:
    decoder = Decoder()
    out: list[dict | str] = []
    for chunk in split(b"".join(encode(message) for message in batch), cuts):
        decoder.feed(chunk)
        out += drain(decoder)
    assert out == [json.loads(json.dumps(message)) for message in batch]
    assert not decoder.pending


@given(st.lists(st.binary(max_size=40) | st.sampled_from([b"\r\n\r\n", b"Content-Length: 3", b"{}"])),
       st.lists(st.integers(min_value=0), max_size=10))  # fmt: skip
def test_arbitrary_bytes_raise_nothing_but_protocol_errors(pieces: list[bytes], cuts: list[int]) -> None:
    decoder = Decoder(max_body=50)
    data = b"".join(pieces)
    for chunk in split(data, cuts):
        decoder.feed(chunk)
        drain(decoder)  # anything but ProtocolError propagates and fails the test
    if decoder.broken:
        return
    decoder.feed(b"\r\n\r\n" + b" " * 60 + encode({"after": True}))
    assert {"after": True} in drain(decoder)
