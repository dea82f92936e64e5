"""Bad input is rejected with every problem named; usable-but-odd input goes on with a note."""

from __future__ import annotations

import pytest
from tests.conftest import make_case

from lowalp import InputError, assess, load_case


def problems(exc: pytest.ExceptionInfo[InputError]) -> dict[str, str]:
    return {p.pointer: p.message for p in exc.value.problems}


def test_non_numeric_value_names_the_field():
    with pytest.raises(InputError) as exc:
        load_case(make_case({"analyte": "albumin", "value": "four", "unit": "g/dL"}))
    assert "labs[1].value" in problems(exc)


def test_all_problems_are_listed_at_once():
    case = make_case(
        {"analyte": "albumin", "value": "four", "unit": "g/dL"},
        {"analyte": "tsh", "value": 2, "unit": "mIU/L", "day": "yesterday"},
    )
    case["patient"]["sex"] = "female"
    with pytest.raises(InputError) as exc:
        load_case(case)
    assert {"labs[1].value", "labs[2].day", "patient.sex"} <= set(problems(exc))


def test_missing_labs_list():
    with pytest.raises(InputError) as exc:
        load_case({"patient": {"age_years": 3}})
    assert "labs" in problems(exc)


def test_a_negative_value_is_set_aside_and_the_case_goes_on(run):
    """Formerly rejected the whole case; now only that result is left out."""
    a = run(make_case({"analyte": "albumin", "value": -3, "unit": "g/dL", "day": 0}))
    (n,) = a.not_understood
    assert n.pointer == "labs[1].value"
    assert "cannot be negative" in n.reason
    assert a.alp.status == "low"


def test_an_impossible_value_is_set_aside_and_the_case_goes_on(run):
    """Formerly rejected the whole case; now only that result is left out."""
    a = run(make_case({"analyte": "albumin", "value": 400, "unit": "g/dL", "day": 0}))
    (n,) = a.not_understood
    assert n.pointer == "labs[1].value"
    assert "not a possible" in n.reason
    assert a.alp.status == "low"


def test_no_alp_at_all(run):
    with pytest.raises(InputError) as exc:
        run(make_case({"analyte": "albumin", "value": 4, "unit": "g/dL"}, alp=None))
    assert "no ALP result" in problems(exc)["labs"]


def test_two_alps_at_the_same_time_are_both_kept_and_the_lower_is_the_index(run):
    """Formerly rejected the whole case as conflicting duplicates."""
    a = run(make_case({"analyte": "alp", "value": 55, "unit": "U/L", "day": 0}))
    assert a.alp.value == 20
    assert sorted(m.value for m in a.alp.measurements) == [20, 55]
    assert any("both are kept" in w and "lower is judged" in w for w in a.warnings)
    assert a.alp.persistent is None  # one sample's worth, not two values in time


def test_identical_duplicates_are_counted_once(run):
    a = run(make_case({"analyte": "alp", "value": 20, "unit": "U/L", "day": 0}))
    assert any("counted once" in w for w in a.warnings)
    assert len(a.alp.measurements) == 1


def test_unknown_unit_is_reported_not_guessed(run):
    a = run(make_case({"analyte": "albumin", "value": 4.1, "unit": "g/dl/x", "day": 0}))
    (n,) = a.not_understood
    assert n.pointer == "labs[1].unit"
    assert "g/dL" in n.reason


def test_unit_did_you_mean(run):
    a = run(make_case({"analyte": "magnesium", "value": 0.6, "unit": "mmol/dL", "day": 0}))
    (n,) = a.not_understood
    assert n.suggestions


def test_unknown_analyte_with_did_you_mean(run):
    a = run(make_case({"analyte": "albumen", "value": 4.1, "unit": "g/dL"}))
    (n,) = a.not_understood
    assert n.pointer == "labs[1].analyte"
    assert "albumin" in n.suggestions


def test_missing_unit_with_several_usual_units_is_not_used(run):
    a = run(make_case({"analyte": "calcium", "value": 2.1}))
    assert [n.pointer for n in a.not_understood] == ["labs[1].unit"]


def test_missing_unit_with_one_scale_is_assumed(run):
    a = run(make_case({"analyte": "potassium", "value": 4.1}))
    assert not a.not_understood
    assert any("was assumed" in w for w in a.warnings)


def test_strict_turns_not_understood_into_errors(run):
    case = make_case({"analyte": "albumen", "value": 4.1, "unit": "g/dL"})
    with pytest.raises(InputError) as exc:
        run(case, strict=True)
    assert "labs[1].analyte" in problems(exc)


def test_loinc_can_stand_for_the_analyte(run):
    case = {
        "patient": {"age_years": 40, "sex": "F"},
        "labs": [{"loinc": "6768-6", "value": 20, "unit": "U/L"}],
    }
    a = run(case)
    assert a.alp.value == 20


def test_lab_spellings_of_units(run):
    for unit in ("U/l", "IU/L", "iu/L", "units/L"):
        case = {
            "patient": {"age_years": 40, "sex": "F"},
            "labs": [{"analyte": "alp", "value": 20, "unit": unit}],
        }
        assert run(case).alp.value == 20, unit


def test_unmatched_free_text_is_reported(run):
    a = run(make_case(findings=["feels like a teapot"], medications=["zzzyxin 5 mg"]))
    pointers = {n.pointer for n in a.not_understood}
    assert pointers == {"context.findings[0]", "context.medications[0]"}


def test_public_assess_accepts_a_path(tmp_path):
    import json

    p = tmp_path / "case.json"
    p.write_text(json.dumps(make_case()))
    assert assess(p).alp.status == "low"
