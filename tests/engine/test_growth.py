"""WHO BMI-for-age z-scores (engine/growth.py): values, the sex and the ages they need."""

from __future__ import annotations

import pytest

from lowalp.engine.growth import zscore


def test_an_ordinary_seven_year_old_is_near_the_median() -> None:
    z = zscore("bmi_for_age", 15.2, 7.0, "F")
    assert z.z == pytest.approx(-0.12, abs=0.01)  # WHO 2007 reference, girls 84 months


def test_a_lower_bmi_gives_a_lower_z_score() -> None:
    zs = [zscore("bmi_for_age", b, 7.0, "F").z for b in (12.0, 13.0, 14.0, 15.0, 16.0)]
    assert all(z is not None for z in zs)
    assert zs == sorted(zs)
    assert zs[0] is not None
    assert zs[0] < -2  # 12 kg/m² at 7 years is thinness


def test_boys_and_girls_have_their_own_tables() -> None:
    boy, girl = zscore("bmi_for_age", 14.0, 7.0, "M").z, zscore("bmi_for_age", 14.0, 7.0, "F").z
    assert boy is not None
    assert girl is not None
    assert boy != girl


def test_without_the_sex_there_is_no_z_score() -> None:
    z = zscore("bmi_for_age", 12.0, 7.0, None)
    assert z.z is None
    assert "sex" in z.why
    assert z.in_range  # the indicator covers the age; only the sex is missing


def test_a_newborn_has_a_z_score_and_an_adult_has_none() -> None:
    assert zscore("bmi_for_age", 13.0, 0.0, "M").z is not None  # the WHO standards start at birth
    over = zscore("bmi_for_age", 17.0, 19.5, "F")
    assert over.z is None
    assert not over.in_range
    assert "0–19" in over.why


def test_a_value_outside_the_who_tables_is_reported_not_scored() -> None:
    z = zscore("bmi_for_age", 70.0, 10.0, "M")
    assert z.z is None
    assert "70" in z.why
    assert z.in_range
