"""Running and stopping: pause, continue, the three steps (`stepIn` into a chosen call), goto.

All-stop like debugpy: when one thread stops every thread running Python stops at its next line, and
`continue` resumes them all (`allThreadsContinued`).
"""

from typing import Any

from dapattach.handlers.target import forward, forward_each, plain, require
from dapattach.session import HandlerTable, RequestContext

handlers = HandlerTable(
    supports_goto_targets_request=True,
    supports_single_thread_execution_requests=False,
    supports_step_in_targets_request=True,
)


@handlers.on("continue")
async def continue_(arguments: Any, context: RequestContext) -> dict[str, Any]:
    body = await forward(context, arguments)
    return {"allThreadsContinued": True, **body}


forward_each(handlers, ("pause", "next", "stepIn", "stepOut", "goto", "gotoTargets"))


@handlers.on("stepInTargets")
async def step_in_targets(arguments: Any, context: RequestContext) -> dict[str, Any]:
    """The calls on the frame's line, in the order they run; columns in the client's own base."""
    request = plain(context, arguments)
    client = context.session.client
    request["columnsStartAt1"] = client is None or client.columns_start_at1 is not False
    return await require(context).request("stepInTargets", request)
