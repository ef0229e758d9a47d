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

On top of that sits the stop *policy* (`set_all_stop`):

- all-stop (the default, like debugpy): the first stop makes every other thread running Python stop at
  its next line (silently, `report=None`), and `resume` releases every stopped thread, the stepped one
  with its step; `single=True` (DAP's `singleThread`) releases only the one named and ends the catching,
  so it runs while the others stay stopped. A pause-style stop that arrives after the all-stop ended
  returns `CONTINUE` at once, so a thread racing a resume never stops alone.
- non-stop: only the thread that hits stops, and reports `allThreadsStopped: false`; the others go on.
  `request_pause(idents)` asks those threads alone to stop: LINE events only on the code objects on their
  stacks (a thread blocked in C stops when it is back in one of them), never on every line of the
  program, which keeps running. `resume` releases only the thread named.

After `close()` (detach) every call returns `CONTINUE` at once.

Functions in `after_stop` run on the thread once it is resumed, `hook(action, frame)` (stepping
arms its step there); functions in `resume_hooks` run on the agent thread at each resume,
`hook(kind, idents)`, where `idents` are the threads released, or None when every thread was (handles
of those threads die then, and a continue ends their steps); functions in `before_report` run on the
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
reported_hooks = []
"""Functions run on a thread right after its stop was reported, `hook(frame)` (asyncio tasks say their
loop's thread stopped)."""
_state = {"stop_all": False, "reported": False, "closed": False, "all_stop": True, "report": None}
_pausing = set()
"""Threads asked to stop alone (non-stop `pause`), by ident."""
_wiring = {"send": None, "line_events": None, "pause_codes": None}
before_report = []
_AGENT_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class ResumeAction:
    """What a resumed thread does: `kind` is "continue" or a step; `frame`, when set, is the frame a step
    is about instead of the one the thread stopped in (a suspended asyncio task's coroutine)."""

    __slots__ = ("frame", "kind", "thread_id")

    def __init__(self, kind="continue", thread_id=None, frame=None):
        self.kind = kind
        self.thread_id = thread_id
        self.frame = frame

    def __repr__(self):
        return f"ResumeAction({self.kind!r}, {self.thread_id!r})"


CONTINUE = ResumeAction()


class StoppedThread:
    """One thread stopped in the debugger; `frame` is where, `at_line` whether in a LINE event (only
    there may a frame jump). `busy` is the job it runs now, `jobs` those waiting for it."""

    __slots__ = ("_wake", "action", "at_line", "busy", "fields", "frame", "ident", "jobs", "reason",
                 "report", "thread_id")  # fmt: skip

    def __init__(self, frame, reason, fields, at_line):
        self.ident = threading.get_ident()
        self.thread_id = threading.get_native_id()
        self.frame = frame
        self.reason = reason
        self.fields = fields
        self.at_line = at_line
        self.action = None
        self.report = None
        """The body of the `stopped` event it sent, if it said so (non-stop: each stopped thread did)."""
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


def free_threaded():
    """Whether the GIL is off now (a 3.14t build; the GIL can be turned back on at run time)."""
    enabled = getattr(sys, "_is_gil_enabled", None)
    return enabled is not None and not enabled()


def walkable_frames():
    """{ident: innermost frame} of the threads whose frames this thread may walk now. With the GIL, every
    thread's: none moves while we hold it. Without it (free-threaded) only the stopped threads' (from
    where they stopped: parked, their frames cannot change) and this thread's own, as walking the
    `f_back` chain of a thread that runs can meet a frame being torn down under us."""
    if not free_threaded():
        return sys._current_frames()
    with _lock:
        found = {ident: entry.frame for ident, entry in _stopped.items()}
    found[threading.get_ident()] = sys._getframe(1)
    return found


def wire(send, line_events, pause_codes):
    """Connect to the channel (`send(message)`), to LINE events for all-stop (`line_events(on)`) and to
    LINE events on chosen code objects for a non-stop pause (`pause_codes(codes)`, empty: none)."""
    _wiring["send"] = send
    _wiring["line_events"] = line_events
    _wiring["pause_codes"] = pause_codes


def set_all_stop(on):
    """The policy: all-stop (True) or non-stop (False); takes effect at the next stop."""
    _state["all_stop"] = bool(on)


def all_stop():
    return _state["all_stop"]


def add_agent_thread(ident):
    _agent_idents.add(ident)


def remove_agent_thread(ident):
    _agent_idents.discard(ident)


def is_agent_thread():
    """Whether this thread is the agent's own, or a stopped thread running a job: it never stops."""
    ident = threading.get_ident()
    return ident in _agent_idents or ident in _serving


def agent_threads():
    """The threads running the agent's code now: its own, and stopped threads running a job."""
    return set(_agent_idents) | set(_serving)


def is_agent_ident(ident):
    """Whether `ident` is one of the agent's own threads (hidden from `threads`)."""
    return ident in _agent_idents


def stop_requested():
    """Whether this thread should stop at this line: an all-stop catches it, or it was paused alone."""
    return _state["stop_all"] or (bool(_pausing) and threading.get_ident() in _pausing)


def is_stopped():
    with _lock:
        return bool(_stopped)


def stopped():
    """A snapshot of the registry: {ident: StoppedThread}."""
    with _lock:
        return dict(_stopped)


def reported():
    """The body of the `stopped` event of the stop in progress, or None while running: what an adapter that
    takes over the agent (a child process's own session) needs to show the stop it missed. Non-stop: that
    of one of the threads stopped."""
    with _lock:
        if _state["report"] is not None:
            return _state["report"]
        return next((entry.report for entry in _stopped.values() if entry.report is not None), None)


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
    """Stop this thread at `frame` until resumed; then run the `after_stop` hooks and return the action.

    `report=None` is a pause-style stop: it happens only while this thread is asked to stop, and says so
    only when it is the first of an all-stop or a thread paused alone."""
    if is_agent_thread() or frame.f_code.co_filename.startswith(_AGENT_DIR):
        return CONTINUE
    ident = threading.get_ident()
    paused_alone = False
    with _lock:
        if _state["closed"]:
            return CONTINUE
        if report is None:
            if ident in _pausing:
                report = True
            elif not _state["stop_all"]:
                return CONTINUE
            else:
                report = not _state["reported"]
        if ident in _pausing:
            _pausing.discard(ident)
            paused_alone = True
        entry = StoppedThread(frame, reason, fields, at_line)
        _stopped[entry.ident] = entry
        everyone = _state["all_stop"]
        if everyone:
            if report:
                _state["reported"] = True
            if not _state["stop_all"]:
                _begin_all_stop()
    if paused_alone:
        _narrow_pause()
    if report:
        for hook in list(before_report):
            with contextlib.suppress(Exception):
                hook()
        body = {"reason": reason, "threadId": entry.thread_id, "allThreadsStopped": everyone, **fields}
        with _lock:
            if everyone and _state["stop_all"]:
                _state["report"] = body
            entry.report = body
        send = _wiring["send"]
        if send is not None:
            send({"type": "event", "event": "stopped", "body": body})
        for hook in list(reported_hooks):
            with contextlib.suppress(Exception):  # a courtesy: the thread stops regardless
                hook(frame)
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


def request_pause(idents=None, silent=False):
    """All-stop: make every thread running Python stop at its next line; the first one reports `pause`
    (none does when `silent`: a thread of another interpreter stopped and said so, see `router.py`).
    Non-stop: make the threads `idents` (every thread when None) stop alone, each reporting its stop."""
    with _lock:
        if _state["closed"]:
            return
        if _state["all_stop"]:
            if not _state["stop_all"]:
                _state["reported"] = silent
                _begin_all_stop()
            return
        if idents is None:
            idents = set(sys._current_frames())
        _pausing.update(ident for ident in idents if ident not in _stopped and ident not in _agent_idents)
    _narrow_pause()


def _narrow_pause():
    """LINE events on the code on the stacks of the threads paused alone, and nowhere else; without the
    GIL, whose stacks cannot be walked while they run, on every line (`pause_codes(None)`) until then."""
    pause_codes = _wiring["pause_codes"]
    if pause_codes is None:
        return
    if free_threaded():
        pause_codes(None if _pausing else set())
        return
    frames = sys._current_frames()
    codes = set()
    with _lock:
        for ident in list(_pausing):
            frame = frames.get(ident)
            if frame is None:
                _pausing.discard(ident)  # the thread ended
            while frame is not None:
                if not frame.f_code.co_filename.startswith(_AGENT_DIR):
                    codes.add(frame.f_code)
                frame = frame.f_back
    pause_codes(codes)


def pausing(ident):
    """Whether thread `ident` was asked to stop alone and has not yet."""
    return ident in _pausing


def _release(entry, action, why):
    """Resume one stopped thread (under `_lock`): its waiting jobs are dropped, its running one stopped."""
    entry.action = action
    while entry.jobs:
        entry.jobs.popleft().abandon(why)
    if entry.busy is not None:
        entry.busy.interrupt(why)
    entry._wake.notify()


def resume(kind="continue", thread_id=None, single=False, frame=None):
    """Resume threads and return the DAP ids of those released (None: every thread).

    All-stop: every thread, the one whose DAP id is `thread_id` with `kind` (a step), the others with
    continue; with `single`, only that one. Non-stop: only that one (a step is then about `frame` when
    given). Every thread is also what a continue with no `thread_id` resumes."""
    with _lock:
        alone = (single or not _state["all_stop"]) and thread_id
        released = [entry for entry in _stopped.values() if not alone or entry.thread_id == thread_id]
        for entry in released:
            stepped = kind != "continue" and entry.thread_id == thread_id
            action = ResumeAction(kind, thread_id, frame) if stepped else CONTINUE
            _release(entry, action, "the thread was resumed")
            _pausing.discard(entry.ident)
        if not alone:
            _pausing.clear()
        if _state["all_stop"] or not alone:
            _end_all_stop()
        idents = {entry.ident for entry in released} if alone else None
    if not alone:
        _narrow_pause()
    for hook in list(resume_hooks):
        hook(kind, idents)
    return None if idents is None else [entry.thread_id for entry in released]


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
    _pausing.clear()
    close()


def close():
    """Detach: release every stopped thread and make later calls return at once; returns their idents."""
    with _lock:
        _state["closed"] = True
        released = list(_stopped)
        for entry in _stopped.values():
            _release(entry, CONTINUE, "the debugger detached")
        _pausing.clear()
        _end_all_stop()
    _wiring["send"] = None
    _wiring["line_events"] = None
    _wiring["pause_codes"] = None
    resume_hooks.clear()
    after_stop.clear()
    reported_hooks.clear()
    before_report.clear()
    return released
