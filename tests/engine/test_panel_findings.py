"""Findings derived from the routine panel: each fires, stays absent or unknown on small cases,
and reaches the causes it bears on (findings/panel.yaml)."""

from __future__ import annotations

import math
from functools import reduce
from typing import Any

import pytest
from tests.conftest import make_case

from lowalp.adapters.case_json import case_from_dict
from lowalp.engine.alp_status import alp_status
from lowalp.engine.findings import findings
from lowalp.engine.persistence import persistence
from lowalp.engine.work import FindingState, Work
from lowalp.knowledge import Knowledge
from lowalp.model import Assessment, Evidence
from lowalp.normalise import normalise


def lab(analyte: str, value: float | None = None, unit: str | None = None, **kw: Any) -> dict:
    out: dict[str, Any] = {"analyte": analyte, "day": 0, **kw}
    if value is not None:
        out["value"] = value
    if unit is not None:
        out["unit"] = unit
    return out


HAPTO_LOW = lab("haptoglobin", 8, "mg/dL")
HAPTO_NORMAL = lab("haptoglobin", 120, "mg/dL")
LDH_HIGH = lab("ldh", 640, "U/L")
LDH_NORMAL = lab("ldh", 180, "U/L")
RETIC_HIGH = lab("reticulocytes", 6.5, "%")
RETIC_NORMAL = lab("reticulocytes", 1.4, "%")
DAT_NEG = lab("dat", qualifier="negative")
DAT_POS = lab("dat", qualifier="positive")


def states(kb: Knowledge, *labs: dict[str, Any], age: float = 45, **context: Any) -> dict:
    norm = normalise(case_from_dict(make_case(*labs, age=age, **context)), kb)
    work = reduce(lambda w, s: s(w), (alp_status, persistence, findings), Work(kb=kb, case=norm))
    out: dict[str, FindingState] = work.findings
    return out


def evidence(a: Assessment, cause: str, finding: str) -> Evidence:
    c = next(c for c in a.causes if c.id == cause)
    (e,) = [e for e in c.evidence if e.finding == finding]
    return e


def probability(a: Assessment, cause: str) -> float:
    return next(c.probability for c in a.causes if c.id == cause)


# ----------------------------------------------------------------------------- haemolysis


@pytest.mark.parametrize(
    ("labs", "expected"),
    [
        ((HAPTO_LOW, LDH_HIGH), "present"),
        ((HAPTO_LOW, RETIC_HIGH), "present"),
        ((HAPTO_LOW, lab("reticulocytes_abs", 210, "K/uL")), "present"),
        ((HAPTO_LOW, LDH_NORMAL, RETIC_NORMAL, lab("reticulocytes_abs", 60, "10^9/L")), "absent"),
        # a normal percentage alone leaves the absolute count, and so the pattern, open
        ((HAPTO_LOW, LDH_NORMAL, RETIC_NORMAL), "unknown"),
        ((HAPTO_NORMAL, LDH_HIGH, RETIC_HIGH), "absent"),
        ((HAPTO_LOW,), "unknown"),  # neither LDH nor reticulocytes measured
        ((LDH_HIGH, RETIC_HIGH), "unknown"),  # no haptoglobin
        ((lab("haptoglobin", 10, "mg/dL", qualifier="<"), LDH_HIGH), "present"),  # "<10"
    ],
)
def test_hemolysis_from_the_labs(kb: Knowledge, labs: tuple, expected: str) -> None:
    assert states(kb, *labs)["hemolysis_labs"].state == expected


def test_haemolysis_markers_from_another_day_still_count(kb: Knowledge) -> None:
    """Haptoglobin, LDH and the count come from different tubes: the window, not the tube."""
    fs = states(kb, dict(HAPTO_LOW, day=-2), LDH_HIGH)
    assert fs["hemolysis_labs"].state == "present"


@pytest.mark.parametrize(
    ("dat", "expected"),
    [(DAT_NEG, "present"), (DAT_POS, "absent"), (lab("dat", 0, "{grade}"), "present"),
     (lab("dat", 2, "{grade}"), "absent"), (None, "unknown")],
)  # fmt: skip
def test_coombs_negative_hemolysis_from_the_labs(
    kb: Knowledge, dat: dict | None, expected: str
) -> None:
    labs = [HAPTO_LOW, LDH_HIGH] + ([dat] if dat else [])
    fs = states(kb, *labs)
    assert fs["coombs_negative_hemolysis_labs"].state == expected
    either = fs["coombs_negative_hemolysis_either"].state
    assert either == ("present" if expected == "present" else "unknown")


