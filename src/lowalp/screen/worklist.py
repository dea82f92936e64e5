"""The work-list: ranked for hypophosphatasia work-up, and checked against ``lowalp assess``.

Every person's causes are scored by the compiled program over the whole short list
(:mod:`lowalp.screen.program_eval`). Ranking: persistent first, then the HPP probability, then
the lowest ALP. The reasons shown are the findings that support hypophosphatasia in the
person's score, by the knowledge's labels.

A person's case can also be built from that person's used rows (every analyte, canonical
units, dates, sex, birth date, printed ranges) and assessed one by one with the engine of
``lowalp assess`` (:func:`assess_person`, less the two stages whose output the work-list does
not show: published scores, next tests): the screen does so for the top of its list and
compares every field (:func:`differs`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lowalp.knowledge import Knowledge
from lowalp.model import Case, LabResult, Patient

ASSESSED = (
    "cause_1",
    "cause_1_probability",
    "cause_2",
    "cause_2_probability",
    "cause_3",
    "cause_3_probability",
    "cause_1_supporting",
    "sample_artefact",
    "hpp_probability",
    "hpp_supporting",
)
"""The assessment's columns of the work-list (``hpp_supporting`` gives the priority reasons,
``cause_1_supporting`` the findings present that support the most probable cause,
``sample_artefact`` the pre-analytical artefacts a report would warn of first)."""

ASSESS_COLUMNS = (
    *ASSESSED,
    "assess_status",
    "assess_persistent",
    "persistence_reason",
    "assess_error",
)
"""What :func:`assess_person` returns besides ``person_id``."""


@dataclass(frozen=True, slots=True)
class PersonRows:
    person_id: int
    sex: str | None
    birth_date: dt.date | None
    rows: tuple[tuple[str, float, float | None, float | None, dt.date, str | None], ...]
    """(analyte, value, ref_low, ref_high, date, censor), canonical units, ordered by date then
    row; censor is "<" for a result reported as "<value"."""


def _none(x: Any) -> Any:
    t = type(x)
    if t is str or t is int or t is bool:  # the common cells: never missing
        return x
    if t is float:
        return None if x != x else x
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


_STAGES: tuple[Callable[[Any], Any], ...] = ()


def assess_person(p: PersonRows, kb: Knowledge) -> dict[str, Any]:
    """The assessment columns of one person (``assess_error`` when the case is refused).

    The same as ``lowalp.assess`` (normalise, then the engine's stages), without the stages
    and the report assembly whose output the work-list does not show.
    """
    global _STAGES
    from lowalp.engine.assess import run_stages
    from lowalp.engine.work import Work
    from lowalp.errors import LowAlpError
    from lowalp.normalise import normalise

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
    if causes and alp.status not in ("normal", "high"):
        out["cause_1_supporting"] = "; ".join(_supporting(causes[0]))
        out["sample_artefact"] = "; ".join(a.id for a in work.artifacts)
    priority = kb.settings.screen.priority_cause
    hpp = next((c for c in causes if c.id == priority), None)
    out["hpp_probability"] = round(hpp.probability, 4) if hpp else None
    if hpp is not None:
        labels = _supporting(hpp)
        out["hpp_supporting"] = "; ".join(labels) if alp.status not in ("normal", "high") else None
    out["assess_status"] = alp.status
    out["assess_persistent"] = alp.persistent
    out["persistence_reason"] = alp.persistence_reason
    return out


def _supporting(cause: Any) -> list[str]:
    """The labels of the findings present that add to the cause's score, as listed."""
    return [e.label for e in cause.evidence if e.state == "present" and e.weight > 0]


def priority_reasons(row: Any) -> str:
    """Why a person is high on the hypophosphatasia work-up list: the findings present that
    support hypophosphatasia in this person's score (the knowledge's labels, heaviest first),
    results low for age that the lab's printed range passed, and the probability."""
    reasons: list[str] = []
    supporting = _none(row.get("hpp_supporting"))
    if supporting:
        reasons.append(str(supporting))
    if (_none(row.get("n_low_inside_printed_range")) or 0) > 0:
        reasons.append("low for age but not flagged")
    hpp = _none(row.get("hpp_probability"))
    if hpp is not None:
        reasons.append(f"HPP probability {hpp:.2f}")
    return "; ".join(reasons)


COMPARED = ASSESSED


def differs(row: Any, assessed: dict[str, Any], tolerance: float = 1e-9) -> list[str]:
    """The work-list fields of ``row`` that differ from the person's own assessment
    (:func:`assess_person`), probabilities within ``tolerance``; status and persistence too."""
    out: list[str] = []
    for name in COMPARED:
        a, b = _none(row.get(name)), _none(assessed.get(name))
        if isinstance(a, float | int) and isinstance(b, float | int):
            if abs(float(a) - float(b)) > tolerance:
                out.append(name)
        elif a != b:
            out.append(name)
    if _none(assessed.get("assess_status")) != _none(row.get("index_status")):
        out.append("index_status")
    if _tri(assessed.get("assess_persistent")) != _tri(row.get("persistent")):
        out.append("persistent")
    return out


def _tri(x: Any) -> int:
    x = _none(x)
    return -1 if x is None else int(bool(x))


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
    read = [
        c for c in ("hpp_supporting", "n_low_inside_printed_range", "hpp_probability") if c in df
    ]
    df["hpp_priority_reasons"] = [priority_reasons(r) for r in df[read].to_dict("records")]
    return df


def readable(wl: Any, kb: Knowledge) -> Any:
    """The work-list as a reviewer reads it (``review.csv``, ``single_lows.csv``): named columns
    with their units, values rounded, causes by name, and a leading cause only where a finding
    present supports it; where none does, the knowledge's answer for a low ALP that no cause
    explains (``link_ceilings.excess_to``), without a probability."""
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]

    alp_unit = kb.analytes["alp"].canonical_unit
    id_column = "patient_id" if "patient_id" in wl.columns else "person_id"
    out: dict[str, list[Any]] = {
        "priority": list(wl["hpp_priority"]),
        "patient": list(wl[id_column]),
        "sex": [_none(x) for x in wl["sex"]],
        "age at index (years)": [_rounded(x, 1) for x in wl["age_at_index"]],
        f"ALP at index ({alp_unit})": [_rounded(x, 1) for x in wl["index_alp"]],
        "index date": [_date(x) for x in wl["index_date"]],
        f"lowest ALP ({alp_unit})": [_rounded(x, 1) for x in wl["lowest_alp"]],
        "low results": [
            f"{int(a)} of {int(b)}" for a, b in zip(wl["n_low"], wl["n_alp"], strict=True)
        ],
        "first low": [_date(x) for x in wl["first_low_date"]],
        "last low": [_date(x) for x in wl["last_low_date"]],
        "persistent": [
            {True: "yes", False: "no"}.get(_none(x), "cannot tell") for x in wl["persistent"]
        ],
        "low for age, inside the lab's printed range": [
            int(_none(x) or 0) for x in wl["n_low_inside_printed_range"]
        ],
    }
    leading: list[str | None] = []
    probability: list[float | None] = []
    supported: list[str | None] = []
    for cid, p, support, status in zip(
        wl["cause_1"],
        wl["cause_1_probability"],
        wl["cause_1_supporting"],
        wl["index_status"],
        strict=True,
    ):
        name, shown, why = leading_cause(kb, cid, p, support, status)
        leading.append(name)
        probability.append(None if shown is None else _rounded(100 * shown, 0))
        supported.append(why)
    out["check the sample first"] = [
        "; ".join(artefact_headings(kb, x)) or None for x in wl["sample_artefact"]
    ]
    out["leading cause"] = leading
    out["leading cause (%)"] = probability
    out["supported by"] = supported
    out["HPP probability (%)"] = [
        None if _none(x) is None else _rounded(100 * float(x), 1) for x in wl["hpp_probability"]
    ]
    out["why this priority"] = list(wl["hpp_priority_reasons"])
    for a in kb.settings.screen.worklist_analytes:
        if a in wl.columns:
            analyte = kb.analytes[a]
            out[f"{analyte.name} ({analyte.canonical_unit})"] = [_rounded(x, 2) for x in wl[a]]
    return pd.DataFrame(out)


