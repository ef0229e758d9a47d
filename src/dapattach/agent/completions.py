"""`completions` for the debug console: names, attributes after `.`, dict keys after `[`.

What is typed before the cursor decides: a name being typed is completed from the selected frame (its
locals, globals and builtins, then keywords); `expr.na` lists the attributes of `expr`; `expr['na` the keys
of the dict `expr`. `expr` is only ever *looked up*, never evaluated: literals, names, attributes found in an
instance's or its classes' `__dict__` (no property, no `__getattr__`), and dict or list items by a literal
key (through `dict.get` and `list.__getitem__`, so no `__missing__` or `__getitem__` of the program's runs).

Listing attributes runs no code of the program's except the object's own `__dir__`: a `__dir__` written in
Python runs on the stopped thread of the selected frame (a job, `jobs.py`: in that thread's context) for at
most `DIR_TIMEOUT` seconds. A type whose `__dir__` was interrupted, or is still running, is listed from its
`__dict__`s instead, so a `__dir__` that hangs costs one request, not one per keystroke; one blocked in C
(a lock) fails that request, and the session goes on. An object whose class overrides `__getattribute__`
is listed from its `__dict__`s too, as the builtin `__dir__` would call it.
"""

import ast
import builtins
import keyword
import re
import sys
import types

from .commands import RequestError, command

DIR_TIMEOUT = 1.0
MAX_TARGETS = 5000
PLAIN_KEYS = (str, int, float, bool, bytes, type(None))
_MISSING = object()
_hung = set()
_running = set()


def _namespaces(frame):
    if frame is None:
        main = sys.modules.get("__main__")
        scope = dict(vars(main)) if main is not None else {}
        return [({}, "0"), (scope, "1"), (vars(builtins), "2")]
    return [(dict(frame.f_locals), "0"), (frame.f_globals, "1"), (frame.f_builtins, "2")]


def _is(value, kinds):
    """`isinstance` by the real type only: `isinstance` falls back on `value.__class__`, which runs a
    `__getattribute__` of the program's."""
    return issubclass(type(value), kinds)


