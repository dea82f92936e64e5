"""The pre-analytical (EDTA) warning: raised from the artefact's probability, weighing kidney
failure and a haemolysed sample, reading albumin-adjusted calcium, and never advising anyone to
leave a potassium that may be real untreated."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.conftest import make_case

from lowalp import assess
from lowalp.knowledge import Knowledge
from lowalp.model import Assessment
from lowalp.render.fhir import render_fhir
from lowalp.render.html import render_html
from lowalp.render.text import render_text
from lowalp.web.cds.cards import patient_view_cards

EDTA = "edta_contamination"

UNSAFE = re.compile(
    r"(?:do not|don't|no need to|need not) (?:treat|act on)|not be treated|before acting"
    r"|(?:ignor|disregard)\w*\W+(?:\w+\W+){0,4}(?:potassium|k\b)"
    r"|(?:potassium|k\b)\W+(?:\w+\W+){0,4}(?:ignor|disregard)",
    re.IGNORECASE,
)
"""Advice that would leave a potassium that may be real untreated."""

SEPTIC_AKI = make_case(
    {"analyte": "potassium", "value": 6.9, "unit": "mmol/L", "day": 0},
    {"analyte": "creatinine", "value": 390, "unit": "µmol/L", "day": 0},
    {"analyte": "crp", "value": 210, "unit": "mg/L", "day": 0},
    {"analyte": "calcium", "value": 1.95, "unit": "mmol/L", "day": 0},
    {"analyte": "albumin", "value": 24, "unit": "g/L", "day": 0},
    {"analyte": "zinc", "value": 6.0, "unit": "µmol/L", "day": 0},
    alp=28,
    age=68,
    sex="M",
    setting="icu",
    findings=["septic shock", "oliguric acute kidney injury"],
)

CKD5 = make_case(
    {"analyte": "potassium", "value": 6.6, "unit": "mmol/L", "day": 0},
    {"analyte": "creatinine", "value": 620, "unit": "µmol/L", "day": 0},
    {"analyte": "calcium", "value": 1.98, "unit": "mmol/L", "day": 0},
    {"analyte": "albumin", "value": 38, "unit": "g/L", "day": 0},
    {"analyte": "zinc", "value": 8.0, "unit": "µmol/L", "day": 0},
    alp=30,
    age=72,
    sex="F",
    setting="outpatient",
    findings=["CKD stage 5, not yet on dialysis"],
)

HAEMOLYSED = make_case(
    {"analyte": "potassium", "value": 6.5, "unit": "mmol/L", "day": 0, "note": "haemolysed"},
    {"analyte": "calcium", "value": 2.02, "unit": "mmol/L", "day": 0},
    {"analyte": "albumin", "value": 42, "unit": "g/L", "day": 0},
    {"analyte": "magnesium", "value": 0.45, "unit": "mmol/L", "day": 0},
    {"analyte": "creatinine", "value": 80, "unit": "µmol/L", "day": 0},
    alp=31,
    age=58,
    sex="M",
    setting="outpatient",
    medications=["omeprazole 40 mg daily for 6 years"],
)

CLASSIC = make_case(
    {"analyte": "potassium", "value": 7.9, "unit": "mmol/L", "day": 0},
    {"analyte": "calcium", "value": 1.4, "unit": "mmol/L", "day": 0},
    {"analyte": "albumin", "value": 43, "unit": "g/L", "day": 0},
    {"analyte": "magnesium", "value": 0.42, "unit": "mmol/L", "day": 0},
    {"analyte": "zinc", "value": 4.0, "unit": "µmol/L", "day": 0},
    {"analyte": "creatinine", "value": 75, "unit": "µmol/L", "day": 0},
    alp=24,
    age=52,
    sex="F",
    setting="outpatient",
    medications=[],
    findings=["well, annual check", "FBC tube filled first"],
)


def _edta(a: Assessment) -> Any:
    return next(c for c in a.causes if c.id == EDTA)


def _evidence(a: Assessment, finding: str) -> Any:
    return next(e for e in _edta(a).evidence if e.finding == finding)


def _renderings(a: Assessment, kb: Knowledge) -> dict[str, str]:
    cards = patient_view_cards(a, kb, patient_id="p1", base_url="http://localhost")
    return {
        "text": render_text(a),
        "text patient": render_text(a, audience="patient"),
        "html": render_html(a),
        "html patient": render_html(a, audience="patient"),
        "cds": json.dumps(cards),
        "fhir": json.dumps(render_fhir(a)),
    }


def test_septic_oliguric_aki_is_not_called_contamination(run, kb):  # before: warned
    a = run(SEPTIC_AKI)
    assert not a.artifacts
    assert _edta(a).probability < kb.causes[EDTA].artifact.min_probability
    assert _evidence(a, "kidney_failure").state == "present"
    # albumin 24 g/L: calcium 1.95 adjusts to 2.27 mmol/L, not low (ionised not measured)
    assert (
        "adjusted for albumin where albumin is given: absent"
        in _evidence(a, "calcium_low_any").detail
    )
    # CRP 210 mg/L: a low zinc is the acute phase, not read as a sign of EDTA
    zinc = _evidence(a, "zinc_low_outside_acute_phase")
    assert zinc.state == "unknown"
    assert "CRP" in zinc.detail
    for name, out in _renderings(a, kb).items():
        assert not UNSAFE.search(out), name
        assert "PRE-ANALYTICAL WARNING" not in out, name


def test_ckd_stage_5_is_not_called_contamination(run, kb):  # before: warned, EDTA 86%
    """The pattern is there (K 6.6, adjusted calcium 2.02, zinc low), but kidney failure
    explains it: the warning follows the probability, not the pattern."""
    a = run(CKD5)
    assert _evidence(a, "edta_pattern").state == "present"
    assert not a.artifacts
    assert _evidence(a, "kidney_failure").state == "present"
    assert _evidence(a, "kidney_failure").weight < 0
    assert _edta(a).probability < kb.causes[EDTA].artifact.min_probability
    assert a.causes[0].id != EDTA


def test_kidney_failure_from_creatinine_alone(run):
    a = run(dict(CKD5, context={"setting": "outpatient"}))
    assert _evidence(a, "kidney_failure").state == "present"
    assert not a.artifacts


def test_haemolysed_sample_is_weighed_and_edta_not_first(run, kb):  # before: EDTA 71% first
    a = run(HAEMOLYSED)
    haem = _evidence(a, "sample_haemolysed")
    assert haem.state == "present"
    assert haem.effect == "refutes"
    assert a.causes[0].id != EDTA
    assert _edta(a).probability < 0.5
    assert any(m.concept == "sample_haemolysed" and "labs[" in m.pointer for m in a.mappings)


@pytest.mark.parametrize(
    ("where", "words", "state"),
    [
        ("text", "haemolysed", "present"),  # the result itself is set aside …
        ("note", "Haemolysis index high (H 150)", "present"),
        ("note", "hemolyzed specimen", "present"),
        ("note", "not haemolysed", "absent"),
        ("note", "sample received at 14:00", "unknown"),
    ],
)
def test_lab_comments_about_haemolysis_are_kept(run, where, words, state):
    k: dict[str, Any] = {"analyte": "potassium", "unit": "mmol/L", "day": 0, where: words}
    if where == "note":
        k["value"] = 6.5
    a = run(make_case(k, alp=25))
    assert _evidence(a, "sample_haemolysed").state == state  # … but the fact is kept


def test_a_comment_on_another_sample_is_not_about_this_one(run):
    k = {"analyte": "potassium", "value": 6.5, "unit": "mmol/L", "day": -40, "note": "haemolysed"}
    a = run(make_case(k, alp=25))
    assert _evidence(a, "sample_haemolysed").state == "unknown"


def test_classic_edta_pattern_warns_with_safe_advice(run, kb):
    a = run(CLASSIC)
    assert [x.id for x in a.artifacts] == [EDTA]
    art = a.artifacts[0]
    assert art.probability is not None
    assert art.probability >= kb.causes[EDTA].artifact.min_probability
    assert a.causes[0].id == EDTA
    assert "Repeat the sample" in art.action
    assert "ECG" in art.action
    assert "as real" in art.action
    outs = _renderings(a, kb)
    for name, out in outs.items():
        assert not UNSAFE.search(out), name
    assert "PRE-ANALYTICAL WARNING" in outs["text"]
    assert "ECG" in outs["text patient"]
    assert "ECG" in outs["html patient"]
    assert "ECG" in outs["cds"]


def test_albumin_adjusts_the_calcium_of_the_pattern(run):
    labs = [
        {"analyte": "potassium", "value": 7.2, "unit": "mmol/L", "day": 0},
        {"analyte": "calcium", "value": 2.05, "unit": "mmol/L", "ref_low": 2.15, "day": 0},
        {"analyte": "magnesium", "value": 0.45, "unit": "mmol/L", "day": 0},
    ]
    plain = run(make_case(*labs, alp=25))
    assert _evidence(plain, "calcium_low_any").state == "present"  # no albumin: as measured
    low_albumin = run(
        make_case(*labs, {"analyte": "albumin", "value": 3.0, "unit": "g/dL"}, alp=25)
    )
    # 2.05 + 0.02 × (40 − 30) = 2.25 mmol/L: not low (Payne 1973)
    calcium = _evidence(low_albumin, "calcium_low_any").detail
    assert "adjusted for albumin where albumin is given: absent" in calcium
    assert not low_albumin.artifacts


CASES = sorted((Path(__file__).parents[1] / "cases").rglob("*.yaml"))


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_no_rendering_advises_leaving_a_potassium_untreated(path, kb):
    a = assess(yaml.safe_load(path.read_text(encoding="utf-8"))["case"], knowledge=kb)
    for name, out in _renderings(a, kb).items():
        hit = UNSAFE.search(out)
        assert hit is None, f"{name}: {out[max(0, hit.start() - 80) : hit.end() + 80]}"


@pytest.mark.parametrize("case", [SEPTIC_AKI, CKD5, HAEMOLYSED, CLASSIC])
def test_no_rendering_of_these_cases_advises_leaving_a_potassium_untreated(case, kb):
    a = assess(case, knowledge=kb)
    for name, out in _renderings(a, kb).items():
        assert not UNSAFE.search(out), name


def test_a_potassium_raising_medicine_is_weighed_against_edta(run):
    with_drug = json.loads(json.dumps(CLASSIC))
    with_drug["context"]["medications"] = ["ramipril 10 mg", "spironolactone 25 mg"]
    a, b = run(CLASSIC), run(with_drug)
    drug = _evidence(b, "med_potassium_raising")
    assert drug.state == "present"
    assert drug.effect == "refutes"
    assert _edta(b).probability < _edta(a).probability


def test_the_warning_shows_what_argues_against_it(run):
    """A haemolysed sample that still shows the pattern (low calcium and magnesium, a fall from a
    normal ALP): the warning stands, with the haemolysis shown beside it."""
    case = json.loads(json.dumps(CLASSIC))
    case["labs"][1]["note"] = "sample haemolysed (H index 150)"
    a = run(case)
    [art] = a.artifacts
    against = [e.finding for e in art.evidence if e.effect == "refutes"]
    assert against == ["sample_haemolysed"]
    assert "against: Sample reported haemolysed" in render_text(a)
    # the albumin-adjusted calcium is shown with its number
    calcium = next(e for e in art.evidence if e.finding == "calcium_low_adjusted")
    assert "adjusted for albumin 43 g/L" in calcium.detail


@pytest.mark.parametrize(
    "old",
    [
        "Do not treat the potassium, calcium, magnesium or ALP of the suspect sample",
        "Recollect before acting: a fresh serum sample",
        "the high potassium can be ignored",
    ],
)
def test_the_safety_check_catches_the_old_advice(old):
    assert UNSAFE.search(old)
