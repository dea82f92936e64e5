from __future__ import annotations

from tests.conftest import make_case


def alp(value: float, day: float) -> dict[str, object]:
    return {"analyte": "alp", "value": value, "unit": "U/L", "day": day}


def test_two_lows_far_apart_are_persistent(run):
    a = run(make_case(alp(22, -90), alp=20))
    assert a.alp.persistent is True


def test_two_lows_close_together_cannot_tell(run):
    a = run(make_case(alp(22, -5), alp=20))
    assert a.alp.persistent is None
    assert "days apart" in a.alp.persistence_reason


def test_normal_between_lows_breaks_persistence(run):
    a = run(make_case(alp(22, -200), alp(70, -100), alp=20))
    assert a.alp.persistent is False
    assert any(
        e.finding == "alp_fall_from_normal" and e.state == "present"
        for c in a.causes
        for e in c.evidence
    )


def test_single_value_is_unknown_not_false(run):
    a = run(make_case(alp=20))
    assert a.alp.persistent is None


def test_series_with_dates(run):
    case = {
        "patient": {"birth_date": "1980-05-01", "sex": "F"},
        "labs": [
            {"analyte": "alp", "value": 20, "unit": "U/L", "date": "2026-03-01"},
            {"analyte": "alp", "value": 24, "unit": "U/L", "date": "2025-09-01"},
        ],
    }
    a = run(case)
    assert a.alp.persistent is True
    assert 45 < a.age_years < 46
    assert [m.t for m in a.alp.measurements] == [-181.0, 0.0]
