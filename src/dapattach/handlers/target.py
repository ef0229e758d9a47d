"""Access to the session's attached process, shared by the handler areas that need one."""

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from dapattach.debuggee import Debuggee
from dapattach.protocol.endpoint import Json
from dapattach.session import HandlerTable, RequestContext, RequestError, Session

KEY = "debuggee"
WITHOUT_SOURCES = frozenset({"threads", "variables"})
"""Requests whose answers name no source (nothing to map, and a `variables` answer can be 1,000 rows)."""


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
    """Ask the agent the same request; answers come back with paths mapped to the editor's, and are
    sent on as the JSON they are."""
    debuggee = require(context)
    command = context.request.command
    body = await debuggee.request(command, plain(context, arguments))
    if command not in WITHOUT_SOURCES:
        debuggee.map_sources(body)
    return Json(body)


def forward_each(
    table: HandlerTable,
    commands: Iterable[str],
    answer: Callable[[RequestContext, Any], Awaitable[dict[str, Any]]] = forward,
) -> None:
    """Register, for each command, a handler that lets `answer` (the agent, by default) serve it."""

    async def handler(arguments: Any, context: RequestContext) -> dict[str, Any]:
        return await answer(context, arguments)

    for command in commands:
        table.on(command)(handler)
