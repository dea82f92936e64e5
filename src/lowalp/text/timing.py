"""Times written beside a mention: "3 days ago", "POD 2", "stopped 2021", "for 9 years", and
the words that say something is still going on ("ongoing", "still", "since").

Relative times are read as days before the note; a calendar year or date needs the reference
date (the index ALP's date) to become days, and stays a date otherwise. Unit words follow
common note-writing (``8/12`` is eight months, ``3/52`` three weeks, ``2/7`` two days).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

DAYS = {"d": 1.0, "w": 7.0, "m": 30.44, "y": 365.25}
_UNIT = r"(days?|d|weeks?|wks?|w|months?|mos?|m|years?|yrs?|y)"
_NUM = r"(\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        )
    )
    for m in names
}
_SEASON_DAYS = 270.0
"""'last spring' and the like: three to fifteen months back, so about nine (an estimate)."""

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rx, re.IGNORECASE))
    for name, rx in (
        ("pod", r"\b(?:pod|post-?op(?:erative)?\s+day|day)\s*#?\s*(\d+)(?:\s*post-?op)?\b"),
        ("ago", rf"\b{_NUM}\s*{_UNIT}\.?\s+(?:ago|before|previously|earlier|back)\b"),
        ("slash_ago", r"\b(\d+)\s*/\s*(7|52|12)\s+(?:ago|before)\b"),
        ("last_dose", rf"\blast\s+(?:dose|infusion|injection)\s+{_NUM}\s*{_UNIT}\b"),
        ("last", r"\blast\s+(night|week|month|year|spring|summer|autumn|fall|winter)\b"),
        ("yesterday", r"\b(yesterday|today|this\s+morning|tonight|overnight)\b"),
        ("iso", r"\b(\d{4})-(\d{2})-(\d{2})\b"),
        ("dmy", r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b"),
        ("range", r"\b((?:19|20)\d{2})\s*(?:-|–|to|until|till)\s*((?:19|20)\d{2})\b"),
        ("month_year", r"\b([a-z]{3,9})\.?\s+((?:19|20)\d{2})\b"),
        ("year", r"\b((?:19|20)\d{2})\b"),
    )
)
_DURATION = re.compile(
    rf"(?:\bfor\s+|\bx\s*|×\s*|\bover\s+){_NUM}\s*{_UNIT}\b|\b{_NUM}\s*{_UNIT}\s+(?:of|course)\b|\b(\d+)\s*/\s*(52|12)\b",
    re.IGNORECASE,
)


_ONGOING = re.compile(
    r"\b(ongoing|on-going|still|currently|remains|continues|continuing|to date|since|"
    r"at present|persisting|until now)\b",
    re.IGNORECASE,
)
"""Words that say a state is still going on (an admission, an infection), read for events."""


def ongoing_cue(sentence: str) -> str | None:
    """The word of a sentence that says something is still going on, if any.

    >>> ongoing_cue("in ITU x6 weeks, still ventilated")
    'still'
    >>> ongoing_cue("sepsis 2 years ago") is None
    True
    """
    m = _ONGOING.search(sentence)
    return m.group(1) if m else None


@dataclass(frozen=True)
class TimeNote:
    text: str
    start: int
    """Character offset in the sentence."""
    days_ago: float | None = None
    date: dt.date | None = None
    """A calendar date (mid-year or mid-month when only a year or month is written)."""
    approximate: bool = False
    duration_days: float | None = None

    def days_before(self, reference: dt.date | None) -> float | None:
        if self.days_ago is not None:
            return self.days_ago
        if self.date is not None and reference is not None:
            return float((reference - self.date).days)
        return None


def _num(text: str) -> float:
    t = text.lower()
    return float(_WORDS[t]) if t in _WORDS else float(t)


def _unit_days(unit: str) -> float:
    u = unit.lower()
    if u.startswith("mo") or u == "m" or u.startswith("month"):
        return DAYS["m"]
    return DAYS[u[0]]


def find_times(sentence: str) -> list[TimeNote]:
    """Every time expression of a sentence, earliest first (overlaps resolved by pattern order).

    >>> [(t.text, t.days_ago) for t in find_times("CABG x3 on POD 2")]
    [('POD 2', 2.0)]
    >>> [(t.text, t.days_ago, t.duration_days) for t in find_times("CABG 6/52 ago")]
    [('6/52 ago', 42.0, None)]
    >>> [(t.text, t.date) for t in find_times("alendronate 2012-2021")]
    [('2012-2021', datetime.date(2021, 7, 1))]
    """
    taken: list[tuple[int, int]] = []
    out: list[TimeNote] = []
    for name, rx in _PATTERNS:
        for m in rx.finditer(sentence):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            note = _read(name, m)
            if note is not None:
                taken.append((m.start(), m.end()))
                out.append(note)
    for m in _DURATION.finditer(sentence):
        groups = [g for g in m.groups() if g]
        if len(groups) < 2:
            continue
        if any(m.start() < e and s < m.end() for s, e in taken):
            continue  # part of a time already read ("6/52 ago" is a time, not a duration)
        if groups[1] in ("52", "12"):
            days = float(groups[0]) * (7.0 if groups[1] == "52" else DAYS["m"])
        else:
            days = _num(groups[0]) * _unit_days(groups[1])
        out.append(TimeNote(m.group(0).strip(), m.start(), duration_days=days))
    return sorted(out, key=lambda t: t.start)


def _read(name: str, m: re.Match[str]) -> TimeNote | None:
    text, at = m.group(0), m.start()
    if name == "pod":
        return TimeNote(text, at, days_ago=float(m.group(1)))
    if name in ("ago", "last_dose"):
        return TimeNote(text, at, days_ago=_num(m.group(1)) * _unit_days(m.group(2)))
    if name == "slash_ago":
        per = {"7": 1.0, "52": 7.0, "12": DAYS["m"]}[m.group(2)]
        return TimeNote(text, at, days_ago=float(m.group(1)) * per)
    if name == "last":
        word = m.group(1).lower()
        days = {"night": 1.0, "week": 7.0, "month": 30.0, "year": 365.0}.get(word)
        if days is None:
            return TimeNote(text, at, days_ago=_SEASON_DAYS, approximate=True)
        return TimeNote(text, at, days_ago=days, approximate=word != "night")
    if name == "yesterday":
        return TimeNote(text, at, days_ago=1.0 if m.group(1).lower() == "yesterday" else 0.0)
    try:
        if name == "iso":
            return TimeNote(text, at, date=dt.date(int(m[1]), int(m[2]), int(m[3])))
        if name == "dmy":
            return TimeNote(text, at, date=dt.date(int(m[3]), int(m[2]), int(m[1])))
    except ValueError:
        return None
    if name == "range":
        return TimeNote(text, at, date=dt.date(int(m[2]), 7, 1), approximate=True)
    if name == "month_year":
        month = _MONTHS.get(m.group(1).lower())
        if month is None:
            return None
        return TimeNote(text, at, date=dt.date(int(m[2]), month, 15), approximate=True)
    if name == "year":
        return TimeNote(text, at, date=dt.date(int(m[1]), 7, 1), approximate=True)
    return None
