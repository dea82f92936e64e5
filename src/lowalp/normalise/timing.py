"""Results in time: repeated results, the index ALP, and every time made relative to it.

- Results of one analyte at the same time (same day or date, same specimen id or none) with the
  same value are counted once. With different values both are kept and a warning says so: for
  the ALP the lower is judged as the index; for any other analyte the engine uses the one listed
  first (it takes the result nearest the index ALP, and the first of equally near ones).
- The index is the newest ALP that can be judged (a number, or low/normal/high/undetectable);
  when none can, the newest ALP, whose status is then unknown.
- A result without day or date is taken as drawn with the index ALP. That holds for an ALP too:
  an undated ALP among dated ones is placed at the index time, so it counts as a simultaneous
  result (the lower of the two is the index) and a warning says so.
"""

from __future__ import annotations

from lowalp.errors import Problem
from lowalp.model import Case, Measurement
from lowalp.normalise.labs import Draft
from lowalp.units import DAYS_PER_YEAR

_VERDICT_ORDER = {"undetectable": 0, "low": 1, "normal": 2, "high": 3}


def when(d: Draft) -> tuple[str, object] | None:
    if d.lab.date is not None:
        return ("date", d.lab.date)
    if d.lab.day is not None:
        return ("day", d.lab.day)
    return None


def deduplicate(drafts: list[Draft], warnings: list[str]) -> list[Draft]:
    """Identical repeats counted once; different results at the same time both kept, with a
    warning. Results read from a panel named in words take no part (a number always wins)."""
    seen: dict[tuple[object, ...], Draft] = {}
    out = []
    for d in drafts:
        at = when(d)
        if at is None or d.reported_in_words is not None or d.unusable is not None:
            out.append(d)
            continue
        key = (d.analyte, at, d.lab.specimen)
        first = seen.get(key)
        if first is None:
            seen[key] = d
            out.append(d)
        elif first.value == d.value and first.qualifier == d.qualifier:
            warnings.append(
                f"{d.pointer} repeats {first.pointer} ({d.analyte}, same time and value); counted once."
            )
        else:
            rule = (
                "the lower is judged as the index ALP"
                if d.analyte == "alp"
                else f"findings use {first.pointer}, the first listed"
            )
            warnings.append(
                f"{first.pointer} and {d.pointer}: two {d.analyte} results at the same time "
                f"({first.original} and {d.original}); both are kept and shown, {rule}. Give "
                "them different days or specimen ids if they are separate samples."
            )
            out.append(d)
    return out


def _lowness(d: Draft) -> tuple[int, float]:
    """Sort key: the lowest result first (numbers, then verdicts, then what cannot be judged)."""
    if d.value is not None:
        return (0, d.value)
    if d.qualifier in _VERDICT_ORDER:
        return (1, float(_VERDICT_ORDER[d.qualifier]))
    return (2, 0.0)


def pick_index(alps: list[Draft], warnings: list[str]) -> Draft:
    usable = [d for d in alps if d.judgeable] or alps
    if len(usable) < len(alps):
        left = [d.pointer for d in alps if d not in usable]
        warnings.append(
            f"ALP result(s) {', '.join(left)} could not be used (see not understood); the index "
            "is the newest ALP that can be judged."
        )
    timed = [d for d in usable if when(d) is not None]
    if not timed:
        if len(usable) > 1:
            warnings.append(
                f"{len(usable)} ALP results without day or date: all are taken as drawn together "
                "and the lowest is the index; the time course cannot be judged."
            )
        return min(usable, key=_lowness)
    kinds = {"date" if d.lab.date is not None else "day" for d in timed}
    if kinds == {"date", "day"}:
        warnings.append(
            "ALP results mix `day` and `date`; only the dated ones are ordered in time."
        )
        timed = [d for d in timed if d.lab.date is not None]
    newest = max(_order(d) for d in timed)
    together = [d for d in timed if _order(d) == newest]
    undated = [d for d in usable if when(d) is None]
    if undated:
        warnings.append(
            f"ALP result(s) {', '.join(d.pointer for d in undated)} have no day or date: taken "
            "as drawn with the newest dated ALP (as every undated result is), so the lower of "
            "them is the index."
        )
    return min(together + undated, key=_lowness)


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
    if d.analyte == "alp" and when(d) is None:
        return 0.0  # an undated ALP is placed with the index (see pick_index)
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
        qualifier=d.qualifier,
        ref_low=d.ref_low,
        ref_high=d.ref_high,
        t=t,
        specimen=d.lab.specimen,
        pointer=d.pointer,
        original=d.original,
        original_ref=d.original_ref,
        flag=d.flag,
        reported_in_words=d.reported_in_words,
        read_as=d.read_as,
        unusable=d.unusable,
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
