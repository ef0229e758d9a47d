"""Line and function breakpoints, logpoints and `breakpointLocations`.

Breakpoints are checked in LINE events enabled only on the code objects holding them
(`sys.monitoring.set_local_events`); the other lines of those functions return `DISABLE` once and cost
nothing afterwards. Conditions, hit conditions and log messages are compiled when set. Each location gets
its own `spot` for the monitor's lean LINE callback; a lone condition in a function becomes a function of
the frame's locals proxy (`_fast_condition`), about twice as cheap as `eval` with a mapping for locals. On
3.14 a LINE callback that does nothing already makes a tight loop's line ~2x slower, and reading the
frame's locals at all ~3.3x, so ~4x is the floor for a condition on a local (see the bench's d-floor rows).

A file not loaded yet keeps its breakpoints pending, and a global PY_START event (on only while something
is pending, `DISABLE` for other code) verifies them when its code first runs and sends a `breakpoint`
event.

A condition that raises *stops* the thread (as debugpy does: a broken condition should be seen and fixed,
not silently never hit) and the error goes to the user as a `stderr` output naming the breakpoint. A log
expression that raises shows the error in its place and also on `stderr`; logpoints never stop.
Function breakpoints use PY_START on the function's code, so they hit once per call.
"""

import re
import sys
import threading

from . import codeindex, console, context, suspend, values
from . import monitor as monitoring
from .commands import RequestError, command
from .monitor import E, monitor

FILENAME = "<dapattach-breakpoint>"
PROXY = "_dapattach_frame_locals"
CO_OPTIMIZED = 0x0001
HIT_CONDITION = re.compile(r"^\s*(==|>=|<=|>|<|%)?\s*(\d+)\s*$")
_lock = threading.Lock()
_ids = {}
_by_file = {}
_functions = []
_active = {}
_entries = {}
_pending = set()
_state = {"next_id": 1}


class Breakpoint:
    __slots__ = ("condition", "hit", "hits", "id", "label", "line", "log", "source", "texts")

    def __init__(self, key, spec, source, label):
        with _lock:
            if key not in _ids:
                _ids[key] = _state["next_id"]
                _state["next_id"] += 1
            self.id = _ids[key]
        self.source = source
        self.label = label
        self.line = None
        self.hits = 0
        self.texts = spec
        self.condition = _compile(spec.get("condition"), "condition")
        self.hit = _hit_test(spec.get("hitCondition"))
        self.log = _log_parts(spec.get("logMessage"))

    def describe(self, line):
        where = f"{self.source.get('path') or self.label}:{line}" if self.source else self.label
        return f"breakpoint {self.id} at {where}"

    def check(self, frame, line, tested=False):
        """'stop', 'error' or None; runs on the target thread. `tested`: the condition already held."""
        if self.condition is not None and not tested:
            try:
                if not eval(self.condition, frame.f_globals, frame.f_locals):
                    return None
            except KeyboardInterrupt:
                raise
            except BaseException as error:
                text = self.texts.get("condition")
                console.say(
                    "stderr",
                    f"dapattach: {self.describe(line)}: condition {text!r} raised "
                    f"{values.describe_error(error)}; stopped here\n",
                )
                return "error"
        self.hits += 1
        if self.hit is not None and not self.hit(self.hits):
            return None
        if self.log is not None:
            self._log(frame, line)
            return None
        return "stop"

    def _log(self, frame, line):
        pieces = []
        for piece in self.log:
            if isinstance(piece, str):
                pieces.append(piece)
                continue
            text, code = piece
            try:
                pieces.append(str(eval(code, frame.f_globals, frame.f_locals)))
            except KeyboardInterrupt:
                raise
            except BaseException as error:
                problem = values.describe_error(error)
                pieces.append(f"<{problem}>")
                console.say(
                    "stderr",
                    f"dapattach: log message of {self.describe(line)}: {{{text}}} raised {problem}\n",
                )
        extra = {"line": line, "source": self.source} if self.source else {}
        console.say("console", "".join(pieces) + "\n", **extra)


def _compile(text, what):
    if not text or not str(text).strip():
        return None
    try:
        return compile(str(text).strip(), FILENAME, "eval", dont_inherit=True)
    except SyntaxError as error:
        raise ValueError(f"the {what} {text!r} is not a valid expression: {error.msg}") from None


