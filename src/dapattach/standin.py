"""Answers from outside the process while the agent is not in yet.

A target whose threads are all blocked in C (an idle server in `accept()`, a job in `sleep()`) runs the
attach bootstrap only when it next executes Python code. Until then the editor still gets every thread
and its stack, read from the target's memory by `_remote_debugging` without stopping it. Frames carry a
label so the user can tell a snapshot from a stopped thread, and values say why they are not there yet.
asyncio tasks are entries of their own, with their await chains as stacks and the ids the agent gives
them (see `agent/tasks.py`), so an idle asyncio server shows what each task waits in.
"""

import asyncio
import re
import time
from typing import Any

from dapattach.session import RequestError
from dapattach.snapshot import Frame, Snapshot, SnapshotError, take_snapshot

FRAME_ID_BASE = 1 << 30
"""Snapshot frame ids live above the agent's, so a late request for one is recognised as stale."""
FRESH_FOR = 0.05
"""A snapshot younger than this (seconds) answers `threads` again: the one `attach` took to say where the
target is blocked serves the editor's first `threads` request, which follows within milliseconds."""
TASK_BASE = 1 << 30
"""The first DAP id of an asyncio task entry; the same rule as the agent's `tasks.task_dap_id`."""


def task_dap_id(address: int) -> int:
    """The DAP id of the task at `address`, as the agent numbers it (OS thread ids are below 2**22)."""
    return TASK_BASE + ((address >> 4) % (1 << 30))


def _natural_key(name: str) -> list[tuple[int, int | str]]:
    """`conn-2` before `conn-10`, as the agent orders task entries."""
    parts = re.split(r"(\d+)", name)
    return [(0, int(part)) if part.isdigit() else (1, part.lower()) for part in parts if part]


class SnapshotStandIn:
    def __init__(self, pid: int, *, tasks: bool = True) -> None:
        self.pid = pid
        self.tasks = tasks
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
        entries = [{"id": thread.id, "name": f"{thread.name} (snapshot)"} for thread in snapshot.threads]
        if self.tasks:
            names = {thread.id: thread.name for thread in snapshot.threads}
            for task in sorted(snapshot.tasks, key=lambda task: (task.thread_id, _natural_key(task.name))):
                where = names.get(task.thread_id, f"thread {task.thread_id}")
                entries.append(
                    {"id": task_dap_id(task.id), "name": f"Task {task.name!r} (asyncio, {where}) (snapshot)"}
                )
        return {"threads": entries}

    def _stack_of(self, snapshot: Snapshot, thread_id: object) -> tuple[Frame, ...] | None:
        thread = next((t for t in snapshot.threads if t.id == thread_id), None)
        if thread is not None:
            return thread.frames
        task = next((t for t in snapshot.tasks if task_dap_id(t.id) == thread_id), None)
        if task is None or not self.tasks:
            return None
        waiting = (Frame(function=f"awaited by {', '.join(map(repr, task.awaited_by))}", path="", line=0),)
        return task.frames + (waiting if task.awaited_by else ())

    async def stack_trace(self, arguments: dict[str, Any]) -> dict[str, Any]:
        thread_id = arguments.get("threadId")
        snapshot = await self.snapshot(fresh=False)
        frames = self._stack_of(snapshot, thread_id)
        if frames is None:
            snapshot = await self.snapshot()
            frames = self._stack_of(snapshot, thread_id)
        if frames is None:
            raise RequestError(f"Thread {thread_id} is not in process {self.pid} any more.")
        start = int(arguments.get("startFrame") or 0)
        levels = int(arguments.get("levels") or 0)
        chosen = frames[start : start + levels if levels else None]
        stamp = time.strftime("%H:%M:%S", time.localtime(self._taken_at))
        stack = [self._frame_body(frame) for frame in chosen]
        if start == 0:
            label = {"id": self._frame_id(None), "name": f"snapshot at {stamp}: agent not in yet",
                     "line": 0, "column": 0, "presentationHint": "label"}  # fmt: skip
            stack.insert(0, label)
        return {"stackFrames": stack, "totalFrames": len(frames) + 1}

    def _frame_body(self, frame: Frame) -> dict[str, Any]:
        if not frame.path:
            return {"id": self._frame_id(None), "name": frame.function, "line": 0, "column": 0,
                    "presentationHint": "label"}  # fmt: skip
        return {
            "id": self._frame_id(frame),
            "name": frame.function,
            "line": frame.line,
            "column": 1,
            "source": {"name": frame.path.rpartition("/")[2], "path": frame.path},
            "presentationHint": "normal",
        }

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
