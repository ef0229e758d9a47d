"""Access to the session's attached process, shared by the handler areas that need one."""

from typing import Any

from dapattach.debuggee import Debuggee
from dapattach.session import RequestContext, RequestError, Session

KEY = "debuggee"


def current(session: Session) -> Debuggee | None:
    debuggee: Debuggee | None = session.state.get(KEY)
    return debuggee


def require(context: RequestContext) -> Debuggee:
    debuggee = current(context.session)
    if debuggee is None:
        raise RequestError(
            f"{context.request.command!r} needs an attached process: send 'attach' with a processId first."
        )
    return debuggee


def plain(context: RequestContext, arguments: object) -> dict[str, Any]:
    """The request's arguments as the JSON object the agent expects."""
    if arguments is None:
        return {}
    value = context.session.converter.unstructure(arguments)
    return dict(value) if isinstance(value, dict) else {}


async def forward(context: RequestContext, arguments: object) -> dict[str, Any]:
    """Ask the agent the same request; answers come back with paths mapped to the editor's."""
    debuggee = require(context)
    body = await debuggee.request(context.request.command, plain(context, arguments))
    debuggee.map_sources(body)
    return body
