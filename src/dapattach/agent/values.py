"""Handles and the rendering of values as DAP variables.

Variable references point at a `Ref`: a frame scope, an object reached from one, or a property not yet
run (shown lazily: the client asks for it explicitly and only then is the getter called). References die
on resume, as DAP says. Reprs are capped unless the caller asks for the full text, and a repr that raises
shows the error instead of breaking the listing. A listing is handed out row by row (`cells`), so that a
repr that hangs costs only its own row; a row whose key and value are of the builtin types whose repr is C
code of bounded length (ints, floats, short strings, ...) runs none of the target's code, and is
rendered at once instead of being given a time limit of its own. With DAP's `format: {hex: true}`
integers are shown in hexadecimal, also inside lists, tuples, sets and dicts (names stay as they are, so
they still evaluate).
"""

import contextlib
import itertools
import reprlib
import threading
import types

REPR_LIMIT = 1000
PAGE_LIMIT = 1000
SCALARS = (int, float, complex, bool, str, bytes, bytearray, type(None), range, type(Ellipsis))
PLAIN = frozenset((int, float, complex, bool, str, bytes, type(None)))
"""Exact types whose repr (reprlib's, for long text) runs no code of the target's and cannot hang."""
SEQUENCES = (list, tuple)
SETS = (set, frozenset)
scope_extras = []  # fn(frame, kind) -> {name: value} shown first in a scope (stepping's return values)
HIDDEN_ATTR_TYPES = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    staticmethod,
    classmethod,
)


class Handles:
    """Positive ids in [first, end) (below 2**31) for objects, valid until `clear`, or until `drop` when
    they belong to a thread that is resumed while others stay stopped (non-stop). An agent in a
    sub-interpreter numbers from a range of its own (see `router.py`)."""

    def __init__(self, first=1, end=2**31 - 1):
        self._first = first
        self._end = end
        self._items = {}
        self._next = first
        self._lock = threading.Lock()

    def add(self, item, owner=None):
        """A new id for `item`; `owner` is the thread whose stop keeps it valid (None: any)."""
        with self._lock:
            if self._next >= self._end:
                self._items.clear()
                self._next = self._first
            ref = self._next
            self._next += 1
            self._items[ref] = (item, owner)
            return ref

    def get(self, ref):
        with self._lock:
            found = self._items.get(ref)
        return None if found is None else found[0]

    def owner(self, ref):
        with self._lock:
            found = self._items.get(ref)
        return None if found is None else found[1]

    def owners_of(self, item):
        """The owners under which `item` was handed out."""
        with self._lock:
            return {owner for found, owner in self._items.values() if found is item and owner is not None}

    def drop(self, doomed):
        """Forget every item for which `doomed(item, owner)` holds; returns those items."""
        with self._lock:
            gone = [ref for ref, (item, owner) in self._items.items() if doomed(item, owner)]
            return [self._items.pop(ref)[0] for ref in gone]

    def clear(self):
        with self._lock:
            self._items.clear()


class Ref:
    __slots__ = ("frame", "kind", "name", "path", "target")

    def __init__(self, kind, target, path, frame, name=None):
        self.kind = kind  # "locals" | "globals" | "object" | "lazy"
        self.target = target
        self.path = path
        self.frame = frame
        self.name = name


class _HexRepr(reprlib.Repr):
    def repr_int(self, value, level):
        return hex(value)


def _capped(kind):
    shown = kind(maxlevel=3, maxstring=REPR_LIMIT, maxother=REPR_LIMIT, maxlong=REPR_LIMIT)
    for attr in ("maxlist", "maxtuple", "maxset", "maxfrozenset", "maxdict", "maxdeque", "maxarray"):
        setattr(shown, attr, 100)
    return shown


_repr = _capped(reprlib.Repr)
_hex_repr = _capped(_HexRepr)
CONTAINERS = (list, tuple, dict, set, frozenset)


def wants_hex(arguments):
    """Whether a request's DAP `format` asks for hexadecimal integers."""
    shown = arguments.get("format")
    return isinstance(shown, dict) and bool(shown.get("hex"))