def _hit_test(text):
    if text is None or not str(text).strip():
        return None
    found = HIT_CONDITION.match(str(text))
    if found is None:
        raise ValueError(f"the hit condition {text!r} is not understood: use 5, ==5, >5, >=5, <5, <=5 or %3")
    operator, number = found[1] or "==", int(found[2])
    match operator:
        case "==":
            return lambda hits: hits == number
        case ">":
            return lambda hits: hits > number
        case ">=":
            return lambda hits: hits >= number
        case "<":
            return lambda hits: hits < number
        case "<=":
            return lambda hits: hits <= number
        case _:
            if number == 0:
                raise ValueError("the hit condition %0 divides by zero: use %1 or more")
            return lambda hits: hits % number == 0


def _log_parts(message):
    """Literal strings and (text, code) pairs of a log message; `{{` and `}}` are literal braces."""
    if message is None:
        return None
    parts, literal, index, message = [], [], 0, str(message)
    while index < len(message):
        char = message[index]
        if message.startswith("{{", index) or message.startswith("}}", index):
            literal.append(char)
            index += 2
        elif char == "{":
            end = message.find("}", index)
            if end < 0:
                raise ValueError(f"the log message {message!r} has a '{{' without its '}}'")
            if literal:
                parts.append("".join(literal))
                literal = []
            text = message[index + 1 : end]
            parts.append((text, _compile(text, "log expression") or compile("''", FILENAME, "eval")))
            index = end + 1
        else:
            literal.append(char)
            index += 1
    if literal:
        parts.append("".join(literal))
    return parts


def _body(bp, verified, message=None):
    body = {"id": bp.id, "verified": verified}
    if bp.source:
        body["source"] = bp.source
    if bp.line is not None:
        body["line"] = bp.line
    if message:
        body["message"] = message
    return body


def _place(path, bps, codes):
    """Verify `bps` against `codes`; returns {bp.id: dap body} and {code: {line: [bp]}}."""
    bodies, table = {}, {}
    for bp, requested in bps:
        if not codes:
            bodies[bp.id] = _body(
                bp, False, f"{path} is not loaded yet: the breakpoint is set when its code first runs"
            )
            continue
        line, holders = codeindex.resolve_line(codes, requested)
        if line is None:
            bodies[bp.id] = _body(bp, False, f"no code at or after line {requested} in {path}")
            continue
        bp.line = line
        for code in holders:
            table.setdefault(code, {}).setdefault(line, []).append(bp)
        bodies[bp.id] = _body(bp, True)
    return bodies, table


def _install(path, table):
    """Replace the breakpoint locations of `path` by `table` and enable LINE on just those codes."""
    global _active
    with _lock:
        old = _by_file.get(path, {}).get("table", {})
        _by_file.setdefault(path, {})["table"] = table
        active = {}
        for entry in _by_file.values():
            for code, lines in entry.get("table", {}).items():
                active[id(code)] = lines
        _active = active
        spots = {}
        for entry in _by_file.values():
            for code, lines in entry.get("table", {}).items():
                for line, bps in lines.items():
                    spots.setdefault(line, []).append((code, _spot(code, line, bps)))
        for line in [line for line in monitoring.spots if line not in spots]:
            monitoring.spots.pop(line, None)
        monitoring.spots.update((line, tuple(found)) for line, found in spots.items())
    for code in old:
        if code not in table:
            monitor.set_local("breakpoints", code, 0)
    for code in table:
        monitor.set_local("breakpoints", code, E.LINE)
    monitor.choose_line_callback()
    monitoring.restart()


def _watch_new_code():
    monitor.want("new-code", E.PY_START) if _pending else monitor.unwant("new-code")


