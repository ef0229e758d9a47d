"""Code objects of a source file, the lines that have code, and which code is the user's.

A breakpoint is verified against real code: the functions of loaded modules (reached through their
namespaces, classes, decorators' `__wrapped__` and nested `co_consts`) and the code of frames on any
thread's stack, which is how a module-level loop in `__main__` is found although its module code is not
kept anywhere else. Only lines that emit LINE events count: a `def` line alone (its `RESUME`) does not.
"""

import opcode
import os
import sys
import threading
import types

from . import suspend
from .inspection import AGENT_DIR

_paths = {}
_lines = {}
_user = {}
_RESUME = opcode.opmap["RESUME"]
_CACHE = opcode.opmap["CACHE"]


def normalize(filename):
    """A comparable form of a code's or a client's file name (absolute, symlinks resolved)."""
    found = _paths.get(filename)
    if found is None:
        if not filename or filename.startswith("<"):
            found = filename
        else:
            found = os.path.normcase(os.path.realpath(os.path.abspath(filename)))
        _paths[filename] = found
    return found


def lines_of(code):
    """The lines of `code` (not of nested code) where a LINE event can happen, as a frozenset."""
    found = _lines.get(code)
    if found is None:
        after = _resume_end(code.co_code)
        found = frozenset(line for _start, end, line in code.co_lines() if line is not None and end > after)
        _lines[code] = found
    return found


def _resume_end(raw):
    """The offset just past the first RESUME and its caches (0 if none): the prologue's lines never fire.

    Read from the bytes rather than with `dis`, whose import costs more than the rest of this module.
    """
    for offset in range(0, len(raw), 2):
        if raw[offset] == _RESUME:
            offset += 2
            while offset < len(raw) and raw[offset] == _CACHE:
                offset += 2
            return offset
    return 0


def nested(code):
    """`code` and every code object defined inside it."""
    stack = [code]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(const for const in current.co_consts if isinstance(const, types.CodeType))


def _codes_in(namespace, module_name, seen, depth=0):
    for value in list(namespace.values()):
        if id(value) in seen or depth > 8:
            continue
        seen.add(id(value))
        for _ in range(20):
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            elif isinstance(value, types.FunctionType) and "__wrapped__" in vars(value):
                yield value.__code__
                value = vars(value)["__wrapped__"]
            else:
                break
        if isinstance(value, types.FunctionType):
            yield value.__code__
        elif isinstance(value, property):
            for accessor in (value.fget, value.fset, value.fdel):
                if isinstance(accessor, types.FunctionType):
                    yield accessor.__code__
        elif isinstance(value, type) and vars(value).get("__module__") == module_name:
            yield from _codes_in(dict(vars(value)), module_name, seen, depth + 1)


def _same_file(filename, path, basename):
    """`normalize` resolves symlinks (a few syscalls a name): compare base names first, which is free."""
    return os.path.basename(filename) == basename and normalize(filename) == path


def _module_roots(path):
    basename = os.path.basename(path)
    for name, module in list(sys.modules.items()):
        try:
            namespace = object.__getattribute__(module, "__dict__")
            filename = namespace.get("__file__")
        except Exception:
            continue
        if isinstance(filename, str) and _same_file(filename, path, basename):
            yield from _codes_in(dict(namespace), name, set())


def _frame_roots(path):
    basename = os.path.basename(path)
    for frame in list(suspend.walkable_frames().values()):
        while frame is not None:
            if _same_file(frame.f_code.co_filename, path, basename):
                yield frame.f_code
            frame = frame.f_back


def codes_of(path, extra=()):
    """Every code object of the file `path` (normalized) that can be found now, plus `extra` roots."""
    found = {}
    for root in (*_module_roots(path), *_frame_roots(path), *extra):
        for code in nested(root):
            if normalize(code.co_filename) == path:
                found[id(code)] = code
    return list(found.values())


def resolve_line(codes, line):
    """The first line at or after `line` that has code, with the code objects holding it; (None, [])."""
    best = None
    for code in codes:
        for candidate in lines_of(code):
            if candidate >= line and (best is None or candidate < best):
                best = candidate
    if best is None:
        return None, []
    return best, [code for code in codes if best in lines_of(code)]


def _library_roots():
    import sysconfig

    roots = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(normalize(path) + os.sep)
    for path in sys.path:
        if path and os.path.basename(path) in ("site-packages", "dist-packages"):
            roots.add(normalize(path) + os.sep)
    roots.add(normalize(threading.__file__).rpartition(os.sep)[0] + os.sep)
    return tuple(roots)


_state = {"library": None}


def is_agent(code):
    return code.co_filename.startswith(AGENT_DIR + os.sep)


def is_user(code, just_my_code=True):
    """False for the agent's own code and, with justMyCode, for the stdlib, installed packages and `<...>`."""
    found = _user.get((code.co_filename, just_my_code))
    if found is None:
        found = is_user_file(code.co_filename, just_my_code)
    return found


def is_user_file(filename, just_my_code=True):
    """`is_user` for a file name: a code object's `co_filename` or a module's `__file__`."""
    key = (filename, just_my_code)
    found = _user.get(key)
    if found is None:
        if filename.startswith(AGENT_DIR + os.sep):
            found = False
        elif not just_my_code:
            found = True
        elif not filename or filename.startswith("<"):
            found = False
        else:
            if _state["library"] is None:
                _state["library"] = _library_roots()
            path = normalize(filename)
            found = not path.startswith(_state["library"]) and os.sep + "site-packages" + os.sep not in path
        _user[key] = found
    return found
