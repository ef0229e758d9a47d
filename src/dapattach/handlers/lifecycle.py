"""Session lifecycle: initialize, configurationDone, disconnect, cancel.

These hold no target state; areas that attach something register a cleanup with `Session.add_cleanup`,
which `disconnect` (or the client vanishing) runs before the session ends.
"""

from dapattach.protocol import types
from dapattach.session import HandlerTable, RequestContext, RequestError

PROGRESS_CANCELLERS = "progress-cancellers"
"""`session.state` key: progress id → coroutine function that cancels what the progress stands for."""

handlers = HandlerTable(supports_configuration_done_request=True, supports_cancel_request=True)


@handlers.on("initialize")
async def initialize(
    arguments: types.InitializeRequestArguments, context: RequestContext
) -> types.Capabilities:
    session = context.session
    if session.client is not None:
        raise RequestError("The 'initialize' request may be sent only once per session.")
    session.client = arguments
    return session.capabilities


@handlers.on("configurationDone")
async def configuration_done(arguments: types.ConfigurationDoneArguments, context: RequestContext) -> None:
    context.session.configured.set()


@handlers.on("disconnect")
async def disconnect(arguments: types.DisconnectArguments, context: RequestContext) -> None:
    """Undo what the session attached, answer, then end the session (the target keeps running)."""
    await context.session.run_cleanups(arguments)
    context.session.end()


@handlers.on("cancel")
async def cancel(arguments: types.CancelArguments, context: RequestContext) -> None:
    """Best effort, as DAP defines it: a request still running is answered `cancelled`."""
    if arguments.request_id is not None:
        context.session.cancel_request(arguments.request_id)
    if arguments.progress_id is not None:
        cancel_progress = context.session.state.get(PROGRESS_CANCELLERS, {}).get(arguments.progress_id)
        if cancel_progress is not None:
            await cancel_progress()
