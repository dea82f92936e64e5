"""'No identifiable cause yet' as a real answer, and the short report for an ALP that is not low.

One test per class of issue 9's "a cause is always asserted": an isolated mild low with nothing
else, a woman without a medication list, a normal ALP, an ALP that could not be judged.
"""

from __future__ import annotations

from typing import Any

from lowalp import assess
from lowalp.knowledge import Knowledge
from lowalp.model import Assessment
from lowalp.render.common import NO_CAUSE, summary_line
from lowalp.render.fhir import render_fhir
from lowalp.render.html import render_html
from lowalp.render.text import render_text

from ..conftest import make_case


def _run(case: dict[str, Any], kb: Knowledge) -> Assessment:
    return assess(case, knowledge=kb)


def _names_a_cause(summary: str) -> bool:
    """True when the summary puts a cause forward as the answer."""
    return any(w in summary for w in ("most consistent with", "likely ", "possibly "))


def test_isolated_mild_low_reads_no_identifiable_cause(kb: Knowledge) -> None:
    a = _run(make_case(age=50, sex="M", alp=36), kb)
    assert a.alp.status == "low"
    assert a.causes[0].id == NO_CAUSE
    s = summary_line(a)
    assert "no cause identified" in s
    assert not _names_a_cause(s), s
    text = render_text(a)
    assert "not a diagnosis: what would change it" in " ".join(text.split())
    assert a.disclaimer in " ".join(text.split())
    # what would change it: the management says to repeat the ALP, and next tests are given
    top = a.causes[0]
    assert any("Repeat the ALP" in m for m in top.management)
    assert a.next_tests


def test_woman_without_medication_list_is_not_put_down_to_oestrogen(kb: Knowledge) -> None:
    a = _run(make_case(age=45, sex="F", alp=33), kb)
    assert a.top(1) != ["estrogen_therapy"]
    assert a.causes[0].id == NO_CAUSE


def test_no_identifiable_cause_loses_ground_as_findings_point_elsewhere(kb: Knowledge) -> None:
    bare = _run(make_case(age=30, sex="F", alp=30), kb)
    thin = _run(
        make_case(
            {"analyte": "bmi", "value": 16.1, "unit": "kg/m2", "day": 0},
            {"analyte": "albumin", "value": 2.9, "unit": "g/dL", "day": 0},
            age=30,
            sex="F",
            alp=30,
            findings=["weight loss", "eating very little"],
        ),
        kb,
    )
    p_bare = next(c.probability for c in bare.causes if c.id == NO_CAUSE)
    p_thin = next(c.probability for c in thin.causes if c.id == NO_CAUSE)
    assert p_thin < p_bare / 3
    assert thin.causes[0].id == "malnutrition"


def test_persistent_very_low_alp_is_not_called_unexplained_first(kb: Knowledge) -> None:
    a = _run(
        make_case(
            {"analyte": "alp", "value": 19, "unit": "U/L", "day": -200},
            age=46,
            sex="F",
            alp=18,
            medications=[],
            findings=["metatarsal stress fracture"],
        ),
        kb,
    )
    assert a.causes[0].id != NO_CAUSE


def test_normal_alp_gets_a_short_not_low_report(kb: Knowledge) -> None:
    a = _run(make_case(age=45, sex="F", alp=80), kb)
    assert a.alp.status == "normal"
    assert a.causes == ()
    assert a.next_tests == ()
    assert a.scores == ()
    assert "not low" in summary_line(a)
    text = render_text(a)
    assert "Possible explanations" not in text
    assert "Next tests" not in text
    assert "not low" in text
    assert a.disclaimer.split(":")[0] in text
    patient = render_text(a, audience="patient")
    assert "no low result to explain" in patient
    assert "Possible reasons" not in patient
    html = render_html(a)
    assert 'class="causes"' not in html
    assert "no low value to explain" in html
    guidance = render_fhir(a, knowledge=kb)["entry"][0]["resource"]
    params = guidance["contained"][0]["parameter"]
    assert not [p for p in params if p["name"] in ("cause", "nextTest")]
    assert guidance["status"] == "success"


def test_high_alp_gets_a_short_not_low_report(kb: Knowledge) -> None:
    a = _run(make_case(age=60, sex="M", alp=400), kb)
    assert a.alp.status == "high"
    assert a.causes == ()
    assert a.next_tests == ()
    assert "not low" in summary_line(a)


def test_unknown_alp_says_so_and_still_ranks_with_the_caveat(kb: Knowledge) -> None:
    case = make_case(age=45, sex="F", alp=None)
    case["labs"] = [{"analyte": "alp", "text": "see comment", "day": 0}]
    a = _run(case, kb)
    assert a.alp.status == "unknown"
    assert a.causes
    assert "could not be judged" in a.warnings[0]
    assert "if it is low" in summary_line(a)
    assert "The ALP could not be judged: what follows" in " ".join(render_text(a).split())
