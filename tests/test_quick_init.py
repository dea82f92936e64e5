"""The fast ``__init__`` of the frozen dataclasses built hundreds of times a case."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from lowalp.engine.work import FindingState
from lowalp.model import Evidence, quick_init


@pytest.mark.parametrize("cls", [Evidence, FindingState])
def test_same_parameters_as_the_dataclass_writes(cls: type) -> None:
    params = list(inspect.signature(cls).parameters.values())
    fields = dataclasses.fields(cls)
    assert [p.name for p in params] == [f.name for f in fields]
    for p, f in zip(params, fields, strict=True):
        assert (p.kind is inspect.Parameter.KEYWORD_ONLY) == f.kw_only
        default = inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default
        assert p.default == default


def test_every_field_stored_and_still_frozen() -> None:
    e = Evidence(finding="f", label="l", state="present", effect="supports", weight=0.5)
    assert (e.finding, e.label, e.state, e.effect, e.weight) == (
        "f",
        "l",
        "present",
        "supports",
        0.5,
    )
    assert (e.plain, e.detail, e.source, e.estimate, e.counted_with, e.population) == (
        None,
        "",
        None,
        False,
        None,
        "",
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.weight = 1.0  # type: ignore[misc]
    assert dataclasses.replace(e, weight=1.0).weight == 1.0
    assert hash(e) == hash(dataclasses.replace(e))
    assert FindingState("x", "absent") == FindingState("x", "absent", "", True, False)
    with pytest.raises(TypeError):
        Evidence(finding="f")  # type: ignore[call-arg]


def test_refuses_what_it_cannot_write() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class WithFactory:
        items: list[int] = dataclasses.field(default_factory=list)

    with pytest.raises(TypeError, match="generated __init__"):
        quick_init(WithFactory)
