"""`sys.monitoring` for the agent: the tool id, the events wanted, and the callbacks.

The agent claims one tool id for its lifetime (`DEBUGGER_ID` when free, else another free id) and enables
no event until a feature asks for one, so an attached but idle agent costs nothing. Features ask with
`want(owner, events)` / `unwant(owner)`; the global event set is the union of what the owners want, and
`release()` switches everything off and frees the id on detach.

Callbacks live here so that breakpoints and stepping can extend them: `line_hooks` is a list of
functions `hook(frame, code, line) -> (reason, fields) | None` consulted on every LINE event of a target
thread before the pause check; a hook that returns a reason suspends the thread through `suspend.suspend`
and the `ResumeAction` it returns is handed to `on_resume` hooks (stepping installs one). No callback here
returns `DISABLE`: a disabled location stays off for every later pause until `restart_events()`, which
would also touch other tools. Features that want `DISABLE` for speed must manage that themselves.
"""

import contextlib
import sys
import threading

from . import suspend

mon = sys.monitoring
E = mon.events
CANDIDATE_IDS = (mon.DEBUGGER_ID, 3, 4)
TOOL_NAME = "dapattach"

line_hooks = []
on_resume = []


class MonitorBusy(Exception):
    pass


class Monitor:
    def __init__(self):
        self.tool = None
        self._wanted = {}
        self._lock = threading.Lock()

    def claim(self):
        holders = []
        for tool in CANDIDATE_IDS:
            holder = mon.get_tool(tool)
            if holder is None:
                try:
                    mon.use_tool_id(tool, TOOL_NAME)
                except ValueError:
                    holders.append(f"{tool} ({mon.get_tool(tool)!r})")
                    continue
                self.tool = tool
                mon.register_callback(tool, E.LINE, _on_line)
                return tool
            holders.append(f"{tool} ({holder!r})")
        raise MonitorBusy(
            f"no free sys.monitoring tool id: ids {', '.join(holders)} are held by other tools; "
            "stop the other debugger or profiler and attach again"
        )

    def want(self, owner, events):
        with self._lock:
            self._wanted[owner] = events
            self._apply()

    def unwant(self, owner):
        with self._lock:
            self._wanted.pop(owner, None)
            self._apply()

    def _apply(self):
        if self.tool is None:
            return
        events = 0
        for wanted in self._wanted.values():
            events |= wanted
        with contextlib.suppress(ValueError):
            mon.set_events(self.tool, events)

    def release(self):
        with self._lock:
            self._wanted.clear()
            tool, self.tool = self.tool, None
        if tool is None:
            return
        try:
            mon.set_events(tool, 0)
            mon.clear_tool_id(tool)
            mon.free_tool_id(tool)
        except ValueError:
            pass


monitor = Monitor()


def _on_line(code, line):
    try:
        if suspend.is_agent_thread():
            return None
        frame = sys._getframe(1)
        for hook in line_hooks:
            stop = hook(frame, code, line)
            if stop is not None:
                reason, fields = stop
                _resumed(suspend.suspend(frame, reason, **fields))
                return None
        if suspend.stop_requested():
            _resumed(suspend.suspend(frame, "pause", report=None))
    except Exception:
        pass
    return None


def _resumed(action):
    for hook in on_resume:
        hook(action)
