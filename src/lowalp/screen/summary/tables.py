"""The summary page's two tables: the counts and the top of the work-list, as text."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the dev extra

from lowalp.screen.summary.cells import date, int_text, missing, num, pct, text
from lowalp.screen.worklist import artefact_headings, leading_cause

if TYPE_CHECKING:
    from lowalp.knowledge import Knowledge

TOP_ROWS = 2000
"""The work-list rows shown on the page (all of them up to this many; the files hold all)."""

COUNT_LABELS: dict[str, str] = {
    "rows_read": "Rows read",
    "rows_used": "Rows used",
    "rows_rejected": "Rows rejected (see rejects.parquet)",
    "persons_screened": "Persons with an ALP result",
    "persons_low": "Persons with a low-for-age ALP (on the work-list)",
    "persistent": "… persistently low",
    "missed_flags": "… low for age but inside the printed range (missed flags)",
    "run_seconds": "Run time",
    "engine": "Engine",
    "knowledge_version": "Knowledge version",
}
"""The counts the page expects, in display order; other keys are shown after them."""

COUNT_ALIASES = {
    "persons_on_worklist": "persons_low",
    "low_for_age_not_flagged": "missed_flags",
    "elapsed_s": "run_seconds",
}
"""Other names the runner may use for the same counts."""

EXTRA_LABELS = {
    "persons_checked_against_assess": "Persons checked one by one against lowalp assess",
    "screen_assess_disagreements": "… whose work-list row differs from their assessment",
    "disagreeing_persons": "… those persons (first 20)",
    "timings": "Time by step",
    "notes": "Notes",
}
NOT_COUNTS = ("persistence_definition", "rejected_by_reason")
"""Keys shown elsewhere on the page (the definition box; under the rejected rows)."""

# ----------------------------------------------------------------------------- counts


def count_rows(
    counts: Mapping[str, Any], worklist: pd.DataFrame, kb: Knowledge
) -> list[tuple[str, str]]:
    """(label, text) pairs for the counts table, known keys first."""
    values: dict[str, Any] = {COUNT_ALIASES.get(k, k): v for k, v in counts.items()}
    values.setdefault("persons_low", len(worklist))
    if "persistent" not in values and "persistent" in worklist:
        values["persistent"] = int((worklist["persistent"] == True).sum())  # noqa: E712
    if "missed_flags" not in values and "n_low_inside_printed_range" in worklist:
        missed = pd.to_numeric(worklist["n_low_inside_printed_range"], errors="coerce")
        values["missed_flags"] = int((missed.fillna(0) > 0).sum())
    values.setdefault("knowledge_version", kb.settings.version)
    rows: list[tuple[str, str]] = []
    for key, label in COUNT_LABELS.items():
        rows.append((label, _count_text(key, values.get(key))))
        if key == "rows_rejected" and isinstance(values.get("rejected_by_reason"), Mapping):
            for reason, n in values["rejected_by_reason"].items():
                rows.append((f"… {reason}", _count_text(str(reason), n)))
    extra = [k for k in values if k not in COUNT_LABELS and k not in NOT_COUNTS]
    for key in extra:
        label = EXTRA_LABELS.get(key, key.replace("_", " ").capitalize())
        rows.append((label, _count_text(key, values[key])))
    return rows


def _count_text(key: str, value: Any) -> str:
    if isinstance(value, Mapping):
        if key == "timings":
            return (
                ", ".join(
                    f"{str(k).removesuffix('_s')} {_count_text('run_seconds', v)}"
                    for k, v in value.items()
                )
                or "—"
            )
        return "; ".join(f"{k}: {_count_text(str(k), v)}" for k, v in value.items()) or "—"
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value) or "—"
    if missing(value):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Real):
        x = float(value)
        if key == "run_seconds":
            return _duration(x)
        if x.is_integer():
            return f"{int(x):,}".replace(",", "\u2009")
        return f"{x:.3g}"
    return str(value)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


# ----------------------------------------------------------------------------- work-list table


@dataclass(frozen=True)
class Row:
    priority: str
    person_id: str
    sex: str
    age: str
    low_of_total: str
    missed: str
    persistent: str
    persistent_class: str
    lowest: str
    first_low: str
    last_low: str
    leading: str
    leading_probability: str
    supported_by: str
    sample_check: str
    hpp_probability: str
    reasons: str


def table_rows(worklist: pd.DataFrame, kb: Knowledge, top: int = TOP_ROWS) -> list[Row]:
    """The first ``top`` rows of the work-list, in hpp_priority order, ready to print."""
    if worklist.empty:
        return []
    df = worklist
    if "hpp_priority" in df:
        order = pd.to_numeric(df["hpp_priority"], errors="coerce")
        df = df.assign(_order=order).sort_values("_order", kind="stable", na_position="last")
    rows = []
    for rec in df.head(top).to_dict(orient="records"):
        persistent = rec.get("persistent")
        p_text, p_class = (
            ("unknown", "unknown")
            if missing(persistent)
            else ("yes", "yes")
            if bool(persistent)
            else ("no", "no")
        )
        name, p, why = leading_cause(
            kb,
            rec.get("cause_1"),
            rec.get("cause_1_probability"),
            rec.get("cause_1_supporting"),
            rec.get("index_status"),
        )
        artefacts = artefact_headings(kb, rec.get("sample_artefact"))
        rows.append(
            Row(
                priority=int_text(rec.get("hpp_priority")),
                person_id=text(rec.get("person_id")),
                sex=text(rec.get("sex")),
                age=num(rec.get("age_at_index"), "{:.1f}"),
                low_of_total=f"{int_text(rec.get('n_low'))}/{int_text(rec.get('n_alp'))}",
                missed=int_text(rec.get("n_low_inside_printed_range")),
                persistent=p_text,
                persistent_class=p_class,
                lowest=num(rec.get("lowest_alp"), "{:g}"),
                first_low=date(rec.get("first_low_date")),
                last_low=date(rec.get("last_low_date")),
                leading=text(name),
                leading_probability=pct(p),
                supported_by=text(why, blank=""),
                sample_check="; ".join(artefacts),
                hpp_probability=pct(rec.get("hpp_probability")),
                reasons=text(rec.get("hpp_priority_reasons"), blank=""),
            )
        )
    return rows


# ----------------------------------------------------------------------------- what to do


def todo_items(
    worklist: pd.DataFrame, counts: Mapping[str, Any], kb: Knowledge
) -> list[tuple[str, str]]:
    """(heading, text) of what the page asks a reviewer to do, most pressing first: the
    possible sample artefacts (repeat the sample), the persistent lows to review, the
    children a printed adult range passed, the single lows; and a disagreement with assess."""
    out: list[tuple[str, str]] = []
    n = len(worklist)
    if "sample_artefact" in worklist:
        warned = [str(x).split("; ") for x in worklist["sample_artefact"].fillna("")]
        for cid, cause in kb.causes.items():
            if cause.artifact is None:
                continue
            k = sum(cid in w for w in warned)
            if k:
                out.append((f"Check the sample first: {k} {_persons(k)}", cause.artifact.heading))
    persistent = int((worklist["persistent"] == True).sum()) if n else 0  # noqa: E712
    out.append(
        (
            f"Review: {persistent} {_persons(persistent)} with a persistently low ALP",
            "In priority order in review.csv (and the table below): persistent first, then the "
            "probability of hypophosphatasia, then the lowest ALP.",
        )
    )
    if n and "n_low_inside_printed_range" in worklist and "age_at_index" in worklist:
        missed = pd.to_numeric(worklist["n_low_inside_printed_range"], errors="coerce") > 0
        age = pd.to_numeric(worklist["age_at_index"], errors="coerce")
        children = int((missed & (age < kb.settings.adult_age_years)).sum())
        if children:
            out.append(
                (
                    f"Children re-flagged: {children}",
                    f"Under {kb.settings.adult_age_years:g} years, with an ALP inside the range "
                    "the lab printed but low for age and sex (the printed range looks like an "
                    "adult one).",
                )
            )
    single = n - persistent
    if single:
        out.append(
            (
                f"Single lows: {single} {_persons(single)}",
                "One low value, lows not (yet) persistent, or a newest ALP normal again: "
                "single_lows.csv.",
            )
        )
    differ = counts.get("screen_assess_disagreements")
    if isinstance(differ, int) and differ:
        out.append(
            (
                f"Check: {differ} work-list rows differ from lowalp assess",
                "The persons are named under Counts; please report it.",
            )
        )
    return out


def _persons(k: int) -> str:
    return "person" if k == 1 else "persons"