def test_either_reading_feeds_wilson_disease_once(run) -> None:
    w = math.log(10)
    reported = run(make_case(findings=["Coombs-negative haemolytic anaemia"]))
    from_labs = run(make_case(HAPTO_LOW, LDH_HIGH, DAT_NEG))
    both = run(make_case(HAPTO_LOW, LDH_HIGH, DAT_NEG, findings=["coombs negative haemolysis"]))
    neither = run(make_case())
    for a in (reported, from_labs, both):
        e = evidence(a, "wilson_disease", "coombs_negative_hemolysis_either")
        assert e.state == "present"
        assert e.weight == pytest.approx(w, abs=1e-3)
    assert evidence(neither, "wilson_disease", "coombs_negative_hemolysis_either").state == (
        "unknown"
    )
    assert probability(from_labs, "wilson_disease") > probability(neither, "wilson_disease")
    assert probability(both, "wilson_disease") == pytest.approx(
        probability(from_labs, "wilson_disease")
    )


def test_immune_haemolysis_does_not_feed_wilson_disease(run) -> None:
    a = run(make_case(HAPTO_LOW, LDH_HIGH, DAT_POS))
    assert evidence(a, "wilson_disease", "coombs_negative_hemolysis_either").state == "unknown"


def test_the_leipzig_item_scores_from_the_labs(run) -> None:
    a = run(make_case(HAPTO_LOW, RETIC_HIGH, DAT_NEG, lab("ceruloplasmin", 8, "mg/dL")))
    (leipzig,) = [s for s in a.scores if s.id == "leipzig"]
    item = next(i for i in leipzig.items if i.item == "coombs_negative_hemolysis")
    assert item.state == "met"
    assert item.points == 1
    assert leipzig.totals["total"] == 3  # caeruloplasmin below 10 mg/dL scores 2


# ----------------------------------------------------------------------------- coagulation


@pytest.mark.parametrize(
    ("labs", "expected"),
    [
        ((lab("pt", 18.4, "sec"),), "present"),
        ((lab("inr", 1.7, "1"),), "present"),
        ((lab("pt", 12.0, "s"), lab("inr", 1.0, "1")), "absent"),
        ((lab("pt", 12.0, "s"),), "unknown"),  # a normal PT, INR not given
        ((lab("pt", 12.0, "s"), lab("inr", 1.6, "1")), "present"),
    ],
)
def test_coagulopathy_from_inr_or_pt(kb: Knowledge, labs: tuple, expected: str) -> None:
    assert states(kb, *labs)["coagulopathy"].state == expected


def test_a_prolonged_pt_weighs_like_a_raised_inr_for_wilson_disease(run) -> None:
    by_pt = evidence(run(make_case(lab("pt", 19, "s"))), "wilson_disease", "coagulopathy")
    by_inr = evidence(run(make_case(lab("inr", 1.8, "1"))), "wilson_disease", "coagulopathy")
    assert by_pt.state == by_inr.state == "present"
    assert by_pt.weight == by_inr.weight == pytest.approx(math.log(2), abs=1e-3)


# ----------------------------------------------------------------------------- total IgA


TTG_NEG = lab("ttg_iga", 0.8, "U/mL")
TTG_POS = lab("ttg_iga", 85, "U/mL")
IGA_LOW = lab("iga_total", 0.05, "g/L")
IGA_NORMAL = lab("iga_total", 1.8, "g/L")


def test_a_negative_ttg_counts_against_coeliac_disease_when_total_iga_is_normal(run) -> None:
    a = run(make_case(TTG_NEG, IGA_NORMAL))
    e = evidence(a, "celiac_disease", "ttg_iga_positive")
    assert e.state == "absent"
    assert e.weight == pytest.approx(math.log(0.1), abs=1e-3)
    assert evidence(a, "celiac_disease", "iga_total_low").state == "absent"


def test_low_total_iga_sets_a_negative_ttg_aside(run) -> None:
    low = run(make_case(TTG_NEG, IGA_LOW))
    normal = run(make_case(TTG_NEG, IGA_NORMAL))
    no_ttg = run(make_case())
    e = evidence(low, "celiac_disease", "ttg_iga_positive")
    assert e.state == "unknown"
    assert e.weight == 0
    assert "not used: Total IgA below 20 mg/dL" in e.detail
    assert "0.8 U/mL" in e.detail
    assert evidence(low, "celiac_disease", "iga_total_low").state == "present"
    assert probability(low, "celiac_disease") > probability(normal, "celiac_disease") * 10
    assert probability(low, "celiac_disease") > probability(no_ttg, "celiac_disease")
    # the test that was done is not suggested again, nor listed as not known
    assert "ttg_iga" not in [t.test for t in low.next_tests]
    assert e.label not in low.unknown_findings


