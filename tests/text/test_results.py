"""Results written inside a note ("Hb 68 g/L", "INR 3.9") are read like labs (lowalp.text.results)."""

from __future__ import annotations

from lowalp import assess
from lowalp.knowledge import Knowledge
from lowalp.text.results import find_results


def _found(kb: Knowledge, text: str) -> list[tuple[str, float, str | None, str | None]]:
    return [
        (r.analyte, r.lab.value or 0.0, r.lab.unit, r.lab.qualifier) for r in find_results(text, kb)
    ]


def test_names_numbers_units_and_comparators(kb: Knowledge) -> None:
    found = _found(kb, "K+ 7.9 mmol/L, corrected Ca 1.41 mmol/L; TSH >100 mU/L; Hb 68 g/L")
    assert ("potassium", 7.9, "mmol/L", None) in found
    assert ("calcium", 1.41, "mmol/L", None) in found
    assert ("tsh", 100.0, "mIU/L", ">") in found
    assert ("hemoglobin", 68.0, "g/L", None) in found


def test_a_printed_range_is_kept(kb: Knowledge) -> None:
    (r,) = find_results("ALP 21 (35-104)", kb)
    assert (r.lab.ref_low, r.lab.ref_high) == (35.0, 104.0)


def test_vitamin_k_is_not_potassium(kb: Knowledge) -> None:
    assert _found(kb, "vitamin K 10 mg given") == []


def test_short_names_only_as_written(kb: Knowledge) -> None:
    assert _found(kb, "ca 5 cm mass") == []
    assert _found(kb, "Ca 2.1 mmol/L")[0][0] == "calcium"


def test_a_note_result_is_used_and_said(kb: Knowledge) -> None:
    a = assess(
        {
            "patient": {"age_years": 40, "sex": "F"},
            "labs": [{"analyte": "alp", "value": 25, "unit": "U/L"}],
            "context": {"notes": "Breathless. Hb 68 g/L, MCV 72 fL."},
        },
        knowledge=kb,
    )
    results = [m for m in a.mappings if m.kind == "result"]
    assert {m.concept for m in results} == {"hemoglobin", "mcv"}
    assert all(m.used_as.startswith("a result") for m in results)
    assert not any("Hb 68" in n.value for n in a.not_understood)


def test_the_labs_win_over_the_note(kb: Knowledge) -> None:
    a = assess(
        {
            "patient": {"age_years": 40, "sex": "F"},
            "labs": [
                {"analyte": "alp", "value": 25, "unit": "U/L"},
                {"analyte": "hemoglobin", "value": 13.5, "unit": "g/dL"},
            ],
            "context": {"notes": "Hb 68 g/L last year."},
        },
        knowledge=kb,
    )
    (m,) = [m for m in a.mappings if m.kind == "result"]
    assert m.used_as.startswith("not used")


def test_a_note_alone_can_give_the_alp(kb: Knowledge) -> None:
    a = assess(
        {"patient": {"age_years": 50, "sex": "M"}, "labs": [], "context": {"notes": "ALP 18 U/L."}},
        knowledge=kb,
    )
    assert a.alp.status == "low"
