"""Fetch what the EHR did not prefetch from its ``fhirServer``, with the access token it gave.

Only the keys that are absent (or came back as an OperationOutcome) are fetched, all at once,
each with a short timeout; one page per search (the templates ask for enough with ``_count``).
The access token goes only to the ``fhirServer`` named in the same request, is never logged and
is not kept after the call.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger("lowalp.web.cds")

TIMEOUT_SECONDS = 2.5
"""Per request; the EHR waits on us, and the spec asks for answers in about half a second."""
FHIR_JSON = "application/fhir+json, application/json;q=0.9"


class FetchFailed(Exception):
    """A key could not be fetched; the message is a category, safe to log."""


@dataclass(frozen=True)
class FhirAccess:
    server: str
    token: str | None


async def fetch_all(
    access: FhirAccess,
    queries: dict[str, str],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, Any]:
    """key -> the resource or Bundle the server returned, or None when a read found nothing
    (404/410). Keys whose fetch failed are missing from the result."""
    headers = {"Accept": FHIR_JSON}
    if access.token:
        headers["Authorization"] = f"Bearer {access.token}"
    base = access.server.rstrip("/") + "/"
    async with httpx.AsyncClient(
        transport=transport, timeout=TIMEOUT_SECONDS, headers=headers, follow_redirects=False
    ) as client:
        keys = list(queries)
        results = await asyncio.gather(
            *(_one(client, base + queries[k].lstrip("/")) for k in keys), return_exceptions=True
        )
    out: dict[str, Any] = {}
    for key, result in zip(keys, results, strict=True):
        if isinstance(result, FetchFailed):
            log.warning("CDS fetch of prefetch key %s failed (%s)", key, result)
        elif isinstance(result, BaseException):
            log.warning("CDS fetch of prefetch key %s failed (%s)", key, type(result).__name__)
        else:
            out[key] = result
    return out


async def _one(client: httpx.AsyncClient, url: str) -> Any:
    try:
        response = await client.get(url)
    except httpx.TimeoutException:
        raise FetchFailed("timeout") from None
    except httpx.HTTPError as exc:
        raise FetchFailed(type(exc).__name__) from None
    if response.status_code in (404, 410) and "?" not in url:
        return None  # a read of a resource the server does not have
    if response.status_code != 200:
        raise FetchFailed(f"HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError:
        raise FetchFailed("not JSON") from None
    if not isinstance(data, dict) or "resourceType" not in data:
        raise FetchFailed("not a FHIR resource")
    if data["resourceType"] == "OperationOutcome":
        raise FetchFailed("OperationOutcome")
    return data
