"""The REST API under ``/api``: assess a case in any supported format, and read the knowledge.

``POST /api/assess`` takes the body as the ``Content-Type`` says:

=====================================================  ==========================================
Content type                                           Read as
=====================================================  ==========================================
``application/json`` (or none)                         the case format of the design (an object;
                                                       an array of them for several cases; a FHIR
                                                       Bundle is recognised by its
                                                       ``resourceType``)
``application/fhir+json``                              a FHIR R4 Bundle
``application/fhir+ndjson``, ``application/x-ndjson``  FHIR bulk NDJSON
``application/hl7-v2``, ``x-application/hl7-v2+er7``   HL7 v2 ORU^R01 (one message or a batch)
``text/plain`` starting with ``MSH``/``FHS``/``BHS``   HL7 v2
``text/csv``, ``text/tab-separated-values``            long CSV/TSV, one result a row
=====================================================  ==========================================

Everything but case JSON goes through :func:`lowalp.adapters.load` (the body is written to a
temporary file with the suffix the adapter expects, then deleted). One case gives the
Assessment JSON of the design; several give ``{"assessments": [...], "rejected": [...],
"stats": {...}}``. Records the adapter could not use are never dropped silently: with one case
they are added to the assessment's ``warnings``, with several they are listed in ``rejected``.
"""

from __future__ import annotations

import csv
import difflib
import itertools
import json
import os
import tempfile
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from pydantic import BaseModel, Field

from lowalp.adapters.base import ReadResult, Rejected
from lowalp.errors import InputError, Problem
from lowalp.knowledge import Knowledge
from lowalp.knowledge.schema import Cause
from lowalp.model import Assessment, Case
from lowalp.web.errors import error_body
from lowalp.web.settings import WebSettings
from lowalp.web.work import (
    Deadline,
    LimitExceeded,
    WorkPool,
    check_patients,
    check_rows,
    count_records,
)

router = APIRouter(prefix="/api", tags=["api"])

Audience = Literal["clinician", "patient"]
OutputFormat = Literal["json", "ndjson", "fhir", "html", "text"]


# ----------------------------------------------------------------------------- content types


@dataclass(frozen=True)
class InputKind:
    adapter: str
    """The adapter name for :func:`lowalp.adapters.get`."""
    suffix: str
    """The temporary file's suffix (some adapters decide on it)."""


CASE_JSON = InputKind("case-json", ".json")
FHIR = InputKind("fhir", ".json")
FHIR_NDJSON = InputKind("fhir", ".ndjson")
HL7V2 = InputKind("hl7v2", ".hl7")
CSV = InputKind("csv", ".csv")
TSV = InputKind("csv", ".tsv")

CONTENT_TYPES: dict[str, InputKind] = {
    "application/json": CASE_JSON,
    "application/fhir+json": FHIR,
    "application/json+fhir": FHIR,
    "application/fhir+ndjson": FHIR_NDJSON,
    "application/x-ndjson": FHIR_NDJSON,
    "application/ndjson": FHIR_NDJSON,
    "application/hl7-v2": HL7V2,
    "application/hl7-v2+er7": HL7V2,
    "x-application/hl7-v2+er7": HL7V2,
    "text/plain": HL7V2,  # only when the body starts with an HL7 header segment
    "text/csv": CSV,
    "text/tab-separated-values": TSV,
}
HL7_STARTS = ("MSH", "FHS", "BHS")
ACCEPTED = ", ".join(CONTENT_TYPES)


def media_type(header: str | None) -> str:
    """``"Text/CSV; charset=utf-8"`` -> ``"text/csv"``; no header counts as JSON."""
    if not header or not header.strip():
        return "application/json"
    return header.split(";", 1)[0].strip().lower()


# ----------------------------------------------------------------------------- response models


class ProblemOut(BaseModel):
    pointer: str = Field(description="Where in the input: `labs[3].unit`, `line 2, column 7` …")
    message: str
    value: Any = None
    hint: str | None = None


class ErrorBody(BaseModel):
    status: int
    title: str
    detail: str | None = None
    problems: list[ProblemOut]


class ErrorResponse(BaseModel):
    """The one error shape of the API and the CDS Hooks service."""

    error: ErrorBody


