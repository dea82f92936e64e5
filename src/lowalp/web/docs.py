"""The OpenAPI explorer at /docs, served from the Swagger UI files the project installs."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

router = APIRouter(include_in_schema=False)


def _assets() -> str:
    try:
        import swagger_ui_bundle  # type: ignore[import-untyped]
    except ModuleNotFoundError:  # pragma: no cover - the web extra installs it
        return ""
    path: str = swagger_ui_bundle.swagger_ui_path
    return path


@router.get("/docs")
def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="lowalp API",
        swagger_js_url="/docs/assets/swagger-ui-bundle.js",
        swagger_css_url="/docs/assets/swagger-ui.css",
        swagger_favicon_url="/docs/assets/favicon-32x32.png",
    )


@router.get("/docs/assets/{name}")
def asset(name: str) -> FileResponse:
    allowed = {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"}
    from fastapi import HTTPException

    if name not in allowed or not _assets():
        raise HTTPException(404, "Not found")
    return FileResponse(f"{_assets()}/{name}")
