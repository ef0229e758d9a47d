"""Threads, stacks, scopes and source text, read from inside the target.

DAP thread ids are the OS thread ids (`native_id`), the same numbers an out-of-process snapshot shows, so
the adapter can hand over from a snapshot to the agent without renumbering. A stopped thread's stack
starts at the frame it stopped in; a running thread's comes from `sys._current_frames()` and is a moment's
picture. Frames of the agent's own code are never shown.

A `stackTrace` with DAP's `format` names each frame with what the client asks for: the module, the
parameters (names, types, values; integers in hexadecimal with `hex`) and the line. A stack is listed
without running the target's code, so a parameter's value is shown only for the builtin types whose repr
is the interpreter's own (numbers, strings, bytes, None); others show their type.
"""

import linecache
import os
import sys
import threading
import time

from . import suspend, values
from .commands import RequestError

AGENT_DIR = os.path.dirname(os.path.abspath(__file__))
FILE_CHECK_AGE = 5.0
"""Seconds a code file's "is it on disk" answer is reused. Each check is a system call, which lets the
program's busy threads take the GIL: against a busy program that was a wait of about 5 ms per frame."""


def thread_ids():
    """{ident: (dap_id, name)} for every thread of the target except the agent's own."""
    known = {}
    for thread in threading.enumerate():
        if thread.ident is not None:
            known[thread.ident] = (thread.native_id or _stand_in_id(thread.ident), thread.name)
    result = {}
    for ident in sys._current_frames():
        if suspend.is_agent_ident(ident):
            continue
        result[ident] = known.get(ident, (_stand_in_id(ident), f"Thread-{ident}"))
    return result


def _stand_in_id(ident):
    """A DAP id for a thread `threading` does not know (started by `_thread`, or a pool worker in a
    sub-interpreter): from its ident, below the ids of asyncio task entries (2**30, `tasks.py`)."""
    return ident & 0x3FFFFFFF or 1


def threads(idents=False):
    """DAP's `threads`; with `idents`, each entry also carries its thread's ident (for `router.py`)."""
    items = sorted((dap_id, name, ident) for ident, (dap_id, name) in thread_ids().items())
    if idents:
        return {"threads": [{"id": dap_id, "name": name, "ident": ident} for dap_id, name, ident in items]}
    return {"threads": [{"id": dap_id, "name": name} for dap_id, name, _ident in items]}


def thread_of(frame):
    """The DAP id of the thread whose stack holds `frame` now, or None."""
    for ident, top in suspend.walkable_frames().items():
        current = top
        while current is not None:
            if current is frame:
                return thread_ids().get(ident, (None, None))[0]
            current = current.f_back
    return None


def ident_of(thread_id):
    stopped = suspend.by_thread_id(thread_id)
    if stopped is not None:
        return stopped.ident
    for ident, (dap_id, _name) in thread_ids().items():
        if dap_id == thread_id:
            return ident
    raise RequestError(f"no thread with id {thread_id} in the target (it may have ended)")


def _is_agent_code(code):
    return code.co_filename.startswith(AGENT_DIR + os.sep)


def _frames_of(ident):
    frame = suspend.stopped_frame(ident)
    if frame is None:
        frame = sys._current_frames().get(ident)
        while frame is not None and _is_agent_code(frame.f_code):
            frame = frame.f_back
    result = []
    while frame is not None:
        if not _is_agent_code(frame.f_code):
            result.append(frame)
        frame = frame.f_back
    return result


class Sources:
    """Source references for code without a file (exec'd strings): stable for the whole attach.

    One reference per code object, not per file name: every exec'd string, dataclass method and
    namedtuple shares the name "<string>", and each must show its own text.
    """

    def __init__(self, first=1):
        self._first = first
        self._by_code = {}
        self._codes = {}

    def reference(self, code):
        ref = self._by_code.get(code)
        if ref is None:
            ref = len(self._by_code) + self._first
            self._by_code[code] = ref
            self._codes[ref] = code
        return ref

    def text(self, ref, frames_globals=None):
        code = self._codes.get(ref)
        if code is None:
            raise RequestError(f"unknown sourceReference {ref}")
        lines = linecache.getlines(code.co_filename, frames_globals)
        if lines and _lines_belong_to(code, lines):
            return "".join(lines)
        import dis
        import io

        out = io.StringIO()
        out.write(f"# The source of {code.co_filename} is not available; this is its bytecode.\n")
        dis.dis(code, file=out, depth=0)
        return out.getvalue()


def _lines_belong_to(code, lines):
    """Whether cached lines are this code's: "<string>" names every exec'd string, so trust a cache entry
    for it only where its definition line names the function."""
    if not code.co_filename.startswith("<") or code.co_name == "<module>":
        return True
    first = code.co_firstlineno - 1
    return 0 <= first < len(lines) and code.co_name in lines[first]


def _source(frame, sources):
    code = frame.f_code
    path, on_disk = _file_of(code.co_filename)
    if on_disk:
        return {"name": os.path.basename(path), "path": path}
    return {"name": path, "sourceReference": sources.reference(code), "origin": "no file"}


_files = {}
"""{co_filename: (its absolute path, whether that file is on disk, when that was checked)}."""


