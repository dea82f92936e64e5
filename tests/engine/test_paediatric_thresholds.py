"""Children are judged by children's cut-offs: BMI-for-age (WHO 2006/2007), anaemia by age group
(WHO 2011) and TSH by age (Mayo STSH)."""

from __future__ import annotations

from functools import reduce
from typing import Any

import pytest
from tests.conftest import make_case

from lowalp import assess
from lowalp.adapters.case_json import case_from_dict
from lowalp.engine.alp_status import alp_status
from lowalp.engine.findings import findings
from lowalp.engine.persistence import persistence
from lowalp.engine.work import FindingState, Work
from lowalp.knowledge import load_knowledge
from lowalp.normalise import normalise

KB = load_knowledge()


def state(lab: dict[str, Any], fid: str, age: float | None, sex: str | None = "F") -> FindingState:
    case = make_case({**lab, "day": 0}, age=age, sex=sex)
    work = Work(kb=KB, case=normalise(case_from_dict(case), KB))
    return reduce(lambda w, s: s(w), (alp_status, persistence, findings), work).findings[fid]


def bmi(value: float) -> dict[str, Any]:
    return {"analyte": "bmi", "value": value, "unit": "kg/m2"}


def hb(value: float, unit: str = "g/dL", **extra: Any) -> dict[str, Any]:
    return {"analyte": "hemoglobin", "value": value, "unit": unit, **extra}


# ----------------------------------------------------------------------------- BMI


def test_an_ordinary_childs_bmi_is_not_underweight() -> None:
    """15.2 kg/m² is below the adult 18.5 but at the median for a girl of 7 (z −0.12)."""
    s = state(bmi(15.2), "bmi_low", age=7)
    assert s.state == "absent"
    assert "z-score -0.12" in s.detail


def test_the_ordinary_child_no_longer_gains_malnutrition_evidence() -> None:
    a = assess(make_case(bmi(15.2), age=7, sex="F"))
    malnutrition = next(c for c in a.causes if c.id == "malnutrition")
    e = next(e for e in malnutrition.evidence if e.finding == "bmi_low")
    assert e.state == "absent"
    assert e.effect != "supports"


def test_a_thin_child_is_below_minus_two_sd() -> None:
    s = state(bmi(12.5), "bmi_low", age=7)
    assert s.state == "present"
    assert "BMI-for-age" in s.detail


def test_a_toddler_is_judged_by_the_who_standards() -> None:
    assert state(bmi(13.1), "bmi_low", age=2, sex="M").state == "present"  # z −2.50
    assert state(bmi(16.0), "bmi_low", age=2, sex="M").state == "absent"


def test_a_teenager_is_not_held_to_the_adult_cut_off() -> None:
    """17.5 kg/m² is under 18.5 but only −1.4 SD for a girl of 17."""
    assert state(bmi(17.5), "bmi_low", age=17).state == "absent"
    assert state(bmi(15.5), "bmi_low", age=17).state == "present"  # z −2.49


def test_adults_keep_18_5() -> None:
    assert state(bmi(17.5), "bmi_low", age=30).state == "present"
    assert state(bmi(19.0), "bmi_low", age=30).state == "absent"


def test_a_childs_bmi_without_the_sex_is_unknown_never_guessed() -> None:
    s = state(bmi(11.0), "bmi_low", age=7, sex=None)
    assert s.state == "unknown"
    assert s.applicable
    assert "sex" in s.detail


def test_a_bmi_without_the_age_is_unknown_unless_every_band_agrees() -> None:
    s = state(bmi(17.0), "bmi_low", age=None)
    assert s.state == "unknown"
    assert "depends on the age" in s.detail


def test_a_childs_bmi_in_words_cannot_give_a_z_score() -> None:
    s = state({"analyte": "bmi", "qualifier": "low"}, "bmi_low", age=7)
    assert s.state == "unknown"
    assert "needs the measured value" in s.detail


# ----------------------------------------------------------------------------- severe anaemia


