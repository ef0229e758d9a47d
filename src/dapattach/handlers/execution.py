"""Running and stopping: pause, continue, the three steps, goto.

All-stop like debugpy: when one thread stops every thread running Python stops at its next line, and
`continue` resumes them all (`allThreadsContinued`).
"""

from typing import Any

from dapattach.handlers.target import forward, forward_each
from dapattach.session import HandlerTable, RequestContext

handlers = HandlerTable(supports_goto_targets_request=True, supports_single_thread_execution_requests=False)


@handlers.on("continue")
async def continue_(arguments: Any, context: RequestContext) -> dict[str, Any]:
    body = await forward(context, arguments)
    return {"allThreadsContinued": True, **body}


forward_each(handlers, ("pause", "next", "stepIn", "stepOut", "goto", "gotoTargets"))
