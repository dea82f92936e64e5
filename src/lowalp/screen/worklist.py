"""The work-list: each short-listed person assessed by ``lowalp.assess`` and ranked for HPP work-up.

A person's case is built from that person's used rows (every analyte, canonical units, dates,
sex, birth date, printed ranges), so the screen and a single-patient assessment see the same
data. Ranking for hypophosphatasia work-up: persistent first, then the HPP probability, then
the lowest ALP.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.model import Case, LabResult, Patient

HPP = "hypophosphatasia"
PARALLEL_FROM = 400  # persons; fewer are assessed in this process
WORKERS = 2

ASSESS_COLUMNS = (
    "cause_1",
    "cause_1_probability",
    "cause_2",
    "cause_2_probability",
    "cause_3",
    "cause_3_probability",
    "hpp_probability",
    "assess_status",
    "assess_persistent",
    "persistence_reason",
    "assess_error",
)


@dataclass(frozen=True)
class PersonRows:
    person_id: int
    sex: str | None
    birth_date: dt.date | None
    rows: tuple[tuple[str, float, float | None, float | None, dt.date], ...]
    """(analyte, value, ref_low, ref_high, date), canonical units, ordered by date then row."""


def _none(x: Any) -> Any:
    if x is None:
        return None
    if isinstance(x, float) and math.isnan(x):
        return None
    try:
        import pandas as pd  # type: ignore[import-untyped,unused-ignore]

        if x is pd.NaT or (not isinstance(x, str | bytes) and pd.isna(x)):
            return None
    except (TypeError, ValueError):
        pass
    return x


def _date(x: Any) -> dt.date | None:
    x = _none(x)
    if x is None:
        return None
    if isinstance(x, dt.datetime):
        return x.date()
    if isinstance(x, dt.date):
        return x
    to_py = getattr(x, "to_pydatetime", None)
    if to_py is not None:
        return to_py().date()  # type: ignore[no-any-return]
    return dt.date.fromisoformat(str(x)[:10])


def group_rows(df: Any) -> list[PersonRows]:
    """Split the short list's long rows (a pandas DataFrame) into one record per person."""
    df = df.sort_values(["person_id", "measurement_date", "source_row"], kind="stable")
    out: list[PersonRows] = []
    for pid, g in df.groupby("person_id", sort=True):
        first = g.iloc[0]
        rows = tuple(
            (
                str(a),
                float(v),
                _none(lo),
                _none(hi),
                _date(d),
            )
            for a, v, lo, hi, d in zip(
                g.analyte, g.value, g.ref_low, g.ref_high, g.measurement_date, strict=True
            )
        )
        out.append(
            PersonRows(
                int(pid),  # type: ignore[call-overload,unused-ignore]
                _none(first.sex),
                _date(first.birth_date),
                rows,  # type: ignore[arg-type,unused-ignore]
            )
        )
    return out


def case_for(p: PersonRows, kb: Knowledge) -> Case:
    labs = tuple(
        LabResult(
            analyte=a,
            value=v,
            unit=kb.analytes[a].canonical_unit,
            ref_low=lo,
            ref_high=hi,
            date=d,
        )
        for a, v, lo, hi, d in p.rows
    )
    return Case(
        id=str(p.person_id),
        patient=Patient(sex=p.sex, birth_date=p.birth_date),
        labs=labs,
    )


_KB: Knowledge | None = None


def _init_worker(knowledge_dir: str | None) -> None:
    global _KB
    _KB = load_knowledge(knowledge_dir)


