"""`sys.monitoring` for the agent: the tool id, the events wanted, and the callbacks.

The agent claims one tool id for its lifetime (`DEBUGGER_ID` when free, else another free id) and enables
no event until a feature asks for one, so an attached but idle agent costs next to nothing (the exit-code
watch in `exits.py` keeps PY_UNWIND, which fires only when an exception leaves a frame). Features ask with
`want(owner, events)` / `unwant(owner)`; the global event set is the union of what the owners want, and
`release()` switches everything off and frees the id on detach.

Callbacks live here so that breakpoints and stepping can extend them: `line_hooks` is a list of
functions `hook(frame, code, line) -> (reason, fields) | None` consulted on every LINE event of a target
thread before the pause check; a hook that returns a reason stops the thread through `suspend.stop` (which
also applies what the thread is resumed with, e.g. a step). Other events go to handlers added with
`on(event, handler)`; `set_local(owner, code, events)` enables
events on one code object, and every local event is switched off again by `release()`, because freeing the
tool id does not clear them.

`DISABLE` is per code location for the whole tool, so it is only returned where nothing can need the
location later: a LINE event no hook keeps (a hook returns `KEEP` for its lines) while no owner wants every
line (`want(..., E.LINE)` or `keep_lines`), and handlers' own `disable(epoch)` answers. Whenever lines or
events are wanted again, `restart()` re-enables what was disabled with `sys.monitoring.restart_events()`,
which re-enables the locations other tools disabled too (they get those events once more and can disable
them again); it is called only if this tool disabled something since the last restart.

While no owner wants every line and no step keeps lines, the only LINE events left enabled are breakpoint
locations, and a leaner callback is registered instead: it finds the location's `spot` in `spots`
({line: ((code, spot), ...)}, kept by the breakpoints) with no lock, no allocation and no hook loop, and
calls `spot(frame)`, which answers `(reason, fields)` to stop or None; everything else goes the general way.
When there is a single location and its spot offers `specialise(miss, stop)`, the callback it builds for that
one location is registered instead (`miss(code, line)` handles other lines, `stop(frame, answer)` a hit).
"""

import contextlib
import os
import sys
import threading

from . import suspend

mon = sys.monitoring
E = mon.events
CANDIDATE_IDS = (mon.DEBUGGER_ID, 3, 4)
TOOL_NAME = "dapattach"

line_hooks = []
spots = {}
handlers = {}
solo = {}
"""{event: (owner, callback)}: a callback registered alone while `owner` is the only one wanting the event
(a handler that must stay cheap where it runs often, e.g. the exit-code watch on PY_UNWIND)."""
interrupts = {}
"""{thread ident: section}: code run for a request that must stop (see `interrupt.py`)."""
KEEP = object()
_AGENT_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_quiet = {"epoch": 0, "used": False}
_keep_lines = set()


class MonitorBusy(Exception):
    pass


class Monitor:
    def __init__(self):
        self.tool = None
        self._wanted = {}
        self._local = {}
        self._lock = threading.Lock()
        self._choosing = threading.Lock()
        self._solo_chosen = {}

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
                self.choose_line_callback()
                for event in handlers:
                    mon.register_callback(tool, event, _dispatcher(event))
                self._solo_chosen.clear()
                self.choose_solo_callbacks()
                return tool
            holders.append(f"{tool} ({holder!r})")
        raise MonitorBusy(
            f"no free sys.monitoring tool id: ids {', '.join(holders)} are held by other tools; "
            "stop the other debugger or profiler and attach again"
        )

    def want(self, owner, events):
        with self._lock:
            grows = events & ~self._wanted.get(owner, 0)
            self._wanted[owner] = events
            self._apply()
        self.choose_line_callback()
        self.choose_solo_callbacks()
        if grows:
            restart()

    def wanted(self):
        events = 0
        for wanted in list(self._wanted.values()):
            events |= wanted
        return events

    def set_local(self, owner, code, events):
        """Enable `events` on `code` for `owner` (0 removes the owner); the code gets the union."""
        with self._lock:
            owners = self._local.setdefault(code, {})
            if events:
                owners[owner] = events
            else:
                owners.pop(owner, None)
            union = 0
            for wanted in owners.values():
                union |= wanted
            if not owners:
                self._local.pop(code, None)
            if self.tool is not None:
                with contextlib.suppress(ValueError):
                    mon.set_local_events(self.tool, code, union)

    def local_codes(self, owner):
        with self._lock:
            return [code for code, owners in self._local.items() if owner in owners]

    def unwant(self, owner):
        with self._lock:
            self._wanted.pop(owner, None)
            self._apply()
        self.choose_line_callback()
        self.choose_solo_callbacks()

    def choose_solo_callbacks(self):
        """For an event in `solo`: its owner's lean callback while that owner alone wants it, else the
        shared dispatcher (which also checks for interruptions and agent threads)."""
        with self._choosing:
            tool = self.tool
            if tool is None:
                return
            for event, (owner, callback) in list(solo.items()):
                owners = [name for name, events in list(self._wanted.items()) if events & event]
                alone = owners == [owner]
                if self._solo_chosen.get(event) != alone:
                    self._solo_chosen[event] = alone
                    mon.register_callback(tool, event, callback if alone else _dispatcher(event))

    def choose_line_callback(self):
        """The lean callback while only breakpoint locations have LINE on, else the general one."""
        with self._choosing:
            tool = self.tool
            if tool is not None:
                callback = _on_line
                if not _keep_lines and not self.wanted() & E.LINE:
                    callback = _on_spot_line
                    only = list(spots.values())
                    if len(only) == 1 and len(only[0]) == 1 and hasattr(only[0][0][1], "specialise"):
                        callback = only[0][0][1].specialise(_miss, _stop)
                mon.register_callback(tool, E.LINE, callback)

    def _apply(self):
        if self.tool is None:
            return
        events = 0
        for wanted in self._wanted.values():
            events |= wanted
        with contextlib.suppress(ValueError):
            mon.set_events(self.tool, events)

    def release_after_fork(self):
        """`release` in a forked child, where a thread that no longer exists may hold the lock."""
        self._lock = threading.Lock()
        self.release()

    def release(self):
        with self._lock:
            self._wanted.clear()
            tool, self.tool = self.tool, None
        if tool is None:
            return
        with self._lock:
            local, self._local = self._local, {}
        for code in local:
            with contextlib.suppress(ValueError):
                mon.set_local_events(tool, code, 0)
        _keep_lines.clear()
        spots.clear()
        interrupts.clear()
        try:
            mon.set_events(tool, 0)
            restart()
            mon.clear_tool_id(tool)
            mon.free_tool_id(tool)
        except ValueError:
            pass


