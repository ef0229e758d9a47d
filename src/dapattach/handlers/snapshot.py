"""`snapshot` (a dapattach request beyond DAP): every thread's stack of a process, without stopping it.

The quick answer to "what is it doing right now?", deadlocks included, for any Python 3.14+ process by
PID, attached or not; in a session attached to a process, `processId` defaults to that one.
"""

import asyncio
from typing import Any

from dapattach.handlers import target
from dapattach.session import HandlerTable, RequestContext, RequestError
from dapattach.snapshot import SnapshotError, format_snapshot, take_snapshot

handlers = HandlerTable()


@handlers.on("snapshot")
async def snapshot(arguments: Any, context: RequestContext) -> dict[str, Any]:
    pid = arguments.get("processId") if isinstance(arguments, dict) else None
    if pid is None:
        attached = target.current(context.session)
        if attached is None:
            raise RequestError("'snapshot' needs a processId, or a session attached to a process.")
        pid = attached.pid
    if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
        raise RequestError(f"snapshot.processId must be a positive process id, not {pid!r}")
    try:
        taken = await asyncio.to_thread(take_snapshot, pid)
    except SnapshotError as error:
        raise RequestError(str(error)) from None
    return {"text": format_snapshot(taken), **taken.to_json()}