def safe_repr(value, limit=REPR_LIMIT, as_hex=False):
    """repr(value), capped to `limit` characters (None: no cap); an exception is shown, never raised."""
    try:
        kind = type(value)
        if as_hex and kind is int:
            text = hex(value)
        elif as_hex and kind in CONTAINERS:
            text = _hex_repr.repr(value)
        elif limit is not None and kind in (*CONTAINERS, str, bytes):
            text = _repr.repr(value)
        else:
            text = repr(value)
    except Exception as error:
        return f"<repr raised {describe_error(error)}>"
    if limit is not None and len(text) > limit:
        text = text[:limit] + "..."
    return text


def describe_error(error):
    try:
        message = str(error)
    except Exception:
        message = "<unprintable>"
    name = type(error).__name__
    return f"{name}: {message}" if message else name


def type_name(value):
    kind = type(value)
    module = getattr(kind, "__module__", "builtins")
    if module in ("builtins", "__main__"):
        return kind.__qualname__
    return f"{module}.{kind.__qualname__}"


def _length(value):
    try:
        return len(value)
    except Exception:
        return None


def _properties(value):
    names = []
    if isinstance(value, type):
        return names
    for cls in type(value).__mro__[:-1]:
        for name, attr in vars(cls).items():
            if isinstance(attr, property) and not name.startswith("__") and name not in names:
                names.append(name)
    return names


def _attributes(value):
    """(name, value) pairs of the instance's own state: __dict__ entries and filled __slots__."""
    pairs = []
    try:
        namespace = object.__getattribute__(value, "__dict__")
    except Exception:
        namespace = None
    if isinstance(namespace, (dict, types.MappingProxyType)):
        for name, attr in list(namespace.items()):
            if isinstance(name, str) and not (name.startswith("__") and name.endswith("__")):
                if isinstance(value, (type, types.ModuleType)) and isinstance(attr, HIDDEN_ATTR_TYPES):
                    continue
                pairs.append((name, attr))
    for cls in type(value).__mro__:
        slots = vars(cls).get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            descriptor = vars(cls).get(name)
            if type(descriptor) is types.MemberDescriptorType:
                with contextlib.suppress(AttributeError):
                    pairs.append((name, descriptor.__get__(value, type(value))))
    return pairs


def _indexed_count(value):
    if isinstance(value, (*SEQUENCES, *SETS, dict)):
        return _length(value) or 0
    return 0


def has_children(value):
    if type(value) in SCALARS or isinstance(value, (types.FunctionType, types.BuiltinFunctionType)):
        return False
    if _indexed_count(value):
        return True
    return bool(_attributes(value) or _properties(value))


def variable(handles, name, value, path, frame, limit=REPR_LIMIT, as_hex=False):
    """One DAP `Variable` for `value`, allocating a reference when it can be expanded."""
    result = {
        "name": name,
        "value": safe_repr(value, limit, as_hex),
        "type": type_name(value),
        "variablesReference": 0,
    }
    if path is not None:
        result["evaluateName"] = path
    if has_children(value):
        result["variablesReference"] = handles.add(Ref("object", value, path, frame))
        indexed = _indexed_count(value)
        if indexed:
            result["indexedVariables"] = indexed
            result["namedVariables"] = 1 + len(_attributes(value))
    return result


def _child_path(path, suffix):
    return None if path is None else path + suffix


def _cell(handles, name, value, path, frame, as_hex=False):
    if not as_hex and type(value) in PLAIN:
        return name, _plain(name, value, path)
    return name, lambda: variable(handles, name, value, path, frame, as_hex=as_hex)


def _plain(name, value, path):
    """The row `variable` gives a value of a `PLAIN` type (it has no children), built directly."""
    row = {"name": name, "value": safe_repr(value), "type": type(value).__name__, "variablesReference": 0}
    if path is not None:
        row["evaluateName"] = path
    return row


