"""A diagnosis written for the patient is evidence; the same words in a relative are not."""

from __future__ import annotations

from lowalp import assess


def _case(note: str) -> dict:
    return {
        "patient": {"age_years": 38, "sex": "F"},
        "labs": [
            {"analyte": "alp", "value": 30, "unit": "U/L", "day": 0},
            {"analyte": "alp", "value": 31, "unit": "U/L", "day": -120},
        ],
        "context": {"notes": note},
    }


def _p(a, cid: str) -> float:
    return next(c.probability for c in a.causes if c.id == cid)


def test_known_coeliac_disease_raises_coeliac_disease():
    base = assess(_case("Seen in clinic today."))
    known = assess(_case("Known coeliac disease, struggles with a gluten-free diet."))
    assert _p(known, "celiac_disease") > 3 * _p(base, "celiac_disease")
    used = {m.concept: m.assertion for m in known.mappings}
    assert used.get("diagnosed_celiac_disease") == "present"


def test_a_relatives_coeliac_disease_is_family_history_not_a_diagnosis():
    a = assess(_case("Her sister has coeliac disease."))
    used = {m.concept: m.assertion for m in a.mappings}
    assert "diagnosed_celiac_disease" not in used
    assert used.get("family_history_celiac") == "family"


def test_a_diagnosis_to_rule_out_is_not_evidence():
    base = assess(_case("Seen in clinic today."))
    maybe = assess(_case("Screen to rule out coeliac disease."))
    assert abs(_p(maybe, "celiac_disease") - _p(base, "celiac_disease")) < 1e-9


def test_a_diagnosis_and_the_test_it_rests_on_count_once():
    a = assess(
        {
            **_case("Known hypoparathyroidism."),
            "labs": [
                {"analyte": "alp", "value": 30, "unit": "U/L", "day": 0},
                {"analyte": "pth", "value": 0.5, "unit": "pmol/L", "day": 0},
            ],
        }
    )
    hypo = next(c for c in a.causes if c.id == "hypoparathyroidism")
    counted = [
        e.finding
        for e in hypo.evidence
        if e.finding in ("pth_low", "diagnosed_hypoparathyroidism") and e.weight > 0
    ]
    assert len(counted) == 1
    assert hypo.probability <= 0.5 + 1e-12  # mechanism-only link: held at its ceiling
