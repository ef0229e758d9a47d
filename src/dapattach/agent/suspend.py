"""The stop core: threads stopped in the debugger, what they do while stopped, and resuming them.

Everything that stops a thread calls `stop` *on that thread*, from inside a `sys.monitoring` callback,
with the frame it stops in::

    action = stop(frame, "breakpoint", at_line=True, hitBreakpointIds=[3])
    match action.kind:
        case "continue": ...
        case "next" | "stepIn" | "stepOut": ...   # the user stepped *this* thread

Each stopped thread is a `StoppedThread` in the registry (`stopped()`, `stopped_thread(ident)`,
`by_thread_id(thread_id)`, `owner_of(frame)`): where it stopped, why, and its own queue of work. While
stopped, the thread *serves*: the agent thread hands it jobs (`submit`), such as an `evaluate` or the
reprs of a `variables` answer, and it runs them in its own context — its thread-locals, its context
variables, its frame — until it is resumed. Its resume action is its own (`_release`), so one thread
can be resumed while others stay stopped.

On top of that sits the stop *policy*, today all-stop like debugpy: the first stop makes every other
thread running Python stop at its next line (silently, `report=None`), and `resume` releases every
stopped thread, the stepped one with its step. A pause-style stop (`report=None`) that arrives after the
all-stop ended returns `CONTINUE` at once, so a thread racing a resume never stops alone. After `close()`
(detach) every call returns `CONTINUE` at once.

Functions in `after_stop` run on the thread once it is resumed, `hook(action, frame)` (stepping
arms its step there); functions in `resume_hooks` run on the agent thread at each resume, `hook(kind)`
(handles die then, and a continue ends every step in progress); functions in `before_report` run on the
stopping thread just before its `stopped` event goes out (what the program printed goes first).
"""

import collections
import contextlib
import os
import sys
import threading

_lock = threading.Lock()
_stopped = {}
_agent_idents = set()
_serving = set()
after_stop = []
resume_hooks = []
_state = {"stop_all": False, "reported": False, "closed": False, "report": None}
before_report = []
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
    """One thread stopped in the debugger; `frame` is where, `at_line` whether in a LINE event (only
    there may a frame jump). `busy` is the job it runs now, `jobs` those waiting for it."""

    __slots__ = ("_wake", "action", "at_line", "busy", "fields", "frame", "ident", "jobs", "reason",
                 "thread_id")  # fmt: skip

    def __init__(self, frame, reason, fields, at_line):
        self.ident = threading.get_ident()
        self.thread_id = threading.get_native_id()
        self.frame = frame
        self.reason = reason
        self.fields = fields
        self.at_line = at_line
        self.action = None
        self.busy = None
        self.jobs = collections.deque()
        self._wake = threading.Condition(_lock)

    def _serve(self):
        """Run the jobs handed to this thread until it is resumed; returns its resume action.

        The thread is inside a `sys.monitoring` callback, where CPython delivers no events; a job runs
        through `sys.call_tracing`, which delivers them again, so that it can be interrupted (see
        `interrupt.py`). Meanwhile the thread counts as the agent's: it stops nowhere.
        """
        while True:
            with _lock:
                while self.action is None and not self.jobs:
                    self._wake.wait()
                if self.action is not None:
                    return self.action
                self.busy = self.jobs.popleft()
            job = self.busy
            _serving.add(self.ident)
            try:
                sys.call_tracing(job.run, ())
            finally:
                _serving.discard(self.ident)
                self.busy = None


def wire(send, line_events):
    """Connect to the channel (`send(message)`) and to LINE events for all-stop (`line_events(on)`)."""
    _wiring["send"] = send
    _wiring["line_events"] = line_events


def add_agent_thread(ident):
    _agent_idents.add(ident)


def remove_agent_thread(ident):
    _agent_idents.discard(ident)


def is_agent_thread():
    """Whether this thread is the agent's own, or a stopped thread running a job: it never stops."""
    ident = threading.get_ident()
    return ident in _agent_idents or ident in _serving


def is_agent_ident(ident):
    """Whether `ident` is one of the agent's own threads (hidden from `threads`)."""
    return ident in _agent_idents


def stop_requested():
    return _state["stop_all"]


def is_stopped():
    with _lock:
        return bool(_stopped)


def stopped():
    """A snapshot of the registry: {ident: StoppedThread}."""
    with _lock:
        return dict(_stopped)