def assess_person(p: PersonRows, kb: Knowledge | None = None) -> dict[str, Any]:
    """The assessment columns of one person (``assess_error`` when the case is refused)."""
    from lowalp import assess
    from lowalp.errors import LowAlpError

    kb = kb or _KB or load_knowledge()
    out: dict[str, Any] = {"person_id": p.person_id} | dict.fromkeys(ASSESS_COLUMNS)
    try:
        a = assess(case_for(p, kb), knowledge=kb)
    except LowAlpError as exc:
        out["assess_error"] = str(exc)[:300]
        return out
    for i, c in enumerate(a.causes[:3], start=1):
        out[f"cause_{i}"] = c.id
        out[f"cause_{i}_probability"] = round(c.probability, 4)
    hpp = next((c for c in a.causes if c.id == HPP), None)
    out["hpp_probability"] = round(hpp.probability, 4) if hpp else None
    out["assess_status"] = a.alp.status
    out["assess_persistent"] = a.alp.persistent
    out["persistence_reason"] = a.alp.persistence_reason
    return out


def _assess_chunk(chunk: Sequence[PersonRows]) -> list[dict[str, Any]]:
    return [assess_person(p) for p in chunk]


def assess_all(
    persons: Sequence[PersonRows],
    kb: Knowledge,
    *,
    knowledge_dir: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Assess every person; across ``WORKERS`` processes when the list is long."""
    total = len(persons)
    if total < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        out = []
        for i, p in enumerate(persons, start=1):
            out.append(assess_person(p, kb))
            if progress and (i % 200 == 0 or i == total):
                progress(i, total)
        return out
    size = max(50, min(2000, total // (WORKERS * 8) or 1))
    chunks = [persons[i : i + size] for i in range(0, total, size)]
    results: list[dict[str, Any]] = []
    import multiprocessing as mp

    ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    with ProcessPoolExecutor(
        max_workers=WORKERS, mp_context=ctx, initializer=_init_worker, initargs=(knowledge_dir,)
    ) as pool:
        for part in pool.map(_assess_chunk, chunks):
            results.extend(part)
            if progress:
                progress(len(results), total)
    return results


def priority_reasons(row: Any) -> str:
    reasons: list[str] = []
    if row.get("persistent") is True:
        reasons.append("persistent")
    idx = _none(row.get("index_alp"))
    if idx is not None and idx < 25:
        reasons.append("ALP < 25 U/L")
    elif _none(row.get("lowest_alp")) is not None and row["lowest_alp"] < 25:
        reasons.append("an ALP < 25 U/L on record")
    plp = _none(row.get("plp"))
    if plp is not None and plp > 180:
        reasons.append("PLP > 180 nmol/L")
    pea = _none(row.get("urine_pea"))
    if pea is not None:
        reasons.append("urine PEA measured")
    if (_none(row.get("n_low_inside_printed_range")) or 0) > 0:
        reasons.append("low for age but not flagged")
    hpp = _none(row.get("hpp_probability"))
    if hpp is not None:
        reasons.append(f"HPP probability {hpp:.2f}")
    return "; ".join(reasons)


def rank(df: Any) -> Any:
    """Add hpp_priority (1 = first to work up) and hpp_priority_reasons; order by priority."""
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]

    key_persistent = df["persistent"].map(
        lambda x: 0 if x is True else (1 if _none(x) is None else 2)
    )
    tmp = pd.DataFrame(
        {
            "k1": key_persistent,
            "k2": -pd.to_numeric(df["hpp_probability"], errors="coerce").fillna(-1.0),
            "k3": pd.to_numeric(df["lowest_alp"], errors="coerce"),
            "k4": df["person_id"],
        },
        index=df.index,
    )
    order = tmp.sort_values(["k1", "k2", "k3", "k4"], kind="stable").index
    df = df.loc[order].reset_index(drop=True)
    df["hpp_priority"] = range(1, len(df) + 1)
    df["hpp_priority_reasons"] = [priority_reasons(r) for r in df.to_dict("records")]
    return df


def merge(screen_df: Any, assessed: Iterable[dict[str, Any]]) -> Any:
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]

    a = pd.DataFrame(list(assessed), columns=["person_id", *ASSESS_COLUMNS])
    return screen_df.merge(a, on="person_id", how="left")
