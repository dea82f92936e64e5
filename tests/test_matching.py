"""Free text is matched through the synonym lists; what is not understood is listed."""

from __future__ import annotations

import pytest
from tests.conftest import make_case


@pytest.mark.parametrize(
    ("text", "finding"),
    [
        ("Microgynon 30", "med_estrogen"),
        ("levonorgestrel/ethinylestradiol", "med_estrogen"),
        ("alendronate 70 mg weekly", "med_bisphosphonate"),
        ("prednisolone 20 mg daily", "med_glucocorticoid"),
        ("omeprazole 20 mg daily", "med_ppi"),
    ],
)
def test_medications(run, text, finding):
    a = run(make_case(medications=[text]))
    assert not a.not_understood
    present = {e.finding for c in a.causes for e in c.evidence if e.state == "present"}
    assert finding in present


@pytest.mark.parametrize(
    ("text", "finding"),
    [
        ("lost baby teeth at 2 with roots intact", "premature_tooth_loss"),
        ("premature loss of deciduous teeth", "premature_tooth_loss"),
        ("metatarsal stress fracture", "metatarsal_stress_fracture"),
        ("Kayser-Fleischer rings", "kayser_fleischer_rings"),
        ("bleeding gums", "gum_bleeding"),
    ],
)
def test_findings(run, text, finding):
    a = run(make_case(findings=[text]))
    assert not a.not_understood, a.not_understood
    present = {e.finding for c in a.causes for e in c.evidence if e.state == "present"}
    assert finding in present


def test_negation_marks_a_finding_absent(run):
    a = run(make_case(findings=["no Kayser-Fleischer rings"]))
    states = {
        e.state for c in a.causes for e in c.evidence if e.finding == "kayser_fleischer_rings"
    }
    assert states == {"absent"}


def test_gastric_bypass_is_not_cardiac_bypass(run):
    a = run(make_case(findings=["Roux-en-Y gastric bypass"]))
    states = {e.finding: e.state for c in a.causes for e in c.evidence}
    assert states.get("recent_cardiac_surgery") != "present"
    assert states.get("bariatric_or_gastric_surgery") == "present"


def test_what_was_understood_is_reported_too(run):
    a = run(make_case(medications=["Microgynon 30"]))
    assert any("Microgynon 30" in u for u in a.understood)
