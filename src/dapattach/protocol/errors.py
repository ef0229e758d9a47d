"""Errors of the protocol core, split like h11's: the peer broke the protocol, or we tried to."""


class ProtocolError(Exception):
    """The peer sent something that is not DAP.

    `recoverable` tells the transport whether the stream can go on: a bad body inside a well-framed message
    or a header the decoder could resynchronise after loses one message, a stream cut inside a message
    does not leave anything to continue with.
    """

    def __init__(self, message: str, *, recoverable: bool) -> None:
        super().__init__(message)
        self.recoverable = recoverable


class LocalProtocolError(Exception):
    """Our own code tried to break the protocol (answer a request twice, send a malformed message)."""
