"""The OpenAPI explorer at /docs: Swagger UI 5, which reads the OpenAPI 3.1 document FastAPI
writes, served from the package's own ``static/swagger-ui`` (nothing from another site).

Those files are copied from the npm package ``swagger-ui-dist``, at the version pinned in
package.json and package-lock.json, by ``make swagger-ui`` (scripts/vendor-swagger-ui.sh); its
licence and notice are beside them. The page starts the explorer from ``static/docs.js``, so
it needs no inline script and keeps the site's Content-Security-Policy."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lowalp.web.pages.templating import page

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    return page(request, "docs.html.j2", openapi_url=request.app.openapi_url or "/openapi.json")