class RejectedOut(BaseModel):
    pointer: str = Field(description="A record of the input, or `case <id>` for a whole case")
    reason: str
    value: str | None = None
    category: str | None = Field(
        default=None,
        description="Why, in general (`standard-code-not-used`, `code-not-identified`, "
        "`type-not-used` …; see `rejected_by_category`), where the reader says",
    )
    problems: list[ProblemOut] = Field(default_factory=list)


class BatchStats(BaseModel):
    format: str = Field(description="The adapter that read the input")
    unit: str = Field(description="What a record is: rows, resources, OBX segments, cases …")
    read: int
    used: int
    rejected: int
    cases: int
    assessed: int
    failed: int = Field(description="Cases read but not assessed (listed in `rejected`)")
    rejected_by_category: dict[str, int] = Field(
        default_factory=dict,
        description="Records not used per category, where the reader says one (FHIR): "
        "`standard-code-not-used` (a standard code lowalp has no use for: not an error), "
        "`code-not-identified` (a local, unknown or missing code: a code map names it), "
        "`type-not-used`, `status-not-used`, `text-not-understood`, `not-valid`, "
        "`value-not-usable`",
    )


class AssessmentBatch(BaseModel):
    """What several cases give (one case gives the Assessment itself)."""

    assessments: list[Assessment]
    rejected: list[RejectedOut]
    stats: BatchStats


class Health(BaseModel):
    status: Literal["ok"]
    knowledge_version: str


class SourceOut(BaseModel):
    id: str
    citation: str
    url: str | None = None


class PriorOut(BaseModel):
    child: float
    adult: float
    sex: dict[str, float]
    setting: dict[str, float]
    source: str | None
    estimate: bool


class EvidenceRuleOut(BaseModel):
    finding: str
    label: str
    lr_present: float
    lr_absent: float | None
    source: str | None
    estimate: bool
    note: str | None = None


class CauseSummary(BaseModel):
    id: str
    name: str
    plain_name: str
    transient: bool
    prior: PriorOut
    evidence: list[EvidenceRuleOut]
    next_tests: list[str]
    sources: list[str]


class CauseDetail(CauseSummary):
    summary: str
    plain: str
    management: list[str]
    patient_questions: list[str]
    references: list[SourceOut] = Field(description="The cause's sources, resolved")


class Plausible(BaseModel):
    low: float
    high: float
    unit: str


class AnalyteOut(BaseModel):
    id: str
    name: str
    loinc: list[str]
    canonical_unit: str
    units: list[str] = Field(description="Accepted units, the canonical one first")
    factors: dict[str, float] = Field(description="Multiply a value in the unit by this")
    unit_synonyms: dict[str, str] = Field(description="Other spellings accepted for the units")
    plausible: Plausible = Field(description="What a real result can be (canonical unit)")
    specimen: str


class TestOut(BaseModel):
    id: str
    name: str
    relative_cost: int
    invasiveness: str


class KnowledgeSummary(BaseModel):
    version: str
    disclaimer: str
    causes: list[CauseSummary]
    analytes: list[AnalyteOut]
    tests: list[TestOut]
    sources: list[SourceOut]


ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse, "description": "The input was rejected (every problem listed)"}
}


# ----------------------------------------------------------------------------- POST /api/assess


def _case_schema() -> dict[str, Any]:
    """The case format as one JSON schema with no ``$ref`` (it is used inline below)."""
    schema = Case.model_json_schema()
    defs: dict[str, Any] = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                rest = {k: v for k, v in node.items() if k != "$ref"}
                return {**inline(defs[ref.removeprefix("#/$defs/")]), **inline(rest)}
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    out: dict[str, Any] = inline(schema)
    return out


