"""The screen's queries: Ibis expressions, no UDFs, the same on DuckDB and Spark.

It applies the exact rules of ``lowalp assess`` to every person's ALP series:

- ALP status per result (engine/alp_status.py): the lab's printed range when given; for a
  child (age < ``adult_age_years``) whose printed range looks like the adult one (its upper
  limit, else its lower, beyond the geometric mean of the age/sex and adult limits:
  :class:`lowalp.intervals.PrintedRangeRule`), the interval instead (and the result counts as "low for age but inside the printed range");
  without a printed range the age/sex interval; with sex unknown the interval with the lower
  limit of the two sexes. Age at a result = age at the index ALP + days from it / 365.25,
  computed in that order so the float arithmetic matches the engine's; no birth date: 40 y.
- Persistence, a fall from a normal value and a normal value on record
  (engine/persistence.py), by gaps and islands: over the person's judged ALP results in date
  order, a running count of non-low results; the run is the low results after the last
  non-low one, and it must end at the newest result.
- The other analytes: the result that counts as drawn with the index ALP, by the engine's own
  rule (:mod:`lowalp.engine.concurrent`: the knowledge's window, its order compiled into one
  integer key), and the results of the index's own day.

The age/sex intervals are a small table of elementary age segments (:func:`segments_table`),
each decided by :func:`lowalp.intervals.candidate_intervals` itself, joined to every result.
The findings and scores are not computed here: :mod:`lowalp.screen.program_eval` evaluates the
compiled program over the persons these queries return.
"""

from __future__ import annotations

import itertools
import math
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
from lowalp.units import DAYS_PER_YEAR


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


def _rules(kb: Knowledge) -> dict[tuple[str, float], PrintedRangeRule]:
    """The printed-range rule of each segment (sex key, age from), as the engine builds it."""
    age = kb.settings.printed_alp_range.adult_reference_age_years
    out: dict[tuple[str, float], PrintedRangeRule] = {}
    for key, a, _, iv in interval_segments(kb.intervals):
        grown = adult_interval(kb.intervals, None if key == "U" else key, age)  # type: ignore[arg-type]
        if grown is not None:
            out[(key, a)] = printed_range_rule(iv, grown)
    return out


def segments_table(kb: Knowledge) -> Any:
    """The elementary age segments as a small table: per sex key (F, M, U) and age range, the
    age/sex interval's limits and the printed-range rule's four parameters (null where the
    engine builds no rule). Joined to each ALP result by sex and age: at most one segment
    matches, since the segments of a sex key do not overlap."""
    import ibis  # type: ignore[import-untyped,unused-ignore]
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]

    rules = _rules(kb)
    rows = []
    for key, a, b, iv in interval_segments(kb.intervals):
        rule = rules.get((key, a))
        rows.append(
            {
                "seg_key": key,
                "seg_from": float(a),
                "seg_to": float(b),
                "iv_lower": float(iv.lower),
                "iv_upper": float(iv.upper),
                **{
                    f"rule_{attr}": float(getattr(rule, attr)) if rule is not None else None
                    for attr in ("upper_mid", "upper_side", "lower_mid", "lower_side")
                },
            }
        )
    columns = ["seg_key", "seg_from", "seg_to", "iv_lower", "iv_upper"] + [
        f"rule_{attr}" for attr in ("upper_mid", "upper_side", "lower_mid", "lower_side")
    ]
    df = pd.DataFrame(rows, columns=columns)
    df = df.astype({c: "float64" for c in columns if c != "seg_key"} | {"seg_key": "string"})
    return ibis.memtable(df)


def _beyond(x: Any, mid: Any, side: Any) -> Any:
    return ((side < 0) & (x < mid)) | ((side > 0) & (x > mid))