@command("setBreakpoints")
def _set_breakpoints(agent, arguments):
    source = dict(arguments.get("source") or {})
    raw_path = source.get("path")
    specs = arguments.get("breakpoints")
    if specs is None:
        specs = [{"line": line} for line in arguments.get("lines") or []]
    if not raw_path:
        return {"breakpoints": [{"verified": False, "message": "only files with a path take breakpoints"}]
                * len(specs)}  # fmt: skip
    path = codeindex.normalize(raw_path)
    accepted, results = [], []
    for spec in specs:
        requested = int(spec.get("line") or 0)
        try:
            bp = Breakpoint((path, requested), spec, source, raw_path)
        except ValueError as error:
            with _lock:
                bp_id = _ids.setdefault((path, requested), _state["next_id"])
                _state["next_id"] = max(_state["next_id"], bp_id + 1)
            results.append({"id": bp_id, "verified": False, "message": str(error), "line": requested})
            continue
        accepted.append((bp, requested))
        results.append(bp)
    codes = codeindex.codes_of(path) if accepted else []
    bodies, table = _place(raw_path, accepted, codes)
    with _lock:
        _by_file[path] = {
            "specs": accepted,
            "raw": raw_path,
            "table": _by_file.get(path, {}).get("table", {}),
        }
        if accepted and not codes:
            _pending.add(path)
        else:
            _pending.discard(path)
    _install(path, table)
    _watch_new_code()
    return {"breakpoints": [bodies[item.id] if isinstance(item, Breakpoint) else item for item in results]}


def _line_hook(frame, code, line):
    lines = _active.get(id(code))
    if lines is None:
        return None
    bps = lines.get(line)
    if bps is None:
        return None
    return _hits(frame, line, bps) or monitoring.KEEP


def _spot(code, line, bps):
    """The check of one location for the monitor's lean callback: `spot(frame) -> (reason, fields) | None`."""
    if len(bps) == 1 and bps[0].condition is not None:
        fast = _fast_condition(bps[0].texts.get("condition"), code)
        if fast is not None:
            return _condition_spot(code, line, bps, fast)
    return lambda frame: _hits(frame, line, bps)


def _condition_spot(code, line, bps, fast):
    """The spot of a lone condition on a local (see `_fast_condition`), which can also `specialise` into
    the whole LINE callback for its location once it has seen the globals of the frames that run it."""
    cached_globals = condition = None
    inlined = {}

    def spot(frame):
        nonlocal cached_globals, condition
        try:
            if frame.f_globals is not cached_globals:
                condition = eval(fast.function, frame.f_globals)
                cached_globals = frame.f_globals
            if not condition(frame.f_locals):
                return None
        except KeyboardInterrupt:
            raise
        except BaseException:
            return _hits(frame, line, bps)  # `eval` gives the exact value or the exact error
        return _hits(frame, line, bps, tested=True)

    def answer_and_stop(frame, stop):
        try:
            stop(frame, spot(frame))
        except KeyboardInterrupt:
            raise
        except BaseException:
            pass

    def specialise(miss, stop):
        """One callback for this one location: no table lookup, and the condition compiled into it (once
        the globals its names need are known), so an event calls nothing but `_getframe` and the proxy."""
        if "callback" not in inlined and not fast.reads_globals:
            inlined["callback"] = _inline(fast, code, line, None, miss, stop, bps, answer_and_stop)
        if "callback" in inlined:
            return inlined["callback"]

        def first_events(event_code, event_line):
            if event_line != line or event_code is not code:
                return miss(event_code, event_line)
            frame = sys._getframe(1)
            answer_and_stop(frame, stop)
            if "callback" not in inlined and cached_globals is not None:
                inlined["callback"] = _inline(
                    fast, code, line, cached_globals, miss, stop, bps, answer_and_stop
                )
                monitor.choose_line_callback()
            return None

        return first_events

    spot.specialise = specialise
    return spot


_INLINED = """
def _dapattach_on_line(_dapattach_event_code, _dapattach_event_line):
    if _dapattach_event_line != _dapattach_line or _dapattach_event_code is not _dapattach_code:
        return _dapattach_miss(_dapattach_event_code, _dapattach_event_line)
    _dapattach_frame = _dapattach_getframe(1)
    if _dapattach_frame.f_globals is not _dapattach_globals:
        return _dapattach_other(_dapattach_frame, _dapattach_stop)
    try:
        _dapattach_frame_locals = _dapattach_frame.f_locals
        if not (CONDITION):
            return None
        _dapattach_answer = _dapattach_hits(_dapattach_frame, _dapattach_line, _dapattach_bps, tested=True)
    except _dapattach_interrupt:
        raise
    except _dapattach_any:
        _dapattach_answer = _dapattach_hits(_dapattach_frame, _dapattach_line, _dapattach_bps)
    try:
        _dapattach_stop(_dapattach_frame, _dapattach_answer)
    except _dapattach_interrupt:
        raise
    except _dapattach_any:
        pass
    return None
"""