@pytest.mark.parametrize(
    ("value", "age", "expected"),
    [
        (7.5, 3, "absent"),  # 6–59 months: severe below 70 g/L
        (6.5, 3, "present"),
        (7.5, 30, "present"),  # from 5 years: below 80 g/L
        (7.9, 8, "present"),
        (8.0, 8, "absent"),
    ],
)
def test_severe_anaemia_by_age_group(value: float, age: float, expected: str) -> None:
    assert state(hb(value), "hemoglobin_below_8", age=age).state == expected


def test_severe_anaemia_in_g_per_litre() -> None:
    assert state(hb(65, "g/L"), "hemoglobin_below_8", age=2).state == "present"
    assert state(hb(75, "g/L"), "hemoglobin_below_8", age=2).state == "absent"


def test_under_six_months_severe_anaemia_does_not_apply() -> None:
    s = state(hb(6.0), "hemoglobin_below_8", age=0.3)
    assert s.state == "unknown"
    assert not s.applicable
    assert "no threshold for this age" in s.detail


def test_with_the_age_unknown_severe_anaemia_needs_every_age_group_to_agree() -> None:
    assert state(hb(6.5), "hemoglobin_below_8", age=None).state == "present"
    assert state(hb(9.0), "hemoglobin_below_8", age=None).state == "absent"
    s = state(hb(7.5), "hemoglobin_below_8", age=None)
    assert s.state == "unknown"
    assert "depends on the age" in s.detail


# ----------------------------------------------------------------------------- anaemia


@pytest.mark.parametrize(
    ("value", "age", "sex", "expected"),
    [
        (10.8, 3, "F", "present"),  # 6–59 months: below 110 g/L
        (11.2, 3, "F", "absent"),
        (11.2, 8, "F", "present"),  # 5–11 years: below 115 g/L
        (11.8, 13, "M", "present"),  # 12–14 years: below 120 g/L
        (12.8, 16, "M", "present"),  # men from 15: below 130 g/L
        (12.8, 16, "F", "absent"),  # non-pregnant women from 15: below 120 g/L
        (11.8, 40, "F", "present"),
    ],
)
def test_anaemia_by_age_group(value: float, age: float, sex: str, expected: str) -> None:
    s = state(hb(value), "hemoglobin_low", age=age, sex=sex)
    assert s.state == expected
    assert "World Health Organization range" in s.detail  # the row, named as a reader would


def test_under_six_months_anaemia_does_not_apply_without_the_labs_range() -> None:
    s = state(hb(9.0), "hemoglobin_low", age=0.3)
    assert s.state == "unknown"
    assert not s.applicable
    assert "no anaemia threshold under 6 months" in s.detail


def test_under_six_months_the_labs_own_range_still_counts() -> None:
    s = state(hb(9.0, ref_low=9.5, ref_high=13.5), "hemoglobin_low", age=0.3)
    assert s.state == "present"
    assert "lab range" in s.detail


def test_a_printed_range_still_wins_over_the_who_threshold() -> None:
    s = state(hb(11.2, ref_low=10.5, ref_high=14.0), "hemoglobin_low", age=8)
    assert s.state == "absent"


# ----------------------------------------------------------------------------- TSH


@pytest.mark.parametrize(
    ("value", "age", "expected"),
    [
        (5.5, 3, "absent"),  # Mayo 1–5 years: 0.7–6.0 mIU/L
        (6.5, 3, "present"),
        (5.5, 8, "present"),  # 6–10 years: 0.6–4.8
        (9.0, 2 / 12, "absent"),  # 6 days–2 months: 0.7–11.0
        (9.0, 0.5, "present"),  # 3–11 months: 0.7–8.4
        (4.5, 40, "present"),  # adults: 0.3–4.2
    ],
)
def test_tsh_by_age(value: float, age: float, expected: str) -> None:
    s = state({"analyte": "tsh", "value": value, "unit": "mIU/L"}, "tsh_high", age=age)
    assert s.state == expected
    assert "Mayo Clinic Laboratories range" in s.detail
