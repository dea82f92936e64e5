"""Uploaded files, read through :func:`lowalp.adapters.load`: one case goes to its report,
several to a list of cases, and what could not be read is said on the page."""

from __future__ import annotations

import csv
import itertools
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request, UploadFile
from fastapi.responses import HTMLResponse

from lowalp import assess
from lowalp.adapters import load
from lowalp.adapters.base import Rejected, explain_no_alp
from lowalp.errors import InputError
from lowalp.knowledge import Knowledge
from lowalp.model import Assessment, Case
from lowalp.render.common import is_low, summary_line
from lowalp.web.errors import upload_words
from lowalp.web.pages.form import form_page
from lowalp.web.pages.report import case_json, report_page
from lowalp.web.pages.templating import page
from lowalp.web.settings import WebSettings
from lowalp.web.work import (
    Deadline,
    LimitExceeded,
    WorkPool,
    check_parquet,
    check_patients,
    check_rows,
    count_records,
)

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
    """The report for a file of one case, the list for several, else the form with why. The
    file is read and assessed in the app's work pool (:mod:`lowalp.web.work`), within its
    limits."""
    if file is None or not file.filename:
        return form_page(request, status=422, upload_errors=["Choose a file to upload."])
    data = await file.read()
    if not data:
        return form_page(request, status=422, upload_errors=["The file is empty."])
    pool: WorkPool = request.app.state.work
    return await pool.run(_upload, request, file.filename, data)


def _upload(request: Request, filename: str, data: bytes) -> HTMLResponse:
    try:
        return _read_and_assess(request, filename, data)
    except LimitExceeded as exc:
        return form_page(
            request,
            status=exc.status,
            upload_errors=[f"{exc.message} ({exc.limit}).", *([exc.hint] if exc.hint else [])],
        )


def _read_and_assess(request: Request, filename: str, data: bytes) -> HTMLResponse:
    kb: Knowledge = request.app.state.knowledge
    settings: WebSettings = request.app.state.settings
    deadline = Deadline(settings.request_seconds)
    suffix = Path(filename).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="lowalp-upload-") as tmp:
        path = Path(tmp) / ("upload" + (suffix if suffix in UPLOAD_SUFFIXES else ""))
        path.write_bytes(data)
        if data.startswith(b"PAR1"):
            check_parquet(path, settings.max_rows, settings.max_decompressed_bytes)
        else:
            check_rows(_records(data), settings.max_rows)
        try:
            result = load(path, knowledge=kb)
            cases = list(itertools.islice(result.cases, settings.max_patients + 1))
        except InputError as exc:
            problems = [upload_words(str(p).replace(str(path), "the file")) for p in exc.problems]
            return form_page(request, status=422, upload_errors=problems)
        except csv.Error as exc:  # the csv module's own limits (its message quotes no input)
            return form_page(
                request, status=422, upload_errors=[f"The CSV could not be read: {exc}."]
            )
    check_patients(len(cases), settings.max_patients, more=True)
    deadline.check()
    notes = _read_notes(result.format, result.stats.summary(), result.rejected, result.warnings)
    if not cases:
        return form_page(
            request, status=422, upload_errors=["No case could be read from the file.", *notes]
        )
    if len(cases) == 1:
        try:
            a = assess(cases[0], knowledge=kb)
        except InputError as exc:
            exc = explain_no_alp(exc, result.rejected, kb.analytes["alp"].name)
            errors = [upload_words(str(p)) for p in exc.problems]
            return form_page(request, status=422, upload_errors=errors)
        return report_page(request, cases[0], a, notes=notes)
    listed = []
    for case in cases[:MAX_LIST]:
        deadline.check()
        try:
            a = assess(case, knowledge=kb)
            listed.append(Listed(case, case_json(case), a, _summary(a), ""))
        except InputError as exc:
            problem = upload_words("; ".join(str(p) for p in exc.problems))
            listed.append(Listed(case, case_json(case), None, "", problem))
    return page(
        request,
        "cases.html.j2",
        listed=listed,
        total=len(cases),
        filename=filename,
        notes=notes,
    )


def _records(data: bytes) -> int:
    """An upper bound on the records of a text file: its lines, or for one JSON document its
    resources (a FHIR Bundle or an array of cases may sit on one line)."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head in (b"{", b"["):
        objects = data.count(b'"resourceType"') if b'"resourceType"' in data else data.count(b"{")
        return max(count_records(data), objects)
    return count_records(data)


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
    return [upload_words(n) for n in notes]
