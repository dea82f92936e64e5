"""Every clinical vignette under tests/cases/ meets its expected ranking constraints."""

from __future__ import annotations

from pathlib import Path

import pytest

from lowalp import assess
from lowalp.adapters.vignettes import load_vignette

# tests/cases/hard/ is a measurement set of real-world wording (see its README): it is scored
# on its own, not required to pass here.
CASES_DIR = Path(__file__).parents[1] / "cases"
CASES = sorted(p for p in CASES_DIR.rglob("*.yaml") if p.relative_to(CASES_DIR).parts[0] != "hard")


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
