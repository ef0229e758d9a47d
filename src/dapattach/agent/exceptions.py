"""Exception breakpoints (`raised`, `uncaught`, `userUnhandled`) and `exceptionInfo`.

- `raised` uses the global RAISE event and stops in the first user frame the exception reaches: where it
  starts, or, for an exception from the library (with `justMyCode`), the user frame it comes out into.
  RAISE fires again in every frame it passes through; those are skipped.
- `uncaught` and `userUnhandled` use the global PY_UNWIND event, which fires only while an exception
  leaves a frame, so they cost nothing on the normal path. An exception is *uncaught* when it leaves the
  thread's last frame or `threading.Thread.run` (whose caller only reports it through `excepthook`); it is
  *user-unhandled* when it leaves user code for library code that called it. The thread stops in the
  deepest user frame of the traceback, whose `f_back` chain CPython keeps after unwinding.

A filter's condition (`filterOptions`) sees the exception as `__exception__`, e.g.
`isinstance(__exception__, KeyError)`. `exceptionOptions` (`exceptionoptions.py`) give types a break mode
of their own (`always` on `KeyError`, `never` on `StopIteration`): an exception with one follows it, the
others follow the filters. One exception stops a thread once, whichever filters match.
Once the user has asked the program to exit (`terminate`), the `KeyboardInterrupt` or `SystemExit` that
follows is that exit, not something to stop at.
"""

import sys
import threading

from . import context, exceptionoptions, suspend, values
from . import monitor as monitoring
from .commands import RequestError, command
from .monitor import E, monitor

FILTERS = {
    "raised": ("Raised Exceptions", "always"),
    "uncaught": ("Uncaught Exceptions", "unhandled"),
    "userUnhandled": ("User Uncaught Exceptions", "userUnhandled"),
}
NAME = "__exception__"
EXITS = (KeyboardInterrupt, SystemExit)
_filters = {}
_current = {}
_seen = []
_exiting = []
_rules = [exceptionoptions.Rules()]


def _bootstrap_codes():
    codes = set()
    for name in ("_bootstrap_inner", "_bootstrap"):
        function = getattr(threading.Thread, name, None)
        if function is not None:
            codes.add(function.__code__)
    return codes


_BOOTSTRAP = _bootstrap_codes()


def qualified_name(kind):
    module = getattr(kind, "__module__", "builtins")
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


@command("setExceptionBreakpoints")
def _set_exception_breakpoints(agent, arguments):
    chosen = {name: None for name in arguments.get("filters") or []}
    for option in arguments.get("filterOptions") or []:
        chosen[option.get("filterId")] = option.get("condition")
    filters, results = {}, []
    for name, condition in chosen.items():
        if name not in FILTERS:
            results.append({"verified": False, "message": f"unknown exception filter {name!r}"})
            continue
        try:
            code = compile(condition, "<dapattach-exception-filter>", "eval") if condition else None
        except SyntaxError as error:
            results.append({"verified": False, "message": f"condition {condition!r}: {error.msg}"})
            continue
        filters[name] = (code, condition)
        results.append({"verified": True})
    rules, option_results = exceptionoptions.parse(arguments.get("exceptionOptions"))
    results.extend(option_results)
    _filters.clear()
    _filters.update(filters)
    _rules[0] = rules
    modes = rules.modes()
    events = (E.RAISE if "raised" in filters or "always" in modes else 0) | (
        E.PY_UNWIND
        if {"uncaught", "userUnhandled"} & set(filters) or {"unhandled", "userUnhandled"} & modes
        else 0
    )
    monitor.want("exceptions", events) if events else monitor.unwant("exceptions")
    return {"breakpoints": results}


def _matches(name, frame, exception):
    code, text = _filters[name]
    if code is None:
        return True
    scope = dict(frame.f_locals)
    scope[NAME] = exception
    try:
        return bool(eval(code, frame.f_globals, scope))
    except Exception as error:
        context.output(
            "stderr",
            f"dapattach: the condition {text!r} of the {name} exception filter raised "
            f"{values.describe_error(error)}; stopped here\n",
        )
        return True


