"""The summary's words follow the leading probability, in the bands of settings.wording."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lowalp import assess
from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.model import Assessment
from lowalp.render.common import NO_CAUSE, likelihood_word, plain_answer, summary_line
from lowalp.web.cds.cards import patient_view_cards

from ..conftest import make_case

KB = load_knowledge()
W = KB.settings.wording
BASE = assess(make_case(age=50, sex="M", alp=30, medications=[]), knowledge=KB)


def _with_top(p: float, top: str = "malnutrition", second: str = "acute_illness") -> Assessment:
    """The base assessment with ``top`` at probability ``p`` and ``second`` next."""
    by_id = {c.id: c for c in BASE.causes}
    rest = [c for c in BASE.causes if c.id not in (top, second)]
    q = (1 - p) * 0.6
    causes = (
        by_id[top].model_copy(update={"probability": p}),
        by_id[second].model_copy(update={"probability": min(q, p)}),
        *(c.model_copy(update={"probability": (1 - p - min(q, p)) / len(rest)}) for c in rest),
    )
    return BASE.model_copy(update={"causes": causes, "artifacts": ()})


def _names_a_cause(summary: str) -> bool:
    return any(w in summary for w in ("most consistent", "likely ", "possibly "))


def test_thresholds_are_ordered_knowledge_with_reasoning() -> None:
    assert 0 < W.possible_from < W.likely_from < W.most_consistent_from < 1
    assert W.estimate
    assert W.reasoning


@pytest.mark.parametrize(
    ("p", "phrase"),
    [
        (W.possible_from - 0.01, "no single explanation stands out"),
        (W.possible_from, "possibly Protein–calorie malnutrition"),
        (W.likely_from - 0.01, "possibly Protein–calorie malnutrition"),
        (W.likely_from, "likely Protein–calorie malnutrition"),
        (W.most_consistent_from - 0.01, "likely Protein–calorie malnutrition"),
        (W.most_consistent_from, "most consistent with Protein–calorie malnutrition"),
        (0.99, "most consistent with Protein–calorie malnutrition"),
    ],
)
def test_summary_words_at_each_threshold(p: float, phrase: str) -> None:
    a = _with_top(p)
    s = summary_line(a)
    assert phrase in s, s
    if p < W.possible_from:
        # no cause is named as the answer, only as one of the leading possibilities
        assert not _names_a_cause(s)
        assert "leading possibilities are Protein–calorie malnutrition" in s


@pytest.mark.parametrize(
    ("p", "word"),
    [(0.1, "less likely"), (0.35, "possible"), (0.55, "likely"), (0.8, "most consistent")],
)
def test_each_cause_is_labelled_in_the_same_bands(p: float, word: str) -> None:
    assert likelihood_word(p, W).startswith(word)


def test_no_identifiable_cause_is_never_worded_as_a_diagnosis() -> None:
    a = _with_top(0.9, top=NO_CAUSE)
    s = summary_line(a)
    assert "most consistent" not in s
    assert "no cause identified in the data given (90%)" in s
    assert "No single reason stands out" in plain_answer(a)


def test_patient_words_follow_the_bands() -> None:
    assert "No single reason stands out" in plain_answer(_with_top(0.2))
    assert "One possible reason" in plain_answer(_with_top(0.4))
    assert "most likely reason" in plain_answer(_with_top(0.6))
    assert "fit best" in plain_answer(_with_top(0.9))


def test_cds_card_summary_uses_the_same_words(kb: Knowledge) -> None:
    for p, phrase in ((0.2, "no single explanation"), (0.9, "most consistent with")):
        cards = patient_view_cards(_with_top(p), kb, patient_id="p1", base_url="http://x")
        assert len(cards) == 1
        assert phrase in cards[0]["summary"]
        assert BASE.disclaimer.split(":")[0] in cards[0]["detail"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    p=st.floats(0.06, 0.999), top=st.sampled_from(["malnutrition", "hypophosphatasia", NO_CAUSE])
)
def test_a_cause_is_most_consistent_only_above_the_threshold(p: float, top: str) -> None:
    a = _with_top(p, top=top)
    s = summary_line(a)
    if "most consistent with" in s:
        assert top != NO_CAUSE
        assert a.causes[0].probability >= W.most_consistent_from
    if a.causes[0].probability < W.possible_from or top == NO_CAUSE:
        assert not _names_a_cause(s)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    alp=st.floats(5, 60),
    age=st.floats(19, 90),
    sex=st.sampled_from(["F", "M"]),
    albumin=st.one_of(st.none(), st.floats(1.5, 5.0)),
)
def test_real_assessments_name_a_cause_only_above_the_threshold(
    alp: float, age: float, sex: str, albumin: float | None
) -> None:
    labs = [] if albumin is None else [{"analyte": "albumin", "value": albumin, "unit": "g/dL"}]
    a = assess(make_case(*labs, age=age, sex=sex, alp=alp), knowledge=KB)
    s = summary_line(a)
    if a.artifacts or not a.causes:
        return
    top = a.causes[0]
    if "most consistent with" in s:
        assert top.probability >= W.most_consistent_from
        assert top.id != NO_CAUSE
    if top.probability < W.possible_from:
        assert not _names_a_cause(s)


@pytest.mark.parametrize(("alp", "status"), [(80, "normal"), (400, "high")])
def test_a_not_low_alp_is_said_alike_in_text_and_html(alp: float, status: str) -> None:
    from lowalp.render.html import render_html
    from lowalp.render.text import render_text

    a = assess(make_case(age=50, sex="M", alp=alp), knowledge=KB)
    assert a.alp.status == status
    for out in (render_text(a), render_html(a)):
        flat = " ".join(out.split())
        assert f"The ALP is {status}, not low" in flat
        # a high ALP is a real result with causes of its own: the report must not read as "nothing"
        assert ("A high ALP has other causes" in flat) is (status == "high")