_CASE_SCHEMA = _case_schema()
_TEXT = {"schema": {"type": "string"}}
ASSESS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "One case in the case format (or an array of cases), or a FHIR Bundle, FHIR NDJSON, "
            "an HL7 v2 ORU^R01 message or a long CSV, as the Content-Type says."
        ),
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [_CASE_SCHEMA, {"type": "array", "items": _CASE_SCHEMA}],
                },
                "example": {
                    "id": "example-1",
                    "patient": {"age_years": 46, "sex": "F"},
                    "labs": [
                        {"analyte": "alp", "value": 19, "unit": "U/L", "day": 0},
                        {"analyte": "alp", "value": 21, "unit": "U/L", "day": -200},
                    ],
                    "context": {"medications": [], "findings": ["metatarsal stress fracture"]},
                },
            },
            "application/fhir+json": {
                "schema": {
                    "type": "object",
                    "description": "A FHIR R4 Bundle with Patient, Observation … resources",
                }
            },
            "application/fhir+ndjson": _TEXT,
            "application/hl7-v2": _TEXT,
            "x-application/hl7-v2+er7": _TEXT,
            "text/plain": {
                "schema": {"type": "string", "description": "An HL7 v2 message (starts with MSH)"}
            },
            "text/csv": _TEXT,
            "text/tab-separated-values": _TEXT,
        },
    }
}
ASSESS_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": Assessment | AssessmentBatch,
        "description": (
            "`format=json`: the Assessment (one case) or an AssessmentBatch (several); "
            "`format=fhir`: a FHIR Bundle (a Bundle of them for several cases); "
            "`format=html`: the report page (one case); `format=text`: the terminal report; "
            '`format=ndjson`: one line per case, streamed (`{"assessment": …}`, '
            '`{"rejected": …}`, last `{"stats": …}`).'
        ),
        "content": {
            "application/fhir+json": {"schema": {"type": "object"}},
            "text/html": {"schema": {"type": "string"}},
            "text/plain": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    },
    413: {
        "model": ErrorResponse,
        "description": "The body is past one of the limits (bytes, records, patients); the "
        "problem's pointer names the limit",
    },
    415: {"model": ErrorResponse, "description": "The Content-Type is not one of those accepted"},
    **ERRORS,
    503: {
        "model": ErrorResponse,
        "description": "Every worker is busy and the queue is full; try again after "
        "`Retry-After` seconds",
    },
}


@router.post(
    "/assess",
    summary="Assess a case",
    response_model=None,
    responses=ASSESS_RESPONSES,
    openapi_extra=ASSESS_BODY,
)
async def assess(
    request: Request,
    format: Annotated[OutputFormat, Query(description="What to return")] = "json",
    audience: Annotated[
        Audience, Query(description="For `html` and `text`: the clinician's or the plain report")
    ] = "clinician",
    strict: Annotated[
        bool,
        Query(description="Reject results the program cannot use instead of listing them"),
    ] = False,
) -> Response:
    """Assess every case in the body. Errors come back in the one error shape: 415 for a
    Content-Type not accepted, 413 for a body past one of the limits (the limit named), 422
    listing every problem of a case that cannot be read, 503 when the server is busy."""
    kind = CONTENT_TYPES.get(media_type(request.headers.get("content-type")))
    body = await request.body()  # the app's body limit applies while this is read
    if media_type(request.headers.get("content-type")) == "text/plain" and not _is_hl7(body):
        kind = None
    if kind is None:
        return unsupported(request.headers.get("content-type"))
    kb: Knowledge = request.app.state.knowledge
    settings: WebSettings = request.app.state.settings
    pool: WorkPool = request.app.state.work
    if format == "ndjson":
        return await _stream(pool, body, kind, kb, strict, settings)
    return await pool.run(_answer, body, kind, kb, strict, format, audience, settings)


def _answer(
    body: bytes,
    kind: InputKind,
    kb: Knowledge,
    strict: bool,
    fmt: OutputFormat,
    audience: Audience,
    settings: WebSettings,
) -> Response:
    """Read, assess and render in one worker thread (the work is CPU-bound)."""
    deadline = Deadline(settings.request_seconds)
    read = _read_body(body, kind, kb, settings)
    deadline.check()
    if read.many and len(read.cases) > settings.max_batch_patients:
        raise LimitExceeded(
            413,
            "max_batch_patients",
            f"the input holds {len(read.cases)} patients; an answer built whole "
            f"(format={fmt}) holds at most {settings.max_batch_patients}",
            hint=f"ask for format=ndjson: it streams up to {settings.max_patients} patients",
        )
    return _render(_assess_read(read, kb, strict, deadline), fmt, audience, kb)


def _is_hl7(body: bytes) -> bool:
    return body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(tuple(s.encode() for s in HL7_STARTS))


