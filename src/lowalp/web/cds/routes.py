"""The CDS Hooks 2.0 endpoints: discovery, the services, feedback.

Errors use the app's one JSON error shape: 400 for a bad body (every problem listed), 401 for a
token that does not verify (no detail), 404 for an unknown service, 412 when required data
cannot be had, 422 when the FHIR data cannot be read. With ``cds_allow_unsigned`` every response
carries ``X-Lowalp-Warning``.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from lowalp.errors import InputError, LowAlpError, Problem
from lowalp.web.cds.auth import Unauthorized
from lowalp.web.cds.discovery import services
from lowalp.web.cds.feedback import parse_feedback
from lowalp.web.cds.request import FEEDBACK_SCHEMA, REQUEST_SCHEMA, parse_request
from lowalp.web.cds.services import HANDLERS, CallContext, PreconditionFailed
from lowalp.web.cds.state import (
    UNSIGNED_HEADER,
    UNSIGNED_TEXT,
    CdsState,
    base_url,
    called_url,
    cds_state,
    transport,
)
from lowalp.web.errors import error_body

log = logging.getLogger("lowalp.web.cds")

router = APIRouter(prefix="/cds-services", tags=["CDS Hooks"])

SERVICES = services()

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "The request body is not a valid CDS Hooks request (every problem listed)"
    },
    401: {"description": "The JWT in Authorization did not verify"},
    404: {"description": "No service with this id"},
    412: {"description": "Required data (Patient, ALP results) could not be had"},
    422: {"description": "The FHIR data could not be read (every problem listed)"},
}


def _respond(state: CdsState, body: Any, status: int = 200, **headers: str) -> JSONResponse:
    if state.unsigned:
        headers[UNSIGNED_HEADER] = UNSIGNED_TEXT
    return JSONResponse(body, status_code=status, headers=headers or None)


def _error(
    state: CdsState,
    status: int,
    title: str,
    detail: str = "",
    problems: list[Problem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return _respond(state, error_body(status, title, detail, problems), status, **(headers or {}))


async def _authorised(request: Request, state: CdsState) -> JSONResponse | str | None:
    """The verified issuer when the call may go on (None in unsigned mode), else the 401
    response."""
    if state.unsigned:
        return None
    try:
        claims = await state.verifier.verify(
            request.headers.get("authorization"), called_url(request, state.settings)
        )
    except Unauthorized as exc:
        log.warning("CDS call refused: %s", exc.category)  # the category only, never the token
        return _error(state, 401, "Unauthorized", headers={"WWW-Authenticate": "Bearer"})
    issuer: str = claims["iss"]
    return issuer


async def _json(request: Request) -> tuple[Any, list[Problem]]:
    raw = await request.body()
    try:
        return json.loads(raw), []
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = (
            f"line {exc.lineno}, column {exc.colno}"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        return None, [Problem("(body)", f"not valid JSON {where}".strip())]


@router.get("", summary="CDS Hooks discovery: the services lowalp offers")
async def discovery(request: Request) -> JSONResponse:
    state = cds_state(request)
    return _respond(state, state.discovery)


@router.post(
    "/{service_id}",
    summary="Call a CDS Hooks service (patient-view or order-select)",
    responses=_ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": REQUEST_SCHEMA}},
        }
    },
)
async def call_service(service_id: str, request: Request) -> JSONResponse:
    state = cds_state(request)
    service = SERVICES.get(service_id)
    if service is None:
        return _error(state, 404, "No such CDS service", "see GET /cds-services")
    issuer = await _authorised(request, state)
    if isinstance(issuer, JSONResponse):
        return issuer
    started = time.perf_counter()
    body, problems = await _json(request)
    parsed = problems if problems else parse_request(body, service.hook)
    if isinstance(parsed, list):
        return _error(
            state, 400, "Not a valid CDS Hooks request", f"{len(parsed)} problem(s)", parsed
        )
    ctx = CallContext(
        kb=state.kb,
        templates=state.templates,
        base_url=base_url(request, state.settings),
        transport=transport(request),
        settings=state.settings,
        issuer=issuer,
    )
    try:
        cards = await HANDLERS[service_id](parsed, ctx)
    except PreconditionFailed as exc:
        return _error(
            state,
            412,
            "Required data could not be obtained",
            f"missing prefetch: {exc}; send it in prefetch, or give fhirServer and "
            "fhirAuthorization so the service can fetch it",
        )
    except InputError as exc:
        return _error(
            state,
            422,
            "The FHIR data could not be read",
            f"{len(exc.problems)} problem(s)",
            list(exc.problems),
        )
    except LowAlpError as exc:
        return _error(state, 422, "The request could not be processed", str(exc))
    log.info(
        "CDS %s: %d card(s) in %.1f ms",
        service_id,
        len(cards),
        (time.perf_counter() - started) * 1000,
    )
    return _respond(state, {"cards": cards})


@router.post(
    "/{service_id}/feedback",
    summary="Feedback on a card (accepted or overridden)",
    responses=_ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": FEEDBACK_SCHEMA}},
        }
    },
)
async def feedback(service_id: str, request: Request) -> JSONResponse:
    state = cds_state(request)
    if service_id not in SERVICES:
        return _error(state, 404, "No such CDS service", "see GET /cds-services")
    issuer = await _authorised(request, state)
    if isinstance(issuer, JSONResponse):
        return issuer
    body, problems = await _json(request)
    parsed = problems if problems else parse_feedback(body)
    if parsed and isinstance(parsed[0], Problem):
        return _error(
            state,
            400,
            "Not valid CDS Hooks feedback",
            f"{len(parsed)} problem(s)",
            [p for p in parsed if isinstance(p, Problem)],
        )
    state.feedback.add(service_id, [i for i in parsed if not isinstance(i, Problem)])
    return _respond(state, {})
