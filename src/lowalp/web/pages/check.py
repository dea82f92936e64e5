"""Checking the typed form (:class:`~.form.CaseForm`) and turning it into a case dict: what is
wrong (errors, with a message on the row), what is doubtful (values outside what is
physiologically possible: questions until confirmed), and the engine's problems named as the
form's rows."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lowalp.errors import Problem
from lowalp.knowledge import Knowledge
from lowalp.knowledge.schema import Analyte
from lowalp.normalise.plausibility import check_value
from lowalp.normalise.qualitative import MEANING_QUALIFIER, read_text
from lowalp.web.pages.choices import menu_units
from lowalp.web.pages.form import CaseForm

QUALIFIERS = ("low", "normal", "high", "positive", "negative")
NONE_WORDS = frozenset({"none", "nil", "no", "-"})
_NUMBER = re.compile(r"^\s*(?P<q>[<>])?\s*=?\s*(?P<n>\d+(?:[.,]\d+)?|[.,]\d+)\s*$")
_ROW_POINTER = re.compile(r"\blabs\[(\d+)\](?:\.(\w+))?")
_FIELD_WORDS = {"value": "result", "unit": "unit", "ref_low": "lab's low", "ref_high": "lab's high"}


def _number(text: str) -> tuple[str | None, float] | None:
    """``"12.5"`` → ``(None, 12.5)``; ``"<5"`` → ``("<", 5.0)``; anything else → None."""
    m = _NUMBER.match(text)
    if not m:
        return None
    return m["q"], float(m["n"].replace(",", "."))


def _lines(text: str) -> tuple[str, ...] | None:
    """One item a line; blank → not known (None); a lone "none" → an empty list."""
    items = [line.strip() for line in text.splitlines() if line.strip()]
    if not items:
        return None
    if len(items) == 1 and items[0].lower() in NONE_WORDS:
        return ()
    return tuple(items)


@dataclass
class Checked:
    case: dict[str, Any]
    errors: list[str]
    questions: list[str]
    left_out: list[str]
    rows: list[int]
    """Form row number (1-based) of each lab in ``case["labs"]``."""


def check_form(f: CaseForm, kb: Knowledge) -> Checked:
    """Turn the form into a case dict, listing what is wrong (errors) and what is doubtful
    (values outside what is physiologically possible: questions until confirmed)."""
    errors: list[str] = []
    questions: list[str] = []
    left_out: list[str] = []
    patient: dict[str, Any] = {}
    if f.age:
        age = _number(f.age)
        if age is None or age[0] or not 0 <= age[1] <= 130:
            errors.append(f"Age: “{f.age}” is not an age in years between 0 and 130.")
        else:
            patient["age_years"] = age[1]
    if f.birth_date:
        try:
            patient["birth_date"] = dt.date.fromisoformat(f.birth_date).isoformat()
        except ValueError:
            errors.append(f"Birth date: “{f.birth_date}” is not a date (YYYY-MM-DD).")
    if f.sex in ("F", "M"):
        patient["sex"] = f.sex

    labs: list[dict[str, Any]] = []
    rows: list[int] = []
    for n, row in enumerate(f.labs, start=1):
        row.message = ""
        if row.blank():
            continue
        where = f"Row {n}"
        analyte = kb.analytes.get(row.analyte)
        if analyte is None:
            row.message = "choose the test"
            errors.append(f"{where}: choose which test the result is for.")
            continue
        lab: dict[str, Any] = {"analyte": analyte.id}
        problems: list[str] = []
        unit = row.unit or analyte.canonical_unit
        if unit not in analyte.units:
            problems.append(
                f"{unit} is not a unit for {analyte.name} (choose one of: {', '.join(u.unit for u in menu_units(analyte))})"
            )
        else:
            lab["unit"] = unit
        if row.value.lower() in QUALIFIERS:
            lab["qualifier"] = row.value.lower()
        elif row.value:
            parsed = _number(row.value)
            words = read_text(kb, row.value) if parsed is None else None
            if words is not None and words.meaning in MEANING_QUALIFIER:
                # the lab's words ("undetectable", "WNL", "1:160 positive"), as the engine reads them
                lab["qualifier"] = MEANING_QUALIFIER[words.meaning]
            elif parsed is None:
                problems.append(
                    f"“{row.value}” is not a number (write e.g. 23, 0.55, <5, or low/normal/high)"
                )
            else:
                if parsed[0]:
                    lab["qualifier"] = parsed[0]
                lab["value"] = parsed[1]
        else:
            problems.append("the result is missing")
        for key, text, label in (
            ("ref_low", row.low, "lower limit"),
            ("ref_high", row.high, "upper limit"),
        ):
            if text:
                limit = _number(text)
                if limit is None or limit[0]:
                    problems.append(f"the lab's {label} “{text}” is not a number")
                else:
                    lab[key] = limit[1]
        if row.date:
            try:
                lab["date"] = dt.date.fromisoformat(row.date).isoformat()
            except ValueError:
                problems.append(f"“{row.date}” is not a date (YYYY-MM-DD)")
        elif row.days:
            days = _number(row.days)
            if days is None or days[0]:
                problems.append(f"“{row.days}” is not a number of days before")
            else:
                lab["day"] = -days[1]
        if row.flag:
            lab["flag"] = row.flag
        if "ref_low" in lab and "ref_high" in lab and lab["ref_low"] > lab["ref_high"]:
            problems.append(
                f"the lab's lower limit {lab['ref_low']:g} is above its upper limit {lab['ref_high']:g}"
            )
        if problems:
            row.message = "; ".join(problems)
            errors.append(f"{where} ({analyte.name}): {row.message}.")
            continue
        if "value" in lab and "unit" in lab:
            # the same rule the engine applies (lowalp.normalise.plausibility)
            check = check_value(
                kb, analyte.id, lab["value"], lab["unit"], lab.get("ref_low"), lab.get("ref_high")
            )
            if check.verdict in ("impossible", "doubtful"):
                likely = f" (it may be in {' or '.join(check.likely)})" if check.likely else ""
                if check.verdict == "impossible":
                    text = (
                        f"{where}: {lab['value']:g} {lab['unit']} is outside what is possible for "
                        f"{analyte.name} ({_range_in(analyte, lab['unit'])}){likely}. "
                        "Check the value and its unit."
                    )
                else:
                    text = f"{where}: {check.message}."
                if not f.confirm:
                    row.message = (
                        "outside the possible range: check value and unit"
                        if check.verdict == "impossible"
                        else "implausible in this unit: check value and unit"
                    )
                    questions.append(text)
                else:
                    left_out.append(
                        text.replace("Check the value and its unit.", "Left out.").replace(
                            ": check the value and its unit.", ". Left out."
                        )
                    )
                continue
            if check.verdict != "ok" and not f.confirm:
                row.message = "the unit looks wrong: check it"
                questions.append(f"{where}: {check.message}.")
        labs.append(lab)
        rows.append(n)

    if any("day" in lab for lab in labs) and not any("date" in lab for lab in labs):
        for lab in labs:  # the form says a blank "days before" means drawn with the index ALP
            lab.setdefault("day", 0.0)
    if not any(lab["analyte"] == "alp" for lab in labs) and not errors and not questions:
        errors.append("Enter at least one alkaline phosphatase (ALP) result.")

    events: list[dict[str, Any]] = []
    for n, ev in enumerate(f.events, start=1):
        if not ev.text:
            if ev.days:
                errors.append(f"Event {n}: say what happened {ev.days} days before.")
            continue
        record: dict[str, Any] = {"event": ev.text}
        if ev.days:
            days = _number(ev.days)
            if days is None or days[0]:
                errors.append(f"Event {n}: “{ev.days}” is not a number of days.")
                continue
            record["days_before"] = days[1]
        if ev.ongoing:
            record["ongoing"] = True
        events.append(record)

    context: dict[str, Any] = {}
    if (meds := _lines(f.medications)) is not None:
        context["medications"] = list(meds)
    if events:
        context["events"] = events
    if (findings := _lines(f.findings)) is not None:
        context["findings"] = list(findings)
    if f.notes:
        context["notes"] = f.notes
    if f.setting in ("outpatient", "inpatient", "icu"):
        context["setting"] = f.setting
    case: dict[str, Any] = {"patient": patient, "labs": labs, "context": context}
    if f.case_id:
        case["id"] = f.case_id
    return Checked(case, errors, questions, left_out, rows)


def _range_in(a: Analyte, unit: str) -> str:
    lo, hi = (x / a.units[unit] for x in a.plausible)
    return f"possible: {lo:g}–{hi:g} {unit}"


def row_problems(problems: Sequence[Problem], rows: Sequence[int]) -> list[str]:
    """The engine's problems with ``labs[k]`` pointers named as the form's rows."""

    def row(m: re.Match[str]) -> str:
        k = int(m[1])
        if k >= len(rows):
            return m[0]
        return f"row {rows[k]}" + (f" ({_FIELD_WORDS.get(m[2], m[2])})" if m[2] else "")

    return [_ROW_POINTER.sub(row, str(p)) for p in problems]