def unsupported(content_type: str | None) -> JSONResponse:
    shown = (content_type or "")[:100]
    hint = (
        "text/plain is read only as HL7 v2 (a message starting with MSH)"
        if media_type(content_type) == "text/plain"
        else None
    )
    return JSONResponse(
        error_body(
            415,
            "Unsupported content type",
            f"send the body as one of: {ACCEPTED}",
            [Problem("Content-Type", "not an accepted type for this body", value=shown, hint=hint)],
        ),
        status_code=415,
    )


@dataclass
class Read:
    """The cases of a body, before they are assessed."""

    cases: list[Case]
    unread: list[RejectedOut]
    """Records or cases that could not be read."""
    fmt: str
    unit: str
    read: int
    used: int
    rejected: int
    many: bool
    notes: list[str] = field(default_factory=list)
    """Said in a single case's warnings: records not used, the adapter's warnings."""
    from_fhir: bool = False
    by_category: dict[str, int] = field(default_factory=dict)
    """Records not used, per category (``ReadStats.by_category``)."""

    def stats(self, assessed: int, failed: int) -> BatchStats:
        return BatchStats(
            format=self.fmt,
            unit=self.unit,
            read=self.read,
            used=self.used,
            rejected=self.rejected,
            cases=self.read if self.fmt == "case-json" else len(self.cases),
            assessed=assessed,
            failed=failed,
            rejected_by_category=self.by_category,
        )


@dataclass
class Outcome:
    assessments: list[Assessment]
    rejected: list[RejectedOut]
    stats: BatchStats
    many: bool
    from_fhir: bool = False


def _read_body(body: bytes, kind: InputKind, kb: Knowledge, settings: WebSettings) -> Read:
    if kind is CASE_JSON:
        data = _parse_json(body)
        if not (isinstance(data, Mapping) and "resourceType" in data):
            return _read_json(data, settings)
        kind = FHIR  # a FHIR Bundle sent as plain JSON
    return _read_file(body, kind, kb, settings)


def _parse_json(body: bytes) -> Any:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            [Problem(f"byte {exc.start}", "the body is not UTF-8 text", hint="send UTF-8 JSON")]
        ) from None
    if not text.strip():
        raise InputError([Problem("(body)", "the body is empty", hint="send a case as JSON")])
    from lowalp.adapters import strict_json

    return strict_json.parse(text)


def _read_json(data: Any, settings: WebSettings) -> Read:
    from lowalp.adapters import case_json

    if not isinstance(data, list):
        case = case_json.case_from_dict(data)
        return Read([case], [], "case-json", "cases", 1, 1, 0, many=False)
    if not data:
        raise InputError([Problem("(body)", "the array holds no case")])
    check_patients(len(data), settings.max_patients)
    cases: list[Case] = []
    unread: list[RejectedOut] = []
    for i, item in enumerate(data):
        try:
            cases.append(case_json.case_from_dict(item))
        except InputError as exc:
            unread.append(
                RejectedOut(
                    pointer=f"[{i}]",
                    reason="the case could not be read",
                    problems=[_problem(p, prefix=f"[{i}]") for p in exc.problems],
                )
            )
    if not cases:  # nothing usable: every problem of every case is the answer
        raise InputError(
            [Problem(p.pointer, p.message, p.value, p.hint) for r in unread for p in r.problems]
        )
    return Read(cases, unread, "case-json", "cases", len(data), len(cases), len(unread), True)


def _problem(p: Problem, prefix: str = "") -> ProblemOut:
    pointer = p.pointer
    if prefix:
        pointer = prefix + (pointer if pointer.startswith("[") else "." + pointer)
    return ProblemOut(pointer=pointer, message=p.message, value=_plain(p.value), hint=p.hint)


def _plain(value: object) -> Any:
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def _records(body: bytes, kind: InputKind) -> tuple[int, str]:
    """An upper bound on the records of a body, counted on its bytes before it is parsed."""
    if kind is FHIR:
        return body.count(b'"resourceType"'), "FHIR resources"
    if kind is HL7V2:
        return count_records(body), "segments"
    return count_records(body), "lines"


