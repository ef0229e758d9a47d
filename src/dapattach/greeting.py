"""The editor's `initialize`, answered over stdio before the rest of the adapter is imported.

An editor starts the adapter, sends `initialize` and waits for the answer before it sends `attach`. Most of
the adapter's start-up is importing asyncio, attrs, cattrs and the attach machinery, and none of it is
needed for that answer, which is a fixed list of capabilities. So the first message is read here with the
sans-IO codec alone; when it is a plain `initialize` it is answered at once, and the session that takes the
stream over (`Opening`) goes on as if it had answered it itself. Anything else (another first message,
arguments the converter might reject, a terminal or a file on stdin) is left untouched to the session,
which answers it exactly as it always does.

The editor's next message is `attach`. When it comes within `ATTACH_WAIT` and names a process by number,
`attach_early` asks the target to load the agent at once (`invitation.invite`, which needs no asyncio)
and leaves the message unread: the target loads the agent while the adapter imports the rest of itself,
and the session's `attach` takes the invitation over. If that request is refused after all (an option it
rejects), the invitation is taken back; if the early request fails, the session's `attach` tries again
and reports what it finds.
"""

import contextlib
import os
import stat
import sys
import time
from typing import TYPE_CHECKING, Any

from dapattach.protocol import codec
from dapattach.protocol.errors import ProtocolError

if TYPE_CHECKING:
    from dapattach.attach.invitation import Invitation

READ_SIZE = 256 * 1024
ATTACH_WAIT = 0.03
"""How long after answering `initialize` the client's `attach` is waited for before the adapter goes on
loading itself: editors send it as soon as they read the answer, within a few milliseconds."""

CAPABILITIES: dict[str, Any] = {
    "supportsConfigurationDoneRequest": True,
    "supportsFunctionBreakpoints": True,
    "supportsConditionalBreakpoints": True,
    "supportsHitConditionalBreakpoints": True,
    "supportsEvaluateForHovers": True,
    "exceptionBreakpointFilters": [
        {
            "filter": "raised",
            "label": "Raised Exceptions",
            "description": "Stop whenever an exception is raised, even if it is caught later.",
            "default": False,
            "supportsCondition": True,
            "conditionDescription": "A Python expression; `__exception__` is the exception, e.g. "
            "isinstance(__exception__, KeyError)",
        },
        {
            "filter": "uncaught",
            "label": "Uncaught Exceptions",
            "description": "Stop when an exception is about to end a thread or the program.",
            "default": True,
            "supportsCondition": True,
            "conditionDescription": "A Python expression; `__exception__` is the exception",
        },
        {
            "filter": "userUnhandled",
            "label": "User Uncaught Exceptions",
            "description": "Stop when an exception leaves your code into library code (with justMyCode).",
            "default": False,
            "supportsCondition": True,
            "conditionDescription": "A Python expression; `__exception__` is the exception",
        },
    ],
    "supportsSetVariable": True,
    "supportsGotoTargetsRequest": True,
    "supportsStepInTargetsRequest": True,
    "supportsCompletionsRequest": True,
    "completionTriggerCharacters": [".", "["],
    "supportsModulesRequest": True,
    "supportsExceptionOptions": True,
    "supportsValueFormattingOptions": True,
    "supportsExceptionInfoRequest": True,
    "supportTerminateDebuggee": True,
    "supportsDelayedStackTraceLoading": True,
    "supportsLoadedSourcesRequest": True,
    "supportsLogPoints": True,
    "supportsSetExpression": True,
    "supportsTerminateRequest": True,
    "supportsCancelRequest": True,
    "supportsBreakpointLocationsRequest": True,
    "supportsClipboardContext": True,
    "supportsExceptionFilterOptions": True,
    "supportsSingleThreadExecutionRequests": True,
}
"""What the handler tables announce (`Session.capabilities`), precomputed; a test keeps the two equal."""

_STRINGS = frozenset({"clientID", "clientName", "adapterID", "locale", "pathFormat"})
_BOOLEANS = frozenset(
    {
        "linesStartAt1",
        "columnsStartAt1",
        "supportsVariableType",
        "supportsVariablePaging",
        "supportsRunInTerminalRequest",
        "supportsMemoryReferences",
        "supportsProgressReporting",
        "supportsInvalidatedEvent",
        "supportsMemoryEvent",
        "supportsArgsCanBeInterpretedByShell",
        "supportsStartDebuggingRequest",
        "supportsANSIStyling",
    }
)
"""The fields of `InitializeRequestArguments` by JSON kind; a test keeps them equal to the schema's."""