def artefact_headings(kb: Knowledge, sample_artefact: Any) -> list[str]:
    """The warnings' headings (the knowledge's) of the artefacts in a ``sample_artefact`` cell
    (cause ids joined by "; "; empty or null for none)."""
    out = []
    for cid in str(_none(sample_artefact) or "").split("; "):
        cause = kb.causes.get(cid)
        if cause is not None and cause.artifact is not None:
            out.append(cause.artifact.heading)
    return out


def leading_cause(
    kb: Knowledge, cause: Any, probability: Any, supporting: Any, status: Any
) -> tuple[str | None, float | None, str | None]:
    """The cause a reviewer is shown first for a person: (name, probability or None, what
    supports it). A most probable cause that no finding present supports is not put forward:
    the knowledge's answer for a low ALP that no cause explains (``link_ceilings.excess_to``)
    is shown instead, without a probability, and why. None while the newest ALP is not low."""
    cid, support = _none(cause), _none(supporting)
    if cid is None:
        return (f"none: the newest ALP is {status}" if _none(status) else None), None, None
    unexplained = kb.settings.link_ceilings.excess_to
    p = _float(_none(probability))
    if support or cid == unexplained:
        return kb.causes[cid].name, p, support or None
    shown = "" if p is None else f" ({_rounded(100 * p, 0)}% from how common it is alone)"
    return (
        kb.causes[unexplained].name,
        None,
        f"no finding present supports {kb.causes[cid].name}, the most probable{shown}",
    )


def _rounded(x: Any, digits: int) -> float | None:
    f = _float(_none(x))
    if f is None:
        return None
    r = round(f, digits)
    return int(r) if digits == 0 else r