monitor = Monitor()


def epoch():
    return _quiet["epoch"]


def disable(since):
    """`DISABLE` for a callback that started at `since`, unless a restart happened meanwhile."""
    if since != _quiet["epoch"]:
        return None
    _quiet["used"] = True
    return mon.DISABLE


def restart():
    """Re-enable every location this tool disabled (see the module docstring for the cost to others)."""
    _quiet["epoch"] += 1
    if _quiet["used"]:
        _quiet["used"] = False
        mon.restart_events()


def keep_lines(owner, on):
    """While an owner keeps lines (a step in progress), no LINE location is disabled."""
    if on:
        _keep_lines.add(owner)
        monitor.choose_line_callback()
        restart()
    else:
        _keep_lines.discard(owner)
        monitor.choose_line_callback()


def on(event, handler):
    """Add `handler(*event_args)` for a non-LINE event; it returns `disable(epoch)` or None."""
    first = event not in handlers
    handlers.setdefault(event, []).append(handler)
    if first and monitor.tool is not None:
        mon.register_callback(monitor.tool, event, _dispatcher(event))


def _dispatcher(event):
    chain = handlers[event]

    def dispatch(*args):
        try:
            if interrupts:
                _interrupt_if_asked(args[0])
            if suspend.is_agent_thread():
                return None
            since = _quiet["epoch"]
            quiet = True
            for handler in chain:
                if handler(*args) is not mon.DISABLE:
                    quiet = False
            return disable(since) if quiet else None
        except KeyboardInterrupt:
            raise
        except BaseException:
            return None

    return dispatch


def _interrupt_if_asked(code):
    """On a thread asked to stop the code it runs for a request: raise, unless in the agent's own code."""
    section = interrupts.get(threading.get_ident())
    if section is not None and not code.co_filename.startswith(_AGENT_DIR):
        interrupts.pop(section.ident, None)
        if not section.ended:
            section.raise_here()


def _on_spot_line(code, line, _spots=spots, _getframe=sys._getframe):
    found = _spots.get(line)
    if found is not None:
        for spot_code, spot in found:
            if spot_code is code:
                try:
                    frame = _getframe(1)
                    _stop(frame, spot(frame))
                except KeyboardInterrupt:
                    raise
                except BaseException:
                    pass
                return None
    return _line_event(code, line, _getframe(1))


def _stop(frame, answer):
    """Stop for a spot's `(reason, fields)` answer (None: go on)."""
    if answer is not None and not suspend.is_agent_thread():
        reason, fields = answer
        suspend.stop(frame, reason, at_line=True, **fields)


def _miss(code, line):
    """The general handling of a LINE event, called from a specialised callback."""
    return _line_event(code, line, sys._getframe(2))


def _on_line(code, line):
    return _line_event(code, line, sys._getframe(1))


def _line_event(code, line, frame):
    try:
        if interrupts:
            _interrupt_if_asked(code)
        if code.co_filename.startswith(_AGENT_DIR):
            return disable(_quiet["epoch"])  # nothing stops in the agent's own code
        if suspend.is_agent_thread():
            return None
        since = _quiet["epoch"]
        keep = False
        for hook in line_hooks:
            stop = hook(frame, code, line)
            if stop is KEEP:
                keep = True
            elif stop is not None:
                reason, fields = stop
                suspend.stop(frame, reason, at_line=True, **fields)
                return None
        if suspend.stop_requested():
            suspend.stop(frame, "pause", report=None, at_line=True)
            return None
        if keep or _keep_lines or monitor.wanted() & E.LINE:
            return None
        return disable(since)
    except KeyboardInterrupt:
        raise
    except BaseException:
        pass
    return None
