"""The report page and the PDF: :func:`~lowalp.render.html.render_html`'s document with the
site's header and footer spliced into its ``<body>``, and the case posted back from it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.datastructures import FormData

from lowalp import load_case
from lowalp.errors import InputError, Problem
from lowalp.model import Assessment, Case
from lowalp.render.html import Audience, render_html
from lowalp.web.errors import error_body
from lowalp.web.pages.templating import environment, site
from lowalp.web.settings import WebSettings
from lowalp.web.work import RETRY_AFTER_SECONDS, WorkPool

_BODY_OPEN = re.compile(r"<body\b[^>]*>")


def case_json(case: Case) -> str:
    return json.dumps(case.model_dump(mode="json", exclude_none=True), ensure_ascii=False)


def audience_of(value: object) -> Audience:
    return "patient" if value == "patient" else "clinician"


def report_page(
    request: Request,
    case: Case,
    a: Assessment,
    audience: Audience = "clinician",
    notes: Sequence[str] = (),
) -> HTMLResponse:
    """The report document from :func:`render_html` with the site's header and footer."""
    document = render_html(a, audience=audience)
    env, site_ = environment(), site(request)
    top = env.get_template("_report_top.html.j2").render(
        site=site_, audience=audience, case_json=case_json(case), notes=list(notes), a=a
    )
    bottom = env.get_template("_report_bottom.html.j2").render(site=site_)
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


def posted_case(form: FormData) -> Case:
    """The case a report page posts back (its hidden ``case`` field)."""
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


async def pdf_response(request: Request, a: Assessment, audience: Audience) -> Response:
    """The report as a PDF download, or a 503 in the one error shape when it cannot be made.

    Printing runs in the app's PDF pool: ``settings.pdf_concurrency`` Chromium processes at
    once (one by default), ``settings.pdf_queue`` requests waiting, any more answered 503 with
    ``Retry-After``; each print is stopped after ``settings.pdf_timeout_seconds``."""
    from lowalp.render.pdf import PdfError, PdfUnavailable, html_to_pdf

    settings: WebSettings = request.app.state.settings
    pool: WorkPool = request.app.state.pdf
    document = render_html(a, audience=audience)
    try:
        pdf = await pool.run(_print, html_to_pdf, document, settings.pdf_timeout_seconds)
    except PdfUnavailable as exc:
        return JSONResponse(
            error_body(503, "PDF output is not available", str(exc)), status_code=503
        )
    except PdfError as exc:
        return JSONResponse(
            error_body(503, "The PDF could not be made", str(exc)),
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    name = "lowalp-report" + ("-patient" if audience == "patient" else "") + ".pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _print(html_to_pdf: Callable[..., bytes], document: str, timeout: float) -> bytes:
    return html_to_pdf(document, timeout=timeout)