def _inline(fast, code, line, frame_globals, miss, stop, bps, other):
    """The LINE callback of `_INLINED` with the condition in place of CONDITION, as lean as the monitoring
    floor allows (an event costs one call of it, `_getframe` and the locals proxy, and little else).

    A condition that names only locals gets a private module holding everything of ours, read as
    specialised globals, and neither compares the frame's globals nor keeps the proxy in a variable
    when it reads it once. One that names globals or builtins (`frame_globals`) runs in the frame's
    module, so its names mean what they mean there; ours then come in as defaults of parameters the
    monitoring call never fills (positional: keyword-only ones are looked up in a dict at every call).
    """
    import ast
    import copy

    ours = {
        "_dapattach_line": line,
        "_dapattach_code": code,
        "_dapattach_miss": miss,
        "_dapattach_getframe": sys._getframe,
        "_dapattach_globals": frame_globals,
        "_dapattach_other": other,
        "_dapattach_hits": _hits,
        "_dapattach_bps": bps,
        "_dapattach_stop": stop,
        "_dapattach_interrupt": KeyboardInterrupt,
        "_dapattach_any": BaseException,
    }
    function = ast.parse(_INLINED, FILENAME).body[0]
    condition = fast.expression
    body = function.body
    if frame_globals is None:
        del body[2]  # no `f_globals` check
        if sum(isinstance(node, ast.Name) and node.id == PROXY for node in ast.walk(condition)) == 1:
            del body[2].body[0]  # no proxy variable: `f_locals` read where the condition reads it
            proxy = ast.Attribute(ast.Name("_dapattach_frame", ast.Load()), "f_locals", ast.Load())
            condition = _replace(copy.deepcopy(condition), PROXY, proxy)
    else:
        function.args.args += [ast.arg(name) for name in ours]
        function.args.defaults = [ast.Constant(None) for _ in ours]
    function = _replace(function, "CONDITION", condition)
    module = ast.fix_missing_locations(ast.Module([function], []))
    compiled = compile(module, FILENAME, "exec", dont_inherit=True)
    function_code = next(const for const in compiled.co_consts if hasattr(const, "co_code"))
    if frame_globals is None:
        return type(_inline)(function_code, {"__builtins__": {}, **ours}, "_dapattach_on_line")
    return type(_inline)(function_code, frame_globals, "_dapattach_on_line", tuple(ours.values()))


def _replace(tree, name, node):
    """`tree` with `node` wherever the name `name` is read."""
    import ast

    class Replace(ast.NodeTransformer):
        def visit_Name(self, found):
            return node if found.id == name else found

    return Replace().visit(tree)


class _FastCondition:
    __slots__ = ("expression", "function", "reads_globals")

    def __init__(self, expression, function, reads_globals):
        self.expression = expression
        """The condition with the frame's locals read from the proxy `PROXY` (an `ast` expression)."""
        self.function = function
        """Code of `lambda PROXY: expression`, to `eval` into a function with the frame's globals."""
        self.reads_globals = reads_globals
        """Whether a name in it is not a local of the frame (a global, or a builtin such as `len`)."""


