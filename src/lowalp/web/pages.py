"""The clinician's pages: the case form, uploads, example cases and the report.

Server-rendered with Jinja2 (autoescaping on); everything works without JavaScript, and the one
small script in ``static/`` only narrows the unit menus and checks values as they are typed.
No patient data is stored: the report page carries its case as JSON in a hidden field, and the
patient tab, the PDF button and "Edit" post it back.

The report markup has one home, ``render/templates``: the report page is
:func:`~lowalp.render.html.render_html`'s document with the site's header and footer spliced
into its ``<body>`` (and the site stylesheet linked in its ``<head>``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.datastructures import FormData

from lowalp import assess, load_case
from lowalp.adapters import load
from lowalp.adapters.base import Rejected
from lowalp.errors import InputError, Problem
from lowalp.knowledge import Knowledge
from lowalp.knowledge.schema import Analyte
from lowalp.model import Assessment, Case
from lowalp.render.common import summary_line
from lowalp.render.html import Audience, render_html
from lowalp.web.errors import error_body

router = APIRouter(include_in_schema=False)

LAB_ROWS = 6
"""Empty result rows on a new form."""
EVENT_ROWS = 2
MAX_ROWS = 60
MAX_LIST = 200
"""Cases listed after an upload; more are counted, not shown."""
UPLOAD_SUFFIXES = frozenset(
    {".json", ".ndjson", ".jsonl", ".hl7", ".txt", ".csv", ".tsv", ".parquet"}
)
QUALIFIERS = ("low", "normal", "high", "positive", "negative")
NONE_WORDS = frozenset({"none", "nil", "no", "-"})
SETTINGS = (
    ("", "Not given"),
    ("outpatient", "Outpatient"),
    ("inpatient", "Inpatient"),
    ("icu", "ICU"),
)
_NUMBER = re.compile(r"^\s*(?P<q>[<>])?\s*=?\s*(?P<n>\d+(?:[.,]\d+)?|[.,]\d+)\s*$")
_ROW_POINTER = re.compile(r"\blabs\[(\d+)\](?:\.(\w+))?")
_FIELD_WORDS = {"value": "result", "unit": "unit", "ref_low": "lab's low", "ref_high": "lab's high"}


# ----------------------------------------------------------------------------- templates


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("lowalp.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = _fmt
    return env


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def _page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _env().get_template(template).render(site=_site(request), **context)
    return HTMLResponse(html, status_code=status)


def _site(request: Request) -> dict[str, Any]:
    kb: Knowledge = request.app.state.knowledge
    return {
        "unsigned": bool(getattr(request.app.state.settings, "cds_allow_unsigned", False)),
        "knowledge_version": kb.version,
    }


# ----------------------------------------------------------------------------- units


@dataclass(frozen=True)
class UnitChoice:
    unit: str
    factor: float


@dataclass(frozen=True)
class AnalyteChoice:
    id: str
    name: str
    canonical: str
    units: tuple[UnitChoice, ...]
    plausible: tuple[float, float]


def _menu_units(a: Analyte) -> tuple[UnitChoice, ...]:
    """The analyte's accepted units, canonical first; ASCII ``u`` spellings (``ug/L``) are
    left out of the menu when the ``µ`` one is there (both are accepted when typed in a file)."""
    out = [UnitChoice(a.canonical_unit, 1.0)]
    for unit, f in a.units.items():
        alt = re.sub(r"(?<![A-Za-z])u(?=[A-Za-z])", "µ", unit)
        if unit == a.canonical_unit or (alt != unit and alt in a.units):
            continue
        out.append(UnitChoice(unit, f))
    return tuple(out)


def analyte_choices(kb: Knowledge) -> tuple[AnalyteChoice, ...]:
    """Every analyte for the pickers, ALP first, then in the knowledge's order."""
    ordered = sorted(kb.analytes.values(), key=lambda a: a.id != "alp")
    return tuple(
        AnalyteChoice(
            a.id, a.name, a.canonical_unit, _menu_units(a), (a.plausible[0], a.plausible[1])
        )
        for a in ordered
    )


# ----------------------------------------------------------------------------- the form


@dataclass
class LabRow:
    analyte: str = ""
    value: str = ""
    unit: str = ""
    low: str = ""
    high: str = ""
    date: str = ""
    days: str = ""
    message: str = ""

    def blank(self) -> bool:
        return not any((self.value, self.low, self.high, self.date, self.days))


