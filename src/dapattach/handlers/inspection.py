"""Looking at the stopped (or running) target: threads, stacks, scopes, variables, sources, evaluation.

The agent answers these in DAP's own shapes; the adapter forwards them and maps source paths back to the
editor's. Each handler is registered explicitly, so the table below is the list of what is served.
`source` for a file the editor cannot open (a target in a container) is read by the adapter itself.
"""

import asyncio
from typing import Any

from dapattach.attach.checks import AttachError
from dapattach.handlers.target import forward, forward_each, require
from dapattach.protocol import types
from dapattach.session import HandlerTable, RequestContext, RequestError

handlers = HandlerTable(
    supports_evaluate_for_hovers=True,
    supports_set_variable=True,
    supports_set_expression=True,
    supports_clipboard_context=True,
    supports_delayed_stack_trace_loading=True,
    supports_exception_info_request=True,
    supports_value_formatting_options=False,
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
