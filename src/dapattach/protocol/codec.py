"""DAP base-protocol framing with no I/O: bytes in, JSON objects out, and back.

A message is `Content-Length: N\\r\\n\\r\\n` followed by N bytes of UTF-8 JSON. N counts encoded bytes, header
names are case-insensitive and other headers are ignored. Errors never leave the decoder stuck: every
recoverable `ProtocolError` it raises has consumed input, so the caller can keep calling `next_message()`.

One error is not recoverable: a length over `max_body`. Skipping that many bytes would ignore the client
for as long as it takes to send them, forever for a corrupt header such as `Content-Length: 99999999999`,
and looking for the next header inside what is declared a body could read a message out of data. So the
decoder reports it once and is `broken` from then on (it ignores further input), and the caller closes.
"""

import json
import re
from typing import Any

from dapattach.protocol.errors import ProtocolError

DEFAULT_MAX_BODY = 64 * 1024 * 1024
MAX_HEADER = 16 * 1024
_TERMINATOR = b"\r\n\r\n"
_CONTENT_LENGTH = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)


def encode(message: dict[str, Any]) -> bytes:
    """Frame one message as a single bytes object (so transports can write it in one call)."""
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


class Decoder:
    """Feed bytes with `feed()`, take messages with `next_message()` until it returns None (needs data)."""

    def __init__(self, max_body: int = DEFAULT_MAX_BODY) -> None:
        self.max_body = max_body
        self.broken: str | None = None
        """Why the stream cannot be read any further, once a non-recoverable error was reported."""
        self._buffer = bytearray()
        self._body_length: int | None = None

    def feed(self, data: bytes) -> None:
        if self.broken is None:
            self._buffer += data

    @property
    def pending(self) -> bool:
        """True while part of a message is buffered (EOF now would cut it)."""
        return bool(self._buffer) or self._body_length is not None

    def close(self) -> None:
        """Declare EOF; raises if the stream ended inside a message."""
        if self.pending:
            size = len(self._buffer)
            self._buffer.clear()
            self._body_length = None
            raise ProtocolError(f"stream ended inside a message ({size} bytes unread)", recoverable=False)

    def next_message(self) -> dict[str, Any] | None:
        if self.broken is not None:
            return None
        if self._body_length is None:
            self._body_length = self._read_header()
            if self._body_length is None:
                return None
        if len(self._buffer) < self._body_length:
            return None
        body = bytes(self._buffer[: self._body_length])
        del self._buffer[: self._body_length]
        self._body_length = None
        return _parse_body(body)

    def peek_message(self) -> dict[str, Any] | None:
        """The next message without taking it: `next_message` returns it again. Errors as there, but the
        decoder is left as it was, so `next_message` reports them itself."""
        buffer, length, broken = bytearray(self._buffer), self._body_length, self.broken
        try:
            return self.next_message()
        finally:
            self._buffer, self._body_length, self.broken = buffer, length, broken

    def _read_header(self) -> int | None:
        end = self._buffer.find(_TERMINATOR)
        if end < 0:
            if len(self._buffer) > MAX_HEADER:
                self._resync(1, fallback=len(self._buffer) - len(_TERMINATOR))
                raise ProtocolError(f"no end of header within {MAX_HEADER} bytes; skipped", recoverable=True)
            return None
        try:
            length = _content_length(bytes(self._buffer[:end]))
        except ValueError as error:
            self._resync(1, fallback=end + len(_TERMINATOR))
            message = f"malformed header: {error}; skipped to the next header"
            raise ProtocolError(message, recoverable=True) from None
        del self._buffer[: end + len(_TERMINATOR)]
        if length > self.max_body:
            self._buffer.clear()
            self.broken = (
                f"a message declares a body of {length} bytes, over the limit of {self.max_body} bytes: "
                "the stream cannot be framed past it"
            )
            raise ProtocolError(self.broken, recoverable=False)
        return length

    def _resync(self, start: int, fallback: int) -> None:
        """Drop bytes up to the next `Content-Length` at or after `start`, else up to `fallback`.

        The earliest candidate is taken so a real header is never skipped; a false one costs one more error.
        """
        match = _CONTENT_LENGTH.search(self._buffer, start)
        del self._buffer[: match.start() if match else fallback]


def _content_length(header: bytes) -> int:
    try:
        text = header.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError("header is not ASCII") from None
    length: int | None = None
    for line in text.split("\r\n"):
        name, colon, value = line.partition(":")
        if not colon:
            raise ValueError(f"header line without a colon: {line[:60]!r}")
        if name.strip().lower() != "content-length":
            continue
        value = value.strip()
        if not value.isdigit() or not value.isascii():
            raise ValueError(f"Content-Length is not a number: {value[:30]!r}")
        if length is not None and length != int(value):
            raise ValueError("two different Content-Length headers")
        length = int(value)
    if length is None:
        raise ValueError("no Content-Length header")
    return length


def _parse_body(body: bytes) -> dict[str, Any]:
    try:
        message = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ProtocolError(f"message body is not UTF-8: {error.reason}", recoverable=True) from None
    except json.JSONDecodeError as error:
        raise ProtocolError(f"message body is not JSON: {error}", recoverable=True) from None
    except RecursionError:
        raise ProtocolError("message body is nested too deeply", recoverable=True) from None
    if not isinstance(message, dict):
        raise ProtocolError("message body is not a JSON object", recoverable=True)
    return message
