"""Stepping (`next`, `stepIn`, `stepOut`) on any stopped thread, `goto`, and return values.

Each stepping thread has a `Step`: the frame it stepped from and a mode. Events are enabled only for the
step's needs, and only while a step runs: LINE, PY_RETURN and PY_YIELD on the code of that frame (local
events), PY_UNWIND (global, it cannot be local), and for `stepIn` PY_START/PY_RESUME, on which the code
entered gets LINE events of its own. So stepping over a call into a heavy library costs one PY_START per
call, not a callback per line.

- `over` stops at the next LINE event of the *same frame object*: in a generator or coroutine that is the
  line after the `yield`/`await` once that frame resumes, never the event loop in between.
- `into` stops at the next LINE of user code on this thread (`justMyCode`).
- `out` waits for the frame to return.
- `target` (a `stepIn` with a `targetId` from `stepInTargets`) waits, with a CALL event on the frame's code,
  for that call instruction to run, then goes on as `into`: it stops in the function called when that is
  user code, else at the next user line. If the frame reaches another line first (the call was skipped),
  it stops there.

When the frame returns, the thread stops at once in the caller (the PY_RETURN callback reports the caller
frame, at the line of the call) when the caller is user code; otherwise, and when the frame is left by an
exception, the step goes on as `into`. With `showReturnValue` the caller's Locals then show
`(return) name`. A `goto` is a job of the stopped thread itself (`jobs.py`), as CPython allows `f_lineno`
to be set only from within a LINE callback of that thread, which is where it waits; a thread stopped at a
return or an exception cannot jump. The thread stays stopped, at its new line.
"""

import sys
import threading

from . import calltargets, codeindex, context, suspend, tasks, values
from . import monitor as monitoring
from .commands import RequestError, command
from .monitor import E, monitor

CO_COROUTINE_LIKE = 0x0080 | 0x0100 | 0x0200  # CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR
_steps = {}
_returns = {}
_targets = {}
_lock = threading.Lock()


class Step:
    """A step of one thread; `owner` tells a later thread that got the same ident from this one."""

    __slots__ = ("codes", "frame", "mode", "owner", "target")

    def __init__(self, mode, frame, target=None):
        self.mode = mode
        self.frame = frame
        self.target = target
        self.codes = set()
        self.owner = threading.current_thread()


def _current_step():
    step = _steps.get(threading.get_ident())
    if step is not None and step.owner is not threading.current_thread():
        _finish(threading.get_ident())
        return None
    return step


def _after_stop(action, frame):
    """Run on a thread that was stopped, once resumed: arm the step it was given."""
    ident = threading.get_ident()
    _returns.pop(ident, None)
    frame = action.frame or frame
    match action.kind:
        case "next":
            _begin(ident, Step("over", frame))
        case "stepIn" if ident in _targets:
            _begin(ident, Step("target", frame, _targets.pop(ident)))
        case "stepIn":
            _begin(ident, Step("into", frame))
        case "stepOut":
            _begin(ident, Step("out", frame))


def _begin(ident, step):
    if step.mode == "into":
        step.codes.add(step.frame.f_code)
    with _lock:
        _steps[ident] = step
    _rearm()


def _finish(ident):
    with _lock:
        _steps.pop(ident, None)
    _rearm()


def _into_from(ident, frame):
    """Go on as `into` from `frame` (left by return or exception): any user line of this thread stops."""
    step = Step("into", None)
    while frame is not None:
        if context.is_user(frame.f_code):
            step.codes.add(frame.f_code)
        frame = frame.f_back
    with _lock:
        _steps[ident] = step
    _rearm()


