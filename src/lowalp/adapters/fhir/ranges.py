"""``referenceRange``: which of an Observation's ranges fits the patient.

A range is chosen for the patient when the case is built (the Patient may come after its
Observations). ``appliesTo`` SNOMED 248153007 (male) / 248152002 (female) and ``age`` (a Range
in ``a``, ``mo``, ``wk`` or ``d``, compared with the completed age in that unit at the result's
date, bounds inclusive) must match; the most specific match wins; otherwise a range without
``appliesTo`` and ``age``; otherwise none (the engine then uses its own age/sex table).

Ranges whose ``type`` is not ``normal`` are not used, nor ranges in another unit than the value
(a unit of the same scale, U/L and IU/L, is fine: bounds are never converted), nor an ``age``
in a unit other than the four above; each with a warning. An ``appliesTo`` we cannot test (a
race, a pregnancy) keeps the range out of the choice.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, NamedTuple

from lowalp.adapters.base import finite
from lowalp.adapters.fhir import pointers
from lowalp.model import Sex
from lowalp.units import clean_unit

if TYPE_CHECKING:
    from lowalp.adapters.fhir.reader import Reader
    from lowalp.knowledge import Knowledge

SEX_BY_SNOMED: dict[str, Sex] = {"248153007": "M", "248152002": "F"}
AGE_UNITS = {"a": 365.25, "mo": 365.25 / 12, "wk": 7.0, "d": 1.0}


class Range(NamedTuple):
    """One ``referenceRange`` in compact form."""

    low: float | None
    high: float | None
    sex: str | None
    """F, M, None (applies to everyone) or "?" (applies to a group we cannot test)."""
    age_low: float | None
    age_high: float | None
    age_unit: str


def age_in(unit: str, birth: dt.date, at: dt.date) -> float:
    """Completed age in the unit (years and months by the calendar)."""
    if unit == "a":
        years = at.year - birth.year - ((at.month, at.day) < (birth.month, birth.day))
        return float(years)
    if unit == "mo":
        months = (at.year - birth.year) * 12 + at.month - birth.month - (at.day < birth.day)
        return float(months)
    return float((at - birth).days // int(AGE_UNITS[unit]))


def choose_range(
    ranges: tuple[Range, ...], sex: Sex | None, birth: dt.date | None, at: dt.date | None
) -> tuple[float | None, float | None]:
    """The range that fits the patient best: appliesTo and age must match; most specific wins;
    else one without qualifiers; else none."""
    best: Range | None = None
    best_score = -1
    for r in ranges:
        score = 0
        if r.sex is not None:
            if r.sex != sex:
                continue
            score += 1
        if r.age_low is not None or r.age_high is not None:
            if birth is None or at is None:
                continue
            age = age_in(r.age_unit, birth, at)
            if (r.age_low is not None and age < r.age_low) or (
                r.age_high is not None and age > r.age_high
            ):
                continue
            score += 1
        if score > best_score:
            best, best_score = r, score
    return (best.low, best.high) if best else (None, None)


def unit_scale(kb: Knowledge, analyte_id: str, unit: str | None) -> float | None:
    """The unit's factor for the analyte (None when unknown): ranges in a unit of the same
    scale as the value (U/L and IU/L) are used as they are, without conversion."""
    if unit is None:
        return None
    return kb.analytes[analyte_id].units.get(clean_unit(unit, kb.unit_synonyms))


def read_ranges(
    reader: Reader, items: list[Any], analyte_id: str, unit: str | None, prefix: str
) -> tuple[Range, ...]:
    """The usable ranges of one Observation (the choice among them is made later)."""
    out: list[Range] = []
    scale = unit_scale(reader.kb, analyte_id, unit)
    for i, rr in enumerate(items):
        where = pointers.at(prefix, f"referenceRange[{i}]")
        types = {c.get("code") for c in (rr.get("type") or {}).get("coding") or []}
        if types and "normal" not in types:
            reader.warn.add("reference range of a type other than 'normal' not used", where)
            continue
        bounds: list[float | None] = []
        ok = True
        for side in ("low", "high"):
            b = rr.get(side)
            if b is None or b.get("value") is None:
                bounds.append(None)
                continue
            bu = b.get("unit") or b.get("code")
            if ok and bu and unit and bu != unit and scale != unit_scale(reader.kb, analyte_id, bu):
                reader.warn.add(
                    "reference range in another unit than the value: not used",
                    pointers.at(where, side),
                )
                ok = False
            limit = finite(b["value"])
            if limit is None:
                reader.warn.add(
                    "reference range bound not a finite number: range not used",
                    pointers.at(where, side),
                )
                ok = False
            bounds.append(limit)
        if not ok or (bounds[0] is None and bounds[1] is None):
            continue
        sex: str | None = None
        for concept in rr.get("appliesTo") or []:
            codes = [c.get("code") for c in concept.get("coding") or []]
            hit = next((SEX_BY_SNOMED[c] for c in codes if c in SEX_BY_SNOMED), None)
            sex = hit or "?"
            if hit is None:
                break
        age = rr.get("age") or {}
        age_low = (age.get("low") or {}).get("value")
        age_high = (age.get("high") or {}).get("value")
        bound = age.get("low") or age.get("high") or {}
        age_unit = bound.get("code") or bound.get("unit") or "a"
        if any(a is not None and finite(a) is None for a in (age_low, age_high)):
            reader.warn.add("reference range age not a finite number; range not used", where)
            continue
        if age and age_unit not in AGE_UNITS:
            reader.warn.add(
                f"reference range age unit {age_unit!r} not understood; range not used", where
            )
            continue
        out.append(
            Range(
                bounds[0],
                bounds[1],
                sex,
                None if age_low is None else finite(age_low),
                None if age_high is None else finite(age_high),
                age_unit,
            )
        )
    key = tuple(out)
    return reader.range_cache.setdefault(key, key)
