"""An ALP that cannot be judged flows through every rendering, which says so and why."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.bundle import Bundle

from lowalp import assess
from lowalp.knowledge import Knowledge
from lowalp.model import Assessment
from lowalp.render.fhir import render_fhir
from lowalp.render.html import render_html
from lowalp.render.text import render_text
from lowalp.web.cds.cards import patient_view_cards

UNKNOWN_UNIT = {
    "patient": {"age_years": 46, "sex": "F"},
    "labs": [
        {"analyte": "alp", "value": 19, "unit": "furlongs", "day": 0},
        {"analyte": "albumin", "value": 3.1, "unit": "g/dL", "day": 0},
    ],
}
IN_WORDS = {
    "patient": {"age_years": 46, "sex": "F"},
    "labs": [{"analyte": "alp", "value": 21, "flag": "L", "day": 0}],
}


@pytest.fixture
def unknown(kb: Knowledge) -> Assessment:
    return assess(UNKNOWN_UNIT, knowledge=kb)


def test_the_assessment_goes_on_and_says_why(unknown: Assessment) -> None:
    """Formerly rejected as 'no usable ALP'."""
    assert unknown.alp.status == "unknown"
    assert unknown.alp.value is None
    assert "furlongs" in unknown.alp.status_reason
    assert unknown.warnings[0].startswith("The ALP could not be judged")
    assert unknown.causes
    assert [n.pointer for n in unknown.not_understood] == ["labs[0].unit"]


@pytest.mark.parametrize("audience", ["clinician", "patient"])
def test_text_and_html_say_the_alp_could_not_be_judged(unknown: Assessment, audience: str) -> None:
    text = render_text(unknown, audience=audience)  # type: ignore[arg-type]
    html = render_html(unknown, audience=audience)  # type: ignore[arg-type]
    words = "could not be judged" if audience == "clinician" else "could not tell"
    assert words in text
    assert words in html
    assert "furlongs" in text


def test_fhir_output_is_valid_without_a_value(unknown: Assessment, kb: Knowledge) -> None:
    bundle = render_fhir(unknown, knowledge=kb)
    Bundle.model_validate(bundle)
    obs = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    )
    assert "valueQuantity" not in obs


def test_cds_shows_no_low_alp_card(unknown: Assessment, kb: Knowledge) -> None:
    assert patient_view_cards(unknown, kb, patient_id="p1", base_url="http://x") == []


def test_an_alp_read_from_the_labs_flag_is_low_and_says_so(kb: Knowledge) -> None:
    a = assess(IN_WORDS, knowledge=kb)
    assert a.alp.status == "low"
    assert "flag" in a.alp.status_reason
    text = render_text(a)
    assert "LOW (from the lab's words" in text
    assert "from the lab's words, not a number" in " ".join(a.warnings)
    (card,) = patient_view_cards(a, kb, patient_id="p1", base_url="http://x")
    assert "21" in card["detail"]