def _file_of(filename):
    """`filename` made absolute (unless it is a "<...>" name), and whether that file is on disk."""
    now = time.monotonic()
    known = _files.get(filename)
    if known is not None and now - known[2] < FILE_CHECK_AGE:
        return known[0], known[1]
    path = filename
    if path and not path.startswith("<") and not os.path.isabs(path):
        path = os.path.abspath(path)
    on_disk = os.path.isabs(path) and os.path.isfile(path)
    _files[filename] = (path, on_disk, now)
    return path, on_disk


def stack_trace(arguments, frame_handles, sources):
    ident = arguments.get("ident") or ident_of(arguments.get("threadId"))
    if suspend.free_threaded() and ident not in suspend.walkable_frames():
        running = "running: its stack is shown while it is stopped (this Python runs without the GIL)"
        label = {"id": frame_handles.add(None, ident), "name": running, "line": 0, "column": 0,
                 "presentationHint": "label"}  # fmt: skip
        return {"stackFrames": [label], "totalFrames": 1}
    shown = arguments.get("format")

    def render(frame):
        return frame_body(frame, frame_handles, sources, ident, shown=shown)

    return page(_frames_of(ident), arguments, render)


def page(items, arguments, render):
    """DAP's `startFrame`/`levels` paging of a stack: the bodies `render(item)` of the chosen items."""
    start = max(0, int(arguments.get("startFrame") or 0))
    levels = int(arguments.get("levels") or 0)
    chosen = items[start : start + levels] if levels > 0 else items[start:]
    return {"stackFrames": [render(item) for item in chosen], "totalFrames": len(items)}


def frame_body(frame, frame_handles, sources, owner, hint=None, shown=None):
    """A DAP `StackFrame` for `frame`; its id stays valid while thread `owner` stays stopped. `shown`:
    the request's `StackFrameFormat`."""
    line = frame.f_lineno or frame.f_code.co_firstlineno
    body = {
        "id": frame_handles.add(frame, owner),
        "name": frame_name(frame, line, shown) if isinstance(shown, dict) else frame.f_code.co_qualname,
        "source": _source(frame, sources),
        "line": line,
        "column": 1,
    }
    if hint is not None:
        body["presentationHint"] = hint
    return body


PLAIN_REPR = (int, float, complex, bool, str, bytes, type(None))
VALUE_LIMIT = 40


def frame_name(frame, line, shown):
    """A frame's name as DAP's `StackFrameFormat` asks: `module.function(x: int = 3) line 12`."""
    code = frame.f_code
    name = code.co_qualname
    if shown.get("module"):
        module = frame.f_globals.get("__name__")
        if isinstance(module, str):
            name = f"{module}.{name}"
    if shown.get("parameters"):
        name += "(" + ", ".join(_parameters(frame, shown)) + ")"
    if shown.get("line"):
        name += f" line {line}"
    return name


def _signature(code):
    """The parameter names as a `def` line spells them: `a`, `*args`, `key`, `**kwargs`."""
    names = code.co_varnames
    positional, keyword = code.co_argcount, code.co_argcount + code.co_kwonlyargcount
    spelled = list(names[:positional])
    if code.co_flags & 0x04:  # CO_VARARGS
        spelled.append("*" + names[keyword])
    spelled.extend(names[positional:keyword])
    if code.co_flags & 0x08:  # CO_VARKEYWORDS
        spelled.append("**" + names[keyword + bool(code.co_flags & 0x04)])
    return spelled


def _parameters(frame, shown):
    with_names = shown.get("parameterNames", True)
    with_types = shown.get("parameterTypes", False)
    with_values = shown.get("parameterValues", True)
    found = frame.f_locals
    result = []
    for spelled in _signature(frame.f_code):
        name = spelled.lstrip("*")
        missing = name not in found
        value = None if missing else found[name]
        parts = [spelled] if with_names else []
        if with_types and not missing:
            parts.append((": " if with_names else "") + values.type_name(value))
        if with_values and not missing:
            text = _plain_value(value, shown.get("hex"))
            parts.append(("=" if with_names and not with_types else " = " if with_names else "") + text)
        result.append("".join(parts))
    return result


def _plain_value(value, as_hex):
    kind = type(value)
    if kind not in PLAIN_REPR:
        return f"<{values.type_name(value)}>"
    text = hex(value) if as_hex and kind is int else repr(value)
    return text if len(text) <= VALUE_LIMIT else text[:VALUE_LIMIT] + "..."


def frame_of(frame_handles, frame_id):
    frame = frame_handles.get(frame_id)
    if frame is None:
        raise RequestError(f"unknown frameId {frame_id}: frame ids are valid only until the target resumes")
    return frame


def scopes(frame, var_handles, make_ref):
    is_module = frame.f_code.co_name == "<module>"
    result = []
    if not is_module:
        result.append(
            {
                "name": "Locals",
                "presentationHint": "locals",
                "variablesReference": var_handles.add(make_ref("locals", frame)),
                "expensive": False,
            }
        )
    result.append(
        {
            "name": "Globals",
            "variablesReference": var_handles.add(make_ref("globals", frame)),
            "expensive": False,
        }
    )
    return {"scopes": result}
