"""Suspension: stopping target threads, all-stop, and resuming them.

Everything that stops a thread goes through `suspend`, called *on the target thread itself* from a
`sys.monitoring` callback (see `monitor.py`) with the frame it stops in::

    action = suspend(frame, "breakpoint", hitBreakpointIds=[3])
    match action.kind:
        case "continue": ...
        case "next" | "stepIn" | "stepOut": ...   # the user stepped *this* thread

`suspend(frame, reason, *, report=True, **fields) -> ResumeAction`:

- records the thread in the stop registry (`stopped()`, `stopped_frame(ident)`), which `stackTrace`,
  `scopes` and `variables` read;
- reports `stopped` with `reason`, `threadId`, `allThreadsStopped: true` and the extra DAP `fields`
  (`description`, `text`, `hitBreakpointIds`, ...) when `report` is true. `report=None` means "report only
  if no thread has reported in this stop yet" (what a pause uses, so one pause gives one event);
- starts an all-stop if none is in progress: every other thread running Python stops at its next line
  (silently, `report=None`), like debugpy's default;
- blocks until `resume` and returns the `ResumeAction` for this thread: the stepped thread gets the step,
  every other thread gets `continue`.

A pause-style stop (`report=None`) that arrives after the all-stop ended returns `CONTINUE` at once, so a
thread racing a resume never stops alone. After `close()` (detach) every call returns `CONTINUE` at once.

The agent thread calls `request_pause()`, `resume(kind, thread_id)` and `close()`. Frame ids and variable
references die on resume: functions in `resume_hooks` run then (the handle table registers one).
"""

import contextlib
import os
import threading

_cond = threading.Condition()
_stopped = {}
_actions = {}
_agent_idents = set()
resume_hooks = []
_state = {"stop_all": False, "reported": False, "generation": 0, "closed": False}
_wiring = {"send": None, "line_events": None}
_AGENT_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class ResumeAction:
    __slots__ = ("kind", "thread_id")

    def __init__(self, kind="continue", thread_id=None):
        self.kind = kind
        self.thread_id = thread_id

    def __repr__(self):
        return f"ResumeAction({self.kind!r}, {self.thread_id!r})"


CONTINUE = ResumeAction()


class StoppedThread:
    __slots__ = ("fields", "frame", "ident", "reason", "thread_id")

    def __init__(self, ident, thread_id, frame, reason, fields):
        self.ident = ident
        self.thread_id = thread_id
        self.frame = frame
        self.reason = reason
        self.fields = fields


def wire(send, line_events):
    """Connect to the channel (`send(message)`) and to LINE events for all-stop (`line_events(on)`)."""
    _wiring["send"] = send
    _wiring["line_events"] = line_events


def add_agent_thread(ident):
    _agent_idents.add(ident)


def remove_agent_thread(ident):
    _agent_idents.discard(ident)


def is_agent_thread():
    return threading.get_ident() in _agent_idents


def is_agent_ident(ident):
    return ident in _agent_idents


def stop_requested():
    return _state["stop_all"]


def is_stopped():
    with _cond:
        return bool(_stopped)


def stopped():
    """A snapshot of the stop registry: {ident: StoppedThread}."""
    with _cond:
        return dict(_stopped)


def stopped_frame(ident):
    with _cond:
        entry = _stopped.get(ident)
        return None if entry is None else entry.frame


def suspend(frame, reason, *, report=True, **fields):
    ident = threading.get_ident()
    if ident in _agent_idents or frame.f_code.co_filename.startswith(_AGENT_DIR):
        return CONTINUE
    with _cond:
        if _state["closed"] or (report is None and not _state["stop_all"]):
            return CONTINUE
        if report is None:
            report = not _state["reported"]
        entry = StoppedThread(ident, threading.get_native_id(), frame, reason, fields)
        _stopped[ident] = entry
        generation = _state["generation"]
        if report:
            _state["reported"] = True
        if not _state["stop_all"]:
            _begin_all_stop()
    if report:
        body = {"reason": reason, "threadId": entry.thread_id, "allThreadsStopped": True}
        body.update(fields)
        send = _wiring["send"]
        if send is not None:
            send({"type": "event", "event": "stopped", "body": body})
    with _cond:
        while _state["generation"] == generation and not _state["closed"]:
            _cond.wait()
        _stopped.pop(ident, None)
        return _actions.pop(ident, CONTINUE)


def _begin_all_stop():
    _state["stop_all"] = True
    line_events = _wiring["line_events"]
    if line_events is not None:
        line_events(True)


def request_pause():
    """Make every thread running Python stop at its next line; the first one reports `pause`."""
    with _cond:
        if _state["closed"] or _state["stop_all"]:
            return
        _state["reported"] = False
        _begin_all_stop()


def resume(kind="continue", thread_id=None):
    """Resume every thread; the one whose DAP id is `thread_id` gets `kind` (a step), others continue."""
    with _cond:
        _actions.clear()
        if kind != "continue":
            for ident, entry in _stopped.items():
                if entry.thread_id == thread_id:
                    _actions[ident] = ResumeAction(kind, thread_id)
        _end_all_stop()
    for hook in list(resume_hooks):
        with contextlib.suppress(Exception):
            hook()


def _end_all_stop():
    was_stopping = _state["stop_all"]
    _state["stop_all"] = False
    _state["reported"] = False
    _state["generation"] += 1
    _cond.notify_all()
    line_events = _wiring["line_events"]
    if was_stopping and line_events is not None:
        line_events(False)


def forget_after_fork():
    """In a forked child: the threads that held these locks do not exist there, so start from new ones."""
    global _cond
    _cond = threading.Condition()
    _stopped.clear()
    close()


def close():
    """Detach: release every stopped thread and make later calls return at once."""
    with _cond:
        _state["closed"] = True
        _actions.clear()
        _end_all_stop()
    _wiring["send"] = None
    _wiring["line_events"] = None
    resume_hooks.clear()
    _agent_idents.clear()
