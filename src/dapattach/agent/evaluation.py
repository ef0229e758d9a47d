"""`evaluate`, `setVariable` and `setExpression`: running the user's code in a frame's namespace.

Code runs on the thread that is stopped in the frame (see `jobs.py`), with the frame's globals and its
PEP 667 write-through `f_locals`, so an assignment really changes the target's local and thread-locals and
context variables are that thread's. What a `repl` evaluation prints is captured (only the evaluating
thread's writes: other threads keep printing to the target's own streams) and sent as `output` events.
`hover` refuses expressions with calls: pointing at text must not run the target's code.
"""

import sys

from . import values
from .commands import RequestError

FILENAME = "<dapattach-eval>"
SIDE_EFFECT_NODES = ("Call", "Await", "NamedExpr", "Yield", "YieldFrom")


class _RoutedStream:
    """Stands in for sys.stdout/stderr while a repl evaluation runs: the agent thread's writes go out."""

    def __init__(self, original, owner, emit, category):
        self._original = original
        self._owner = owner
        self._emit = emit
        self._category = category
        self._pending = []

    def write(self, text):
        import threading

        if threading.get_ident() != self._owner:
            return self._original.write(text)
        text = str(text)
        self._pending.append(text)
        if "\n" in text:
            self.emit_pending()
        return len(text)

    def emit_pending(self):
        """Send what was written so far as one `output` event (line by line, not write by write)."""
        if self._pending:
            text, self._pending = "".join(self._pending), []
            self._emit(self._category, text)

    def flush(self):
        import threading

        if threading.get_ident() != self._owner and self._original is not None:
            self._original.flush()

    def __getattr__(self, name):
        return getattr(self._original, name)


class _Capture:
    def __init__(self, emit):
        import threading

        self._owner = threading.get_ident()
        self._emit = emit
        self._installed = {}

    def __enter__(self):
        for name, category in (("stdout", "stdout"), ("stderr", "stderr")):
            stream = _RoutedStream(getattr(sys, name), self._owner, self._emit, category)
            self._installed[name] = stream
            setattr(sys, name, stream)
        return self

    def __exit__(self, *exc_info):
        for name, stream in self._installed.items():
            stream.emit_pending()
            if getattr(sys, name) is stream:
                setattr(sys, name, stream._original)
        return False


def release_streams():
    """Put back sys.stdout/stderr that a capture replaced (its evaluation was interrupted, or the agent
    is leaving); an interrupted evaluation's own restore later sees it is no longer installed."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        while isinstance(stream, _RoutedStream):
            stream = stream._original
        setattr(sys, name, stream)


def namespace(frame):
    if frame is None:
        main = sys.modules.get("__main__")
        scope = vars(main) if main is not None else {}
        return scope, scope
    return frame.f_globals, frame.f_locals


def _compile(expression, context):
    import ast

    try:
        tree = ast.parse(expression, FILENAME, mode="eval")
        mode = "eval"
    except SyntaxError as error:
        if context != "repl":
            raise RequestError(f"SyntaxError: {error.msg}") from None
        try:
            tree = ast.parse(expression, FILENAME, mode="exec")
        except SyntaxError as error2:
            raise RequestError(f"SyntaxError: {error2.msg} (line {error2.lineno})") from None
        mode = "exec"
    if context == "hover" and any(type(node).__name__ in SIDE_EFFECT_NODES for node in ast.walk(tree)):
        raise RequestError("hover does not evaluate expressions with calls")
    return compile(tree, FILENAME, mode, dont_inherit=True), mode


def run(expression, frame, context, emit=None):
    code, mode = _compile(expression, context)
    global_ns, local_ns = namespace(frame)
    try:
        if emit is not None and context == "repl":
            with _Capture(emit):
                result = eval(code, global_ns, local_ns)
        else:
            result = eval(code, global_ns, local_ns)
    except Exception as error:
        raise RequestError(values.describe_error(error)) from None
    return result, mode


def evaluate(arguments, frame, handles, emit):
    expression = arguments.get("expression") or ""
    context = arguments.get("context") or "repl"
    result, mode = run(expression, frame, context, emit)
    if mode == "exec":
        return {"result": "", "variablesReference": 0}
    limit = None if context == "clipboard" else values.REPR_LIMIT
    shown = values.variable(handles, "", result, expression, frame, limit, as_hex=values.wants_hex(arguments))
    body = {
        "result": shown["value"],
        "type": shown["type"],
        "variablesReference": shown["variablesReference"],
    }
    for key in ("indexedVariables", "namedVariables"):
        if key in shown:
            body[key] = shown[key]
    return body


def _find_key(mapping, name):
    for key in list(mapping):
        if values.safe_repr(key, 200) == name:
            return key
    raise RequestError(f"no key {name} in this dict")


def set_variable(arguments, ref, handles):
    name = arguments.get("name")
    new_value, _mode = run(arguments.get("value") or "", ref.frame, "watch")
    target = ref.target
    try:
        match ref.kind:
            case "locals":
                ref.frame.f_locals[name] = new_value
            case "globals":
                ref.frame.f_globals[name] = new_value
            case "object" if isinstance(target, list):
                target[int(name)] = new_value
            case "object" if isinstance(target, dict):
                target[_find_key(target, name)] = new_value
            case "object" if isinstance(target, (tuple, set, frozenset)):
                raise RequestError(f"a {type(target).__name__} cannot be changed in place")
            case "object":
                setattr(target, name, new_value)
            case _:
                raise RequestError(f"{name} cannot be set")
    except RequestError:
        raise
    except Exception as error:
        raise RequestError(values.describe_error(error)) from None
    shown = values.variable(handles, name, new_value, None, ref.frame, as_hex=values.wants_hex(arguments))
    return {key: shown[key] for key in ("value", "type", "variablesReference") if key in shown}


def set_expression(arguments, frame, handles):
    import ast

    expression = arguments.get("expression") or ""
    try:
        target = ast.parse(expression, FILENAME, mode="eval").body
        value = ast.parse(arguments.get("value") or "", FILENAME, mode="eval").body
    except SyntaxError as error:
        raise RequestError(f"SyntaxError: {error.msg}") from None
    if not isinstance(target, (ast.Name, ast.Attribute, ast.Subscript)):
        raise RequestError(f"{expression} cannot be assigned to")
    target.ctx = ast.Store()
    module = ast.fix_missing_locations(ast.Module([ast.Assign([target], value)], []))
    global_ns, local_ns = namespace(frame)
    try:
        exec(compile(module, FILENAME, "exec", dont_inherit=True), global_ns, local_ns)
    except Exception as error:
        raise RequestError(values.describe_error(error)) from None
    shown = {"expression": expression, "context": "watch", "format": arguments.get("format")}
    answer = evaluate(shown, frame, handles, None)
    answer["value"] = answer.pop("result")
    return answer