def test_a_qualitative_negative_ttg_is_set_aside_too(run) -> None:
    a = run(make_case(lab("ttg_iga", qualifier="negative"), IGA_LOW))
    assert evidence(a, "celiac_disease", "ttg_iga_positive").state == "unknown"


def test_a_positive_ttg_still_counts_when_total_iga_is_low(run) -> None:
    e = evidence(run(make_case(TTG_POS, IGA_LOW)), "celiac_disease", "ttg_iga_positive")
    assert e.state == "present"
    assert e.weight == pytest.approx(math.log(25), abs=1e-3)


def test_without_total_iga_a_negative_ttg_counts_as_before(run) -> None:
    e = evidence(run(make_case(TTG_NEG)), "celiac_disease", "ttg_iga_positive")
    assert e.state == "absent"
    assert "not used" not in e.detail


# ----------------------------------------------------------------------------- folate, bone ALP


def test_low_folate_supports_malnutrition_and_coeliac_disease(run) -> None:
    low = run(make_case(lab("folate", 2.9, "ng/mL")))
    normal = run(make_case(lab("folate", 11, "ng/mL")))
    for cause, lr in (("malnutrition", 2.5), ("celiac_disease", 2)):
        assert evidence(low, cause, "folate_low").weight == pytest.approx(math.log(lr), abs=1e-3)
        assert evidence(normal, cause, "folate_low").state == "absent"
        assert probability(low, cause) > probability(normal, cause)


def test_folate_in_nmol_per_litre(kb: Knowledge) -> None:
    assert states(kb, lab("folate", 6.0, "nmol/L"))["folate_low"].state == "present"  # 2.6 ng/mL
    assert states(kb, lab("folate", 20, "nmol/L"))["folate_low"].state == "absent"  # 8.8 ng/mL


def test_bone_alp_low_and_normal_move_hypophosphatasia(run) -> None:
    low = run(make_case(lab("bone_alp", 3.1, "µg/L")))
    normal = run(make_case(lab("bone_alp", 12, "µg/L")))
    assert evidence(low, "hypophosphatasia", "bone_alp_low").weight == pytest.approx(
        math.log(2.5), abs=1e-3
    )
    assert evidence(normal, "hypophosphatasia", "bone_alp_low").weight == pytest.approx(
        math.log(0.4), abs=1e-3
    )
    assert evidence(low, "other_medication", "bone_alp_low").state == "present"
    assert probability(low, "hypophosphatasia") > probability(normal, "hypophosphatasia")


# ----------------------------------------------------------------------------- acid-base, lactate


def test_bicarbonate_for_milk_alkali_syndrome(run) -> None:
    high = run(make_case(lab("bicarbonate", 34, "mmol/L")))
    normal = run(make_case(lab("bicarbonate", 25, "mEq/L")))
    assert evidence(high, "milk_alkali_syndrome", "bicarbonate_high").state == "present"
    e = evidence(normal, "milk_alkali_syndrome", "bicarbonate_high")
    assert e.weight == pytest.approx(math.log(0.5), abs=1e-3)
    assert probability(high, "milk_alkali_syndrome") > probability(normal, "milk_alkali_syndrome")


def test_raised_lactate_supports_acute_illness(run) -> None:
    high = run(make_case(lab("lactate", 4.8, "mmol/L")))
    normal = run(make_case(lab("lactate", 9, "mg/dL")))  # 1.0 mmol/L
    assert evidence(high, "acute_illness", "lactate_high").state == "present"
    assert evidence(normal, "acute_illness", "lactate_high").state == "absent"
    assert probability(high, "acute_illness") > probability(normal, "acute_illness")


def test_a_child_is_judged_against_the_childs_lactate_limit(kb: Knowledge) -> None:
    """2.8 mmol/L is above the adult limit (2.2) but inside the 3–24 month one (3.1)."""
    assert states(kb, lab("lactate", 2.8, "mmol/L"))["lactate_high"].state == "present"
    assert states(kb, lab("lactate", 2.8, "mmol/L"), age=1)["lactate_high"].state == "absent"
