"""The work-list: each short-listed person assessed by ``lowalp.assess`` and ranked for HPP work-up.

A person's case is built from that person's used rows (every analyte, canonical units, dates,
sex, birth date, printed ranges), so the screen and a single-patient assessment see the same
data. The assessment runs the same normalisation and engine stages as ``lowalp.assess``, less
the two whose output the work-list does not show (published scores, next tests). Ranking for hypophosphatasia work-up: persistent first, then the HPP probability, then
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


@dataclass(frozen=True, slots=True)
class PersonRows:
    person_id: int
    sex: str | None
    birth_date: dt.date | None
    rows: tuple[tuple[str, float, float | None, float | None, dt.date, str | None], ...]
    """(analyte, value, ref_low, ref_high, date, censor), canonical units, ordered by date then
    row; censor is "<" for a result reported as "<value"."""


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


def _float(x: Any) -> float | None:
    """A plain Python float, or None for null/NaN."""
    if x is None:
        return None
    f = float(x)
    return None if f != f else f


GROUP_COLUMNS = (
    "person_id",
    "sex",
    "birth_date",
    "analyte",
    "value",
    "ref_low",
    "ref_high",
    "measurement_date",
    "censor",
)


def group_rows(table: Any) -> list[PersonRows]:
    """Split the short list's long rows into one record per person.

    ``table`` is a pyarrow Table (or a pandas DataFrame) with :data:`GROUP_COLUMNS` and
    ``source_row``; the rows need not be sorted. Columns are turned into Python lists once and
    cut at the person boundaries, so no per-row pandas access is made.
    """
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

    if not isinstance(table, pa.Table):
        table = pa.Table.from_pandas(table, preserve_index=False)
    if table.num_rows == 0:
        return []
    table = table.sort_by(
        [("person_id", "ascending"), ("measurement_date", "ascending"), ("source_row", "ascending")]
    )
    cols = {c: table.column(c).to_pylist() for c in GROUP_COLUMNS}
    pids, sexes, births = cols["person_id"], cols["sex"], cols["birth_date"]
    analytes, values = cols["analyte"], cols["value"]
    lows, highs, censors = cols["ref_low"], cols["ref_high"], cols["censor"]
    dates = [_date(d) for d in cols["measurement_date"]]
    out: list[PersonRows] = []
    n = len(pids)
    i = 0
    while i < n:
        pid = pids[i]
        j = i + 1
        while j < n and pids[j] == pid:
            j += 1
        rows = tuple(
            (
                str(analytes[k]),
                float(values[k]),
                _float(lows[k]),
                _float(highs[k]),
                dates[k],
                censors[k] if isinstance(censors[k], str) else None,
            )
            for k in range(i, j)
        )
        sex = sexes[i]
        out.append(
            PersonRows(
                int(pid),
                sex if isinstance(sex, str) else None,
                _date(births[i]),
                rows,  # type: ignore[arg-type]
            )
        )
        i = j
    return out


def case_for(p: PersonRows, kb: Knowledge) -> Case:
    """The person's case. The rows are already checked and in canonical units, so the models
    are built without re-validation (``model_construct``): the same objects validation gives."""
    construct = LabResult.model_construct
    labs = tuple(
        construct(
            analyte=a,
            value=v,
            unit=kb.analytes[a].canonical_unit,
            ref_low=lo,
            ref_high=hi,
            date=d,
            qualifier="<" if c == "<" else None,
        )
        for a, v, lo, hi, d, c in p.rows
    )
    return Case.model_construct(
        id=str(p.person_id),
        patient=Patient.model_construct(sex=p.sex, birth_date=p.birth_date),  # type: ignore[arg-type]
        labs=labs,
    )


def _screen_stages() -> tuple[Callable[[Any], Any], ...]:
    """The engine's stages the work-list needs: all but the published scores and the next
    tests, which only fill in their own fields of the assessment (the work-list shows neither)."""
    from lowalp.engine import STAGES
    from lowalp.engine.next_tests import next_tests
    from lowalp.engine.published_scores import published_scores

    return tuple(s for s in STAGES if s not in (published_scores, next_tests))


_KB: Knowledge | None = None
_PERSONS: Sequence[PersonRows] = ()
_STAGES: tuple[Callable[[Any], Any], ...] = ()


def _init_worker(kb: Knowledge | None, knowledge_dir: str | None) -> None:
    """Once per worker process: the Knowledge (inherited from the parent when forked)."""
    global _KB
    _KB = kb if kb is not None else load_knowledge(knowledge_dir)


def assess_person(p: PersonRows, kb: Knowledge | None = None) -> dict[str, Any]:
    """The assessment columns of one person (``assess_error`` when the case is refused).

    The same as ``lowalp.assess`` (normalise, then the engine's stages), without the stages
    and the report assembly whose output the work-list does not show.
    """
    global _STAGES
    from lowalp.engine.assess import run_stages
    from lowalp.engine.work import Work
    from lowalp.errors import LowAlpError
    from lowalp.normalise import normalise

    kb = kb if kb is not None else _KB
    if kb is None:
        raise RuntimeError(
            "assess_person needs the knowledge: pass it, or start the worker with it"
        )
    if not _STAGES:
        _STAGES = _screen_stages()
    out: dict[str, Any] = {"person_id": p.person_id} | dict.fromkeys(ASSESS_COLUMNS)
    try:
        work = run_stages(Work(kb=kb, case=normalise(case_for(p, kb), kb)), _STAGES)
    except LowAlpError as exc:
        out["assess_error"] = str(exc)[:300]
        return out
    alp = work.alp
    assert alp is not None
    causes = work.causes
    for i, c in enumerate(causes[:3], start=1):
        out[f"cause_{i}"] = c.id
        out[f"cause_{i}_probability"] = round(c.probability, 4)
    hpp = next((c for c in causes if c.id == HPP), None)
    out["hpp_probability"] = round(hpp.probability, 4) if hpp else None
    out["assess_status"] = alp.status
    out["assess_persistent"] = alp.persistent
    out["persistence_reason"] = alp.persistence_reason
    return out


def _assess_range(bounds: tuple[int, int]) -> list[dict[str, Any]]:
    """A worker's task when forked: persons [a, b) of the list inherited from the parent."""
    a, b = bounds
    return [assess_person(p) for p in _PERSONS[a:b]]


def _assess_chunk(chunk: Sequence[PersonRows]) -> list[dict[str, Any]]:
    return [assess_person(p) for p in chunk]


def assess_all(
    persons: Sequence[PersonRows],
    kb: Knowledge,
    *,
    knowledge_dir: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Assess every person; across ``WORKERS`` processes when the list is long.

    On Linux the workers are forked: they inherit the person list and the loaded Knowledge,
    so a task is just a pair of indexes and nothing large is pickled. Elsewhere (spawn) each
    worker loads the Knowledge once and gets its persons in a few large chunks.
    """
    global _PERSONS
    total = len(persons)
    workers = min(WORKERS, os.cpu_count() or 1)
    if total < PARALLEL_FROM or workers < 2:
        out = []
        for i, p in enumerate(persons, start=1):
            out.append(assess_person(p, kb))
            if progress and (i % 200 == 0 or i == total):
                progress(i, total)
        return out
    size = max(50, min(2000, total // (workers * 8) or 1))
    bounds = [(i, min(i + size, total)) for i in range(0, total, size)]
    results: list[dict[str, Any]] = []
    import multiprocessing as mp

    fork = sys.platform.startswith("linux")
    ctx = mp.get_context("fork" if fork else "spawn")
    _PERSONS = persons if fork else ()
    try:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(kb if fork else None, knowledge_dir),
        ) as pool:
            parts = (
                pool.map(_assess_range, bounds)
                if fork
                else pool.map(_assess_chunk, [persons[a:b] for a, b in bounds])
            )
            for part in parts:
                results.extend(part)
                if progress:
                    progress(len(results), total)
    finally:
        _PERSONS = ()
    return results


def priority_reasons(row: Any, kb: Knowledge) -> str:
    """Why a person is high on the hypophosphatasia work-up list, with the knowledge's own
    thresholds (Tornero 2020/2022: ALP <25 U/L in adults, PLP >180 nmol/L, urine PEA >30 µmol/g
    creatinine)."""
    alp_cut = kb.thresholds["alp_below_25"]
    alp_rule = kb.findings["alp_below_25"]
    adult_from = getattr(getattr(alp_rule, "applies", None), "age_min", None)
    plp_cut = kb.thresholds["plp_above_180"]
    pea_cut = kb.thresholds["urine_pea_above_30"]
    reasons: list[str] = []
    if row.get("persistent") is True:
        reasons.append("persistent")
    age = _none(row.get("age_at_index"))
    adult = adult_from is None or (age is not None and age >= adult_from)
    idx = _none(row.get("index_alp"))
    lowest = _none(row.get("lowest_alp"))
    if adult and idx is not None and idx < alp_cut:
        reasons.append(f"ALP < {alp_cut:g} U/L")
    elif adult and lowest is not None and lowest < alp_cut:
        reasons.append(f"an ALP < {alp_cut:g} U/L on record")
    plp = _none(row.get("plp"))
    if plp is not None and plp > plp_cut:
        reasons.append(f"PLP > {plp_cut:g} nmol/L")
    pea = _none(row.get("urine_pea"))
    if pea is not None and pea > pea_cut:
        reasons.append(f"urine PEA > {pea_cut:g} µmol/g creatinine")
    if (_none(row.get("n_low_inside_printed_range")) or 0) > 0:
        reasons.append("low for age but not flagged")
    hpp = _none(row.get("hpp_probability"))
    if hpp is not None:
        reasons.append(f"HPP probability {hpp:.2f}")
    return "; ".join(reasons)


def rank(df: Any, kb: Knowledge) -> Any:
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
    df["hpp_priority_reasons"] = [priority_reasons(r, kb) for r in df.to_dict("records")]
    return df


def merge(screen_df: Any, assessed: Iterable[dict[str, Any]]) -> Any:
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]

    a = pd.DataFrame(list(assessed), columns=["person_id", *ASSESS_COLUMNS])
    return screen_df.merge(a, on="person_id", how="left")
