"""A context row's structured parts: a medicine with its status and dates, a finding with its
assertion. A row whose ``medication_*`` (or ``finding_assertion``) columns are all empty keeps
its text as free text, as before these columns existed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Literal, TypeVar

from lowalp.adapters.csv_long.values import RowError, parse_number
from lowalp.model import Assertion, FindingRecord, MedicationRecord

UseStatus = Literal["active", "stopped", "not-taken", "intended", "unknown"]
MEDICATION_STATUS: dict[str, UseStatus] = {
    "active": "active",
    "current": "active",
    "taking": "active",
    "stopped": "stopped",
    "discontinued": "stopped",
    "completed": "stopped",
    "past": "stopped",
    "former": "stopped",
    "on-hold": "stopped",
    "on hold": "stopped",
    "not-taken": "not-taken",
    "not taken": "not-taken",
    "never taken": "not-taken",
    "intended": "intended",
    "planned": "intended",
    "unknown": "unknown",
}
"""``medication_status`` words (any case) -> :attr:`lowalp.model.MedicationRecord.status`."""
ASSERTIONS: dict[str, Assertion] = {
    "present": "present",
    "active": "present",
    "confirmed": "present",
    "absent": "absent",
    "denied": "absent",
    "refuted": "absent",
    "ruled out": "absent",
    "historical": "historical",
    "history": "historical",
    "past": "historical",
    "resolved": "historical",
    "family": "family",
    "family history": "family",
    "hypothetical": "hypothetical",
    "uncertain": "uncertain",
    "possible": "uncertain",
    "probable": "uncertain",
    "suspected": "uncertain",
    "provisional": "uncertain",
}
"""``finding_assertion`` words (any case) -> :attr:`lowalp.model.FindingRecord.assertion`."""

DateParser = Callable[[str, str], dt.date]
T = TypeVar("T", bound=str)


def _word(table: dict[str, T], column: str, what: str, text: str) -> T:
    """``text`` (any case) read through ``table``; a :class:`RowError` naming the values
    ``table`` leads to when it is not there."""
    found = table.get(text.lower())
    if found is None:
        values = ", ".join(dict.fromkeys(table.values()))
        raise RowError(column, f"not {what} ({values})", text)
    return found


def medication_entry(
    name: str,
    status_text: str,
    start_text: str,
    end_text: str,
    stopped_text: str,
    duration_text: str,
    *,
    date: DateParser,
    decimal_comma: bool,
) -> str | MedicationRecord:
    """The medicine of a row: its text, or a record when any ``medication_*`` column is given."""
    if not (status_text or start_text or end_text or stopped_text or duration_text):
        return name
    status = (
        _word(MEDICATION_STATUS, "medication_status", "a medication status", status_text)
        if status_text
        else None
    )
    days: list[float | None] = []
    for column, text in (
        ("medication_days_since_stopped", stopped_text),
        ("medication_duration_days", duration_text),
    ):
        value = parse_number(text, decimal_comma=decimal_comma, column=column) if text else None
        if value is not None and value < 0:
            raise RowError(column, "a number of days cannot be negative", text)
        days.append(value)
    return MedicationRecord(
        name=name,
        status=status,
        start=date(start_text, "medication_start") if start_text else None,
        end=date(end_text, "medication_end") if end_text else None,
        days_since_stopped=days[0],
        duration_days=days[1],
    )


def finding_entry(text: str, assertion_text: str, when: dt.date | None) -> str | FindingRecord:
    """The finding of a row: its text, or a record when it has an assertion or a date."""
    if not assertion_text and when is None:
        return text
    assertion = (
        _word(ASSERTIONS, "finding_assertion", "an assertion", assertion_text)
        if assertion_text
        else None
    )
    return FindingRecord(text=text, assertion=assertion, date=when)
