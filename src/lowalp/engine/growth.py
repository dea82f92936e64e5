"""WHO growth z-scores for children, named by the knowledge (a band's ``growth`` indicator).

BMI-for-age comes from the WHO Child Growth Standards from birth to 5 years (WHO Multicentre
Growth Reference Study Group, Acta Paediatr Suppl 2006;450:76–85) and the WHO 2007 growth
reference from 5 to 19 years (de Onis M et al., Bull World Health Organ 2007;85:660–667), as
tabulated and computed (LMS method, with WHO's restrained tails beyond ±3 SD) by ``pygrowup``.

A z-score needs the value, the age and the sex; without the sex there is none (the tables of
the two sexes differ and lowalp never picks one), and outside the indicator's ages neither.

>>> zscore("bmi_for_age", 15.2, 7.0, "F").z
-0.12
>>> zscore("bmi_for_age", 15.2, 7.0, None).why
'the sex was not given (WHO growth tables are sex-specific)'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from pygrowup import Observation, exceptions

from lowalp.knowledge.schema import GROWTH_UNITS, GrowthIndicator
from lowalp.model import Sex
from lowalp.units import DAYS_PER_YEAR

AGES: dict[GrowthIndicator, tuple[float, float]] = {"bmi_for_age": (0.0, 19.0)}
"""The ages (years, both ends included) each indicator's WHO tables cover."""

_NAMES: dict[GrowthIndicator, str] = {"bmi_for_age": "BMI-for-age"}
_SEX = {"F": Observation.FEMALE, "M": Observation.MALE}
_BIRTH = dt.date(2000, 1, 1)


@dataclass(frozen=True)
class ZScore:
    """A z-score, or ``None`` with the reason there is none."""

    z: float | None
    why: str = ""
    in_range: bool = True
    """False when the age lies outside the indicator's tables (the indicator does not apply)."""


def zscore(indicator: GrowthIndicator, value: float, age_years: float, sex: Sex | None) -> ZScore:
    """The WHO z-score of ``value`` for a child of this age (years) and sex."""
    name = _NAMES[indicator]
    if sex is None:
        return ZScore(None, "the sex was not given (WHO growth tables are sex-specific)")
    lo, hi = AGES[indicator]
    if not lo <= age_years <= hi:
        return ZScore(None, f"WHO {name} covers ages {lo:g}–{hi:g} years only", in_range=False)
    # Completed days of age; through dates, because pygrowup reads an age of 0 days as missing.
    days = int(age_years * DAYS_PER_YEAR)
    child = Observation(
        sex=_SEX[sex], dob=_BIRTH, date_of_observation=_BIRTH + dt.timedelta(days=days)
    )
    try:
        z: Decimal = child.bmi_for_age(Decimal(repr(value)))
    except exceptions.PyGrowUpException as exc:
        return ZScore(None, f"no WHO {name} z-score for {value:g}: {exc}")
    return ZScore(float(z))


def unit(indicator: GrowthIndicator) -> str:
    """The unit the indicator's measurement is taken in."""
    return GROWTH_UNITS[indicator]


def indicator_name(indicator: GrowthIndicator) -> str:
    return _NAMES[indicator]
