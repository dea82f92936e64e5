"""Build the FastAPI app: middleware, error handlers, routers, static files."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from lowalp import __version__
from lowalp.errors import InputError, LowAlpError, Problem
from lowalp.knowledge import load_knowledge
from lowalp.web.errors import error_body
from lowalp.web.settings import WebSettings

log = logging.getLogger("lowalp.web")

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def build(settings: WebSettings) -> FastAPI:
    app = FastAPI(
        title="lowalp",
        version=__version__,
        description="Explain a low alkaline phosphatase result. Decision support, not a diagnosis.",
        docs_url=None,  # served from local assets below (no CDN)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.knowledge = load_knowledge(settings.knowledge)
    if settings.cds_allow_unsigned:
        log.warning("CDS Hooks JWT verification is OFF (--cds-allow-unsigned): development only")

    _middleware(app, settings)
    _handlers(app)
    app.mount(
        "/static",
        StaticFiles(directory=str(resources.files("lowalp.web") / "static")),
        name="static",
    )
    _routers(app)
    return app


def _routers(app: FastAPI) -> None:
    import importlib

    for name in ("lowalp.web.api", "lowalp.web.docs", "lowalp.web.pages", "lowalp.web.cds"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # that part of the site is not built yet
            raise
        if hasattr(module, "router"):  # a part still being built has none yet
            app.include_router(module.router)


def _middleware(app: FastAPI, settings: WebSettings) -> None:
    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:12]
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > settings.max_body_bytes):
            response: Response = JSONResponse(
                error_body(
                    413, "Request body too large", f"the limit is {settings.max_body_bytes} bytes"
                ),
                status_code=413,
            )
        else:
            response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if request.url.path.startswith("/docs"):
            # the API explorer needs inline script from its own bundle
            response.headers["Content-Security-Policy"] = CSP.replace(
                "script-src 'self'", "script-src 'self' 'unsafe-inline'"
            )
        response.headers["X-Request-ID"] = request_id
        # Method, path (no query string: it may hold identifiers), status and time only:
        # never bodies, tokens, names, dates or values.
        log.info(
            "%s %s %s %.1fms id=%s",
            request.method,
            request.url.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
            request_id,
        )
        return response


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse(
            error_body(
                422, "The input was rejected", f"{len(exc.problems)} problem(s)", list(exc.problems)
            ),
            status_code=422,
        )

    @app.exception_handler(LowAlpError)
    async def lowalp_error(request: Request, exc: LowAlpError) -> JSONResponse:
        return JSONResponse(
            error_body(422, "The request could not be processed", str(exc)), status_code=422
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            Problem(".".join(str(p) for p in err["loc"]), err["msg"]) for err in exc.errors()
        ]
        return JSONResponse(
            error_body(422, "The request was rejected", f"{len(problems)} problem(s)", problems),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = exc.detail if isinstance(exc.detail, str) else "Error"
        return JSONResponse(
            error_body(exc.status_code, title), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body(
                500, "Internal error", "the error was logged; the request was not processed"
            ),
            status_code=500,
        )
