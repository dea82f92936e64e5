"""Every tidy clinical vignette under tests/cases/<cause>/ meets its expected ranking constraints.

The hard cases in tests/cases/hard/ are measured apart, by test_hard_cases.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lowalp import assess
from lowalp.adapters.vignettes import load_vignette

from .expectations import assert_meets

CASES = sorted(
    p for p in (Path(__file__).parents[1] / "cases").rglob("*.yaml") if p.parent.name != "hard"
)


def test_there_are_enough_vignettes():
    causes = {p.parent.name for p in CASES}
    assert len(CASES) >= 40
    assert len(causes) >= 18


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_vignette(path: Path, kb):
    labelled, expect = load_vignette(path)
    assert labelled.case is not None
    a = assess(labelled.case, knowledge=kb)
    assert_meets(a, expect, f"{path.name}: {labelled.id}")
