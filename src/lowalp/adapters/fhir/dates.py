"""Dates: which element dates a result, time zones, partial dates, times without a zone.

- An Observation's time is ``effectiveDateTime``, else ``effectivePeriod.start``, else
  ``effectiveInstant``, else ``issued`` (with a warning); with none of them its date is unknown
  (with a warning).
- lowalp works in days, so a timestamp becomes **the calendar date written in it, in its own
  offset**: ``2024-03-01T23:30:00-05:00`` is 1 March, the date where the sample was taken, not
  2 March UTC.
- Partial dates (``2024``, ``2024-03``) become the first day (``2024-01-01``, ``2024-03-01``),
  with a warning; the same holds for ``Patient.birthDate``.
- A time without a time zone is not valid FHIR (fhir.resources rejects it). It is accepted with
  a warning and its date as written is used: before validation the value is given a ``Z`` so
  that it passes, which does not change the date read from it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from lowalp.adapters.fhir.pointers import at
from lowalp.adapters.fhir.warning_groups import Warnings

NAIVE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(\.\d+)?)?$")
NAIVE_IN_TEXT = re.compile(rb'"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?"')
"""A fast check on a raw NDJSON line: may it hold a time without a zone?"""


def parse_date(text: str) -> tuple[dt.date | None, str | None]:
    """The calendar date written in a FHIR date/dateTime/instant, and a note if partial."""
    try:
        if len(text) == 4:
            return dt.date(int(text), 1, 1), f"partial date {text!r} taken as {text}-01-01"
        if len(text) == 7:
            return (
                dt.date(int(text[:4]), int(text[5:7]), 1),
                f"partial date {text!r} taken as {text}-01",
            )
        # The calendar date as written, i.e. in the timestamp's own offset.
        return dt.date.fromisoformat(text[:10]), None
    except ValueError:
        return None, f"date {text!r} not understood"


class DateCache:
    """:func:`parse_date` with a bounded cache: bulk exports repeat the same dates a lot."""

    def __init__(self) -> None:
        self._dates: dict[str, tuple[dt.date | None, str | None]] = {}

    def __call__(self, text: Any) -> tuple[dt.date | None, str | None]:
        if not isinstance(text, str):
            return None, "not a date"
        hit = self._dates.get(text)
        if hit is None:
            hit = self._dates[text] = parse_date(text)
            if len(self._dates) > 100_000:
                self._dates.clear()
        return hit


def effective_date(res: dict[str, Any], date: DateCache) -> tuple[dt.date | None, str | None, str]:
    """An Observation's date, a note (or None) and the element it came from."""
    for key in ("effectiveDateTime", "effectivePeriod", "effectiveInstant", "issued"):
        raw = res.get(key)
        if raw is None:
            continue
        if key == "effectivePeriod":
            raw = raw.get("start")
            key = "effectivePeriod.start"
            if raw is None:
                continue
        when, note = date(raw)
        if key == "issued":
            note = "no effective time: the issued date was used" + (f"; {note}" if note else "")
        return when, note, key
    return (
        None,
        "no effective time or issued date: the result's date is unknown",
        "effective[x]",
    )


def fix_naive_times(res: Any, prefix: str, warn: Warnings, path: str = "") -> None:
    """A dateTime with a time but no zone: keep the date as written, warn (not valid FHIR)."""
    items = res.items() if isinstance(res, dict) else enumerate(res)
    for k, v in items:
        if isinstance(v, str):
            m = NAIVE_TIME.match(v)
            if m:
                res[k] = f"{m.group(1)}T{m.group(2)}{m.group(3) or ':00'}Z"
                where = f"{path}.{k}" if isinstance(k, str) else f"{path}[{k}]"
                warn.add(
                    "a time without a time zone (not valid FHIR): its date as written was used",
                    at(prefix, where.lstrip(".")),
                )
        elif isinstance(v, dict | list) and k not in ("text", "extension"):
            sub = f"{path}.{k}" if isinstance(k, str) else f"{path}[{k}]"
            fix_naive_times(v, prefix, warn, sub)
