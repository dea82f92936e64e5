"""Is the ALP low for this person's age and sex? Which limit says so, and where is it from?"""

from __future__ import annotations

from dataclasses import replace

from lowalp.engine.work import Work
from lowalp.intervals import Interval, adult_interval, candidate_intervals, printed_range_rule
from lowalp.model import AlpMeasurement, AlpStatus, Measurement, Sex, Status
from lowalp.units import DAYS_PER_YEAR


def alp_status(work: Work) -> Work:
    """Judge every ALP result and summarise the index (newest) one."""
    case, kb = work.case, work.kb
    warnings: list[str] = []
    adult = kb.settings.adult_age_years
    if case.age_years is None:
        warnings.append(
            f"Age not given: ALP judged against adult intervals (from {adult:g} y); "
            "children's lower limits are much higher, so a child's low ALP may be missed."
        )
    if case.sex is None:
        warnings.append(
            "Sex not given: where the female and male limits differ, the lower limit is used."
        )

    judged: list[tuple[Measurement, AlpMeasurement, Interval | None, bool]] = []
    grown = adult_interval(
        kb.intervals, case.sex, kb.settings.printed_alp_range.adult_reference_age_years
    )
    for m in case.series("alp"):
        age = _age_at(case.age_years, m.t, kb.settings.unknown_age.years)
        judged.append(_judge(m, age, case.sex, kb.intervals, adult, grown))
    index = next(j for j in judged if j[0].pointer == case.index_pointer)
    m, am, interval, for_age_only = index
    timed = sorted(
        (j for j in judged if j[0].t is not None), key=lambda j: (j[0].t or 0.0, j is index)
    )
    untimed = [j for j in judged if j[0].t is None]
    series = _one_per_time(timed, index)
    if (
        (m.ref_low is not None or m.ref_high is not None)
        and am.limit_source not in (None, "lab")
        and age_is_child(case.age_years, adult)
        and not for_age_only  # the warning below says it, with the value
    ):
        warnings.append(
            f"The printed ALP range ({_fmt(m.ref_low)}–{_fmt(m.ref_high)} U/L) looks like an adult "
            f"range; the child's value was judged against the age/sex interval ({interval.describe() if interval else ''})."
        )
    if am.status != "unknown" and am.note and m.value is None:
        warnings.append(f"The ALP status comes from the lab's words, not a number: {am.note}.")
    if for_age_only:
        warnings.append(
            f"The ALP {am.value:g} U/L is inside the range the lab printed "
            f"({_fmt(m.ref_low)}–{_fmt(m.ref_high)} U/L) but below the age/sex interval "
            f"({interval.describe() if interval else ''}): the printed range looks like an adult one."
        )
    status = AlpStatus(
        value=am.value,
        unit="U/L",
        reported=am.reported,
        lower_limit=am.lower_limit,
        upper_limit=am.upper_limit,
        limit_source=am.limit_source,
        age_sex_interval=interval.describe() if interval else None,
        age_sex_lower_limit=interval.lower if interval else None,
        status=am.status,
        low_for_age_only=for_age_only,
        status_reason=am.note,
        measurements=tuple(j[1] for j in (*timed, *untimed)) or (am,),
    )
    return replace(
        work,
        alp=status,
        alp_series=tuple((j[0], j[1].status, j[1].lower_limit) for j in series)
        or ((m, am.status, am.lower_limit),),
        warnings=work.warnings + tuple(warnings),
    )


_Judged = tuple[Measurement, AlpMeasurement, Interval | None, bool]


def _one_per_time(timed: list[_Judged], index: _Judged) -> list[_Judged]:
    """The series for persistence: one result per time, the index at its own time and the
    lowest judged one elsewhere (simultaneous results are one sample's worth of evidence)."""
    out: dict[float, _Judged] = {}
    for j in timed:
        t = j[0].t or 0.0
        best = out.get(t)
        if best is None or j is index or (best is not index and _lower(j, best)):
            out[t] = j
    return [out[t] for t in sorted(out)]