def _rearm():
    with _lock:
        steps = list(_steps.values())
    local = {}
    global_events = 0
    for step in steps:
        global_events |= E.PY_UNWIND
        if step.frame is not None:
            events = E.PY_RETURN | E.PY_YIELD | (0 if step.mode == "out" else E.LINE)
            events |= E.CALL if step.mode == "target" else 0
            local[step.frame.f_code] = local.get(step.frame.f_code, 0) | events
        if step.mode == "into":
            global_events |= E.PY_START | E.PY_RESUME
            for code in tuple(step.codes):  # another thread may add to its own step meanwhile
                local[code] = local.get(code, 0) | E.LINE
    for code in monitor.local_codes("step"):
        if code not in local:
            monitor.set_local("step", code, 0)
    for code, events in local.items():
        monitor.set_local("step", code, events)
    monitoring.keep_lines("step", bool(steps))
    if global_events:
        monitor.want("step", global_events)
    else:
        monitor.unwant("step")


def cancel_all():
    with _lock:
        _steps.clear()
    _rearm()


def _line_hook(frame, code, line):
    step = _current_step()
    if step is None:
        return None
    if (step.mode in ("over", "target") and frame is step.frame) or (
        step.mode == "into" and context.is_user(code)
    ):
        _finish(threading.get_ident())
        return "step", {}
    return None


def _on_call(code, offset, callable_, argument):
    """CALL on the code of a `target` step's frame: when it is the chosen call, step into it."""
    step = _current_step()
    if (
        step is not None
        and step.mode == "target"
        and offset == step.target
        and sys._getframe(2) is step.frame
    ):
        into = Step("into", step.frame)
        into.codes.add(step.frame.f_code)
        with _lock:
            _steps[threading.get_ident()] = into
        _rearm()
    return None


def _leaving_step_frame():
    """This thread's step, if the frame a PY_RETURN/PY_YIELD/PY_UNWIND callback fired for is the one it
    stepped from (that frame is 3 levels up: this function, the callback, the monitor's dispatch)."""
    step = _current_step()
    if step is not None and sys._getframe(3) is step.frame:
        return step
    return None


def _on_return(code, offset, value):
    step = _leaving_step_frame()
    if step is not None:
        _returned(threading.get_ident(), step.frame, value)
    return None


def _returned(ident, frame, value):
    caller = frame.f_back
    if caller is not None and context.is_user(caller.f_code):
        _finish(ident)
        if context.option("showReturnValue"):
            _returns[ident] = (caller, frame.f_code.co_qualname, value)
        suspend.stop(caller, "step")
    else:
        _into_from(ident, caller)


def _on_yield(code, offset, value):
    step = _leaving_step_frame()
    if step is None:
        return None
    ident, frame = threading.get_ident(), step.frame
    if code.co_flags & CO_COROUTINE_LIKE:
        if step.mode == "into":
            with _lock:
                _steps[ident] = Step("over", frame)
            _rearm()
        return None
    if step.mode != "over":
        _returned(ident, frame, value)
    return None


def _on_unwind(code, offset, exception):
    step = _leaving_step_frame()
    if step is not None:
        _into_from(threading.get_ident(), step.frame.f_back)
    return None


def _on_enter(code, offset):
    """PY_START/PY_RESUME while a step runs: `into` arms the user code entered. Library code is never
    stepped into, so its locations are disabled; the next step re-enables them (`keep_lines`)."""
    if not _steps or not context.is_user(code):
        return monitoring.mon.DISABLE
    step = _current_step()
    if step is None:
        _prune()
    elif step.mode == "into" and code not in step.codes:
        step.codes.add(code)
        _rearm()
    return None


def _prune():
    """Drop the steps of threads that ended (stepping off the end of a thread leaves one behind)."""
    with _lock:
        dead = [ident for ident, step in _steps.items() if not step.owner.is_alive()]
        for ident in dead:
            del _steps[ident]
    if dead:
        _rearm()


def return_values(frame, kind):
    """Pseudo-variables for `values`: the `(return) name` of the call just stepped out of."""
    if not context.option("showReturnValue"):
        return {}
    for caller, name, value in list(_returns.values()):
        if caller is frame:
            return {f"(return) {name}": value}
    return {}


def stopped(thread_id):
    entry = suspend.by_thread_id(thread_id)
    if entry is None:
        raise RequestError(f"thread {thread_id} is not stopped: pause it or wait for a breakpoint first")
    return entry


