"""Generated classes cost nothing until used, then behave as frozen keyword-only attrs classes."""

import attrs
import pytest

from dapattach.protocol import deferred, types
from dapattach.protocol.converter import make_converter


@deferred.frozen
class Point:
    x: int
    label: str | None = None


def test_a_deferred_class_becomes_a_frozen_attrs_class_when_first_instantiated() -> None:
    point = Point(x=1)
    assert attrs.has(Point)
    assert point == Point(x=1, label=None) and point != Point(x=2)
    assert repr(point) == "test_deferred.Point(x=1, label=None)" or repr(point).endswith(
        "Point(x=1, label=None)"
    )
    assert hash(point) == hash(Point(x=1))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        point.x = 3
    with pytest.raises(TypeError):
        Point(1)  # keyword-only, as the generated model always was


def test_the_converter_structures_a_class_never_instantiated_before() -> None:
    assert types.REQUESTS["gotoTargets"][0] is types.GotoTargetsArguments
    parsed = make_converter().structure({"source": {"path": "/a.py"}, "line": 3}, types.GotoTargetsArguments)
    assert parsed.source == types.Source(path="/a.py") and parsed.line == 3
    assert types.REQUESTS["gotoTargets"][0] is types.GotoTargetsArguments  # the same class object