def _read_file(body: bytes, kind: InputKind, kb: Knowledge, settings: WebSettings) -> Read:
    from lowalp import adapters

    records, unit = _records(body, kind)
    check_rows(records, settings.max_rows, unit)
    fd, name = tempfile.mkstemp(prefix="lowalp-api-", suffix=kind.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
        result = adapters.load(Path(name), format=kind.adapter, knowledge=kb)
        # adapters may stream: read (up to the limit) before deleting
        cases = list(itertools.islice(result.cases, settings.max_patients + 1))
    except csv.Error as exc:  # the csv module's own limits (its message quotes no input)
        raise InputError([Problem("(body)", f"the CSV could not be read: {exc}")]) from None
    finally:
        Path(name).unlink(missing_ok=True)
    check_patients(len(cases), settings.max_patients, more=True)
    return _from_result(result, cases)


def _from_result(result: ReadResult, cases: list[Case]) -> Read:
    if not cases:
        problems = [Problem(r.pointer, r.reason, value=r.value) for r in result.rejected]
        raise InputError(problems or [Problem("(body)", "no case found in the input")])
    notes = _not_used_notes(result) + list(result.warnings)
    return Read(
        cases,
        [_rejected(r) for r in result.rejected],
        result.format,
        result.stats.unit,
        result.stats.read,
        result.stats.used,
        result.stats.rejected,
        many=len(cases) > 1,
        notes=notes,
        from_fhir=result.format == "fhir",
        by_category=dict(result.stats.by_category),
    )


def _assess_read(read: Read, kb: Knowledge, strict: bool, deadline: Deadline) -> Outcome:
    assessments, failures = _assess_cases(read.cases, kb, strict, many=read.many, deadline=deadline)
    if not read.many and read.notes:
        a = assessments[0]
        assessments[0] = a.model_copy(update={"warnings": (*a.warnings, *read.notes)})
    failed = (
        len(read.cases) - len(assessments) + (len(read.unread) if read.fmt == "case-json" else 0)
    )
    return Outcome(
        assessments,
        read.unread + failures,
        read.stats(len(assessments), failed),
        many=read.many,
        from_fhir=read.from_fhir,
    )


def _not_used_notes(result: ReadResult) -> list[str]:
    """What a single case's warnings say of the records not used: each that may ask something
    of the user, and the others (expected in a complete export, not errors) counted by
    category."""
    from lowalp.adapters.reasons import NEEDS_ACTION, category_line

    each = [
        f"not used: {r}" for r in result.rejected if not r.category or r.category in NEEDS_ACTION
    ]
    counted = [
        f"not used: {category_line(c, n)}"
        for c, n in sorted(result.stats.by_category.items(), key=lambda kv: (-kv[1], kv[0]))
        if c not in NEEDS_ACTION
    ]
    return each + counted


def _rejected(r: Rejected) -> RejectedOut:
    return RejectedOut(
        pointer=r.pointer, reason=r.reason, value=r.value, category=r.category or None
    )


def _assess_one(case: Case, kb: Knowledge, strict: bool) -> Assessment | RejectedOut:
    """The case's assessment, or why it could not be assessed."""
    from lowalp.engine.assess import assess_case

    try:
        return assess_case(case, knowledge=kb, strict=strict)
    except InputError as exc:
        return RejectedOut(
            pointer=f"case {case.id}" if case.id else "case",
            reason="the case could not be assessed",
            problems=[_problem(p) for p in exc.problems],
        )


def _assess_cases(
    cases: Iterable[Case], kb: Knowledge, strict: bool, *, many: bool, deadline: Deadline
) -> tuple[list[Assessment], list[RejectedOut]]:
    """Assess each case; with one case its error is the answer, with several it is listed."""
    from lowalp.engine.assess import assess_case

    assessments: list[Assessment] = []
    failures: list[RejectedOut] = []
    for case in cases:
        deadline.check()
        if not many:
            assessments.append(assess_case(case, knowledge=kb, strict=strict))
            continue
        done = _assess_one(case, kb, strict)
        if isinstance(done, RejectedOut):
            failures.append(done)
        else:
            assessments.append(done)
    if not assessments:
        raise InputError(
            [
                Problem(f"{r.pointer}: {p.pointer}", p.message, p.value, p.hint)
                for r in failures
                for p in r.problems
            ]
        )
    return assessments, failures


async def _stream(
    pool: WorkPool,
    body: bytes,
    kind: InputKind,
    kb: Knowledge,
    strict: bool,
    settings: WebSettings,
) -> Response:
    """``format=ndjson``: one line per case as it is assessed, so that neither the server nor
    the client holds the whole answer. Lines: ``{"assessment": …}`` for each case assessed,
    ``{"rejected": …}`` for each record or case not used, and last ``{"stats": …}`` (or
    ``{"error": …}`` when the time limit passed part-way)."""
    pool.admit()  # held until the last line is sent
    try:
        deadline = Deadline(settings.request_seconds)
        read = await pool.step(_read_body, body, kind, kb, settings)
        deadline.check()
    except BaseException:
        pool.leave()
        raise

    async def lines() -> AsyncIterator[bytes]:
        try:
            for r in read.unread:
                yield _line("rejected", r)
            assessed = failed = 0
            for case in read.cases:
                try:
                    deadline.check()
                except LimitExceeded as exc:
                    yield _error_line(exc)
                    return
                done = await pool.step(_assess_one, case, kb, strict)
                if isinstance(done, RejectedOut):
                    failed += 1
                    yield _line("rejected", done)
                else:
                    assessed += 1
                    if not read.many and read.notes:
                        done = done.model_copy(update={"warnings": (*done.warnings, *read.notes)})
                    yield _line("assessment", done)
            if read.fmt == "case-json":
                failed += len(read.unread)
            yield _line("stats", read.stats(assessed, failed))
        finally:
            pool.leave()

    return StreamingResponse(lines(), media_type="application/x-ndjson")


def _line(key: str, model: BaseModel) -> bytes:
    return b'{"' + key.encode() + b'":' + model.model_dump_json().encode() + b"}\n"


def _error_line(exc: LimitExceeded) -> bytes:
    return (
        json.dumps(error_body(exc.status, exc.title, exc.message, [exc.problem()])).encode() + b"\n"
    )


def _render(outcome: Outcome, fmt: OutputFormat, audience: Audience, kb: Knowledge) -> Response:
    many = outcome.many
    if fmt == "json":
        if not many:
            return Response(outcome.assessments[0].model_dump_json(), media_type="application/json")
        batch = AssessmentBatch(
            assessments=outcome.assessments, rejected=outcome.rejected, stats=outcome.stats
        )
        return Response(batch.model_dump_json(), media_type="application/json")
    if fmt == "fhir":
        from lowalp.render.fhir import render_fhir

        bundles = [
            render_fhir(
                a,
                knowledge=kb,
                patient_ref=f"Patient/{a.case_id}" if outcome.from_fhir and a.case_id else None,
            )
            for a in outcome.assessments
        ]
        doc: dict[str, Any] = (
            bundles[0]
            if not many
            else {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": b} for b in bundles],
            }
        )
        return JSONResponse(doc, media_type="application/fhir+json")
    if fmt == "html":
        if many:
            raise InputError(
                [
                    Problem(
                        "format",
                        f"the HTML report shows one case; the input holds "
                        f"{len(outcome.assessments)}",
                        value="html",
                        hint="send one case, or ask for format=json or format=text",
                    )
                ]
            )
        from lowalp.render.html import render_html

        return HTMLResponse(render_html(outcome.assessments[0], audience=audience))
    from lowalp.render.text import render_text

    rule = "\n" + "=" * 96 + "\n\n"
    text = rule.join(render_text(a, audience=audience) for a in outcome.assessments)
    return PlainTextResponse(text)


# ----------------------------------------------------------------------------- knowledge


@router.get("/health", summary="Is the service up", response_model=Health)
async def health(request: Request) -> Health:
    kb: Knowledge = request.app.state.knowledge
    return Health(status="ok", knowledge_version=kb.version)


def _cause_summary(kb: Knowledge, c: Cause) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "plain_name": c.plain_name,
        "transient": c.transient,
        "prior": {
            "child": c.prior.child,
            "adult": c.prior.adult,
            "sex": dict(c.prior.sex),
            "setting": dict(c.prior.setting),
            "source": c.prior.source,
            "estimate": c.prior.estimate,
        },
        "evidence": [
            {
                "finding": e.finding,
                "label": kb.findings[e.finding].label if e.finding in kb.findings else e.finding,
                "lr_present": e.lr_present,
                "lr_absent": e.lr_absent,
                "source": e.source,
                "estimate": e.estimate,
                "note": e.note,
            }
            for e in c.evidence
        ],
        "next_tests": list(c.next_tests),
        "sources": list(c.sources),
    }


