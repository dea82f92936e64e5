"""The `expect` block of a vignette or hard case, checked against an assessment."""

from __future__ import annotations

from typing import Any

from lowalp.model import Assessment


def assert_meets(a: Assessment, expect: dict[str, Any], label: str) -> None:
    """Fail with the ranking shown when ``a`` breaks ``top``, ``top3`` or ``not_top``."""
    ranked = [c.id for c in a.causes]
    show = "\n".join(f"  {c.id:<24} {c.probability:6.1%}" for c in a.causes[:6])
    context = f"{label}\nranking:\n{show}\nnot understood: {[n.value for n in a.not_understood]}"
    if "top" in expect:
        assert ranked[0] == expect["top"], context
    for cid in expect.get("top3", []):
        assert cid in ranked[:3], context
    for cid in expect.get("not_top", []):
        assert ranked[0] != cid, context