@dataclass
class EventRow:
    text: str = ""
    days: str = ""


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
        )
        for i in range(_count(form, "lab-rows", LAB_ROWS))
    ]
    events = [
        EventRow(_text(form, f"event-{i}-text", 500), _text(form, f"event-{i}-days", 100))
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
        setting=_text(form, "setting", 20),
        confirm=_text(form, "confirm", 10) == "yes",
    )


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
                f"{unit} is not a unit for {analyte.name} (choose one of: {', '.join(u.unit for u in _menu_units(analyte))})"
            )
        else:
            lab["unit"] = unit
        if row.value.lower() in QUALIFIERS:
            lab["qualifier"] = row.value.lower()
        elif row.value:
            parsed = _number(row.value)
            if parsed is None:
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
        if problems:
            row.message = "; ".join(problems)
            errors.append(f"{where} ({analyte.name}): {row.message}.")
            continue
        if "value" in lab and "unit" in lab:
            canonical = lab["value"] * analyte.units[lab["unit"]]
            lo, hi = analyte.plausible
            if not lo <= canonical <= hi:
                text = (
                    f"{where}: {lab['value']:g} {lab['unit']} is outside what is possible for "
                    f"{analyte.name} ({_range_in(analyte, lab['unit'])}). Check the value and its unit."
                )
                if not f.confirm:
                    row.message = "outside the possible range: check value and unit"
                    questions.append(text)
                else:
                    left_out.append(text.replace("Check the value and its unit.", "Left out."))
                continue
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
        events.append(record)

    context: dict[str, Any] = {}
    if (meds := _lines(f.medications)) is not None:
        context["medications"] = list(meds)
    if events:
        context["events"] = events
    if (findings := _lines(f.findings)) is not None:
        context["findings"] = list(findings)
    if f.setting in ("outpatient", "inpatient", "icu"):
        context["setting"] = f.setting
    case: dict[str, Any] = {"patient": patient, "labs": labs, "context": context}
    if f.case_id:
        case["id"] = f.case_id
    return Checked(case, errors, questions, left_out, rows)


def _range_in(a: Analyte, unit: str) -> str:
    lo, hi = (x / a.units[unit] for x in a.plausible)
    return f"possible: {lo:g}–{hi:g} {unit}"


def _row_problems(problems: Sequence[Problem], rows: Sequence[int]) -> list[str]:
    """The engine's problems with ``labs[k]`` pointers named as the form's rows."""

    def row(m: re.Match[str]) -> str:
        k = int(m[1])
        if k >= len(rows):
            return m[0]
        return f"row {rows[k]}" + (f" ({_FIELD_WORDS.get(m[2], m[2])})" if m[2] else "")

    return [_ROW_POINTER.sub(row, str(p)) for p in problems]


def form_from_case(case: Mapping[str, Any], kb: Knowledge) -> CaseForm:
    """The form filled in from a case dict (an example, or the case behind a report)."""
    patient = case.get("patient") or {}
    context = case.get("context") or {}
    labs = []
    for lab in case.get("labs") or []:
        analyte = lab.get("analyte") or kb.loinc_index.get(lab.get("loinc") or "", "")
        value = lab.get("value")
        qualifier = lab.get("qualifier")
        text = _fmt(value) if value is not None else ""
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
                low=_fmt(lab.get("ref_low")),
                high=_fmt(lab.get("ref_high")),
                date=lab.get("date") or "",
                days=_fmt(-day) if day is not None and day != 0 else "",
            )
        )
    labs += [LabRow() for _ in range(max(2, LAB_ROWS - len(labs)))]
    events = [
        EventRow(str(e.get("event", "")), _fmt(e.get("days_before")))
        for e in context.get("events") or []
    ]
    events += [EventRow() for _ in range(max(1, EVENT_ROWS - len(events)))]
    meds, findings = context.get("medications"), context.get("findings")
    return CaseForm(
        case_id=case.get("id") or "",
        age=_fmt(patient.get("age_years")),
        birth_date=patient.get("birth_date") or "",
        sex=patient.get("sex") or "",
        labs=labs,
        events=events,
        medications="none" if meds == [] else "\n".join(meds or []),
        findings="none" if findings == [] else "\n".join(findings or []),
        setting=context.get("setting") or "",
    )


def _form_page(
    request: Request,
    form: CaseForm | None = None,
    *,
    status: int = 200,
    errors: Sequence[str] = (),
    questions: Sequence[str] = (),
    upload_errors: Sequence[str] = (),
) -> HTMLResponse:
    kb: Knowledge = request.app.state.knowledge
    return _page(
        request,
        "form.html.j2",
        status=status,
        f=form or CaseForm(),
        analytes=analyte_choices(kb),
        settings=SETTINGS,
        errors=list(errors),
        questions=list(questions),
        upload_errors=list(upload_errors),
        examples=list_examples(),
    )


