"""ALP reference intervals by age and sex (knowledge/alp_intervals.csv)."""

from __future__ import annotations

from dataclasses import dataclass

from lowalp.model import Sex
from lowalp.units import DAYS_PER_YEAR


@dataclass(frozen=True)
class Interval:
    id: str
    sex: Sex | None
    age_min: float
    age_max: float
    lower: float
    upper: float
    unit: str
    source: str
    note: str = ""

    def contains(self, age_years: float, sex: Sex | None) -> bool:
        if not self.age_min <= age_years < self.age_max:
            return False
        return self.sex is None or self.sex == sex

    def describe(self) -> str:
        who = {"F": "females", "M": "males", None: "both sexes"}[self.sex]
        hi = "" if self.age_max >= 150 else f"–<{_age(self.age_max)}"
        return f"{_age(self.age_min)}{hi or '+'} {who}: {self.lower:g}–{self.upper:g} {self.unit}"


@dataclass(frozen=True)
class PrintedRangeRule:
    """How a range printed for a child is told from the adult range (knowledge/settings.yaml,
    ``printed_alp_range``): its upper limit, or its lower limit when only that is printed, is
    compared with the same limit of the age/sex interval and of the adult interval. It is the
    adult range when it is nearer the adult limit as a ratio, that is beyond the geometric mean
    of the two limits on the adult's side (``upper_side``/``lower_side``: -1 below, +1 above,
    0 when the two limits are equal and nothing can be told)."""

    upper_mid: float
    upper_side: int
    lower_mid: float
    lower_side: int

    def is_adult(self, ref_low: float | None, ref_high: float | None) -> bool:
        if ref_high is not None:
            return _beyond(ref_high, self.upper_mid, self.upper_side)
        if ref_low is not None:
            return _beyond(ref_low, self.lower_mid, self.lower_side)
        return False


def printed_range_rule(for_age: Interval, adult: Interval) -> PrintedRangeRule:
    """The rule for a child whose interval is ``for_age``, against the ``adult`` interval."""
    up_mid, up_side = _midpoint(for_age.upper, adult.upper)
    lo_mid, lo_side = _midpoint(for_age.lower, adult.lower)
    return PrintedRangeRule(up_mid, up_side, lo_mid, lo_side)


def _midpoint(for_age: float, adult: float) -> tuple[float, int]:
    side = (adult > for_age) - (adult < for_age)
    return (for_age * adult) ** 0.5 if for_age > 0 and adult > 0 else 0.0, side


def _beyond(x: float, mid: float, side: int) -> bool:
    return (side < 0 and x < mid) or (side > 0 and x > mid)


def _age(years: float) -> str:
    if years == 0:
        return "0"
    if years < 1:
        days = round(years * DAYS_PER_YEAR)
        return f"{days} d"
    return f"{years:g} y"


def find_interval(
    intervals: tuple[Interval, ...], age_years: float, sex: Sex | None
) -> Interval | None:
    """The interval for this age and sex. With sex unknown, the sex-independent row if any."""
    for iv in intervals:
        if iv.contains(age_years, sex) and (sex is not None or iv.sex is None):
            return iv
    return None


def adult_interval(
    intervals: tuple[Interval, ...], sex: Sex | None, adult_age_years: float
) -> Interval | None:
    """The adult interval a printed range is compared with: the one for ``adult_age_years``,
    with the lower limit of the two sexes when the sex is unknown (as for any age)."""
    ivs = candidate_intervals(intervals, adult_age_years, sex)
    return min(ivs, key=lambda iv: iv.lower) if ivs else None


def candidate_intervals(
    intervals: tuple[Interval, ...], age_years: float, sex: Sex | None
) -> list[Interval]:
    """All intervals that could apply: one when sex is known, one per sex when it is not."""
    if sex is not None:
        iv = find_interval(intervals, age_years, sex)
        return [iv] if iv else []
    both = find_interval(intervals, age_years, None)
    if both:
        return [both]
    return [iv for s in ("F", "M") if (iv := find_interval(intervals, age_years, s))]