def _already_stopped(exception):
    if any(seen is exception for seen in _seen):
        return True
    _seen.append(exception)
    del _seen[:-4]
    return False


def _stop(frame, exception, mode):
    ident = threading.get_ident()
    _current[ident] = (exception, mode)
    try:
        suspend.stop(
            frame,
            "exception",
            description=values.describe_error(exception),
            text=qualified_name(type(exception)),
        )
    finally:
        _current.pop(ident, None)


def _rule_for(exception):
    rules = _rules[0]
    return rules.mode(type(exception)) if rules else None


def _on_raise(code, offset, exception):
    rule = _rule_for(exception)
    if (rule is None and "raised" not in _filters) or rule not in (None, "always"):
        return None
    if _exiting and isinstance(exception, EXITS):
        return None
    frame = sys._getframe(2)
    tb = exception.__traceback__
    if tb is None or tb.tb_frame is not frame or not context.is_user(code):
        return None
    deeper = tb.tb_next
    while deeper is not None:
        if context.is_user(deeper.tb_frame.f_code):
            return None
        deeper = deeper.tb_next
    if rule is None and not _matches("raised", frame, exception):
        return None
    if not _already_stopped(exception):
        _stop(frame, exception, "always")
    return None


def _deepest_user_frame(exception, fallback):
    chosen = fallback
    tb = exception.__traceback__
    while tb is not None:
        if context.is_user(tb.tb_frame.f_code):
            chosen = tb.tb_frame
        tb = tb.tb_next
    return chosen


def _on_unwind(code, offset, exception):
    rule = _rule_for(exception)
    if rule in ("never", "always") or (rule is None and not _filters):
        return None
    if rule is None and isinstance(exception, (GeneratorExit, StopIteration, StopAsyncIteration)):
        return None
    if _exiting and isinstance(exception, EXITS):
        return None
    frame = sys._getframe(2)
    caller = frame.f_back
    wanted = {"uncaught", "userUnhandled"} & set(_filters) if rule is None else {_RULE_FILTER[rule]}
    if caller is None or caller.f_code in _BOOTSTRAP:
        mode = "uncaught" if "uncaught" in wanted else None
        mode = mode or ("userUnhandled" if "userUnhandled" in wanted and context.is_user(code) else None)
    elif "userUnhandled" in wanted and context.is_user(code) and not context.is_user(caller.f_code):
        mode = "userUnhandled"
    else:
        return None
    if mode is None or (isinstance(exception, SystemExit) and mode != "uncaught"):
        return None
    stop_frame = _deepest_user_frame(exception, frame)
    if rule is None and not _matches(mode, stop_frame, exception):
        return None
    if not _already_stopped(exception):
        _stop(stop_frame, exception, FILTERS[mode][1])
    return None


_RULE_FILTER = {"unhandled": "uncaught", "userUnhandled": "userUnhandled"}


@command("terminate")
def _terminate(agent, arguments):
    """The adapter is about to ask the program to exit (a signal follows)."""
    _exiting[:] = [True]
    return {}


@command("exceptionInfo", job=True)
def _exception_info(agent, arguments, job):
    return job.guard(lambda: _describe(arguments.get("threadId")))


def _describe(thread_id):
    entry = suspend.by_thread_id(thread_id)
    found = None if entry is None else _current.get(entry.ident)
    if found is None:
        raise RequestError(f"thread {thread_id} did not stop on an exception")
    exception, mode = found
    kind = type(exception)
    try:
        message = str(exception)
    except Exception:
        message = "<unprintable>"
    import traceback  # costs ~15 ms to import (it pulls in _colorize and dataclasses): only here

    formatted = "".join(traceback.format_exception(exception))
    return {
        "exceptionId": qualified_name(kind),
        "description": message or qualified_name(kind),
        "breakMode": mode,
        "details": {
            "message": message,
            "typeName": kind.__qualname__,
            "fullTypeName": qualified_name(kind),
            "stackTrace": formatted,
        },
    }


monitoring.on(E.RAISE, _on_raise)
monitoring.on(E.PY_UNWIND, _on_unwind)
