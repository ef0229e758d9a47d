"""DAP's `exceptionOptions`: when to break, per exception type.

An option is a `path` and a `breakMode` (`never`, `always`, `unhandled`, `userUnhandled`). The path may
start with the category segment `Python Exceptions` (as Visual Studio sends it); what follows is one
segment naming exception types: a class is named by its module and qualified name
(`json.decoder.JSONDecodeError`, `builtins.KeyError`), its `__qualname__` or its `__name__` (`KeyError`),
and a segment with `negate` names every type but those. A path of the category alone, or an empty one,
sets the mode of every exception.

An exception's mode is that of the option naming the nearest class of its MRO (a rule for `KeyError`
beats one for `LookupError` for a `KeyError`), else of a negated segment that does not name any of them,
else of the category; with no option for it, the exception filters (`raised`, `uncaught`,
`userUnhandled`, with their conditions) decide, as they do without options.
"""

CATEGORY = "Python Exceptions"
MODES = ("never", "always", "unhandled", "userUnhandled")


def _names(kind):
    module = getattr(kind, "__module__", "builtins")
    return (f"{module}.{kind.__qualname__}", kind.__qualname__, kind.__name__)


class Rules:
    """The parsed options; `mode(kind)` is the break mode they give an exception type, or None."""

    def __init__(self):
        self.named = {}  # name -> mode
        self.negated = []  # (names, mode)
        self.default = None

    def __bool__(self):
        return bool(self.named or self.negated or self.default)

    def modes(self):
        """Every break mode some exception may get from these rules."""
        return {*self.named.values(), *(mode for _, mode in self.negated), self.default} - {None}

    def mode(self, kind):
        names_seen = []
        for cls in getattr(kind, "__mro__", ()):
            names = _names(cls)
            names_seen.extend(names)
            for name in names:
                found = self.named.get(name)
                if found is not None:
                    return found
        for names, mode in self.negated:
            if not names.intersection(names_seen):
                return mode
        return self.default


def parse(options):
    """`Rules` from a `setExceptionBreakpoints` request's `exceptionOptions`, and one DAP `Breakpoint`
    per option (verified, or not with the reason), as the response lists them."""
    rules, results = Rules(), []
    for option in options or []:
        problem = _add(rules, option)
        results.append({"verified": True} if problem is None else {"verified": False, "message": problem})
    return rules, results


def _add(rules, option):
    if not isinstance(option, dict):
        return "an exception option must be an object"
    mode = option.get("breakMode")
    if mode not in MODES:
        return f"breakMode {mode!r} is not one of {', '.join(MODES)}"
    segments = list(option.get("path") or [])
    first = segments[0] if segments else None
    if isinstance(first, dict) and not first.get("negate") and CATEGORY in (first.get("names") or []):
        segments = segments[1:]
    if not segments:
        rules.default = mode
        return None
    if len(segments) > 1 or not isinstance(segments[0], dict):
        return (
            f"Python exceptions are named by one path segment of type names (after an optional "
            f"{CATEGORY!r}), not {len(segments)}"
        )
    names = [name for name in segments[0].get("names") or [] if isinstance(name, str)]
    if segments[0].get("negate"):
        rules.negated.append((frozenset(names), mode))
    else:
        rules.named.update(dict.fromkeys(names, mode))
    return None