def _step_command(kind):
    def handler(agent, arguments):
        thread_id, step, frame = arguments.get("threadId"), kind, None
        if tasks.is_task_id(thread_id):
            thread_id, step, frame = _task_step(thread_id, kind)
        entry = stopped(thread_id)
        target = arguments.get("targetId") if kind == "stepIn" else None
        if target is not None:
            if target not in calltargets.call_offsets(entry.frame.f_code):
                raise RequestError(f"targetId {target} is not a call in {entry.frame.f_code.co_qualname}")
            _targets[entry.ident] = target
        single = bool(arguments.get("singleThread"))
        agent.after_response.append(lambda: suspend.resume(step, thread_id, single, frame))  # see `continue`
        return {}

    return handler


def _task_step(task_id, kind):
    """A step of an asyncio task entry: of its thread when it is the task running there; else the thread
    goes on until that task's innermost coroutine of user code runs its next line (or returns)."""
    task, ident = tasks.require(task_id)
    entry = suspend.stopped_thread(ident)
    if entry is None:
        raise RequestError(f"task {task_id} runs on a thread that is not stopped: pause it first")
    coroutine = task.get_coro()
    if getattr(coroutine, "cr_running", False) or getattr(coroutine, "gi_running", False):
        return entry.thread_id, kind, None
    frame = tasks.innermost_user_frame(task, entry.frame)
    if frame is None:
        raise RequestError(f"task {task_id} has no coroutine of its own to step in")
    return entry.thread_id, "stepOut" if kind == "stepOut" else "next", frame


for _kind in ("next", "stepIn", "stepOut"):
    command(_kind)(_step_command(_kind))


def _on_resume_all(kind, idents):
    """A continue ends the steps in progress of the threads it resumes (every thread's, when it resumes
    the whole program)."""
    if kind != "continue":
        return
    if idents is None:
        cancel_all()
        return
    for ident in idents:
        _finish(ident)


@command("gotoTargets")
def _goto_targets(agent, arguments):
    path = (arguments.get("source") or {}).get("path")
    line = int(arguments.get("line") or 0)
    if not path:
        raise RequestError("gotoTargets needs a source with a path")
    codes = codeindex.codes_of(codeindex.normalize(path))
    if not any(line in codeindex.lines_of(code) for code in codes):
        return {"targets": []}
    return {"targets": [{"id": line, "label": f"Jump to line {line}", "line": line}]}


@command("goto", job=True)
def _goto(agent, arguments, job):
    """Run on the stopped thread itself, inside the LINE callback it stopped in."""
    thread_id = arguments.get("threadId")
    line = int(arguments.get("targetId") or 0)
    entry = stopped(thread_id)
    if not entry.at_line:
        raise RequestError(
            f"thread {thread_id} stopped at {entry.reason} outside a line event; CPython lets a frame jump "
            "only from a line event: step once, then jump"
        )
    code = entry.frame.f_code
    if line not in codeindex.lines_of(code):
        raise RequestError(f"line {line} has no code in {code.co_qualname}, where thread {thread_id} is")
    if entry.ident != threading.get_ident():
        raise RequestError(f"thread {thread_id} is busy with an earlier request that does not return")
    try:
        entry.frame.f_lineno = line
    except ValueError as error:
        raise RequestError(f"cannot jump to line {line}: {error}") from None
    job.succeed({})
    body = {"reason": "goto", "threadId": thread_id, "allThreadsStopped": suspend.all_stop()}
    context.emit("stopped", body)
    return {}


monitoring.line_hooks.append(_line_hook)
suspend.after_stop.append(_after_stop)
suspend.resume_hooks.append(_on_resume_all)
monitoring.on(E.PY_RETURN, _on_return)
monitoring.on(E.PY_YIELD, _on_yield)
monitoring.on(E.PY_UNWIND, _on_unwind)
monitoring.on(E.PY_START, _on_enter)
monitoring.on(E.PY_RESUME, _on_enter)
monitoring.on(E.CALL, _on_call)
values.scope_extras.append(return_values)
