"""cattrs converter for the generated DAP types: camelCase on the wire, strict JSON kinds, readable errors.

cattrs' defaults coerce (`int("3")`, `bool("no")`, a string structured as a list of characters); a debug
adapter must instead tell the client exactly which field is wrong, so primitives, lists, maps and objects
check the JSON kind they receive. `None` means "absent" on both sides: optional fields accept `null`
and are left out when unstructured.
"""

import types as types_module
import typing
from collections.abc import Callable, Iterator
from typing import Any, Literal

import attrs
import cattrs
import cattrs.cols
from cattrs.errors import ClassValidationError, IterableValidationError
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from dapattach.protocol import deferred, types

WIRE_NAME = "dap_name"


class WrongKind(TypeError):
    """A JSON value of the wrong kind; the message says what was expected and what came."""


def json_kind(value: object) -> str:
    """Name a JSON value's kind the way a client author thinks of it."""
    match value:
        case None:
            return "null"
        case bool():
            return "a boolean"
        case int():
            return "an integer"
        case float():
            return "a number"
        case str():
            return "a string"
        case list():
            return "an array"
        case dict():
            return "an object"
        case _:
            return type(value).__name__


def wire_name(field: attrs.Attribute[Any]) -> str:
    """The protocol's name for a generated attribute (camelCase unless the generator recorded otherwise)."""
    explicit: str | None = field.metadata.get(WIRE_NAME)
    if explicit is not None:
        return explicit
    first, *rest = field.name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def _checker(expected: str, accept: Callable[[object], bool]) -> Callable[[object, type], object]:
    def structure(value: object, _: type) -> object:
        if not accept(value):
            raise WrongKind(f"expected {expected}, got {json_kind(value)}")
        return value

    return structure


def _is_literal(tp: Any) -> bool:
    return typing.get_origin(tp) is Literal


def _literal_factory(tp: Any) -> Callable[[object, type], object]:
    allowed = typing.get_args(tp)

    def structure(value: object, _: type) -> object:
        if type(value) is str and value in allowed:
            return value
        choices = ", ".join(repr(choice) for choice in allowed)
        raise WrongKind(f"expected one of {choices}, got {value!r}")

    return structure


_KIND_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "a boolean", type(None): "null"}


def _is_primitive_union(tp: Any) -> bool:
    members = typing.get_args(tp)
    return isinstance(tp, types_module.UnionType) and all(member in _KIND_NAMES for member in members)


def _primitive_union_factory(tp: Any) -> Callable[[object, type], object]:
    members = typing.get_args(tp)
    accepted = set(members) | ({int} if float in members else set())
    expected = " or ".join(_KIND_NAMES[member] for member in members)

    def structure(value: object, _: type) -> object:
        if type(value) not in accepted:
            raise WrongKind(f"expected {expected}, got {json_kind(value)}")
        return value

    return structure


def _is_list(tp: Any) -> bool:
    return typing.get_origin(tp) is list


def _is_dict(tp: Any) -> bool:
    return typing.get_origin(tp) is dict


def _is_generated(tp: Any) -> bool:
    return isinstance(tp, type) and deferred.materialize(tp)


