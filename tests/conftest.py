"""Shared fixtures: the bundled knowledge (loaded once) and a helper to build cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lowalp import assess
from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.model import Assessment


@pytest.fixture(scope="session")
def kb() -> Knowledge:
    return load_knowledge()


def make_case(
    *labs: dict[str, Any],
    age: float | None = 45,
    sex: str | None = "F",
    alp: float | None = 20,
    id: str | None = None,
    **context: Any,
) -> dict[str, Any]:
    """A case dict in the design's format; an index ALP at day 0 unless ``alp=None``."""
    all_labs = list(labs)
    if alp is not None:
        all_labs.insert(0, {"analyte": "alp", "value": alp, "unit": "U/L", "day": 0})
    case: dict[str, Any] = {"patient": {"age_years": age, "sex": sex}, "labs": all_labs}
    if context:
        case["context"] = context
    if id is not None:
        case["id"] = id
    return case


@pytest.fixture
def run(kb: Knowledge) -> Callable[..., Assessment]:
    def _run(case: dict[str, Any], **kw: Any) -> Assessment:
        return assess(case, knowledge=kb, **kw)

    return _run


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the golden files under tests/golden/ from the current renderers "
        "(or set LOWALP_UPDATE_GOLDEN=1)",
    )
