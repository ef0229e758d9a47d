"""Looking at the stopped (or running) target: threads, stacks, scopes, variables, sources, evaluation,
modules.

The agent answers these in DAP's own shapes; the adapter forwards them and maps source paths back to the
editor's. Each handler is registered explicitly, so the table below is the list of what is served.
`source` for a file the editor cannot open (a target in a container) is read by the adapter itself.
"""

import asyncio
from typing import Any

from dapattach.attach.checks import AttachError
from dapattach.handlers.target import forward, forward_each, plain, require
from dapattach.protocol import types
from dapattach.session import HandlerTable, RequestContext, RequestError

handlers = HandlerTable(
    supports_evaluate_for_hovers=True,
    supports_set_variable=True,
    supports_set_expression=True,
    supports_clipboard_context=True,
    supports_delayed_stack_trace_loading=True,
    supports_exception_info_request=True,
    supports_value_formatting_options=True,
    supports_modules_request=True,
    supports_loaded_sources_request=True,
    supports_completions_request=True,
    completion_trigger_characters=[".", "["],
)

forward_each(
    handlers,
    (
        "threads",
        "stackTrace",
        "scopes",
        "variables",
        "evaluate",
        "setVariable",
        "setExpression",
        "exceptionInfo",
    ),
)


async def _listing(context: RequestContext, arguments: object, key: str) -> dict[str, Any]:
    """`modules` and `loadedSources`: lists of items with a `path`, which is the target's."""
    debuggee = require(context)
    body = await debuggee.request(context.request.command, plain(context, arguments))
    debuggee.map_paths(body.get(key))
    return body


@handlers.on("modules")
async def modules(arguments: object, context: RequestContext) -> dict[str, Any]:
    """Paged (`startModule`, `moduleCount`); from then on, `module` events as modules come and go."""
    return await _listing(context, arguments, "modules")


@handlers.on("loadedSources")
async def loaded_sources(arguments: object, context: RequestContext) -> dict[str, Any]:
    """From then on, `loadedSource` events as Python files are imported."""
    return await _listing(context, arguments, "sources")


@handlers.on("completions")
async def completions(arguments: object, context: RequestContext) -> dict[str, Any]:
    """Names, attributes after `.`, dict keys after `[`; columns in the client's own base."""
    debuggee = require(context)
    request = plain(context, arguments)
    client = context.session.client
    request["columnsStartAt1"] = client is None or client.columns_start_at1 is not False
    return await debuggee.request("completions", request)


@handlers.on("source")
async def source(arguments: types.SourceArguments, context: RequestContext) -> dict[str, Any]:
    debuggee = require(context)
    reference = arguments.source_reference or (arguments.source and arguments.source.source_reference) or 0
    try:
        text = await asyncio.to_thread(debuggee.sources.text, reference)
    except (OSError, AttachError) as error:
        raise RequestError(f"Cannot read that source from {debuggee.describe()}: {error}") from None
    if text is None:
        return await forward(context, arguments)
    return {"content": text, "mimeType": "text/x-python"}