def _fast_condition(text, code):
    """The condition as an expression of the frame's locals proxy (`_FastCondition`), or None.

    Names that are locals of `code` become lookups in the proxy, others stay global, so a function call
    replaces `eval` with a mapping for locals, whose every name lookup goes the slow way. Only plain
    expressions in functions qualify: no scopes of their own (lambdas, comprehensions), no assignments.
    A lookup that fails (an unbound local) raises, and the caller then asks `eval` for the exact answer.
    """
    if not code.co_flags & CO_OPTIMIZED:
        return None
    import ast

    try:
        tree = ast.parse(str(text).strip(), FILENAME, mode="eval")
    except SyntaxError:
        return None
    scoped = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.NamedExpr)
    for node in ast.walk(tree):
        if isinstance(node, scoped) or (isinstance(node, ast.Name) and node.id.startswith("_dapattach_")):
            return None
    local = {*code.co_varnames, *code.co_cellvars, *code.co_freevars}

    class ToProxy(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id not in local:
                return node
            lookup = ast.Subscript(ast.Name(PROXY, ast.Load()), ast.Constant(node.id), ast.Load())
            return ast.copy_location(lookup, node)

    expression = ToProxy().visit(tree.body)
    reads_globals = any(isinstance(node, ast.Name) and node.id != PROXY for node in ast.walk(expression))
    arguments = ast.arguments(args=[ast.arg(PROXY)])
    function = ast.Expression(ast.Lambda(arguments, expression))
    compiled = compile(ast.fix_missing_locations(function), FILENAME, "eval", dont_inherit=True)
    return _FastCondition(expression, compiled, reads_globals)


def _hits(frame, line, bps, tested=False):
    hit, error = [], False
    for bp in bps:
        outcome = bp.check(frame, line, tested)
        if outcome is not None:
            hit.append(bp.id)
            error = error or outcome == "error"
    if not hit:
        return None
    fields = {"hitBreakpointIds": hit}
    if error:
        fields["description"] = "Breakpoint condition raised an error (see the debug console)"
    return "breakpoint", fields


def _on_start(code, offset):
    entry = _entries.get(id(code))
    if entry is not None:
        frame = sys._getframe(2)
        bp = entry[1]
        outcome = bp.check(frame, frame.f_lineno)
        if outcome is not None:
            suspend.stop(frame, "function breakpoint", hitBreakpointIds=[bp.id])
        return None
    if not _pending:
        return monitoring.mon.DISABLE
    path = codeindex.normalize(code.co_filename)
    if path not in _pending:
        return monitoring.mon.DISABLE
    _load(path, code)
    return None


def _load(path, code):
    """Code of a pending file started: verify its breakpoints and tell the client."""
    with _lock:
        entry = _by_file.get(path)
        _pending.discard(path)
    if entry is None:
        return
    codes = codeindex.codes_of(path, extra=(code,))
    bodies, table = _place(entry["raw"], entry["specs"], codes)
    _install(path, table)
    _watch_new_code()
    for body in bodies.values():
        context.emit("breakpoint", {"reason": "changed", "breakpoint": body})


def _find_function(name):
    """The function named `module.function`, `Class.method`, `module.Class.method` or `function`."""
    parts = name.strip().split(".")
    candidates = []
    for split in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(".".join(parts[:split]))
        if module is not None:
            candidates.append((module, parts[split:]))
    main = sys.modules.get("__main__")
    if main is not None:
        candidates.append((main, parts))
    for owner, rest in candidates:
        value = owner
        for attribute in rest:
            value = (vars(value) if hasattr(value, "__dict__") else {}).get(attribute, _MISSING)
            if value is _MISSING:
                break
        else:
            for _ in range(20):
                if isinstance(value, (staticmethod, classmethod)):
                    value = value.__func__
                elif hasattr(value, "__wrapped__"):
                    value = value.__wrapped__
                else:
                    break
            code = getattr(value, "__code__", None)
            if code is not None:
                return code
    return None


_MISSING = object()


@command("setFunctionBreakpoints")
def _set_function_breakpoints(agent, arguments):
    global _entries
    for code in monitor.local_codes("function-breakpoints"):
        monitor.set_local("function-breakpoints", code, 0)
    results, entries = [], {}
    for spec in arguments.get("breakpoints") or []:
        name = str(spec.get("name") or "")
        try:
            bp = Breakpoint(("function", name), spec, None, name)
        except ValueError as error:
            results.append({"verified": False, "message": str(error)})
            continue
        code = _find_function(name)
        if code is None:
            results.append(_body(bp, False, f"no function {name!r} in the loaded modules (or __main__)"))
            continue
        bp.line = code.co_firstlineno
        entries[id(code)] = (code, bp)
        path = code.co_filename
        body = _body(bp, True)
        body.update(line=code.co_firstlineno, source={"name": path.rpartition("/")[2], "path": path})
        results.append(body)
    _entries = entries
    for code, _bp in entries.values():
        monitor.set_local("function-breakpoints", code, E.PY_START)
    monitoring.restart()
    return {"breakpoints": results}


@command("breakpointLocations")
def _breakpoint_locations(agent, arguments):
    path = (arguments.get("source") or {}).get("path")
    if not path:
        raise RequestError("breakpointLocations needs a source with a path")
    start = int(arguments.get("line") or 1)
    end = int(arguments.get("endLine") or start)
    lines = set()
    for code in codeindex.codes_of(codeindex.normalize(path)):
        lines.update(line for line in codeindex.lines_of(code) if start <= line <= end)
    return {"breakpoints": [{"line": line} for line in sorted(lines)]}


monitoring.line_hooks.insert(0, _line_hook)
monitoring.on(E.PY_START, _on_start)
