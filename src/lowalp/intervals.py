"""ALP reference intervals by age and sex (knowledge/alp_intervals.csv)."""

from __future__ import annotations

from dataclasses import dataclass

from lowalp.model import Sex


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


def _age(years: float) -> str:
    if years == 0:
        return "0"
    if years < 1:
        days = round(years * 365.25)
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