def judged_alp(used: Any, kb: Knowledge) -> Any:
    """Every ALP row with its age, limits, status and the low-for-age-only flag."""
    import ibis  # type: ignore[import-untyped,unused-ignore]

    adult = float(kb.settings.adult_age_years)
    alp = used.filter(used.analyte == "alp")
    # the index: each person's newest result (an aggregate joined back: cheaper than a window,
    # which sorts every partition)
    newest = alp.group_by("person_id").agg(index_date=alp.measurement_date.max())
    alp = alp.inner_join(newest, "person_id")
    age_idx = alp.index_date.delta(alp.birth_date, unit="day").cast("float64") / DAYS_PER_YEAR
    t = alp.measurement_date.delta(alp.index_date, unit="day").cast("float64")
    age = ibis.ifelse(
        alp.birth_date.isnull(),
        ibis.literal(float(kb.settings.unknown_age.years)),
        ibis.greatest(ibis.literal(0.0), age_idx + t / DAYS_PER_YEAR),
    )
    alp = alp.mutate(age_at_index=age_idx, age=age, sex_key=alp.sex.fill_null("U"))
    seg = segments_table(kb)
    alp = alp.left_join(
        seg,
        [alp.sex_key == seg.seg_key, alp.age >= seg.seg_from, alp.age < seg.seg_to],
    ).drop("seg_key", "seg_from", "seg_to")
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


POSITION_BOUND = 1 << 40
"""Input rows are numbered below this (about 10^12), so the ordering key fits in 64 bits."""


def concurrent_key(co: Any, window: float) -> Any:
    """:data:`lowalp.engine.concurrent.CHOICE` as one integer per row of ``co`` (with
    ``days_after`` the index, whole days within ``window``): the row that comes first in that
    order has the smallest key. Each term becomes a digit of a mixed-radix number, in the order
    of CHOICE, a descending term counted down from its bound, so that the arg-min aggregate can
    choose a result without sorting. Every row is dated and a number (rows in words or without
    a date are rejected before), and rows are in input order by ``source_row``."""
    import ibis  # type: ignore[import-untyped,unused-ignore]

    w = math.floor(window)
    terms: dict[concurrent.Term, tuple[Any, int, int]] = {  # (value, lowest, highest)
        "in_words": (ibis.literal(0, "int64"), 0, 1),
        "distance": (co.days_after.abs().cast("int64"), 0, w),
        "days_after": (co.days_after.cast("int64"), -w, w),
        "position": (co.source_row.cast("int64"), 0, POSITION_BOUND - 1),
    }
    key: Any = ibis.literal(0, "int64")
    span = 1
    for name, descending in concurrent.CHOICE:
        value, lo, hi = terms[name]
        digit = (hi - value) if descending else (value - lo)
        key = key * (hi - lo + 1) + digit
        span *= hi - lo + 1
    assert span < 1 << 63, "the ordering key does not fit in 64 bits"
    return key


def persons_expr(alp: Any, kb: Knowledge) -> Any:
    """One row per person with at least one ALP low for age and sex: the series' counts, the
    index result and the persistence of the low (``alp``: :func:`judged_alp`)."""
    import ibis  # type: ignore[import-untyped,unused-ignore]

    rule = kb.settings.persistence
    # only the persons with a low result are returned: their rows are chosen first, so that
    # the windows and aggregates below run over the short list's results alone
    lows = alp.filter(alp.status == "low").select("person_id").distinct()
    alp = alp.semi_join(lows, "person_id")
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
        index=ibis.struct(
            {
                "alp": alp.value,
                "status": alp.status,
                "lower_limit": alp.lower,
                "censor": alp.censor,
                "ref_low": alp.ref_low,
                "ref_high": alp.ref_high,
                "for_age_only": alp.for_age_only,
            }
        ).argmax(alp.measurement_date),
        lowest_alp=alp.value.min(),
        first_low_date=alp.measurement_date.min(where=low),
        last_low_date=alp.measurement_date.max(where=low),
    )
    per = per.filter(per.n_low > 0)
    per = per.mutate(
        **{
            f"index_{f}": per["index"][f]
            for f in ("alp", "status", "lower_limit", "censor", "ref_low", "ref_high")
        },
        index_for_age_only=per["index"]["for_age_only"],
    ).drop("index")
    return per.left_join(runs, "person_id").drop("person_id_right")


NEAR_FIELDS = ("value", "censor", "ref_low", "ref_high", "days_after")


def near_expr(used: Any, per: Any, kb: Knowledge, analytes: Iterable[str]) -> Any:
    """For each person of ``per`` and each of ``analytes``, the result the engine takes as
    drawn with the index ALP (:mod:`lowalp.engine.concurrent`: the knowledge's window, the
    order of CHOICE), long: person_id, analyte and :data:`NEAR_FIELDS`."""
    import ibis  # type: ignore[import-untyped,unused-ignore]

    co = _around_index(used, per, kb, analytes)
    co = co.mutate(key=concurrent_key(co, concurrent.window_days(kb)))
    # the fields as one struct, which is never null: an arg-min of a single column would pass
    # over a row whose field is null and take the next row's
    row = ibis.struct({f: co[f] for f in NEAR_FIELDS})
    near = co.group_by(["person_id", "analyte"]).agg(chosen=row.argmin(co.key))
    return near.select("person_id", "analyte", **{f: near.chosen[f] for f in NEAR_FIELDS})