class Opening:
    """The stream as the greeting leaves it: undecoded input, and the `initialize` it answered, if any."""

    def __init__(
        self,
        decoder: codec.Decoder,
        exchange: tuple[dict[str, Any], bytes] | None,
        next_seq: int,
        dap_in: int,
    ) -> None:
        self.decoder = decoder
        self.exchange = exchange
        """The `initialize` answered here and the bytes of its answer (for the session's trace, which begins
        later); None when the session answers everything."""
        self.next_seq = next_seq
        self.invitation: Invitation | None = None
        """The target of the client's first `attach`, asked to load the agent already (`attach_early`)."""
        self._dap_in = dap_in

    @property
    def initialize(self) -> dict[str, Any] | None:
        """The arguments of the `initialize` answered here."""
        return None if self.exchange is None else self.exchange[0]["arguments"]

    def more_waiting(self) -> bool:
        """Whether the client has sent more already: an editor sends `attach` as soon as `initialize` is
        answered, and then the adapter has no idle moment to prepare anything in."""
        if self.decoder.pending:
            return True
        if sys.platform == "win32":
            return False  # Windows' select() takes sockets only
        import select

        return bool(select.select([self._dap_in], [], [], 0)[0])

    def peek(self, wait: float) -> dict[str, Any] | None:
        """The client's next message, left unread, if all of it has arrived within `wait` seconds (with no
        time left, what is in the pipe already is still read)."""
        deadline = time.monotonic() + wait
        while True:
            try:
                message = self.decoder.peek_message()
            except ProtocolError:
                return None
            if message is not None or sys.platform == "win32":
                return message
            import select

            if not select.select([self._dap_in], [], [], max(deadline - time.monotonic(), 0))[0]:
                return None
            data = os.read(self._dap_in, READ_SIZE)
            if not data:
                return None
            self.decoder.feed(data)


def attach_early(opening: Opening, wait: float = ATTACH_WAIT) -> None:
    """If the client's next message is an `attach` of a process by number, ask that process to load the
    agent now (`opening.invitation`); otherwise, or when that fails, leave it all to the session.

    What asking needs (the invitation and the driver chosen) is imported first, while the client reads the
    answer to `initialize` and sends its next message: the attach machinery is imported anyway, and this is
    time the adapter would wait."""
    deadline = time.monotonic() + wait
    from dapattach.attach import driver as drivers
    from dapattach.attach.invitation import invite

    try:
        chosen = drivers.choose()
    except drivers.DriverChoiceError:
        chosen = None  # `invite` then says what is wrong, for the session's `attach` to report
    match opening.peek(deadline - time.monotonic()):
        case {"type": "request", "command": "attach", "arguments": {"processId": int() as pid} as arguments}:
            if type(pid) is not int or pid <= 0 or "subProcessOf" in arguments:
                return
        case _:
            return
    with contextlib.suppress(Exception):  # the session's `attach` then tries again, and says what is wrong
        opening.invitation = invite(pid, chosen)


def answer_initialize(dap_in: int, dap_out: int) -> Opening | None:
    """Read up to the first message from `dap_in` and answer it on `dap_out` if it is a plain `initialize`.

    Returns None, reading nothing, when `dap_in` is not a pipe or a socket (a person at a terminal gets
    the session's own help at once). Blocks until the first message has arrived, as the session would.
    """
    if not stat.S_ISFIFO(mode := os.fstat(dap_in).st_mode) and not stat.S_ISSOCK(mode):
        return None
    received = bytearray()
    scratch = codec.Decoder()
    message = None
    while message is None:
        data = os.read(dap_in, READ_SIZE)
        if not data:
            break
        received += data
        scratch.feed(data)
        try:
            message = scratch.next_message()
        except ProtocolError:
            break
    if message is None or not _plain_initialize(message):
        untouched = codec.Decoder()
        untouched.feed(bytes(received))
        return Opening(untouched, None, 1, dap_in)
    response = {"seq": 1, "type": "response", "request_seq": message["seq"], "success": True}
    answer = codec.encode(response | {"command": "initialize", "body": CAPABILITIES})
    _write_all(dap_out, answer)
    return Opening(scratch, (message, answer), 2, dap_in)


def _plain_initialize(message: dict[str, Any]) -> bool:
    """Whether `message` is an `initialize` request the converter certainly accepts."""
    match message:
        case {"type": "request", "seq": int() as seq, "command": "initialize", "arguments": dict(arguments)}:
            return (
                type(seq) is int
                and type(arguments.get("adapterID")) is str
                and all(_plain_value(key, value) for key, value in arguments.items())
            )
    return False


def _plain_value(key: str, value: object) -> bool:
    if value is None or (key not in _STRINGS and key not in _BOOLEANS):
        return True
    return type(value) is (str if key in _STRINGS else bool)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
