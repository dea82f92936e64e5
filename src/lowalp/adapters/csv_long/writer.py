"""Cases written as a long table, the inverse of reading: :func:`cases_to_rows` and
:func:`write_csv`.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path

from lowalp.adapters.csv_long.columns import COLUMNS
from lowalp.model import Case


def cases_to_rows(cases: Iterable[Case]) -> Iterator[dict[str, str]]:
    """Cases as long-table rows (our column names), the inverse of reading.

    A result's flag, text and note go in their columns; a medicine record's status and dates in
    the ``medication_*`` columns, a finding record's assertion in ``finding_assertion`` and its
    date in ``date``; the notes in one row's ``notes``. Events given as ``days_before`` are
    written at the day (or date) that many days before the index ALP (the newest one); in a case
    whose ALPs have neither, they are written untimed. ``context.setting`` and ``diagnosis`` are
    not carried. An empty medication, finding or event list is written as a row with the text
    ``none``.
    """
    for k, case in enumerate(cases, start=1):
        pid = case.id or f"case-{k}"
        p = case.patient
        base = {
            "patient_id": pid,
            "sex": p.sex or "",
            "birth_date": p.birth_date.isoformat() if p.birth_date else "",
            "age": _num(p.age_years),
        }
        for lab in case.labs:
            value = _num(lab.value)
            qualifier = lab.qualifier or ""
            if lab.qualifier in ("<", ">") and lab.value is not None:
                value, qualifier = f"{lab.qualifier}{value}", ""
            yield {
                **base,
                "date": _iso(lab.date),
                "day": _num(lab.day),
                "analyte": lab.analyte or "",
                "loinc": lab.loinc or "",
                "value": value,
                "unit": lab.unit or "",
                "ref_low": _num(lab.ref_low),
                "ref_high": _num(lab.ref_high),
                "qualifier": qualifier,
                "flag": lab.flag or "",
                "text": lab.text or "",
                "note": lab.note or "",
                "specimen": lab.specimen or "",
            }
        ctx = case.context
        if ctx.medications is not None:
            for med in ctx.medications or ("none",):
                if isinstance(med, str):
                    yield {**base, "medication": med}
                else:
                    yield {
                        **base,
                        "medication": med.name,
                        "medication_status": med.status or "",
                        "medication_start": _iso(med.start),
                        "medication_end": _iso(med.end),
                        "medication_days_since_stopped": _num(med.days_since_stopped),
                        "medication_duration_days": _num(med.duration_days),
                    }
        if ctx.findings is not None:
            for finding in ctx.findings or ("none",):
                if isinstance(finding, str):
                    yield {**base, "finding": finding}
                else:
                    yield {
                        **base,
                        "finding": finding.text,
                        "finding_assertion": finding.assertion or "",
                        "date": _iso(finding.date),
                    }
        if ctx.events is not None:
            index_day, index_date = _index_time(case)
            for ev in ctx.events or ("none",):
                if isinstance(ev, str):
                    yield {**base, "event": ev}
                    continue
                row = {**base, "event": ev.event}
                if ev.date is not None:
                    row["date"] = ev.date.isoformat()
                elif ev.day is not None:
                    row["day"] = _num(ev.day)
                elif ev.days_before is not None and index_day is not None:
                    row["day"] = _num(index_day - ev.days_before)
                elif ev.days_before is not None and index_date is not None:
                    row["date"] = (index_date - dt.timedelta(days=ev.days_before)).isoformat()
                if ev.ongoing:
                    row["event_ongoing"] = "yes"
                elif ev.end_date is not None and "day" not in row:
                    row["event_end"] = ev.end_date.isoformat()
                elif ev.end_day is not None and "date" not in row:
                    row["event_end"] = _num(ev.end_day)
                elif ev.end_days_before is not None and "day" in row and index_day is not None:
                    row["event_end"] = _num(index_day - ev.end_days_before)
                elif ev.end_days_before is not None and "date" in row and index_date is not None:
                    end = index_date - dt.timedelta(days=ev.end_days_before)
                    row["event_end"] = end.isoformat()
                yield row
        if ctx.notes:
            yield {**base, "notes": ctx.notes}


def write_csv(cases: Iterable[Case], path: Path, *, delimiter: str = ",") -> int:
    """Write cases as a long CSV with every column; returns the number of rows.

    The file is for lowalp (or another program) to read back, value for value: cells are not
    neutralised for spreadsheets as the reports' CSV files are (:mod:`lowalp.adapters.spreadsheet`)."""
    n = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, delimiter=delimiter, restval="")
        writer.writeheader()
        for row in cases_to_rows(cases):
            writer.writerow(row)
            n += 1
    return n


def _iso(d: dt.date | None) -> str:
    return d.isoformat() if d else ""


def _num(v: float | None) -> str:
    if v is None:
        return ""
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def _index_time(case: Case) -> tuple[float | None, dt.date | None]:
    alps = [lab for lab in case.labs if lab.analyte == "alp"]
    days = [lab.day for lab in alps if lab.day is not None]
    dates = [lab.date for lab in alps if lab.date is not None]
    return (max(days) if days else None), (max(dates) if dates else None)