def same_day_expr(used: Any, per: Any, kb: Knowledge, analytes: Iterable[str]) -> Any:
    """The results of ``analytes`` of the index ALP's own day (one a day: later ones are
    rejected as repeats), long as :func:`near_expr`."""
    co = _around_index(used, per, kb, analytes)
    co = co.filter(co.days_after == 0)
    return co.select("person_id", "analyte", *NEAR_FIELDS)


def _around_index(used: Any, per: Any, kb: Knowledge, analytes: Iterable[str]) -> Any:
    co = used.filter(used.analyte.isin(tuple(analytes)))
    co = co.join(per.select("person_id", "index_date"), "person_id")
    co = co.mutate(days_after=co.measurement_date.delta(co.index_date, unit="day"))
    window = concurrent.window_days(kb)
    return co.filter((co.days_after >= -window) & (co.days_after <= window))


def screen_frame(
    used: Any,
    kb: Knowledge,
    read: Iterable[str] = (),
    same_day: Iterable[str] = (),
    alp: Any = None,
) -> Any:
    """One row per person with at least one ALP low for age and sex, as a pandas DataFrame
    (:func:`assemble` of the three queries, all persons at once). ``alp``: :func:`judged_alp`
    of ``used``, when already computed."""
    judged = judged_alp(used, kb) if alp is None else alp
    per = persons_expr(judged, kb)
    analytes, specimen = input_analytes(kb, read, same_day)
    return assemble(
        kb,
        per.order_by("person_id").to_pandas(),
        near_expr(used, per, kb, analytes).to_pandas(),
        same_day_expr(used, per, kb, specimen).to_pandas() if specimen else None,
        analytes,
        specimen,
    )


def input_analytes(
    kb: Knowledge, read: Iterable[str], same_day: Iterable[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The analytes whose result drawn with the index is read (the work-list's and the
    score's), and those read from the index's own day too."""
    shown = set(kb.settings.screen.worklist_analytes)
    analytes = tuple(sorted((shown | set(read)) - {"alp"}))
    return analytes, tuple(sorted(set(same_day) & set(analytes)))


def assemble(
    kb: Knowledge,
    persons: Any,
    near: Any,
    day: Any,
    analytes: tuple[str, ...],
    specimen: tuple[str, ...],
) -> Any:
    """The persons (:func:`persons_expr`) with, spread into columns, their results drawn with
    the index (:func:`near_expr`: ``<analyte>__near_<field>``, and the work-list's analyte
    columns, ``settings.screen``) and of the index's own day (:func:`same_day_expr`:
    ``<analyte>__d0_<field>``), all pandas DataFrames of the same persons. The spreading is
    done in memory, a bounded number of persons at a time (the caller's chunks)."""
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]

    parts = [_spread(near, "near", analytes)]
    if specimen and day is not None:
        parts.append(_spread(day, "d0", specimen))
    index = pd.Index(persons.person_id)
    columns: dict[str, Any] = {}
    for part in parts:
        part = part.reindex(index)
        columns |= {c: part[c].to_numpy() for c in part.columns}
    columns |= {
        a: columns[f"{a}__near_value"].astype("float64")
        for a in kb.settings.screen.worklist_analytes
    }
    persons = persons.reset_index(drop=True)
    return pd.concat([persons, pd.DataFrame(columns, index=persons.index)], axis=1)


def _spread(long: Any, tag: str, analytes: tuple[str, ...]) -> Any:
    """Long results (person_id, analyte, fields) as one column per analyte and field."""
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]

    out = {}
    by = {a: g.set_index("person_id") for a, g in long.groupby("analyte", sort=False)}
    for a in analytes:
        g = by.get(a)
        for f in NEAR_FIELDS:
            name = f"{a}__{tag}_{f}"
            if g is None:
                out[name] = pd.Series(dtype="object" if f == "censor" else "float64")
            else:
                col = g[f]
                out[name] = col.astype("object") if f == "censor" else col.astype("float64")
    return pd.DataFrame(out)