def _indexed(handles, ref, start, count, as_hex=False):
    value = ref.target
    stop = start + count
    if isinstance(value, dict):
        # islice over the view copies only what is shown (a list of every item of a 100,000-key dict
        # took 8 ms, most of it in the collections its allocation set off)
        return [
            _item(handles, ref, key, item, as_hex)
            for key, item in list(itertools.islice(value.items(), start, stop))
        ]
    if isinstance(value, SETS):
        items = list(itertools.islice(value, start, stop))
        return [
            _cell(handles, str(index), item, None, ref.frame, as_hex)
            for index, item in enumerate(items, start)
        ]
    items = value[start:stop]
    return [
        _cell(handles, str(index), item, _child_path(ref.path, f"[{index}]"), ref.frame, as_hex)
        for index, item in enumerate(items, start)
    ]


def _item(handles, ref, key, item, as_hex):
    """The cell of one dict item, named by its key's repr; a key of a `PLAIN` type is shown at once."""
    if type(key) not in PLAIN:
        name, text = safe_repr(key, 200), safe_repr(key)
    elif len(text := safe_repr(key)) > 200:
        name = text[:200] + "..."
    else:
        name = text
    return _cell(handles, name, item, _child_path(ref.path, f"[{text}]"), ref.frame, as_hex)


def _length_text(value, as_hex):
    length = _length(value)
    return hex(length) if as_hex and length is not None else str(length)


def _named(handles, ref, as_hex=False):
    value = ref.target
    result = []
    if _indexed_count(value) or isinstance(value, (*SEQUENCES, *SETS, dict)):
        length = {"name": "len()", "type": "int", "variablesReference": 0}
        result.append(("len()", lambda: {**length, "value": _length_text(value, as_hex)}))
    for name, attr in _attributes(value):
        result.append(_cell(handles, name, attr, _child_path(ref.path, "." + name), ref.frame, as_hex))
    for name in _properties(value):
        lazy = handles.add(Ref("lazy", value, _child_path(ref.path, "." + name), ref.frame, name))
        row = {
            "name": name,
            "value": "property",
            "type": "property",
            "variablesReference": lazy,
            "presentationHint": {"kind": "property", "lazy": True},
        }
        result.append((name, lambda row=row: row))
    return result


def _scope(handles, ref, as_hex=False):
    frame = ref.frame
    if ref.kind == "locals":
        names = dict(frame.f_locals)
    else:
        names = {k: v for k, v in frame.f_globals.items() if not (k.startswith("__") and k.endswith("__"))}
    if scope_extras and (ref.kind == "locals" or frame.f_code.co_name == "<module>"):
        extras = {}
        for extra in scope_extras:
            extras.update(extra(frame, ref.kind))
        names = {**extras, **names}
    return [_cell(handles, str(name), value, str(name), frame, as_hex) for name, value in names.items()]


def _property(handles, ref, as_hex=False):
    try:
        value = getattr(ref.target, ref.name)
    except Exception as error:
        return {"name": ref.name, "value": f"<raised {describe_error(error)}>", "variablesReference": 0}
    return variable(handles, ref.name, value, ref.path, ref.frame, as_hex=as_hex)


def cells(handles, ref, arguments):
    """The rows of the `variables` answer for `ref` (DAP's `filter`/`start`/`count` paging) as
    `(name, work)` pairs: `work()` renders the row, running whatever of the target's code it needs (a
    repr, a length, a property), so the caller can give each row its own time limit; `work` is the row
    itself when rendering it runs none. Collecting the pairs runs the target's code too (a container's
    own `__getitem__`, `__len__`, the reprs of plain values)."""
    kind = ref.kind
    as_hex = wants_hex(arguments)
    if kind in ("locals", "globals"):
        return _scope(handles, ref, as_hex)
    if kind == "lazy":
        return [(ref.name, lambda: _property(handles, ref, as_hex))]
    filter_ = arguments.get("filter")
    start = max(0, int(arguments.get("start") or 0))
    count = int(arguments.get("count") or 0) or PAGE_LIMIT
    result = []
    if filter_ != "indexed":
        result.extend(_named(handles, ref, as_hex))
    if filter_ != "named" and _indexed_count(ref.target):
        result.extend(_indexed(handles, ref, start, count, as_hex))
    return result
