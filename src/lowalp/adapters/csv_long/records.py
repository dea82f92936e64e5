"""The packed record of one result (about 70 bytes), the patient the records are grouped
under, and the cases built from them one at a time, duplicated results rejected then.
"""

from __future__ import annotations

import datetime as dt
import math
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from lowalp.adapters.csv_long.values import QUALIFIERS
from lowalp.adapters.reasons import MISSING_DATE, REPEATED, VALUE_NOT_USABLE
from lowalp.model import (
    Case,
    Context,
    EventRecord,
    FindingRecord,
    LabResult,
    MedicationRecord,
    Patient,
    Sex,
)

# one result: row, analyte, loinc, value, ref_low, ref_high, time kind, time, qualifier,
# unit, specimen, flag, text, note (strings are indexes into an interned table, 0 the empty
# string; NaN is "not given")
_PACK = struct.Struct("<IIIdddBdBIIIII")
_NO_TIME, _DATE, _DAY = 0, 1, 2
_NAN = float("nan")


@dataclass(slots=True)
class _Patient:
    pid: str
    sex: Sex | None = None
    sex_row: int = 0
    birth: dt.date | None = None
    birth_row: int = 0
    age: float | None = None
    ages_differ: bool = False
    labs: bytearray = field(default_factory=bytearray)
    timed: int = 0
    """Results with a date or a day."""
    untimed: int = 0
    """Results with neither."""
    medications: list[str | MedicationRecord] | None = None
    findings: list[str | FindingRecord] | None = None
    events: list[EventRecord | str] | None = None
    notes: list[str] | None = None


def _cases(
    patients: Iterable[_Patient],
    strings: list[str],
    drop: Callable[[int, str | None, str, str | None, str], None],
) -> Iterator[Case]:
    """The cases of ``patients``, one at a time; a result at the same time as an earlier one
    of the same analyte and specimen is passed to ``drop`` (row, column, reason, value,
    category)
    instead: a duplicate, or a conflicting value (the first row is kept); so is a result
    without a date or day when the patient's other results have one
    (:mod:`lowalp.adapters.reasons`)."""
    for p in patients:
        labs: list[LabResult] = []
        seen: dict[tuple[int, int, float, int], tuple[int, float, int, int]] = {}
        for (
            row,
            a,
            lo,
            val,
            rlo,
            rhi,
            kind,
            when,
            q,
            unit,
            spec,
            flag,
            text,
            note,
        ) in _PACK.iter_unpack(p.labs):
            if kind == _NO_TIME and p.timed:
                drop(row, "date", MISSING_DATE, None, VALUE_NOT_USABLE)
                continue
            if kind != _NO_TIME:
                key = (a, kind, when, spec)
                first = seen.get(key)
                if first is None:
                    seen[key] = (row, val, q, unit)
                elif _same(first[1], val) and first[2:] == (q, unit):
                    drop(row, None, f"duplicate of row {first[0]}", None, REPEATED)
                    continue
                else:
                    drop(
                        row,
                        "value",
                        f"a second {strings[a]} result for patient {p.pid} at the same time "
                        f"as row {first[0]} with a different value; row {first[0]} kept "
                        "(give a specimen id if both are real)",
                        None if math.isnan(val) else f"{val:g}",
                        VALUE_NOT_USABLE,
                    )
                    continue
            labs.append(
                LabResult(
                    analyte=strings[a],
                    loinc=strings[lo] or None,
                    value=None if math.isnan(val) else val,
                    unit=strings[unit] or None,
                    qualifier=QUALIFIERS[q],
                    ref_low=None if math.isnan(rlo) else rlo,
                    ref_high=None if math.isnan(rhi) else rhi,
                    date=dt.date.fromordinal(int(when)) if kind == _DATE else None,
                    day=when if kind == _DAY else None,
                    specimen=strings[spec] or None,
                    flag=strings[flag] or None,
                    text=strings[text] or None,
                    note=strings[note] or None,
                )
            )
        yield Case(
            id=p.pid,
            patient=Patient(age_years=p.age, birth_date=p.birth, sex=p.sex),
            labs=tuple(labs),
            context=Context(
                medications=None if p.medications is None else tuple(p.medications),
                findings=None if p.findings is None else tuple(p.findings),
                events=None if p.events is None else tuple(p.events),
                notes="\n\n".join(p.notes) if p.notes else None,
            ),
        )


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))
