"""The state of one read: compact per-patient labs, the problems and warnings so far, and
the caches that keep a million results small.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from lowalp.adapters.base import ReadOptions, ReadResult, Rejected
from lowalp.adapters.hl7v2.fields import _range
from lowalp.adapters.reasons import NOT_VALID
from lowalp.errors import Problem
from lowalp.knowledge import Knowledge
from lowalp.model import Qualifier, Sex

_MAX_RANGE_WARNINGS = 20


# A compact lab: analyte, loinc, value, unit, qualifier, ref_low, ref_high, date,
# message number, OBX number, supersede key (the hash of analyte, raw time and OBX-4 sub-id:
# a small int instead of a tuple of strings keeps a million results in a few hundred MB),
# text (OBX-5 as written), flag (OBX-8), note (NTE), specimen id (SPM-2).
_Lab = tuple[
    str,
    str | None,
    float | None,
    str | None,
    Qualifier | None,
    float | None,
    float | None,
    dt.date | None,
    int,
    int,
    int,
    str | None,
    str | None,
    str | None,
    str | None,
]


@dataclass
class _Patient:
    birth_date: dt.date | None = None
    sex: Sex | None = None
    labs: list[_Lab] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """NTE segments of the PATIENT group (after PID): the case's notes."""


@dataclass
class _State:
    kb: Knowledge
    options: ReadOptions
    result: ReadResult
    patients: dict[str, _Patient] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    good_messages: int = 0
    range_warnings: int = 0
    escape_warnings: int = 0
    strings: dict[str, str] = field(default_factory=dict)
    dates: dict[dt.date, dt.date] = field(default_factory=dict)
    ranges: dict[tuple[str, str], tuple[float | None, float | None]] = field(default_factory=dict)

    def intern(self, s: str) -> str:
        return self.strings.setdefault(s, s)

    def range(self, raw: str, unit: str) -> tuple[float | None, float | None]:
        """:func:`_range`, cached: labs print few distinct ranges, and sharing the floats
        saves memory."""
        key = (raw, unit)
        got = self.ranges.get(key)
        if got is None:
            got = _range(raw, unit)
            if len(self.ranges) < 100_000:
                self.ranges[key] = got
        return got

    def warn(self, text: str) -> None:
        self.result.warnings.append(text)

    def escape_warning(self, text: str) -> None:
        """An escape sequence not read (:mod:`lowalp.adapters.hl7v2.encoding`); the first
        :data:`_MAX_RANGE_WARNINGS` are listed, the rest counted."""
        self.escape_warnings += 1
        if self.escape_warnings <= _MAX_RANGE_WARNINGS:
            self.warn(text)

    def reject(
        self, pointer: str, reason: str, value: str | None = None, category: str = NOT_VALID
    ) -> None:
        """Set an OBX aside (it was read), with the reason and its category."""
        self.result.stats.read += 1
        if self.result.stats.set_aside(category):
            self.result.rejected.append(Rejected(pointer, reason, value, category))
