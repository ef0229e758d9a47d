"""The sans-IO DAP core: generated types, converter, framing codec and message endpoint (no asyncio)."""

from dapattach.protocol.codec import Decoder, encode
from dapattach.protocol.converter import describe_error, make_converter, structure
from dapattach.protocol.endpoint import Endpoint, Event, InvalidMessage, Message, Request, Response
from dapattach.protocol.errors import LocalProtocolError, ProtocolError

__all__ = [
    "Decoder",
    "Endpoint",
    "Event",
    "InvalidMessage",
    "LocalProtocolError",
    "Message",
    "ProtocolError",
    "Request",
    "Response",
    "describe_error",
    "encode",
    "make_converter",
    "structure",
]
