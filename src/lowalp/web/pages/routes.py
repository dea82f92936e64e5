"""The pages' routes: the form, its post, the report (again, as PDF, back to the form), the
examples and uploads."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from lowalp import assess, load_case
from lowalp.errors import InputError
from lowalp.knowledge import Knowledge
from lowalp.model import Assessment
from lowalp.web.pages.check import check_form, row_problems
from lowalp.web.pages.examples import example_case
from lowalp.web.pages.form import MAX_ROWS, EventRow, LabRow, form_from_case, form_page, read_form
from lowalp.web.pages.origin import same_origin
from lowalp.web.pages.report import audience_of, pdf_response, posted_case, report_page
from lowalp.web.pages.upload import upload_page
from lowalp.web.work import WorkPool

T = TypeVar("T")

router = APIRouter(include_in_schema=False)
SAME_ORIGIN = Depends(same_origin)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, example: str | None = None) -> HTMLResponse:
    if example:
        return form_page(
            request, form_from_case(example_case(example), request.app.state.knowledge)
        )
    return form_page(request)


@router.post("/assess", response_class=HTMLResponse, dependencies=[SAME_ORIGIN])
async def assess_form(request: Request) -> HTMLResponse:
    posted = await request.form()
    return await _work(request, _assess_form, request, posted)


def _assess_form(request: Request, posted: FormData) -> HTMLResponse:
    kb: Knowledge = request.app.state.knowledge
    f = read_form(posted)
    action = posted.get("action")
    if action in ("add-lab", "add-event"):
        if action == "add-lab" and len(f.labs) < MAX_ROWS:
            f.labs += [LabRow() for _ in range(3)]
        if action == "add-event" and len(f.events) < MAX_ROWS:
            f.events.append(EventRow())
        return form_page(request, f)
    checked = check_form(f, kb)
    if checked.errors:
        return form_page(request, f, status=422, errors=checked.errors, questions=checked.questions)
    if checked.questions:
        return form_page(request, f, questions=checked.questions)
    try:
        case = load_case(checked.case)
        a = assess(case, knowledge=kb)
    except InputError as exc:
        return form_page(request, f, status=422, errors=row_problems(exc.problems, checked.rows))
    return report_page(request, case, a, notes=checked.left_out)


@router.post("/report", response_class=HTMLResponse, dependencies=[SAME_ORIGIN])
async def report(request: Request) -> HTMLResponse:
    posted = await request.form()
    return await _work(request, _report, request, posted)


def _report(request: Request, posted: FormData) -> HTMLResponse:
    case = posted_case(posted)
    a = assess(case, knowledge=request.app.state.knowledge)
    return report_page(request, case, a, audience_of(posted.get("audience")))


@router.post("/edit", response_class=HTMLResponse, dependencies=[SAME_ORIGIN])
async def edit(request: Request) -> HTMLResponse:
    posted = await request.form()
    return await _work(request, _edit, request, posted)


def _edit(request: Request, posted: FormData) -> HTMLResponse:
    case = posted_case(posted)
    data = case.model_dump(mode="json", exclude_none=True)
    return form_page(request, form_from_case(data, request.app.state.knowledge))


@router.post("/report.pdf", response_model=None, dependencies=[SAME_ORIGIN])
async def report_pdf(request: Request) -> Response:
    posted = await request.form()
    audience = audience_of(posted.get("audience"))
    a = await _work(request, _assess_posted, request, posted)
    return await pdf_response(request, a, audience)


def _assess_posted(request: Request, posted: FormData) -> Assessment:
    return assess(posted_case(posted), knowledge=request.app.state.knowledge)


async def _work(request: Request, fn: Callable[..., T], *args: object) -> T:
    """``fn(*args)`` in the app's work pool (reading a posted case and assessing it is CPU
    work; the case a report page posts back can be as large as the body limit)."""
    pool: WorkPool = request.app.state.work
    return await pool.run(fn, *args)


@router.get("/examples/{name}", response_class=HTMLResponse)
def example(request: Request, name: str, audience: str = "clinician") -> HTMLResponse:
    case = load_case(example_case(name))
    a = assess(case, knowledge=request.app.state.knowledge)
    return report_page(request, case, a, audience_of(audience))


@router.post("/upload", response_class=HTMLResponse, dependencies=[SAME_ORIGIN])
async def upload(request: Request, file: UploadFile | None = None) -> HTMLResponse:
    return await upload_page(request, file)
