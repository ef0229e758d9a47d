"""Running and stopping: pause, continue, the three steps (`stepIn` into a chosen call), goto.

All-stop by default, like debugpy: when one thread stops every thread running Python stops at its next
line, and `continue` resumes them all (`allThreadsContinued`); `singleThread` resumes only the thread
named. With the attach option `stopAll: false` (non-stop) only the thread that hits a breakpoint stops, and
`pause`, `continue` and the steps act on the thread named only. The agent decides and says which in its
answers and events, which are passed on as they are.
"""

from typing import Any

from dapattach.handlers.target import forward_each, plain, require
from dapattach.session import HandlerTable, RequestContext

handlers = HandlerTable(
    supports_goto_targets_request=True,
    supports_single_thread_execution_requests=True,
    supports_step_in_targets_request=True,
)

forward_each(handlers, ("continue", "pause", "next", "stepIn", "stepOut", "goto", "gotoTargets"))


@handlers.on("stepInTargets")
async def step_in_targets(arguments: Any, context: RequestContext) -> dict[str, Any]:
    """The calls on the frame's line, in the order they run; columns in the client's own base."""
    request = plain(context, arguments)
    client = context.session.client
    request["columnsStartAt1"] = client is None or client.columns_start_at1 is not False
    return await require(context).request("stepInTargets", request)
