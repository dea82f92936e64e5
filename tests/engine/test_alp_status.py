from __future__ import annotations

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
