"""The summary page's two tables: the counts and the top of the work-list, as text."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the dev extra

from lowalp.screen.summary.cells import date, int_text, missing, num, pct, text

if TYPE_CHECKING:
    from lowalp.knowledge import Knowledge

TOP_ROWS = 50
"""The work-list rows shown on the page."""

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
    causes: list[tuple[str, str]]
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
        causes = []
        for i in (1, 2, 3):
            cause = rec.get(f"cause_{i}")
            if missing(cause):
                continue
            name = kb.causes[cause].name if cause in kb.causes else str(cause)
            causes.append((name, pct(rec.get(f"cause_{i}_probability"))))
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
                causes=causes,
                hpp_probability=pct(rec.get("hpp_probability")),
                reasons=text(rec.get("hpp_priority_reasons"), blank=""),
            )
        )
    return rows
