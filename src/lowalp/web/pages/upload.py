"""Uploaded files, read through :func:`lowalp.adapters.load`: one case goes to its report,
several to a list of cases, and what could not be read is said on the page."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request, UploadFile
from fastapi.responses import HTMLResponse

from lowalp import assess
from lowalp.adapters import load
from lowalp.adapters.base import Rejected
from lowalp.errors import InputError
from lowalp.knowledge import Knowledge
from lowalp.model import Assessment, Case
from lowalp.render.common import is_low, summary_line
from lowalp.web.pages.form import form_page
from lowalp.web.pages.report import case_json, report_page
from lowalp.web.pages.templating import page

MAX_LIST = 200
"""Cases listed after an upload; more are counted, not shown."""
UPLOAD_SUFFIXES = frozenset(
    {".json", ".ndjson", ".jsonl", ".hl7", ".txt", ".csv", ".tsv", ".parquet"}
)


@dataclass(frozen=True)
class Listed:
    case: Case
    case_json: str
    assessment: Assessment | None
    summary: str
    problem: str


async def upload_page(request: Request, file: UploadFile | None) -> HTMLResponse:
    """The report for a file of one case, the list for several, else the form with why."""
    kb: Knowledge = request.app.state.knowledge
    if file is None or not file.filename:
        return form_page(request, status=422, upload_errors=["Choose a file to upload."])
    suffix = Path(file.filename).suffix.lower()
    data = await file.read()
    if not data:
        return form_page(request, status=422, upload_errors=["The file is empty."])
    with tempfile.TemporaryDirectory(prefix="lowalp-upload-") as tmp:
        path = Path(tmp) / ("upload" + (suffix if suffix in UPLOAD_SUFFIXES else ""))
        path.write_bytes(data)
        try:
            result = load(path)
            cases = list(result.cases)
        except InputError as exc:
            problems = [str(p).replace(str(path), "the file") for p in exc.problems]
            return form_page(request, status=422, upload_errors=problems)
    notes = _read_notes(result.format, result.stats.summary(), result.rejected, result.warnings)
    if not cases:
        return form_page(
            request, status=422, upload_errors=["No case could be read from the file.", *notes]
        )
    if len(cases) == 1:
        try:
            a = assess(cases[0], knowledge=kb)
        except InputError as exc:
            return form_page(request, status=422, upload_errors=[str(p) for p in exc.problems])
        return report_page(request, cases[0], a, notes=notes)
    listed = []
    for case in cases[:MAX_LIST]:
        try:
            a = assess(case, knowledge=kb)
            listed.append(Listed(case, case_json(case), a, _summary(a), ""))
        except InputError as exc:
            problem = "; ".join(str(p) for p in exc.problems)
            listed.append(Listed(case, case_json(case), None, "", problem))
    return page(
        request,
        "cases.html.j2",
        listed=listed,
        total=len(cases),
        filename=file.filename,
        notes=notes,
    )


def _summary(a: Assessment) -> str:
    if a.causes or a.artifacts or not is_low(a):
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