# ----------------------------------------------------------------------------- examples


@dataclass(frozen=True)
class Example:
    name: str
    title: str


@lru_cache(maxsize=1)
def list_examples() -> tuple[Example, ...]:
    """The example cases shipped in ``web/examples``, titled from its README table."""
    folder = resources.files("lowalp.web") / "examples"
    titles: dict[str, str] = {}
    readme = folder / "README.md"
    if readme.is_file():
        for line in readme.read_text(encoding="utf-8").splitlines():
            m = re.match(r"^\|\s*`([\w.-]+)\.json`\s*\|\s*(.+?)\s*\|\s*$", line)
            if m:
                titles[m[1]] = m[2][:1].upper() + m[2][1:]
    names = sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))
    return tuple(Example(n, titles.get(n, n.replace("-", " ").capitalize())) for n in names)


def example_case(name: str) -> dict[str, Any]:
    if name not in {e.name for e in list_examples()}:
        raise InputError(
            [Problem("example", "no such example", value=name, hint="see the list on /")]
        )
    text = (resources.files("lowalp.web") / "examples" / f"{name}.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    data.pop("diagnosis", None)  # the label is for evaluation, not for the report
    return data


# ----------------------------------------------------------------------------- the report


def _case_json(case: Case) -> str:
    return json.dumps(case.model_dump(mode="json", exclude_none=True), ensure_ascii=False)


def _audience(value: object) -> Audience:
    return "patient" if value == "patient" else "clinician"


_BODY_OPEN = re.compile(r"<body\b[^>]*>")


def report_page(
    request: Request,
    case: Case,
    a: Assessment,
    audience: Audience = "clinician",
    notes: Sequence[str] = (),
) -> HTMLResponse:
    """The report document from :func:`render_html` with the site's header and footer."""
    document = render_html(a, audience=audience)
    env, site = _env(), _site(request)
    top = env.get_template("_report_top.html.j2").render(
        site=site, audience=audience, case_json=_case_json(case), notes=list(notes), a=a
    )
    bottom = env.get_template("_report_bottom.html.j2").render(site=site)
    opening = _BODY_OPEN.search(document)
    head_end, body_end = document.find("</head>"), document.rfind("</body>")
    if opening is None or head_end < 0 or body_end < 0:  # pragma: no cover - render_html's shape
        raise RuntimeError("render_html returned a document without <head> and <body>")
    html = (
        document[:head_end]
        + '<link rel="stylesheet" href="/static/site.css">\n'
        + '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">\n'
        + document[head_end : opening.end()]
        + "\n"
        + top
        + document[opening.end() : body_end]
        + bottom
        + document[body_end:]
    )
    return HTMLResponse(html)


def _posted_case(form: FormData) -> Case:
    raw = form.get("case")
    if not isinstance(raw, str) or not raw.strip():
        raise InputError([Problem("case", "the case is missing", hint="open the form at /")])
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError([Problem("case", f"not valid JSON: {exc.msg}")]) from None
    if not isinstance(data, dict):
        raise InputError([Problem("case", "must be a JSON object")])
    return load_case(data)


# ----------------------------------------------------------------------------- routes


@router.get("/", response_class=HTMLResponse)
def home(request: Request, example: str | None = None) -> HTMLResponse:
    if example:
        return _form_page(
            request, form_from_case(example_case(example), request.app.state.knowledge)
        )
    return _form_page(request)


@router.post("/assess", response_class=HTMLResponse)
async def assess_form(request: Request) -> HTMLResponse:
    kb: Knowledge = request.app.state.knowledge
    posted = await request.form()
    f = read_form(posted)
    action = posted.get("action")
    if action in ("add-lab", "add-event"):
        if action == "add-lab" and len(f.labs) < MAX_ROWS:
            f.labs += [LabRow() for _ in range(3)]
        if action == "add-event" and len(f.events) < MAX_ROWS:
            f.events.append(EventRow())
        return _form_page(request, f)
    checked = check_form(f, kb)
    if checked.errors:
        return _form_page(
            request, f, status=422, errors=checked.errors, questions=checked.questions
        )
    if checked.questions:
        return _form_page(request, f, questions=checked.questions)
    try:
        case = load_case(checked.case)
        a = assess(case, knowledge=kb)
    except InputError as exc:
        return _form_page(request, f, status=422, errors=_row_problems(exc.problems, checked.rows))
    return report_page(request, case, a, notes=checked.left_out)


@router.post("/report", response_class=HTMLResponse)
async def report(request: Request) -> HTMLResponse:
    posted = await request.form()
    case = _posted_case(posted)
    a = assess(case, knowledge=request.app.state.knowledge)
    return report_page(request, case, a, _audience(posted.get("audience")))


@router.post("/edit", response_class=HTMLResponse)
async def edit(request: Request) -> HTMLResponse:
    posted = await request.form()
    case = _posted_case(posted)
    data = case.model_dump(mode="json", exclude_none=True)
    return _form_page(request, form_from_case(data, request.app.state.knowledge))


@router.post("/report.pdf", response_model=None)
async def report_pdf(request: Request) -> Response:
    from lowalp.render.pdf import PdfError, PdfUnavailable, render_pdf

    posted = await request.form()
    case = _posted_case(posted)
    audience = _audience(posted.get("audience"))
    a = assess(case, knowledge=request.app.state.knowledge)
    from starlette.concurrency import run_in_threadpool

    try:
        pdf = await run_in_threadpool(render_pdf, a, audience=audience)
    except PdfUnavailable as exc:
        return JSONResponse(
            error_body(503, "PDF output is not available", str(exc)), status_code=503
        )
    except PdfError as exc:
        return JSONResponse(error_body(503, "The PDF could not be made", str(exc)), status_code=503)
    name = "lowalp-report" + ("-patient" if audience == "patient" else "") + ".pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/examples/{name}", response_class=HTMLResponse)
