"""The client's breakpoint configuration, kept so it survives until the agent can apply it.

Breakpoints set while the target has not run the bootstrap yet (an idle server) are answered at once as
pending, with ids of our own, and applied the moment the agent arrives. The agent's answers then come
back under the ids the editor already knows, as `breakpoint` events, and later events and stops that name
those breakpoints are translated the same way.
"""

import itertools
from collections.abc import Awaitable, Callable
from typing import Any

type Body = dict[str, Any]
type Ask = Callable[[str, Body], Awaitable[Body]]

PENDING_ID_BASE = 1 << 30
"""Pending ids live above the agent's own, so the two can never be confused."""

BREAKPOINT_COMMANDS = ("setBreakpoints", "setFunctionBreakpoints", "setExceptionBreakpoints")


class BreakpointBook:
    def __init__(self) -> None:
        self._latest: dict[tuple[str, str], Body] = {}
        self._pending_ids: dict[tuple[str, str], list[int]] = {}
        self._to_client: dict[int, int] = {}
        self._ids = itertools.count(PENDING_ID_BASE)

    def record(self, command: str, arguments: Body) -> None:
        """Remember the latest arguments per source (or per kind, for function/exception breakpoints)."""
        self._latest[_key(command, arguments)] = arguments

    def answer_pending(self, command: str, arguments: Body, why: str) -> Body:
        """Answer a breakpoint request while there is no agent: each breakpoint unverified, with an id."""
        self.record(command, arguments)
        if command == "setExceptionBreakpoints":
            return {}
        wanted = arguments.get("breakpoints") or []
        ids = [next(self._ids) for _ in wanted]
        self._pending_ids[_key(command, arguments)] = ids
        return {
            "breakpoints": [
                {
                    "id": number,
                    "verified": False,
                    "message": why,
                    **({"line": b["line"]} if "line" in b else {}),
                }
                for number, b in zip(ids, wanted, strict=True)
            ]
        }

    def requests(self) -> list[tuple[str, Body]]:
        """The latest breakpoint requests, in the order an agent should get them (another process's, too)."""
        order = sorted(self._latest.items(), key=lambda item: BREAKPOINT_COMMANDS.index(item[0][0]))
        return [(key[0], arguments) for key, arguments in order]

    async def replay(self, ask: Ask) -> list[Body]:
        """Apply everything recorded through `ask(command, arguments)`; returns `breakpoint` event bodies
        that tell the editor what became of its pending breakpoints."""
        changed: list[Body] = []
        for command, arguments in self.requests():
            body = await ask(command, arguments)
            pending = self._pending_ids.pop(_key(command, arguments), [])
            for client_id, breakpoint in zip(pending, body.get("breakpoints") or [], strict=False):
                if isinstance(breakpoint.get("id"), int):
                    self._to_client[breakpoint["id"]] = client_id
                changed.append({"reason": "changed", "breakpoint": {**breakpoint, "id": client_id}})
        return changed

    def adopted(self, body: Body) -> None:
        """The editor now knows these breakpoints by the agent's ids (it takes ids from each answer)."""
        for breakpoint in body.get("breakpoints") or []:
            if isinstance(breakpoint.get("id"), int):
                self._to_client.pop(breakpoint["id"], None)

    def client_id(self, agent_id: int) -> int:
        return self._to_client.get(agent_id, agent_id)

    def translate_event(self, event: str, body: Body) -> None:
        """Rewrite agent breakpoint ids in an event to the ones the editor knows."""
        match event, body:
            case "breakpoint", {"breakpoint": {"id": int(agent_id)} as breakpoint}:
                breakpoint["id"] = self.client_id(agent_id)
            case "stopped", {"hitBreakpointIds": list(ids)}:
                body["hitBreakpointIds"] = [self.client_id(i) if isinstance(i, int) else i for i in ids]


def _key(command: str, arguments: Body) -> tuple[str, str]:
    if command == "setBreakpoints":
        source = arguments.get("source") or {}
        return command, str(source.get("path") or source.get("sourceReference") or source.get("name"))
    return command, ""
