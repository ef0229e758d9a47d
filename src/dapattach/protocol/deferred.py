"""Deferred attrs classes: the generated DAP model pays for attrs only in the classes a session uses.

`attrs.frozen` compiles `__init__`, `__eq__`, `__hash__` and `__repr__` for every class it decorates: about
80 ms for the 240 classes of the DAP model, all at import, while a session starts with a dozen of them.
`frozen` only records the class; it becomes a frozen attrs class (without `__slots__`, so the class object
stays the same one the tables hold) the first time it is instantiated or passed to `materialize`, which
the converter does for every class it meets. Type checkers see `attrs.frozen(kw_only=True)` (PEP 681).
"""

import threading
import typing
from typing import Any

import attrs

_deferred: set[type] = set()
_lock = threading.Lock()


@typing.dataclass_transform(frozen_default=True, kw_only_default=True, field_specifiers=(attrs.field,))
def frozen[C: type](cls: C) -> C:
    """Make `cls` a frozen, keyword-only attrs class when it is first used."""

    def first_init(self: object, **values: Any) -> None:
        materialize(cls)
        cls.__dict__["__init__"](self, **values)

    type.__setattr__(cls, "__init__", first_init)
    _deferred.add(cls)
    return cls


def materialize(cls: type) -> bool:
    """Turn a deferred class into its attrs class now; returns whether `cls` is an attrs class."""
    if cls in _deferred:
        with _lock:
            if cls in _deferred:
                type.__delattr__(cls, "__init__")  # attrs keeps an `__init__` the class defines
                attrs.frozen(kw_only=True, slots=False)(cls)
                _deferred.discard(cls)
    return attrs.has(cls)
