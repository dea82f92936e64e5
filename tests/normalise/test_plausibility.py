"""The one rule for a value (and its printed range) against the unit written beside it."""

from __future__ import annotations

import pytest

from lowalp.knowledge import Knowledge
from lowalp.normalise.plausibility import check_value


@pytest.mark.parametrize(
    ("analyte", "value", "unit", "low", "high", "verdict", "unit_or_likely"),
    [
        ("alp", 22, "U/L", 35, 104, "ok", None),
        ("alp", 2, "U/L", None, None, "ok", None),  # very low, but no other unit explains it
        ("alp", 0.35, "U/L", None, None, "doubtful", ("µkat/L",)),
        ("alp", 0.35, "U/L", 35, 104, "doubtful", ("µkat/L",)),
        ("alp", 0.35, "U/L", 0.58, 1.74, "other_unit", "µkat/L"),
        ("alp", 21, "µkat/L", 35, 104, "other_unit", "U/L"),
        ("alp", 80, "U/L", 0.58, 1.74, "range_ignored", None),
        ("albumin", 400, "g/dL", None, None, "impossible", ()),
        ("albumin", 40, "g/dL", None, None, "impossible", ("g/L",)),
        ("albumin", 40, "g/dL", 35, 50, "other_unit", "g/L"),
        ("calcium", 2.3, "mg/dL", 2.15, 2.55, "range_only", None),
        ("calcium", 2.3, "mg/dL", None, None, "ok", None),  # could be an EDTA-contaminated sample
        ("tsh", 0.005, "mIU/L", None, None, "ok", None),  # suppressed TSH: one scale only
        ("vitamin_c", 0.01, "mg/dL", None, None, "ok", None),  # scurvy
        ("potassium", 22, "mmol/L", None, None, "ok", None),  # gross EDTA contamination
    ],
)
def test_verdicts(
    kb: Knowledge,
    analyte: str,
    value: float,
    unit: str,
    low: float | None,
    high: float | None,
    verdict: str,
    unit_or_likely: object,
) -> None:
    c = check_value(kb, analyte, value, unit, low, high)
    assert c.verdict == verdict, c.message
    if verdict == "other_unit":
        assert c.unit == unit_or_likely
    elif isinstance(unit_or_likely, tuple):
        assert c.likely == unit_or_likely
    if verdict != "ok":
        assert c.message
