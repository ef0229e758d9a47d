"""Answers from outside the process while the agent is not in yet.

A target whose threads are all blocked in C (an idle server in `accept()`, a job in `sleep()`) runs the
attach bootstrap only when it next executes Python code. Until then the editor still gets every thread
and its stack, read from the target's memory by `_remote_debugging` without stopping it. Frames carry a
label so the user can tell a snapshot from a stopped thread, and values say why they are not there yet.
"""

import asyncio
import time
from typing import Any

from dapattach.session import RequestError
from dapattach.snapshot import Frame, Snapshot, SnapshotError, take_snapshot

FRAME_ID_BASE = 1 << 30
"""Snapshot frame ids live above the agent's, so a late request for one is recognised as stale."""
FRESH_FOR = 0.05
"""A snapshot younger than this (seconds) answers `threads` again: the one `attach` took to say where the
target is blocked serves the editor's first `threads` request, which follows within milliseconds."""


class SnapshotStandIn:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._snapshot: Snapshot | None = None
        self._taken_at = 0.0
        self._frames: dict[int, Frame] = {}

    async def snapshot(self, *, fresh: bool = True) -> Snapshot:
        if fresh or self._snapshot is None:
            try:
                self._snapshot = await asyncio.to_thread(take_snapshot, self.pid)
            except SnapshotError as error:
                raise RequestError(str(error)) from None
            self._taken_at = time.time()
            self._frames.clear()
        return self._snapshot

    async def threads(self) -> dict[str, Any]:
        snapshot = await self.snapshot(fresh=time.time() - self._taken_at > FRESH_FOR)
        return {
            "threads": [{"id": thread.id, "name": f"{thread.name} (snapshot)"} for thread in snapshot.threads]
        }

    async def stack_trace(self, arguments: dict[str, Any]) -> dict[str, Any]:
        snapshot = await self.snapshot(fresh=False)
        thread = next((t for t in snapshot.threads if t.id == arguments.get("threadId")), None)
        if thread is None:
            snapshot = await self.snapshot()
            thread = next((t for t in snapshot.threads if t.id == arguments.get("threadId")), None)
        if thread is None:
            raise RequestError(f"Thread {arguments.get('threadId')} is not in process {self.pid} any more.")
        start = int(arguments.get("startFrame") or 0)
        levels = int(arguments.get("levels") or 0)
        frames = thread.frames[start : start + levels if levels else None]
        stamp = time.strftime("%H:%M:%S", time.localtime(self._taken_at))
        stack = [
            {
                "id": self._frame_id(frame),
                "name": frame.function,
                "line": frame.line,
                "column": 1,
                "source": {"name": frame.path.rpartition("/")[2], "path": frame.path},
                "presentationHint": "normal",
            }
            for frame in frames
        ]
        if start == 0:
            label = {"id": self._frame_id(None), "name": f"snapshot at {stamp}: agent not in yet",
                     "line": 0, "column": 0, "presentationHint": "label"}  # fmt: skip
            stack.insert(0, label)
        return {"stackFrames": stack, "totalFrames": len(thread.frames) + 1}

    def scopes(self) -> dict[str, Any]:
        raise RequestError(
            f"Values are not available yet: process {self.pid} has not run Python code since the attach "
            "(its threads are blocked), so the agent that reads them is not in. The stacks shown are a "
            "snapshot read from outside."
        )

    def _frame_id(self, frame: Frame | None) -> int:
        frame_id = FRAME_ID_BASE + len(self._frames)
        if frame is not None:
            self._frames[frame_id] = frame
        else:
            self._frames[frame_id] = Frame(function="", path="", line=0)
        return frame_id
