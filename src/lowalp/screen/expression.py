"""The screening expression: one Ibis expression, no UDFs, the same on DuckDB and Spark.

It applies the exact rules of ``lowalp assess`` to every person's ALP series:

- ALP status per result (engine/alp_status.py): the lab's printed range when given; for a
  child (age < ``adult_age_years``) whose printed range looks like the adult one (its upper
  limit, else its lower, beyond the geometric mean of the age/sex and adult limits:
  :class:`lowalp.intervals.PrintedRangeRule`), the interval instead (and the result counts as "low for age but inside the printed range");
  without a printed range the age/sex interval; with sex unknown the interval with the lower
  limit of the two sexes. Age at a result = age at the index ALP + days from it / 365.25,
  computed in that order so the float arithmetic matches the engine's; no birth date: 40 y.
- Persistence (engine/persistence.py), by gaps and islands: over the person's judged ALP
  results in date order, a running count of non-low results; the run is the low results after
  the last non-low one, and it must end at the newest result.
- The other analytes: the result that counts as drawn with the index ALP, by the engine's own
  rule (:mod:`lowalp.engine.concurrent`: the knowledge's window, its order compiled here).

The age/sex intervals are compiled into a CASE expression over elementary age segments, each
decided by :func:`lowalp.intervals.candidate_intervals` itself.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from lowalp.engine import concurrent
from lowalp.intervals import (
    Interval,
    PrintedRangeRule,
    adult_interval,
    candidate_intervals,
    printed_range_rule,
)
from lowalp.knowledge import Knowledge

DAYS_PER_YEAR = 365.25
CO_ANALYTES = (
    "albumin",
    "tsh",
    "b12",
    "zinc",
    "magnesium",
    "phosphate",
    "calcium",
    "potassium",
    "plp",
    "urine_pea",
    "hemoglobin",
    "crp",
)
NO_AGE_YEARS = 40.0  # engine/alp_status.py: max(adult, 40) when the age is not known


def interval_segments(
    intervals: tuple[Interval, ...],
) -> list[tuple[str, float, float, Interval]]:
    """(sex key F/M/U, age from, age to, interval) over elementary age segments."""
    cuts = sorted({iv.age_min for iv in intervals} | {iv.age_max for iv in intervals})
    out: list[tuple[str, float, float, Interval]] = []
    for a, b in itertools.pairwise(cuts):
        mid = (a + b) / 2
        for key, sex in (("F", "F"), ("M", "M"), ("U", None)):
            ivs = candidate_intervals(intervals, mid, sex)  # type: ignore[arg-type]
            if ivs:
                out.append((key, a, b, min(ivs, key=lambda iv: iv.lower)))
    return out


def _interval_case(kb: Knowledge, sex_key: Any, age: Any, attr: str) -> Any:
    import ibis  # type: ignore[import-untyped,unused-ignore]

    branches = [
        ((sex_key == key) & (age >= a) & (age < b), getattr(iv, attr))
        for key, a, b, iv in interval_segments(kb.intervals)
    ]
    null = ibis.null().cast("string" if attr == "id" else "float64")
    return ibis.cases(*branches, else_=null)


def _rules(kb: Knowledge) -> dict[tuple[str, float], PrintedRangeRule]:
    """The printed-range rule of each segment (sex key, age from), as the engine builds it."""
    age = kb.settings.printed_alp_range.adult_reference_age_years
    out: dict[tuple[str, float], PrintedRangeRule] = {}
    for key, a, _, iv in interval_segments(kb.intervals):
        grown = adult_interval(kb.intervals, None if key == "U" else key, age)  # type: ignore[arg-type]
        if grown is not None:
            out[(key, a)] = printed_range_rule(iv, grown)
    return out


def _rule_case(kb: Knowledge, sex_key: Any, age: Any, attr: str) -> Any:
    import ibis  # type: ignore[import-untyped,unused-ignore]

    rules = _rules(kb)
    branches = [
        ((sex_key == key) & (age >= a) & (age < b), float(getattr(rules[(key, a)], attr)))
        for key, a, b, _ in interval_segments(kb.intervals)
        if (key, a) in rules
    ]
    return ibis.cases(*branches, else_=ibis.null().cast("float64"))


def _beyond(x: Any, mid: Any, side: Any) -> Any:
    return ((side < 0) & (x < mid)) | ((side > 0) & (x > mid))


def judged_alp(used: Any, kb: Knowledge) -> Any:
    """Every ALP row with its age, limits, status and the low-for-age-only flag."""
    import ibis  # type: ignore[import-untyped,unused-ignore]

    adult = float(kb.settings.adult_age_years)
    alp = used.filter(used.analyte == "alp")
    person = ibis.window(group_by=alp.person_id)
    alp = alp.mutate(index_date=alp.measurement_date.max().over(person))
    age_idx = alp.index_date.delta(alp.birth_date, unit="day").cast("float64") / DAYS_PER_YEAR
    t = alp.measurement_date.delta(alp.index_date, unit="day").cast("float64")
    age = ibis.ifelse(
        alp.birth_date.isnull(),
        ibis.literal(max(adult, NO_AGE_YEARS)),
        ibis.greatest(ibis.literal(0.0), age_idx + t / DAYS_PER_YEAR),
    )
    alp = alp.mutate(age_at_index=age_idx, age=age, sex_key=alp.sex.fill_null("U"))
    alp = alp.mutate(
        iv_lower=_interval_case(kb, alp.sex_key, alp.age, "lower"),
        iv_upper=_interval_case(kb, alp.sex_key, alp.age, "upper"),
        **{
            f"rule_{attr}": _rule_case(kb, alp.sex_key, alp.age, attr)
            for attr in ("upper_mid", "upper_side", "lower_mid", "lower_side")
        },
    )
    printed = alp.ref_low.notnull() | alp.ref_high.notnull()
    looks_adult = ibis.ifelse(
        alp.ref_high.notnull(),
        _beyond(alp.ref_high, alp.rule_upper_mid, alp.rule_upper_side),
        _beyond(alp.ref_low, alp.rule_lower_mid, alp.rule_lower_side),
    )
    for_child = (
        printed
        & alp.iv_lower.notnull()
        & alp.rule_upper_mid.notnull()
        & (alp.age < adult)
        & looks_adult.fill_null(False)
    )
    # the lab's range when it has the lower limit that decides "low" (as assess reads it)
    lab = alp.ref_low.notnull() | (printed & alp.iv_lower.isnull())
    lower = ibis.ifelse(for_child, alp.iv_lower, ibis.ifelse(lab, alp.ref_low, alp.iv_lower))
    upper = ibis.ifelse(for_child, alp.iv_upper, ibis.ifelse(lab, alp.ref_high, alp.iv_upper))
    alp = alp.mutate(
        lower=lower,
        upper=upper,
        for_age_only=(
            for_child & (alp.ref_low <= alp.value) & (alp.value < alp.iv_lower)
        ).fill_null(False),
    )
    censored = alp.censor.notnull()  # "<x": low only when x is at or below the lower limit
    status = ibis.cases(
        (censored & alp.lower.notnull() & (alp.value <= alp.lower), "low"),
        (censored, "unknown"),
        (alp.lower.notnull() & (alp.value < alp.lower), "low"),
        (alp.upper.notnull() & (alp.value > alp.upper), "high"),
        (alp.lower.isnull() & alp.upper.isnull(), "unknown"),
        else_="normal",
    )
    return alp.mutate(status=status)


def concurrent_order(co: Any) -> list[Any]:
    """:data:`lowalp.engine.concurrent.CHOICE` as an Ibis ordering over the rows ``co`` (with
    ``days_after`` the index): every row is dated and a number (rows in words or without a
    date are rejected before), and rows are in input order by ``source_row``."""
    import ibis  # type: ignore[import-untyped,unused-ignore]

    terms: dict[concurrent.Term, Any] = {
        "in_words": ibis.literal(0),
        "distance": co.days_after.abs(),
        "days_after": co.days_after,
        "position": co.source_row,
    }
    return [
        ibis.desc(terms[name]) if descending else ibis.asc(terms[name])
        for name, descending in concurrent.CHOICE
    ]


def screen_expr(
    used: Any,
    kb: Knowledge,
    read: Iterable[str] = (),
    same_day: Iterable[str] = (),
) -> Any:
    """One row per person with at least one ALP low for age and sex (see the module doc).

    ``read``: the analytes whose result drawn with the index is given in full (value,
    censoring, printed limits, days from the index: ``<analyte>__near_*``); ``same_day``: those
    whose result of the index's own day is given too (``<analyte>__d0_*``)."""
    import ibis  # type: ignore[import-untyped,unused-ignore]

    rule = kb.settings.persistence
    alp = judged_alp(used, kb)
    low = alp.status == "low"

    # ---- persistence over the judged (status known) results, gaps and islands
    j = alp.filter(alp.status != "unknown")
    order = ibis.cumulative_window(
        group_by=j.person_id, order_by=[j.measurement_date, j.source_row]
    )
    j = j.mutate(breaks=(j.status != "low").cast("int64").sum().over(order))
    j = j.mutate(last_breaks=j.breaks.max().over(ibis.window(group_by=j.person_id)))
    in_run = (j.status == "low") & (j.breaks == j.last_breaks)
    # clearly normal (engine/persistence.py): high, or normal and the margin above its limit
    clearly = (j.status == "high") | (
        (j.status == "normal")
        & (j.lower.isnull() | (j.value >= j.lower * (1 + kb.settings.clearly_normal.margin)))
    )
    j = j.mutate(clearly=clearly.cast("int64"))
    runs = j.group_by("person_id").agg(
        n_judged=j.count(),
        n_run=in_run.sum(),
        run_first=j.measurement_date.min(where=in_run),
        last_judged=j.measurement_date.max(),
        n_clearly=j.clearly.sum(),
        last_clearly=j.clearly.argmax(j.measurement_date),
        before_run_clearly=j.clearly.argmax(j.measurement_date, where=j.status != "low"),
    )
    span = runs.last_judged.delta(runs.run_first, unit="day")
    long_enough = (runs.n_run >= rule.min_low_values) & (span >= rule.min_span_days)
    fell = runs.n_judged > runs.n_run
    runs = runs.mutate(
        persistent=ibis.cases(
            (runs.n_run == 0, ibis.literal(False)),
            (long_enough, ibis.literal(True)),
            (fell, ibis.literal(False)),
            else_=ibis.null().cast("boolean"),
        ),
        persistence_case=ibis.cases(
            (runs.n_run == 0, "latest not low"),
            (long_enough, "persistent"),
            (fell, "fell from normal"),
            (runs.n_run >= 2, "span too short"),
            else_="single low value",
        ),
        run_length=runs.n_run,
        run_span_days=span,
        # a normal value on record: a clearly normal one before the newest judged result
        normal_on_record=ibis.ifelse(
            runs.n_judged < 2,
            ibis.null().cast("boolean"),
            (runs.n_clearly - runs.last_clearly) > 0,
        ),
        # a fall from normal: the result before the current low run was clearly normal
        fall_from_normal=ibis.cases(
            (runs.n_run == 0, ibis.null().cast("boolean")),
            (fell, runs.before_run_clearly == 1),
            (runs.n_judged >= 2, ibis.literal(False)),
            else_=ibis.null().cast("boolean"),
        ),
    ).select(
        "person_id",
        "persistent",
        "persistence_case",
        "run_length",
        "run_span_days",
        "normal_on_record",
        "fall_from_normal",
    )

    # ---- per person over all ALP results; the index is the newest (one result a day)
    per = alp.group_by("person_id").agg(
        patient_id=alp.patient_id.max(),
        sex=alp.sex.max(),
        birth_date=alp.birth_date.max(),
        age_at_index=alp.age_at_index.max(),
        n_alp=alp.count(),
        n_low=low.sum(),
        n_low_inside_printed_range=alp.for_age_only.sum(),
        index_date=alp.measurement_date.max(),
        index_alp=alp.value.argmax(alp.measurement_date),
        index_status=alp.status.argmax(alp.measurement_date),
        index_lower_limit=alp.lower.argmax(alp.measurement_date),
        index_censor=alp.censor.argmax(alp.measurement_date),
        index_ref_low=alp.ref_low.argmax(alp.measurement_date),
        index_ref_high=alp.ref_high.argmax(alp.measurement_date),
        index_for_age_only=alp.for_age_only.argmax(alp.measurement_date),
        lowest_alp=alp.value.min(),
        first_low_date=alp.measurement_date.min(where=low),
        last_low_date=alp.measurement_date.max(where=low),
    )
    per = per.filter(per.n_low > 0)
    per = per.left_join(runs, "person_id").drop("person_id_right")

    # ---- the other analytes near the index, and those of the index ALP's own day
    analytes = tuple(sorted((set(CO_ANALYTES) | set(read)) - {"alp"}))
    specimen = tuple(sorted(set(same_day) & set(analytes)))
    co = used.filter(used.analyte.isin(analytes))
    idx = per.select("person_id", "index_date")
    co = co.join(idx, "person_id")
    co = co.mutate(days_after=co.measurement_date.delta(co.index_date, unit="day"))
    window = concurrent.window_days(kb)
    co = co.filter((co.days_after >= -window) & (co.days_after <= window))
    chosen = ibis.window(group_by=[co.person_id, co.analyte], order_by=concurrent_order(co))
    co = co.mutate(rn=ibis.row_number().over(chosen))
    near = co.filter(co.rn == 0)
    cols: dict[str, Any] = {a: near.value.max(where=near.analyte == a) for a in CO_ANALYTES}
    for a in analytes:
        this = near.analyte == a
        cols |= {
            f"{a}__near_v": near.value.max(where=this),
            f"{a}__near_c": near.censor.max(where=this),
            f"{a}__near_lo": near.ref_low.max(where=this),
            f"{a}__near_hi": near.ref_high.max(where=this),
            f"{a}__near_t": near.days_after.cast("float64").max(where=this),
        }
    out = per.left_join(near.group_by("person_id").agg(**cols), "person_id").drop("person_id_right")
    if specimen:  # one result a day (later ones are rejected as repeats)
        d0 = co.filter(co.analyte.isin(specimen) & (co.days_after == 0))
        day: dict[str, Any] = {}
        for a in specimen:
            this = d0.analyte == a
            day |= {
                f"{a}__d0_v": d0.value.max(where=this),
                f"{a}__d0_c": d0.censor.max(where=this),
                f"{a}__d0_lo": d0.ref_low.max(where=this),
                f"{a}__d0_hi": d0.ref_high.max(where=this),
            }
        out = out.left_join(d0.group_by("person_id").agg(**day), "person_id").drop(
            "person_id_right"
        )
    return out.order_by("person_id")
