"""Every tidy clinical vignette under tests/cases/<cause>/ meets its expected ranking constraints.

The hard cases in tests/cases/hard/ are measured apart, by test_hard_cases.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lowalp import assess
from lowalp.adapters.vignettes import load_vignette

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
    ranked = [c.id for c in a.causes]
    show = "\n".join(f"  {c.id:<24} {c.probability:6.1%}" for c in a.causes[:6])
    context = f"{path.name}: {labelled.id}\nranking:\n{show}\nnot understood: {[n.value for n in a.not_understood]}"
    if "top" in expect:
        assert ranked[0] == expect["top"], context
    for cid in expect.get("top3", []):
        assert cid in ranked[:3], context
    for cid in expect.get("not_top", []):
        assert ranked[0] != cid, context