def _lower(a: _Judged, b: _Judged) -> bool:
    order = {"low": 0, "normal": 1, "high": 2, "unknown": 3}
    va, vb = a[0].value, b[0].value
    if va is not None and vb is not None:
        return va < vb
    return order[a[1].status] < order[b[1].status]


def age_is_child(age: float | None, adult: float) -> bool:
    return age is not None and age < adult


def _fmt(x: float | None) -> str:
    return "?" if x is None else f"{x:g}"


def _age_at(age: float | None, t: float | None, unknown: float) -> float:
    """The age at a result; ``unknown`` when the age is not given."""
    if age is None:
        return unknown
    return max(0.0, age + (t or 0.0) / DAYS_PER_YEAR)


def _judge(
    m: Measurement,
    age: float,
    sex: Sex | None,
    intervals: tuple[Interval, ...],
    adult: float,
    grown: Interval | None,
) -> tuple[Measurement, AlpMeasurement, Interval | None, bool]:
    """Limits and status of one ALP result.

    The lab's printed range is used when given with its lower limit (a range printed with only
    an upper limit cannot say the value is low: the age/sex interval is used). For a child, a
    printed range that looks like the adult one (``grown``: see ``printed_alp_range`` in
    settings.yaml and :class:`lowalp.intervals.PrintedRangeRule`) gives way to the age/sex
    interval;
    ``for_age_only`` then says the value would have passed the printed range.
    """
    ivs = candidate_intervals(intervals, age, sex)
    interval = min(ivs, key=lambda iv: iv.lower) if ivs else None
    lower = upper = None
    source: str | None = None
    for_age_only = False
    printed = m.ref_low is not None or m.ref_high is not None
    adult_range_for_child = (
        printed
        and interval is not None
        and grown is not None
        and age < adult
        and printed_range_rule(interval, grown).is_adult(m.ref_low, m.ref_high)
    )
    if adult_range_for_child:
        assert interval is not None
        lower, upper, source = interval.lower, interval.upper, interval.id
        for_age_only = (
            m.value is not None and m.ref_low is not None and m.ref_low <= m.value < interval.lower
        )
    elif printed and (m.ref_low is not None or interval is None):
        lower, upper, source = m.ref_low, m.ref_high, "lab"
    elif interval is not None:  # no printed range, or one without the lower limit that decides
        lower, upper, source = interval.lower, interval.upper, interval.id
    status: Status
    note = ""
    if m.unusable is not None:
        status, note = "unknown", m.unusable
    elif m.value is None:
        q = m.qualifier
        status = _QUALIFIER_STATUS.get(q or "", "unknown")
        how = m.read_as or f"reported {m.original!r} without a number"
        note = f"{how}, which does not say whether it is low" if status == "unknown" else how
    elif m.qualifier == "<" and lower is not None and m.value <= lower:
        status = "low"
    elif m.qualifier in ("<", ">"):
        status = "unknown"
        note = f"the censored value {m.original} does not fall on one side of the limits"
    elif lower is not None and m.value < lower:
        status = "low"
    elif upper is not None and m.value > upper:
        status = "high"
    elif lower is None and upper is None:
        status = "unknown"
        note = "no printed range and no age/sex interval to compare with"
    else:
        status = "normal"
    if m.read_as and m.value is not None:
        note = m.read_as
    reported = m.original + (f" (lab range {m.original_ref})" if m.original_ref else "")
    am = AlpMeasurement(
        value=m.value,
        unit="U/L",
        reported=reported,
        t=m.t,
        lower_limit=lower,
        upper_limit=upper,
        limit_source=source,
        status=status,
        pointer=m.pointer,
        note=note,
    )
    return m, am, interval, for_age_only


_QUALIFIER_STATUS: dict[str, Status] = {
    "low": "low",
    "undetectable": "low",
    "normal": "normal",
    "high": "high",
}
"""How a verdict without a number gives the ALP status (an undetectable ALP is low)."""