def _source(kb: Knowledge, sid: str) -> dict[str, Any]:
    s = kb.sources.get(sid)
    return {"id": sid, "citation": s.citation if s else sid, "url": s.url if s else None}


def _cached(kb: Knowledge, key: str, build: Any) -> bytes:
    """A response body built once per knowledge (the knowledge never changes in a process)."""
    full = f"web.api.{key}"
    if full not in kb.cache:
        kb.cache[full] = json.dumps(build(), ensure_ascii=False).encode("utf-8")
    out: bytes = kb.cache[full]
    return out


@router.get(
    "/knowledge",
    summary="The knowledge in brief",
    response_model=KnowledgeSummary,
    response_class=JSONResponse,
)
def knowledge(request: Request) -> Response:
    """Causes with their priors, evidence rules and sources; analytes with their units; the
    tests the engine can suggest; every source cited."""
    kb: Knowledge = request.app.state.knowledge

    def build() -> dict[str, Any]:
        return {
            "version": kb.version,
            "disclaimer": kb.settings.disclaimer,
            "causes": [_cause_summary(kb, c) for c in kb.causes.values()],
            "analytes": [_analyte(kb, a.id) for a in kb.analytes.values()],
            "tests": [
                {
                    "id": t.id,
                    "name": t.name,
                    "relative_cost": t.relative_cost,
                    "invasiveness": t.invasiveness,
                }
                for t in kb.tests.values()
            ],
            "sources": [_source(kb, sid) for sid in kb.sources],
        }

    return Response(_cached(kb, "knowledge", build), media_type="application/json")


