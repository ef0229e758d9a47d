"""`attach`: get the agent into the process, then follow DAP's order.

DAP orders attach as: `initialized` event → the client's breakpoints → `configurationDone` → the
`attach` response. Detaching (the default on disconnect) leaves the process running as if nothing had
happened; `terminateDebuggee` ends it.
"""

import asyncio
import logging
import os

from dapattach.attach.inject import AttachError
from dapattach.debuggee import Debuggee
from dapattach.handlers import target
from dapattach.options import OptionsError, parse_attach_options
from dapattach.protocol import types
from dapattach.session import Cleanup, HandlerTable, RequestContext, RequestError, Session

log = logging.getLogger(__name__)

handlers = HandlerTable(support_terminate_debuggee=True)


@handlers.on("attach")
async def attach(arguments: types.AttachRequestArguments, context: RequestContext) -> None:
    session = context.session
    attached = target.current(session)
    if attached is not None:
        raise RequestError(
            f"This session is already attached to process {attached.pid}: "
            "disconnect first, or start another session."
        )
    try:
        options = parse_attach_options(target.plain(context, arguments))
    except OptionsError as error:
        raise RequestError(str(error)) from None
    if options.log_to_file:
        log.info("logToFile is set; start the adapter with --log-dir to choose where the log goes")
    debuggee = Debuggee(options, session.send_event)
    progress = _Progress(session, f"Attaching to process {options.process_id}")
    try:
        link = await debuggee.attach()
    except AttachError as error:
        raise RequestError(str(error)) from None
    finally:
        progress.end()
    session.state[target.KEY] = debuggee
    session.add_cleanup(_disconnect_from(session, debuggee))
    session.send_event(
        "output",
        {
            "category": "console",
            "output": f"Attached to process {debuggee.pid} (Python {link.python}, {link.executable}).\n",
        },
    )
    session.send_event("initialized")
    await session.configured.wait()


class _Progress:
    """A progress indicator in clients that show one (`supportsProgressReporting`)."""

    def __init__(self, session: Session, title: str) -> None:
        self._session = session
        client = session.client
        self._on = bool(client is not None and client.supports_progress_reporting)
        self._id = f"attach-{os.getpid()}-{id(self)}"
        if self._on:
            session.send_event(
                "progressStart", {"progressId": self._id, "title": title, "cancellable": False}
            )

    def end(self) -> None:
        if self._on:
            self._session.send_event("progressEnd", {"progressId": self._id})
            self._on = False


def _disconnect_from(session: Session, debuggee: Debuggee) -> Cleanup:
    async def disconnect(arguments: types.DisconnectArguments) -> None:
        session.state.pop(target.KEY, None)
        if arguments.terminate_debuggee:
            code = await debuggee.terminate()
            after: list[tuple[str, dict[str, object]]] = []
            if code is not None:
                after.append(("exited", {"exitCode": code}))
            after.append(("terminated", {}))
            _after_response(session, after)
        else:
            await debuggee.detach()
            session.send_event(
                "output",
                {"category": "console", "output": f"Detached from process {debuggee.pid}; it runs on.\n"},
            )

    return disconnect


def _after_response(session: Session, events: list[tuple[str, dict[str, object]]]) -> None:
    """Send events once the current response is written (nvim-dap drops responses after `terminated`)."""
    loop = asyncio.get_running_loop()
    for name, body in events:
        loop.call_soon(session.send_event, name, body or None)
