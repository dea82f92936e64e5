"""The `expect` block of a vignette or hard case, checked against an assessment."""

from __future__ import annotations

from typing import Any

from lowalp.model import Assessment


def assert_meets(a: Assessment, expect: dict[str, Any], label: str) -> None:
    """Fail with the ranking shown when ``a`` breaks its expectations.

    ``top``, ``top3``, ``not_top``: the ranking. ``max_probability``: {cause: ceiling}.
    ``first_urgent_contains``: the first urgent action, and the leading cause's first management
    pointer, contain these words. ``first_next_test_urgent``: whether the first next test is urgent.
    ``applicable`` / ``not_applicable``: findings weighed (or not) as evidence for any cause.
    ``score_contains``: {score id: words its interpretation contains}.
    """
    ranked = [c.id for c in a.causes]
    show = "\n".join(f"  {c.id:<24} {c.probability:6.1%}" for c in a.causes[:6])
    context = f"{label}\nranking:\n{show}\nnot understood: {[n.value for n in a.not_understood]}"
    if "top" in expect:
        assert ranked[0] == expect["top"], context
    for cid in expect.get("top3", []):
        assert cid in ranked[:3], context
    for cid in expect.get("not_top", []):
        assert ranked[0] != cid, context
    probability = {c.id: c.probability for c in a.causes}
    for cid, most in expect.get("max_probability", {}).items():
        assert probability[cid] <= most, context
    if "first_urgent_contains" in expect:
        urgent = [text for c in a.causes for text in c.urgent]
        assert urgent, f"{context}\nno urgent action"
        first = next(m for c in a.causes for m in c.management)  # leading cause's first pointer
        assert expect["first_urgent_contains"] in urgent[0], f"{context}\nurgent: {urgent}"
        assert expect["first_urgent_contains"] in first, f"{context}\nfirst pointer: {first}"
    if "first_next_test_urgent" in expect:
        assert a.next_tests, context
        assert a.next_tests[0].urgent == expect["first_next_test_urgent"], context
    evidence = {e.finding for c in a.causes for e in c.evidence if e.effect != "not_applicable"}
    for fid in expect.get("applicable", []):
        assert fid in evidence, f"{context}\n{fid} was not applied"
    for fid in expect.get("not_applicable", []):
        assert fid not in evidence, f"{context}\n{fid} was applied"
    for sid, words in expect.get("score_contains", {}).items():
        shown = {s.id: s.interpretation for s in a.scores}
        assert sid in shown, f"{context}\nscores: {shown}"
        assert words in shown[sid], f"{context}\nscores: {shown}"