@router.get(
    "/knowledge/causes/{cause_id}",
    summary="One cause in full",
    response_model=CauseDetail,
    response_class=JSONResponse,
    responses={404: {"model": ErrorResponse, "description": "No such cause"}, **ERRORS},
)
def cause(request: Request, cause_id: str) -> Response:
    kb: Knowledge = request.app.state.knowledge
    c = kb.causes.get(cause_id)
    if c is None:
        close = difflib.get_close_matches(cause_id.lower(), list(kb.causes), n=3, cutoff=0.6)
        hint = f"did you mean {' or '.join(close)}?" if close else "GET /api/knowledge lists them"
        return JSONResponse(
            error_body(
                404,
                "No such cause",
                f"{len(kb.causes)} causes are known",
                [Problem("cause_id", "not a cause id", value=cause_id[:100], hint=hint)],
            ),
            status_code=404,
        )
    detail = _cause_summary(kb, c) | {
        "summary": c.summary,
        "plain": c.plain,
        "management": [m.text for m in c.management],
        "patient_questions": list(c.patient_questions),
        "references": [_source(kb, sid) for sid in c.sources],
    }
    return JSONResponse(detail)


def _analyte(kb: Knowledge, analyte_id: str) -> dict[str, Any]:
    a = kb.analytes[analyte_id]
    units = [a.canonical_unit, *(u for u in a.units if u != a.canonical_unit)]
    return {
        "id": a.id,
        "name": a.name,
        "loinc": list(a.loinc),
        "canonical_unit": a.canonical_unit,
        "units": units,
        "factors": dict(a.units),
        "unit_synonyms": {s: u for s, u in kb.unit_synonyms.items() if u in a.units},
        "plausible": {"low": a.plausible[0], "high": a.plausible[1], "unit": a.canonical_unit},
        "specimen": a.specimen,
    }


@router.get(
    "/analytes",
    summary="Analytes and their units",
    response_model=list[AnalyteOut],
    response_class=JSONResponse,
)
def analytes(request: Request) -> Response:
    """Every analyte the engine reads: LOINC codes, the canonical unit, the units accepted (with
    the factor to the canonical unit and other spellings), and the plausible range."""
    kb: Knowledge = request.app.state.knowledge
    body = _cached(kb, "analytes", lambda: [_analyte(kb, aid) for aid in kb.analytes])
    return Response(body, media_type="application/json")
