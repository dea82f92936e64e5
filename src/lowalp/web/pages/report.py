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
    """The report document from :func:`render_html` with the site's header and footer.

    Both versions are in the page: ``audience``'s is shown, the other opens from its tab, a
    link to ``#view-<audience>`` that a style sheet rule (``:target``) shows in its place. The
    switch is a move within one page, so Back returns to the version before it, with no form
    posted again and no script; the case stays in the page as before, and nothing on the server.
    """
    other: Audience = "patient" if audience == "clinician" else "clinician"
    document = render_html(a, audience=audience)
    second = render_html(a, audience=other)
    env, site_ = environment(), site(request)
    top = env.get_template("_report_top.html.j2").render(
        site=site_,
        audience=audience,
        other=other,
        case_json=case_json(case),
        notes=list(notes),
        a=a,
    )
    bottom = env.get_template("_report_bottom.html.j2").render(site=site_)
    head_end = document.find("</head>")
    if head_end < 0:  # pragma: no cover - render_html's shape
        raise RuntimeError("render_html returned a document without <head>")
    opening = _BODY_OPEN.search(document)
    assert opening is not None
    html = (
        document[:head_end]
        + '<link rel="stylesheet" href="/static/site.css">\n'
        + '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">\n'
        + document[head_end : opening.end()]
        + "\n"
        + top
        + f'<div class="view view-other" id="view-{other}">\n'
        + _prefix_ids(_body(second), f"{other}-")
        + f'</div>\n<div class="view view-main" id="view-{audience}">\n'
        + _body(document)
        + "</div>\n"
        + bottom
        + "</body>\n</html>\n"
    )
    return HTMLResponse(html)


def _body(document: str) -> str:
    """What is between ``<body …>`` and ``</body>`` of a :func:`render_html` document."""
    opening = _BODY_OPEN.search(document)
    body_end = document.rfind("</body>")
    if opening is None or body_end < 0:  # pragma: no cover - render_html's shape
        raise RuntimeError("render_html returned a document without <body>")
    return document[opening.end() : body_end]


_ID_ATTRIBUTES = re.compile(
    r'\b(id|for|headers|aria-labelledby|aria-describedby|aria-controls)="([^"]*)"'
)
_FRAGMENT = re.compile(r'\bhref="#([^"]+)"')


def _prefix_ids(html: str, prefix: str) -> str:
    """``html`` with every id, and every reference to one, prefixed: the second version of the
    report shares the page with the first, and an id must be unique in it.

    >>> _prefix_ids('<h2 id="a">x</h2><section aria-labelledby="a b"><a href="#a">', "p-")
    '<h2 id="p-a">x</h2><section aria-labelledby="p-a p-b"><a href="#p-a">'
    """

    def ids(m: re.Match[str]) -> str:
        return f'{m[1]}="{" ".join(prefix + v for v in m[2].split())}"'

    return _FRAGMENT.sub(lambda m: f'href="#{prefix}{m[1]}"', _ID_ATTRIBUTES.sub(ids, html))


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
