"""Build the FastAPI app: middleware, error handlers, routers, static files."""

from __future__ import annotations

import logging
import time
import uuid
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lowalp import __version__
from lowalp.errors import InputError, LowAlpError, Problem
from lowalp.knowledge import load_knowledge
from lowalp.web.errors import error_body
from lowalp.web.settings import WebSettings
from lowalp.web.work import Busy, LimitExceeded, WorkPool

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
    "Referrer-Policy": "same-origin",  # the pages' posts name their origin (pages/origin.py)
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def factory() -> FastAPI:
    """The app with settings from the environment, for ``uvicorn --factory`` (several workers
    need an import string)::

        LOWALP_WEB_MAX_BODY_BYTES=5000000 LOWALP_CDS_ALLOW_UNSIGNED=1 \\
            uvicorn lowalp.web.app:factory --factory --workers 2

    Read: ``LOWALP_WEB_HOST``, ``LOWALP_WEB_PORT``, ``LOWALP_WEB_KNOWLEDGE`` (a folder),
    ``LOWALP_WEB_PUBLIC_URL``, ``LOWALP_WEB_RUNTIME_DIR`` (a folder), every limit of
    :data:`lowalp.web.settings.TUNABLE` as ``LOWALP_WEB_<NAME>`` (``LOWALP_WEB_MAX_ROWS`` …),
    ``LOWALP_CDS_ALLOW_UNSIGNED`` and ``LOWALP_CDS_FHIR_INSECURE`` (``1``/``true``), and
    ``LOWALP_CDS_ISSUERS`` (a JSON list of ``{"issuer", "jwks", "fhir_servers"}``, or
    ``ISS=JWKS`` pairs separated by spaces).
    """
    import os
    from dataclasses import replace
    from pathlib import Path

    from lowalp.web.settings import TUNABLE, env_name, issuers_from_env

    env = os.environ
    if env.get("LOWALP_WEB_LOG_LEVEL"):  # a worker process of lowalp serve --workers N
        from lowalp.web.logs import configure_logging

        configure_logging(env["LOWALP_WEB_LOG_LEVEL"])
    yes = ("1", "true", "yes")
    defaults = WebSettings()
    settings = WebSettings(
        host=env.get("LOWALP_WEB_HOST", defaults.host),
        port=int(env.get("LOWALP_WEB_PORT", defaults.port)),
        knowledge=Path(env["LOWALP_WEB_KNOWLEDGE"]) if env.get("LOWALP_WEB_KNOWLEDGE") else None,
        cds_issuers=issuers_from_env(env.get("LOWALP_CDS_ISSUERS", "")),
        cds_allow_unsigned=env.get("LOWALP_CDS_ALLOW_UNSIGNED", "").lower() in yes,
        cds_fhir_insecure=env.get("LOWALP_CDS_FHIR_INSECURE", "").lower() in yes,
        public_base_url=env.get("LOWALP_WEB_PUBLIC_URL") or None,
        runtime_dir=Path(env["LOWALP_WEB_RUNTIME_DIR"])
        if env.get("LOWALP_WEB_RUNTIME_DIR")
        else None,
    )
    tuned = {
        name: kind(env[env_name(name)]) for name, kind, _ in TUNABLE if env.get(env_name(name))
    }
    return build(replace(settings, **tuned))


def build(settings: WebSettings) -> FastAPI:
    app = FastAPI(
        title="lowalp",
        version=__version__,
        description="Explain a low alkaline phosphatase result. Decision support, not a diagnosis.",
        docs_url=None,  # lowalp.web.docs serves it from the package (no CDN)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.knowledge = load_knowledge(settings.knowledge)
    app.state.work = WorkPool(settings.work_threads, settings.work_queue, "reading and assessing")
    app.state.pdf = WorkPool(settings.pdf_concurrency, settings.pdf_queue, "PDF printing")
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


class BodyTooLarge(StarletteHTTPException):
    """Raised while a body is read once it passes the limit (chunked bodies have no length)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, "Request body too large")
        self.limit = limit


class BodyLimit:
    """Counts the body bytes as the app reads them and stops at the limit. A Content-Length
    over the limit is refused before anything is read (in ``guard``); this catches bodies sent
    without one (``Transfer-Encoding: chunked``) or with a false one."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, limited, send)


class Guard:
    """Security headers on every response, the declared-length check (413), a 500 in the one
    error shape, and the access log line. Plain ASGI (cheaper than ``@app.middleware``)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:12]
        path: str = scope["path"]
        status = 0

        async def send_guarded(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                for key, value in SECURITY_HEADERS.items():
                    headers.setdefault(key, value)
                headers["X-Request-ID"] = request_id
            await send(message)

        length = Headers(scope=scope).get("content-length")
        try:
            if length is not None and (not length.isdigit() or int(length) > self.limit):
                too_large = JSONResponse(
                    error_body(413, "Request body too large", f"the limit is {self.limit} bytes"),
                    status_code=413,
                    headers={"Connection": "close"},
                )
                await too_large(scope, receive, send_guarded)
            else:
                await self.app(scope, receive, send_guarded)
        except Exception as exc:  # the app's handler would answer outside this middleware
            if status:  # too late for an error page: the server closes the connection
                raise
            await _internal_error(Request(scope), exc)(scope, receive, send_guarded)
        finally:
            # Method, path (no query string: it may hold identifiers), status and time only:
            # never bodies, tokens, names, dates or values.
            log.info(
                "%s %s %s %.1fms id=%s",
                scope["method"],
                path,
                status or 500,
                (time.perf_counter() - started) * 1000,
                request_id,
            )


def _middleware(app: FastAPI, settings: WebSettings) -> None:
    # the last added is the outermost: Guard sees every response, BodyLimit's 413 included
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(Guard, limit=settings.max_body_bytes)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return JSONResponse(
            error_body(413, "Request body too large", f"the limit is {exc.limit} bytes"),
            status_code=413,
            headers={"Connection": "close"},
        )

    @app.exception_handler(LimitExceeded)
    async def limit_exceeded(request: Request, exc: LimitExceeded) -> JSONResponse:
        return JSONResponse(
            error_body(exc.status, exc.title, exc.message, [exc.problem()]),
            status_code=exc.status,
        )

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy) -> JSONResponse:
        return JSONResponse(
            error_body(
                503,
                "The server is busy",
                f"every place for {exc.what} is taken; try again in {exc.retry_after} s",
            ),
            status_code=503,
            headers={"Retry-After": str(exc.retry_after)},
        )

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
        return _internal_error(request, exc)


def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    """500 in the one error shape. The log gets the exception type and the stack, but not the
    message, which may quote the input (a value, a name)."""
    import traceback

    stack = "".join(traceback.format_tb(exc.__traceback__))
    log.error(
        "unexpected %s on %s %s\n%s",
        type(exc).__name__,
        request.method,
        request.url.path,
        stack,
    )
    return JSONResponse(
        error_body(500, "Internal error", "the error was logged; the request was not processed"),
        status_code=500,
    )