def make_converter() -> cattrs.Converter:
    """A converter the caller owns, with hooks for every attrs class it meets (generated or not)."""
    converter = cattrs.Converter()
    converter.register_structure_hook(int, _checker("an integer", lambda v: type(v) is int))
    converter.register_structure_hook(float, _checker("a number", lambda v: type(v) in (int, float)))
    converter.register_structure_hook(str, _checker("a string", lambda v: type(v) is str))
    converter.register_structure_hook(bool, _checker("a boolean", lambda v: type(v) is bool))
    converter.register_structure_hook_factory(_is_literal, _literal_factory)

    def list_factory(tp: Any) -> Callable[[object, type], object]:
        items = cattrs.cols.list_structure_factory(tp, converter)

        def structure(value: object, tp: type) -> object:
            if type(value) is not list:
                raise WrongKind(f"expected an array, got {json_kind(value)}")
            return items(value, tp)

        return structure

    def dict_factory(tp: Any) -> Callable[[object, type], object]:
        entries = cattrs.cols.mapping_structure_factory(tp, converter)

        def structure(value: object, tp: type) -> object:
            if type(value) is not dict:
                raise WrongKind(f"expected an object, got {json_kind(value)}")
            return entries(value, tp)

        return structure

    converter.register_structure_hook_factory(_is_list, list_factory)
    converter.register_structure_hook_factory(_is_dict, dict_factory)
    converter.register_structure_hook_factory(_is_generated, lambda cls: _structure_class(cls, converter))
    converter.register_unstructure_hook_factory(_is_generated, lambda cls: _unstructure_class(cls, converter))
    converter.register_structure_hook_factory(_is_primitive_union, _primitive_union_factory)
    return converter


def _renames(cls: type, open_type: bool) -> dict[str, Any]:
    hooks = {field.name: override(rename=wire_name(field)) for field in attrs.fields(cls)}
    if open_type:
        hooks["extra"] = override(omit=True)
    return hooks


def _structure_class(cls: type, converter: cattrs.Converter) -> Callable[[object, type], object]:
    open_type = cls in types.OPEN_TYPES
    known = {wire_name(field) for field in attrs.fields(cls) if field.name != "extra"}
    inner: Callable[[Any, type], Any] = make_dict_structure_fn(cls, converter, **_renames(cls, open_type))

    def structure(value: object, tp: type) -> object:
        if type(value) is not dict:
            raise WrongKind(f"expected an object, got {json_kind(value)}")
        result = inner(value, tp)
        if open_type:
            result = attrs.evolve(result, extra={k: v for k, v in value.items() if k not in known})
        return result

    return structure


def _unstructure_class(cls: type, converter: cattrs.Converter) -> Callable[[Any], dict[str, Any]]:
    open_type = cls in types.OPEN_TYPES
    inner: Callable[[Any], dict[str, Any]] = make_dict_unstructure_fn(
        cls, converter, _cattrs_omit_if_default=True, **_renames(cls, open_type)
    )
    if not open_type:
        return inner

    def unstructure(obj: Any) -> dict[str, Any]:
        return {**obj.extra, **inner(obj)}

    return unstructure


def describe_error(error: BaseException, root: str = "arguments") -> str:
    """One readable sentence for a structuring failure, naming each bad field by its protocol path.

    Like `cattrs.transform_error`, but paths use the client's (camelCase) field names.
    """
    return "; ".join(f"{path}: {why}" for path, why in _problems(error, root))


def _problems(error: BaseException, path: str) -> Iterator[tuple[str, str]]:
    match error:
        case ClassValidationError():
            names = {field.name: wire_name(field) for field in attrs.fields(error.cl)}
            with_notes, without = error.group_exceptions()
            for inner, note in with_notes:
                yield from _problems(inner, f"{path}.{names.get(note.name, note.name)}")
            for inner in without:
                yield from _problems(inner, path)
        case IterableValidationError():
            indexed, unindexed = error.group_exceptions()
            for item_error, item in indexed:
                yield from _problems(item_error, f"{path}[{item.index}]")
            for item_error in unindexed:
                yield from _problems(item_error, path)
        case BaseExceptionGroup():
            for member in error.exceptions:
                yield from _problems(member, path)
        case KeyError():
            yield path, "is required"
        case WrongKind():
            yield path, str(error)
        case _:
            yield path, str(error) or type(error).__name__


def structure[T](converter: cattrs.Converter, value: object, cls: type[T], root: str = "arguments") -> T:
    """Structure `value`, raising `ValueError` with a `describe_error` message on any failure."""
    try:
        return converter.structure(value, cls)
    except Exception as error:
        raise ValueError(describe_error(error, root)) from error
