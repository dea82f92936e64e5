"""The case form as typed (strings, so it can be shown again unchanged): reading it from a
post, filling it in from a case, and the form page. :mod:`.check` turns it into a case."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from lowalp.knowledge import Knowledge
from lowalp.web.pages.choices import analyte_choices
from lowalp.web.pages.examples import list_examples
from lowalp.web.pages.templating import fmt, page

LAB_ROWS = 6
"""Empty result rows on a new form."""
EVENT_ROWS = 2
MAX_ROWS = 60
SETTINGS = (
    ("", "Not given"),
    ("outpatient", "Outpatient"),
    ("inpatient", "Inpatient"),
    ("icu", "ICU"),
)
FLAGS = (
    ("", "none"),
    ("L", "L (low)"),
    ("LL", "LL (critically low)"),
    ("N", "N (normal)"),
    ("H", "H (high)"),
    ("HH", "HH (critically high)"),
    ("A", "A (abnormal)"),
)
"""The lab's flag on a result, as printed (HL7 table 0078 codes)."""


@dataclass
class LabRow:
    analyte: str = ""
    value: str = ""
    unit: str = ""
    low: str = ""
    high: str = ""
    date: str = ""
    days: str = ""
    flag: str = ""
    message: str = ""

    def blank(self) -> bool:
        return not any((self.value, self.low, self.high, self.date, self.days, self.flag))


@dataclass
class EventRow:
    text: str = ""
    days: str = ""
    ongoing: bool = False
    """Still going on at the ALP (an intensive-care stay, a sepsis): it counts as present now."""


@dataclass
class CaseForm:
    """What the form holds, as typed (strings), so it can be shown again unchanged."""

    case_id: str = ""
    age: str = ""
    birth_date: str = ""
    sex: str = ""
    labs: list[LabRow] = field(default_factory=lambda: [LabRow() for _ in range(LAB_ROWS)])
    events: list[EventRow] = field(default_factory=lambda: [EventRow() for _ in range(EVENT_ROWS)])
    medications: str = ""
    findings: str = ""
    notes: str = ""
    setting: str = ""
    confirm: bool = False


def _text(form: FormData, key: str, limit: int = 20_000) -> str:
    value = form.get(key)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _count(form: FormData, key: str, default: int) -> int:
    raw = _text(form, key)
    return min(int(raw), MAX_ROWS) if raw.isdigit() else default


def read_form(form: FormData) -> CaseForm:
    labs = [
        LabRow(
            analyte=_text(form, f"lab-{i}-analyte", 100),
            value=_text(form, f"lab-{i}-value", 100),
            unit=_text(form, f"lab-{i}-unit", 100),
            low=_text(form, f"lab-{i}-low", 100),
            high=_text(form, f"lab-{i}-high", 100),
            date=_text(form, f"lab-{i}-date", 100),
            days=_text(form, f"lab-{i}-days", 100),
            flag=_text(form, f"lab-{i}-flag", 20),
        )
        for i in range(_count(form, "lab-rows", LAB_ROWS))
    ]
    events = [
        EventRow(
            _text(form, f"event-{i}-text", 500),
            _text(form, f"event-{i}-days", 100),
            _text(form, f"event-{i}-ongoing", 10) == "yes",
        )
        for i in range(_count(form, "event-rows", EVENT_ROWS))
    ]
    return CaseForm(
        case_id=_text(form, "case-id", 200),
        age=_text(form, "age", 100),
        birth_date=_text(form, "birth-date", 100),
        sex=_text(form, "sex", 10),
        labs=labs,
        events=events,
        medications=_text(form, "medications"),
        findings=_text(form, "findings"),
        notes=_text(form, "notes"),
        setting=_text(form, "setting", 20),
        confirm=_text(form, "confirm", 10) == "yes",
    )


def form_from_case(case: Mapping[str, Any], kb: Knowledge) -> CaseForm:
    """The form filled in from a case dict (an example, or the case behind a report)."""
    patient = case.get("patient") or {}
    context = case.get("context") or {}
    labs = []
    for lab in case.get("labs") or []:
        analyte = lab.get("analyte") or kb.loinc_index.get(lab.get("loinc") or "", "")
        value = lab.get("value")
        qualifier = lab.get("qualifier")
        text = fmt(value) if value is not None else ""
        if qualifier in ("<", ">"):
            text = f"{qualifier}{text}"
        elif qualifier:
            text = qualifier
        day = lab.get("day")
        labs.append(
            LabRow(
                analyte=analyte,
                value=text,
                unit=lab.get("unit") or "",
                low=fmt(lab.get("ref_low")),
                high=fmt(lab.get("ref_high")),
                date=lab.get("date") or "",
                days=fmt(-day) if day is not None and day != 0 else "",
                flag=lab.get("flag") or "",
            )
        )
    labs += [LabRow() for _ in range(max(2, LAB_ROWS - len(labs)))]
    events = [
        EventRow(e)
        if isinstance(e, str)
        else EventRow(str(e.get("event", "")), fmt(e.get("days_before")), e.get("ongoing") is True)
        for e in context.get("events") or []
    ]
    events += [EventRow() for _ in range(max(1, EVENT_ROWS - len(events)))]
    meds, findings = context.get("medications"), context.get("findings")
    return CaseForm(
        case_id=case.get("id") or "",
        age=fmt(patient.get("age_years")),
        birth_date=patient.get("birth_date") or "",
        sex=patient.get("sex") or "",
        labs=labs,
        events=events,
        medications="none" if meds == [] else "\n".join(map(medication_line, meds or [])),
        findings="none" if findings == [] else "\n".join(map(finding_line, findings or [])),
        notes=context.get("notes") or "",
        setting=context.get("setting") or "",
    )


def medication_line(item: str | Mapping[str, Any]) -> str:
    """A medicine as a line of the form: a record's status and dates said in words."""
    if isinstance(item, str):
        return item
    name, status = str(item.get("name", "")), item.get("status")
    end = f" {item['end']}" if item.get("end") else ""
    said = {
        "stopped": f" (stopped{end})",
        "not-taken": " (not taken)",
        "intended": " (planned)",
        "unknown": " (status not known)",
    }
    return name + said.get(str(status), "")


def finding_line(item: str | Mapping[str, Any]) -> str:
    """A finding as a line of the form: a record's assertion said in words."""
    if isinstance(item, str):
        return item
    text, assertion = str(item.get("text", "")), item.get("assertion")
    if assertion == "family" and not text.lower().startswith("family history"):
        text = f"family history of {text}"
    words = {
        "absent": "no ",
        "historical": "history of ",
        "uncertain": "possible ",
        "hypothetical": "rule out ",
    }.get(str(assertion), "")
    when = f" ({item['date']})" if item.get("date") else ""
    return f"{words}{text}{when}"


def form_page(
    request: Request,
    form: CaseForm | None = None,
    *,
    status: int = 200,
    errors: Sequence[str] = (),
    questions: Sequence[str] = (),
    upload_errors: Sequence[str] = (),
) -> HTMLResponse:
    kb: Knowledge = request.app.state.knowledge
    return page(
        request,
        "form.html.j2",
        status=status,
        f=form or CaseForm(),
        analytes=analyte_choices(kb),
        settings=SETTINGS,
        flags=FLAGS,
        errors=list(errors),
        questions=list(questions),
        upload_errors=list(upload_errors),
        examples=list_examples(),
    )