def reported():
    """The body of the `stopped` event of the stop in progress, or None while running: what an adapter that
    takes over the agent (a child process's own session) needs to show the stop it missed."""
    with _lock:
        return _state["report"]


def stopped_thread(ident):
    with _lock:
        return _stopped.get(ident)


def stopped_frame(ident):
    entry = stopped_thread(ident)
    return None if entry is None else entry.frame


def by_thread_id(thread_id):
    """The stopped thread whose DAP id is `thread_id`, or None."""
    for entry in stopped().values():
        if entry.thread_id == thread_id:
            return entry
    return None


def owner_of(frame):
    """The stopped thread on whose stack `frame` is, or None (a running thread's, or a finished one)."""
    for entry in stopped().values():
        current = entry.frame
        while current is not None:
            if current is frame:
                return entry
            current = current.f_back
    return None


def submit(entry, job):
    """Queue `job` on the stopped thread `entry`; False when it has been resumed meanwhile."""
    with _lock:
        if entry.action is not None or _stopped.get(entry.ident) is not entry:
            return False
        entry.jobs.append(job)
        entry._wake.notify()
        return True


def stop(frame, reason, *, report=True, at_line=False, **fields):
    """Stop this thread at `frame` until resumed; then run the `after_stop` hooks and return the action."""
    if is_agent_thread() or frame.f_code.co_filename.startswith(_AGENT_DIR):
        return CONTINUE
    with _lock:
        if _state["closed"] or (report is None and not _state["stop_all"]):
            return CONTINUE
        if report is None:
            report = not _state["reported"]
        entry = StoppedThread(frame, reason, fields, at_line)
        _stopped[entry.ident] = entry
        if report:
            _state["reported"] = True
        if not _state["stop_all"]:
            _begin_all_stop()
    if report:
        for hook in list(before_report):
            with contextlib.suppress(Exception):
                hook()
        body = {"reason": reason, "threadId": entry.thread_id, "allThreadsStopped": True, **fields}
        with _lock:
            if _state["stop_all"]:
                _state["report"] = body
        send = _wiring["send"]
        if send is not None:
            send({"type": "event", "event": "stopped", "body": body})
    try:
        action = entry._serve()
    finally:
        with _lock:
            if _stopped.get(entry.ident) is entry:
                del _stopped[entry.ident]
    for hook in list(after_stop):
        hook(action, frame)
    return action


def _begin_all_stop():
    _state["stop_all"] = True
    line_events = _wiring["line_events"]
    if line_events is not None:
        line_events(True)


def request_pause():
    """Make every thread running Python stop at its next line; the first one reports `pause`."""
    with _lock:
        if _state["closed"] or _state["stop_all"]:
            return
        _state["reported"] = False
        _begin_all_stop()


def _release(entry, action, why):
    """Resume one stopped thread (under `_lock`): its waiting jobs are dropped, its running one stopped."""
    entry.action = action
    while entry.jobs:
        entry.jobs.popleft().abandon(why)
    if entry.busy is not None:
        entry.busy.interrupt(why)
    entry._wake.notify()


def resume(kind="continue", thread_id=None):
    """Resume every thread; the one whose DAP id is `thread_id` gets `kind` (a step), others continue."""
    with _lock:
        for entry in _stopped.values():
            stepped = kind != "continue" and entry.thread_id == thread_id
            _release(entry, ResumeAction(kind, thread_id) if stepped else CONTINUE, "the thread was resumed")
        _end_all_stop()
    for hook in list(resume_hooks):
        hook(kind)


def _end_all_stop():
    was_stopping = _state["stop_all"]
    _state["stop_all"] = False
    _state["reported"] = False
    _state["report"] = None
    line_events = _wiring["line_events"]
    if was_stopping and line_events is not None:
        line_events(False)


def forget_after_fork():
    """In a forked child: the threads that held these locks do not exist there, so start from new ones."""
    global _lock
    _lock = threading.Lock()
    _stopped.clear()
    _agent_idents.clear()
    _serving.clear()
    close()


def close():
    """Detach: release every stopped thread and make later calls return at once; returns their idents."""
    with _lock:
        _state["closed"] = True
        released = list(_stopped)
        for entry in _stopped.values():
            _release(entry, CONTINUE, "the debugger detached")
        _end_all_stop()
    _wiring["send"] = None
    _wiring["line_events"] = None
    resume_hooks.clear()
    after_stop.clear()
    before_report.clear()
    return released
