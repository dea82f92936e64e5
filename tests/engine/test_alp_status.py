from __future__ import annotations

import pytest
from tests.conftest import make_case


def test_lab_range_is_used_when_given(run):
    case = {
        "patient": {"age_years": 40, "sex": "F"},
        "labs": [
            {"analyte": "alp", "value": 30, "unit": "U/L", "ref_low": 35, "ref_high": 105, "day": 0}
        ],
    }
    a = run(case)
    assert a.alp.status == "low"
    assert a.alp.limit_source == "lab"
    assert a.alp.lower_limit == 35


def test_age_sex_interval_when_no_lab_range(run):
    a = run(make_case(alp=38, age=45, sex="M"))
    assert a.alp.status == "low"  # adult male lower limit 40 U/L
    assert a.alp.limit_source != "lab"
    a = run(make_case(alp=38, age=45, sex="F"))
    assert a.alp.status == "normal"  # adult female lower limit 35 U/L


def test_child_inside_adult_range_is_low_for_age(run):
    case = {
        "patient": {"age_years": 6, "sex": "M"},
        "labs": [
            {"analyte": "alp", "value": 90, "unit": "U/L", "ref_low": 40, "ref_high": 129, "day": 0}
        ],
    }
    a = run(case)
    assert a.alp.status == "low"
    assert a.alp.low_for_age_only is True
    assert a.alp.lower_limit == 142  # CALIPER/Roche 1–<10 y
    assert any("adult" in w for w in a.warnings)


def test_child_normal_for_age_is_not_flagged(run):
    a = run(make_case(alp=200, age=6, sex="M"))
    assert a.alp.status == "normal"
    assert not a.alp.low_for_age_only


def test_missing_age_assumes_adult_and_says_so(run):
    a = run(make_case(alp=30, age=None))
    assert a.alp.status == "low"
    assert any("Age not given" in w for w in a.warnings)


def test_missing_sex_uses_the_lower_limit_and_says_so(run):
    a = run(make_case(alp=37, sex=None))
    assert a.alp.status == "normal"  # 37 is below the male limit (40) but not the female (35)
    assert any("Sex not given" in w for w in a.warnings)


def test_qualifier_only_alp(run):
    case = {
        "patient": {"age_years": 50, "sex": "F"},
        "labs": [{"analyte": "alp", "qualifier": "low", "day": 0}],
    }
    a = run(case)
    assert a.alp.status == "low"
    assert a.alp.value is None


def test_ukat_per_litre_is_converted(run):
    case = {
        "patient": {"age_years": 50, "sex": "F"},
        "labs": [{"analyte": "alp", "value": 0.3, "unit": "µkat/L", "day": 0}],
    }
    a = run(case)
    assert abs(a.alp.value - 18) < 1e-9
    assert a.alp.status == "low"


def test_an_adult_only_threshold_is_not_evidence_for_a_child(run):
    """ALP <25 U/L (Tornero 2020, adults) neither counts nor shows as unknown for a child: it is
    shown as not applicable."""
    child = run(make_case(alp=20, age=6, sex="M"))
    adult = run(make_case(alp=20, age=46, sex="M"))

    def findings(a):
        return {e.finding for c in a.causes for e in c.evidence if e.effect != "not_applicable"}

    shown = [e for c in child.causes for e in c.evidence if e.finding == "alp_below_25"]
    assert shown
    assert all(
        e.effect == "not_applicable" and "applies from age 18" in e.population for e in shown
    )

    assert "alp_below_25" not in findings(child)
    assert "alp_below_25_persistent" not in findings(child)
    assert "ALP below 25 U/L (adult)" not in child.unknown_findings
    assert "alp_below_25" in findings(adult)


# ----------------------------------------------------------------------------- printed ranges


def _printed(age, sex, value, low, high):
    lab = {"analyte": "alp", "value": value, "unit": "U/L", "day": 0}
    if low is not None:
        lab["ref_low"] = low
    if high is not None:
        lab["ref_high"] = high
    return {"patient": {"age_years": age, "sex": sex}, "labs": [lab]}


def test_a_labs_paediatric_range_is_used_for_a_child(run):
    """70–258 U/L starts below the 142 U/L of lowalp's 1–<10 y interval, but its upper limit is
    a child's: the lab's own range, so 150 U/L is normal."""
    a = run(_printed(5, "F", 150, 70, 258))
    assert a.alp.status == "normal"
    assert a.alp.limit_source == "lab"
    assert not a.alp.low_for_age_only
    assert not any("looks like an adult" in w for w in a.warnings)


def test_an_adult_range_printed_for_a_child_gives_way_to_the_age_interval(run):
    a = run(_printed(5, "F", 90, 40, 129))
    assert a.alp.status == "low"
    assert a.alp.low_for_age_only is True
    assert a.alp.lower_limit == 142
    assert sum("looks like an adult" in w for w in a.warnings) == 1  # said once, with the value


def test_an_adult_range_beside_a_value_low_by_both_is_still_named(run):
    """Below the printed adult range too: the value is low either way, and the warning that the
    child was judged against the age/sex interval still says so (once)."""
    a = run(_printed(5, "F", 30, 40, 129))
    assert a.alp.status == "low"
    assert not a.alp.low_for_age_only
    assert sum("looks like an adult" in w for w in a.warnings) == 1


def test_a_paediatric_range_is_recognised_with_the_sex_unknown(run):
    assert run(_printed(5, None, 150, 70, 258)).alp.limit_source == "lab"


def test_an_adult_upper_limit_alone_is_recognised(run):
    a = run(_printed(5, "M", 120, None, 129))
    assert a.alp.status == "low"
    assert a.alp.limit_source == "alp_1_10y"


def test_a_teenagers_adult_and_paediatric_ranges_are_told_apart(run):
    """Girls 15–<17 y: 50–117 U/L; the adult female range is 35–104 U/L."""
    adult = run(_printed(16, "F", 45, 35, 104))
    assert adult.alp.status == "low"
    assert adult.alp.limit_source == "alp_f_15_17y"
    own = run(_printed(16, "F", 45, 40, 120))
    assert own.alp.status == "normal"
    assert own.alp.limit_source == "lab"


def test_an_adults_printed_range_is_always_the_labs(run):
    a = run(_printed(40, "F", 30, 35, 104))
    assert a.alp.status == "low"
    assert a.alp.limit_source == "lab"
    assert run(_printed(40, "M", 200, 70, 258)).alp.limit_source == "lab"


def test_the_rule_compares_ratios_and_a_tie_keeps_the_labs_range():
    from lowalp.intervals import Interval, printed_range_rule

    child = Interval("c", None, 1, 10, 100, 400, "U/L", "x")
    grown = Interval("a", None, 19, 200, 25, 100, "U/L", "x")
    rule = printed_range_rule(child, grown)
    assert rule.upper_mid == pytest.approx(200)  # geometric mean of 400 and 100
    assert rule.is_adult(30, 199)
    assert not rule.is_adult(30, 200)  # as near one as the other: the lab's range stands
    assert not rule.is_adult(30, 390)
    assert rule.is_adult(45, None)  # lower limits only: 45 is nearer 25 than 100 (mid 50)
    assert not rule.is_adult(60, None)