def _kind(value):
    """A `CompletionItemType` from the value's type alone (no attribute of the value is read)."""
    if _is(value, type):
        return "class"
    if _is(value, types.ModuleType):
        return "module"
    if _is(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
        return "function"
    return "property" if _is(value, property) else "variable"


def _class_attribute(kind, name):
    for cls in kind.__mro__:
        found = vars(cls).get(name, _MISSING)
        if found is not _MISSING:
            return found
    return _MISSING


def _own_dict(value):
    try:
        namespace = object.__getattribute__(value, "__dict__")
    except Exception:
        return {}
    return namespace if _is(namespace, (dict, types.MappingProxyType)) else {}


def _attribute(value, name):
    """`value.name` when it can be read without running code of the program's, else `_MISSING`."""
    found = _own_dict(value).get(name, _MISSING)
    if found is not _MISSING:
        return found
    found = _class_attribute(value if _is(value, type) else type(value), name)
    if found is _MISSING:
        return _MISSING
    if type(found) is types.MemberDescriptorType and not _is(value, type):
        try:
            return found.__get__(value, type(value))
        except AttributeError:
            return _MISSING
    if hasattr(type(found), "__get__") and not _is(found, (types.FunctionType, type)):
        return _MISSING  # a property or another descriptor: reading it would run its code
    return found


def _look_up(node, namespaces):
    """The object an expression made of names, attributes and literal subscripts denotes, or `_MISSING`."""
    match node:
        case ast.Constant(value=value):
            return value
        case ast.Name(id=name):
            for namespace, _ in namespaces:
                if name in namespace:
                    return namespace[name]
            return _MISSING
        case ast.Attribute(value=inner, attr=name):
            value = _look_up(inner, namespaces)
            return _MISSING if value is _MISSING else _attribute(value, name)
        case ast.Subscript(value=inner, slice=ast.Constant(value=key)):
            value = _look_up(inner, namespaces)
            if _is(value, dict) and type(key) in PLAIN_KEYS:
                return dict.get(value, key, _MISSING)
            if _is(value, (list, tuple)) and type(key) is int:
                try:
                    return (list if _is(value, list) else tuple).__getitem__(value, key)
                except IndexError:
                    return _MISSING
    return _MISSING


def _defined_in_python(kind, name):
    found = _class_attribute(kind, name)
    return _is(found, (types.FunctionType, staticmethod, classmethod))


def _static_dir(value):
    names = set(_own_dict(value))
    for cls in (value if _is(value, type) else type(value)).__mro__:
        names.update(vars(cls))
    return names


def attribute_names(value, job):
    """The names `dir(value)` gives, running nothing of the program's but a `__dir__` of its own (under
    `job.guard`, which interrupts it past `DIR_TIMEOUT`)."""
    kind = type(value)
    own_module_dir = _is(value, types.ModuleType) and "__dir__" in _own_dict(value)
    if own_module_dir or _defined_in_python(kind, "__dir__"):
        if kind in _hung or kind in _running:
            return _static_dir(value)
        _running.add(kind)
        try:
            names = job.guard(lambda: dir(value), DIR_TIMEOUT)
        except RequestError:
            _hung.add(kind)
            return _static_dir(value)
        except Exception:
            return _static_dir(value)
        finally:
            _running.discard(kind)
        return {name for name in names if isinstance(name, str)}
    if _defined_in_python(kind, "__getattribute__"):
        return _static_dir(value)
    return set(dir(value))


def _attribute_kind(value, name):
    found = _own_dict(value).get(name, _MISSING)
    if found is not _MISSING:
        return "module" if _is(found, types.ModuleType) else "field"
    found = _class_attribute(value if _is(value, type) else type(value), name)
    if _is(found, (types.FunctionType, staticmethod, classmethod, types.MethodDescriptorType)):
        return "method"
    if _is(found, type):
        return "class"
    return "property" if found is _MISSING or hasattr(type(found), "__get__") else "field"


def _key_text(key, quote):
    """How to type `key` in a subscript (a str in the quote the user opened), or None if too long."""
    text = repr(key)
    if quote == '"' and type(key) is str and text[0] == "'" and '"' not in key:
        text = '"' + text[1:-1] + '"'
    return text if len(text) <= 200 else None


def _sort_text(group, name):
    return group + ("2" if name.startswith("__") else "1" if name.startswith("_") else "0") + name


def _primary_start(text):
    """Where the expression ending at the end of `text` begins (names, dots and bracketed parts)."""
    depth, index, quote = 0, len(text), None
    while index > 0:
        char = text[index - 1]
        if quote is not None:
            if char == quote:
                quote = None
        elif char in "'\"" and depth:
            quote = char
        elif char == "]":
            depth += 1
        elif char == "[" and depth:
            depth -= 1
        elif not depth and not (char.isidentifier() or char.isdigit() or char in "."):
            break
        index -= 1
    return index


KEY = re.compile(r"\[\s*(?P<prefix>'[^'\\]*|\"[^\"\\]*|-?\d*)$")


def _parse(before):
    """(what, expression text, prefix): what is "name", "attribute", "key" or None (nothing to offer)."""
    key = KEY.search(before)
    if key is not None:
        head = before[: key.start()]
        head = head[_primary_start(head) :]
        return ("key", head, key["prefix"]) if head else (None, "", "")
    primary = before[_primary_start(before) :]
    head, dot, prefix = primary.rpartition(".")
    if dot:
        usable = head and (prefix == "" or prefix.isidentifier())
        return ("attribute", head, prefix) if usable else (None, "", "")
    if primary == "" or primary.isidentifier():
        return "name", "", primary
    return None, "", ""


def complete(text, column, frame, job):
    """The DAP `targets` for `text` with the cursor before index `column` (a str index)."""
    before = text[:column]
    what, head, prefix = _parse(before)
    namespaces = _namespaces(frame)
    node = None
    if head:
        try:
            node = ast.parse(head.strip(), mode="eval").body
        except SyntaxError:
            return [], len(before)
    targets = []
    match what:
        case "name":
            seen = set()
            for namespace, group in namespaces:
                for name in list(namespace):
                    if isinstance(name, str) and name.startswith(prefix) and name not in seen:
                        seen.add(name)
                        item = {
                            "label": name,
                            "type": _kind(namespace[name]),
                            "sortText": _sort_text(group, name),
                        }
                        targets.append(item)
            for word in keyword.kwlist:
                if word.startswith(prefix) and word not in seen:
                    targets.append({"label": word, "type": "keyword", "sortText": _sort_text("3", word)})
        case "attribute":
            value = _look_up(node, namespaces)
            if value is not _MISSING:
                for name in sorted(attribute_names(value, job)):
                    if name.startswith(prefix):
                        item = {"label": name, "type": _attribute_kind(value, name)}
                        targets.append(item | {"sortText": _sort_text("0", name)})
        case "key":
            value = _look_up(node, namespaces)
            if _is(value, dict):
                for key in list(dict.keys(value)):
                    shown = _key_text(key, prefix[:1]) if type(key) in PLAIN_KEYS else None
                    if shown is not None and shown.startswith(prefix):
                        targets.append({"label": shown, "type": "value", "sortText": shown})
    return targets[:MAX_TARGETS], len(before) - len(prefix)


def _utf16_to_index(text, units):
    """The str index of the position `units` UTF-16 code units into `text`."""
    count = 0
    for index, char in enumerate(text):
        if count >= units:
            return index
        count += 2 if ord(char) > 0xFFFF else 1
    return len(text)


def _utf16_length(text):
    return len(text.encode("utf-16-le")) // 2


@command("completions", job=True)
def _completions(agent, arguments, job):
    """Each target says, in `length`, how much of the text before the cursor it replaces (the part of
    the name or key typed so far). `start` is left out: VS Code reads it as a 0-based index whatever the
    client's `columnsStartAt1`, and a 1-based one makes it filter every item away."""
    text = arguments.get("text") or ""
    base = 1 if arguments.get("columnsStartAt1", True) else 0
    lines = text.split("\n")
    line = max(1, int(arguments.get("line") or 1))
    if line > len(lines):
        return {"targets": []}
    current = lines[line - 1]
    column = _utf16_to_index(current, max(0, int(arguments.get("column") or base) - base))
    targets, start = complete(current, column, agent.frame(arguments), job)
    typed = _utf16_length(current[start:column])
    for item in targets:
        item["length"] = typed
    return {"targets": targets}