def example(request: Request, name: str, audience: str = "clinician") -> HTMLResponse:
    case = load_case(example_case(name))
    a = assess(case, knowledge=request.app.state.knowledge)
    return report_page(request, case, a, _audience(audience))


@dataclass(frozen=True)
class Listed:
    case: Case
    case_json: str
    assessment: Assessment | None
    summary: str
    problem: str


@router.post("/upload", response_class=HTMLResponse)
async def upload(request: Request, file: UploadFile | None = None) -> HTMLResponse:
    kb: Knowledge = request.app.state.knowledge
    if file is None or not file.filename:
        return _form_page(request, status=422, upload_errors=["Choose a file to upload."])
    suffix = Path(file.filename).suffix.lower()
    data = await file.read()
    if not data:
        return _form_page(request, status=422, upload_errors=["The file is empty."])
    with tempfile.TemporaryDirectory(prefix="lowalp-upload-") as tmp:
        path = Path(tmp) / ("upload" + (suffix if suffix in UPLOAD_SUFFIXES else ""))
        path.write_bytes(data)
        try:
            result = load(path)
            cases = list(result.cases)
        except InputError as exc:
            problems = [str(p).replace(str(path), "the file") for p in exc.problems]
            return _form_page(request, status=422, upload_errors=problems)
    notes = _read_notes(result.format, result.stats.summary(), result.rejected, result.warnings)
    if not cases:
        return _form_page(
            request, status=422, upload_errors=["No case could be read from the file.", *notes]
        )
    if len(cases) == 1:
        try:
            a = assess(cases[0], knowledge=kb)
        except InputError as exc:
            return _form_page(request, status=422, upload_errors=[str(p) for p in exc.problems])
        return report_page(request, cases[0], a, notes=notes)
    listed = []
    for case in cases[:MAX_LIST]:
        try:
            a = assess(case, knowledge=kb)
            listed.append(Listed(case, _case_json(case), a, _summary(a), ""))
        except InputError as exc:
            problem = "; ".join(str(p) for p in exc.problems)
            listed.append(Listed(case, _case_json(case), None, "", problem))
    return _page(
        request,
        "cases.html.j2",
        listed=listed,
        total=len(cases),
        filename=file.filename,
        notes=notes,
    )


def _summary(a: Assessment) -> str:
    if a.causes or a.artifacts:
        return summary_line(a)
    return f"ALP {a.alp.status}; no explanation could be ranked"


def _read_notes(
    fmt: str, summary: str, rejected: Sequence[Rejected], warnings: Sequence[str]
) -> list[str]:
    names = {
        "fhir": "FHIR",
        "case-json": "case JSON",
        "hl7v2": "HL7 v2",
        "csv": "CSV",
        "parquet": "Parquet",
    }
    notes = [f"Read as {names.get(fmt, fmt)}: {summary}."]
    notes += [f"Not used — {r}" for r in rejected[:50]]
    if len(rejected) > 50:
        notes.append(f"… and {len(rejected) - 50} more records not used.")
    notes += list(warnings[:20])
    return notes
