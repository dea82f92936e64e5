"""Lab results: analyte ids, units and values checked and converted, duplicates, the index ALP.

Each result is turned into a draft in canonical units or set aside with its reason; the newest
ALP becomes the index (day 0) and every other result's time is made relative to it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from lowalp.errors import Problem, UnitError
from lowalp.knowledge import Knowledge
from lowalp.model import Case, LabResult, Measurement, NotUnderstood
from lowalp.units import factor, unit_can_be_assumed

DAYS_PER_YEAR = 365.25


@dataclass
class Draft:
    lab: LabResult
    pointer: str
    analyte: str
    value: float | None
    unit: str
    ref_low: float | None
    ref_high: float | None
    original: str
    original_ref: str | None = None


def read_lab(
    i: int,
    lab: LabResult,
    kb: Knowledge,
    problems: list[Problem],
    not_understood: list[NotUnderstood],
    warnings: list[str],
) -> Draft | None:
    pointer = f"labs[{i}]"
    analyte_id = lab.analyte
    if analyte_id is not None and analyte_id not in kb.analytes:
        by_loinc = kb.loinc_index.get(analyte_id)
        if by_loinc:
            analyte_id = by_loinc
    if analyte_id is None and lab.loinc is not None:
        analyte_id = kb.loinc_index.get(lab.loinc.strip())
        if analyte_id is None:
            not_understood.append(
                NotUnderstood(
                    pointer=f"{pointer}.loinc",
                    value=lab.loinc,
                    reason="LOINC code not known to lowalp; result not used",
                )
            )
            return None
    if analyte_id is None:
        problems.append(
            Problem(
                pointer,
                "a result needs `analyte` (or a `loinc` code)",
                hint='for example "analyte": "alp"',
            )
        )
        return None
    analyte = kb.analytes.get(analyte_id)
    if analyte is None:
        names = {a.id: a.id for a in kb.analytes.values()} | {
            a.name.lower(): a.id for a in kb.analytes.values()
        }
        close = difflib.get_close_matches(analyte_id.lower(), list(names), n=3, cutoff=0.6)
        not_understood.append(
            NotUnderstood(
                pointer=f"{pointer}.analyte",
                value=analyte_id,
                reason="analyte not known to lowalp; result not used",
                suggestions=tuple(dict.fromkeys(names[c] for c in close)),
            )
        )
        return None
    if lab.loinc and lab.loinc in kb.loinc_index and kb.loinc_index[lab.loinc] != analyte.id:
        warnings.append(
            f"{pointer}: LOINC {lab.loinc} is {kb.loinc_index[lab.loinc]}, not {analyte.id}; the analyte id was used."
        )

    if lab.value is None and lab.qualifier is None:
        problems.append(
            Problem(pointer, "a result needs a numeric `value` (with `unit`) or a `qualifier`")
        )
        return None
    if lab.qualifier in ("<", ">") and lab.value is None:
        problems.append(
            Problem(f"{pointer}.value", f"qualifier {lab.qualifier!r} needs a value (as in '<5')")
        )
        return None
    if lab.value is None:
        return Draft(
            lab, pointer, analyte.id, None, analyte.canonical_unit, None, None, str(lab.qualifier)
        )
    if lab.value < 0:
        problems.append(
            Problem(
                f"{pointer}.value",
                "a concentration or activity cannot be negative",
                value=lab.value,
            )
        )
        return None

    unit = lab.unit
    if unit is None or not unit.strip():
        if unit_can_be_assumed(analyte):
            unit = analyte.canonical_unit
            warnings.append(
                f"{pointer}: no unit given; {analyte.name} has one scale, so {unit} was assumed."
            )
        else:
            not_understood.append(
                NotUnderstood(
                    pointer=f"{pointer}.unit",
                    value=f"{lab.value:g}",
                    reason=f"numeric {analyte.name} without a unit; it is reported in several units ({', '.join(list(analyte.units)[:6])}), so it was not used",
                    suggestions=(analyte.canonical_unit,),
                )
            )
            return None
    try:
        f = factor(analyte, unit, kb.unit_synonyms)
    except UnitError as exc:
        not_understood.append(
            NotUnderstood(
                pointer=f"{pointer}.unit",
                value=unit,
                reason=f"unit not known for {analyte.name}; result not used (accepted: {', '.join(exc.accepted)})",
                suggestions=(exc.suggestion,) if exc.suggestion else (),
            )
        )
        return None
    value = lab.value * f
    lo, hi = analyte.plausible
    if not lo <= value <= hi:
        problems.append(
            Problem(
                f"{pointer}.value",
                f"{lab.value:g} {unit} is not a possible {analyte.name} "
                f"(possible: {lo:g}–{hi:g} {analyte.canonical_unit})",
                hint="check the value and its unit",
            )
        )
        return None
    ref_low = lab.ref_low * f if lab.ref_low is not None else None
    ref_high = lab.ref_high * f if lab.ref_high is not None else None
    if ref_low is not None and ref_high is not None and ref_low > ref_high:
        problems.append(
            Problem(f"{pointer}.ref_low", "ref_low is above ref_high", value=lab.ref_low)
        )
        return None
    if (lab.ref_low is not None and lab.ref_low < 0) or (
        lab.ref_high is not None and lab.ref_high < 0
    ):
        problems.append(Problem(f"{pointer}.ref_low", "a reference limit cannot be negative"))
        return None
    censor = f"{lab.qualifier}" if lab.qualifier in ("<", ">") else ""
    original = f"{censor}{lab.value:g} {unit}"
    original_ref = None
    if lab.ref_low is not None or lab.ref_high is not None:
        lo_text = "" if lab.ref_low is None else f"{lab.ref_low:g}"
        hi_text = "" if lab.ref_high is None else f"{lab.ref_high:g}"
        original_ref = f"{lo_text}–{hi_text} {unit}"
    return Draft(
        lab,
        pointer,
        analyte.id,
        value,
        analyte.canonical_unit,
        ref_low,
        ref_high,
        original,
        original_ref,
    )


def when(d: Draft) -> tuple[str, object] | None:
    if d.lab.date is not None:
        return ("date", d.lab.date)
    if d.lab.day is not None:
        return ("day", d.lab.day)
    return None


def deduplicate(drafts: list[Draft], problems: list[Problem], warnings: list[str]) -> list[Draft]:
    seen: dict[tuple[object, ...], Draft] = {}
    out = []
    for d in drafts:
        at = when(d)
        if at is None:
            out.append(d)
            continue
        key = (d.analyte, at, d.lab.specimen)
        first = seen.get(key)
        if first is None:
            seen[key] = d
            out.append(d)
        elif first.value == d.value and first.lab.qualifier == d.lab.qualifier:
            warnings.append(
                f"{d.pointer} repeats {first.pointer} ({d.analyte}, same time and value); counted once."
            )
        else:
            problems.append(
                Problem(
                    d.pointer,
                    f"a second {d.analyte} result at the same time as {first.pointer} with a different value "
                    f"({first.original} vs {d.original})",
                    hint="remove one, or give them different days or specimen ids",
                )
            )
    return out


def pick_index(alps: list[Draft], warnings: list[str]) -> Draft:
    timed = [d for d in alps if when(d) is not None]
    if not timed:
        if len(alps) > 1:
            warnings.append(
                f"{len(alps)} ALP results without day or date: {alps[0].pointer} is taken as the index; "
                "the time course cannot be judged."
            )
        return alps[0]
    kinds = {"date" if d.lab.date is not None else "day" for d in timed}
    if kinds == {"date", "day"}:
        dated = [d for d in timed if d.lab.date is not None]
        warnings.append(
            "ALP results mix `day` and `date`; only the dated ones are ordered in time."
        )
        timed = dated
    untimed = [d.pointer for d in alps if when(d) is None]
    if untimed:
        warnings.append(
            f"ALP result(s) {', '.join(untimed)} have no day or date and are left out of the time course."
        )
    return max(timed, key=_order)


def _order(d: Draft) -> float:
    """A sortable time for a result whose ALP series uses one kind of time only."""
    if d.lab.date is not None:
        return float(d.lab.date.toordinal())
    return d.lab.day if d.lab.day is not None else 0.0


def _t(d: Draft, index: Draft) -> float | None:
    if d is index:
        return 0.0
    if d.lab.date is not None and index.lab.date is not None:
        return float((d.lab.date - index.lab.date).days)
    if d.lab.day is not None and index.lab.day is not None:
        return float(d.lab.day - index.lab.day)
    return None


def to_measurement(d: Draft, index: Draft, warnings: list[str]) -> Measurement:
    t = _t(d, index)
    if t is None and d.analyte != "alp" and when(d) is not None:
        warnings.append(
            f"{d.pointer}: its time cannot be related to the index ALP (day vs date); taken as concurrent."
        )
    return Measurement(
        analyte=d.analyte,
        value=d.value,
        unit=d.unit,
        qualifier=d.lab.qualifier,
        ref_low=d.ref_low,
        ref_high=d.ref_high,
        t=t if (t is not None or d.analyte != "alp" or d is index) else None,
        specimen=d.lab.specimen,
        pointer=d.pointer,
        original=d.original,
        original_ref=d.original_ref,
    )


def patient_age(
    case: Case, index: Draft | None, warnings: list[str], problems: list[Problem]
) -> float | None:
    p = case.patient
    if p.age_years is not None:
        return p.age_years
    if p.birth_date is not None:
        if index is not None and index.lab.date is not None:
            years = (index.lab.date - p.birth_date).days / DAYS_PER_YEAR
            if years < 0:
                problems.append(
                    Problem(
                        "patient.birth_date",
                        "birth date is after the index ALP date",
                        value=str(p.birth_date),
                    )
                )
                return None
            return years
        warnings.append("patient.birth_date is given but the ALP has no date; age unknown.")
    return None
