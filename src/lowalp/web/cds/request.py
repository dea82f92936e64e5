"""The body of a CDS Hooks 2.0 service call, checked field by field.

Every problem is listed (pointer, message), and the route answers 400 with the one error shape.
Members the spec marks optional may be absent; members that are present must have the right
shape. Unknown members (``extension`` …) are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lowalp.errors import Problem
from lowalp.web.cds.prefetch import check_prefetch


@dataclass(frozen=True)
class HookRequest:
    hook: str
    hook_instance: str
    context: dict[str, Any]
    patient_id: str
    fhir_server: str | None
    access_token: str | None
    prefetch: dict[str, Any] | None


_BEARER = re.compile(r"[A-Za-z0-9\-._~+/]{1,8192}=*")


def _url_ok(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def parse_request(body: Any, hook: str) -> HookRequest | list[Problem]:
    """The request, or every problem found in it."""
    if not isinstance(body, dict):
        return [Problem("(body)", "the request body must be a JSON object")]
    problems: list[Problem] = []

    def need_str(name: str) -> str:
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(name, "required: a non-empty string", _shown(value)))
            return ""
        return value

    got_hook = need_str("hook")
    if got_hook and got_hook != hook:
        problems.append(Problem("hook", f"this service answers the {hook} hook", got_hook))
    instance = need_str("hookInstance")

    server = body.get("fhirServer")
    if server is not None and (not isinstance(server, str) or not _url_ok(server)):
        problems.append(Problem("fhirServer", "must be an absolute http(s) URL", _shown(server)))
        server = None
    auth = body.get("fhirAuthorization")
    token: str | None = None
    if auth is not None:
        if not isinstance(auth, dict):
            problems.append(Problem("fhirAuthorization", "must be an object"))
        else:
            raw = auth.get("access_token")
            if not isinstance(raw, str) or not raw:
                problems.append(
                    Problem("fhirAuthorization.access_token", "required: a non-empty string")
                )
            elif not _BEARER.fullmatch(raw):  # never echoed: it is a credential
                problems.append(
                    Problem(
                        "fhirAuthorization.access_token",
                        "not a Bearer token (RFC 6750: letters, digits and -._~+/ then any =)",
                    )
                )
            else:
                token = raw
            kind = auth.get("token_type", "Bearer")
            if kind != "Bearer":
                problems.append(
                    Problem("fhirAuthorization.token_type", "must be Bearer", _shown(kind))
                )
        if body.get("fhirServer") is None:
            problems.append(
                Problem("fhirServer", "required when fhirAuthorization is given (CDS Hooks 2.0)")
            )

    context = body.get("context")
    patient_id = ""
    if not isinstance(context, dict):
        problems.append(Problem("context", "required: an object"))
        context = {}
    else:
        pid = context.get("patientId")
        if not isinstance(pid, str) or not pid.strip():
            problems.append(Problem("context.patientId", "required: a non-empty string"))
        else:
            patient_id = pid
        user = context.get("userId")
        if user is not None and not isinstance(user, str):
            problems.append(Problem("context.userId", "must be a string (a FHIR reference)"))
        if hook == "order-select":
            problems += _order_select_context(context)

    prefetch = body.get("prefetch")
    problems += check_prefetch(prefetch)
    if problems:
        return problems
    return HookRequest(
        hook=got_hook,
        hook_instance=instance,
        context=context,
        patient_id=patient_id,
        fhir_server=server,
        access_token=token,
        prefetch=prefetch,
    )


def _order_select_context(context: dict[str, Any]) -> list[Problem]:
    problems = []
    orders = context.get("draftOrders")
    if not isinstance(orders, dict) or orders.get("resourceType") != "Bundle":
        problems.append(Problem("context.draftOrders", "required: a FHIR Bundle"))
    elif not isinstance(orders.get("entry", []), list):
        problems.append(Problem("context.draftOrders.entry", "must be a list"))
    selections = context.get("selections")
    if selections is not None and (
        not isinstance(selections, list) or not all(isinstance(s, str) for s in selections)
    ):
        problems.append(
            Problem("context.selections", "must be a list of references (MedicationRequest/id)")
        )
    return problems


def _shown(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else type(value).__name__
    return text[:80]


REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["hook", "hookInstance", "context"],
    "properties": {
        "hook": {"type": "string", "example": "patient-view"},
        "hookInstance": {"type": "string", "format": "uuid"},
        "fhirServer": {"type": "string", "format": "uri"},
        "fhirAuthorization": {
            "type": "object",
            "required": ["access_token"],
            "properties": {
                "access_token": {"type": "string"},
                "token_type": {"type": "string", "enum": ["Bearer"]},
                "expires_in": {"type": "integer"},
                "scope": {"type": "string"},
                "subject": {"type": "string"},
            },
        },
        "context": {
            "type": "object",
            "required": ["patientId"],
            "properties": {
                "userId": {"type": "string"},
                "patientId": {"type": "string"},
                "encounterId": {"type": "string"},
                "selections": {"type": "array", "items": {"type": "string"}},
                "draftOrders": {"type": "object"},
            },
        },
        "prefetch": {
            "type": "object",
            "additionalProperties": {"type": ["object", "null"]},
        },
    },
}

FEEDBACK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["feedback"],
    "properties": {
        "feedback": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["card", "outcome", "outcomeTimestamp"],
                "properties": {
                    "card": {"type": "string"},
                    "outcome": {"type": "string", "enum": ["accepted", "overridden"]},
                    "acceptedSuggestions": {
                        "type": "array",
                        "items": {"type": "object", "properties": {"id": {"type": "string"}}},
                    },
                    "overrideReason": {
                        "type": "object",
                        "properties": {
                            "reason": {"type": "object"},
                            "userComment": {"type": "string"},
                        },
                    },
                    "outcomeTimestamp": {"type": "string", "format": "date-time"},
                },
            },
        }
    },
}
