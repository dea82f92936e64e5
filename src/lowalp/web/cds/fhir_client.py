"""Fetch what the EHR did not prefetch from its ``fhirServer``, with the access token it gave.

Only the keys that are absent (or came back as an OperationOutcome) are fetched, all at once,
within one deadline for the call (2.5 s by default) and a size limit per response (8 MB); one
page per search (the templates ask for enough with ``_count``). The access token goes only to
the ``fhirServer`` named in the same request, once :mod:`lowalp.web.cds.fhir_guard` has found
it in the caller's allow-list; it is never logged and is not kept after the call.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import anyio
import httpx

log = logging.getLogger("lowalp.web.cds")

TIMEOUT_SECONDS = 2.5
"""For all the fetches of one call together; the EHR waits on us, and the spec asks for
answers in about half a second."""
MAX_BYTES = 8_000_000
"""The largest response read for one key (counted after any content decoding)."""
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
    seconds: float = TIMEOUT_SECONDS,
    max_bytes: int = MAX_BYTES,
) -> dict[str, Any]:
    """key -> the resource or Bundle the server returned, or None when a read found nothing
    (404/410). Keys whose fetch failed, or had not ended when ``seconds`` passed, are missing
    from the result."""
    headers = {"Accept": FHIR_JSON}
    if access.token:
        headers["Authorization"] = f"Bearer {access.token}"
    base = access.server.rstrip("/") + "/"
    out: dict[str, Any] = {}

    async def one(client: httpx.AsyncClient, key: str) -> None:
        try:
            out[key] = await _one(client, base + queries[key].lstrip("/"), max_bytes)
        except FetchFailed as exc:
            log.warning("CDS fetch of prefetch key %s failed (%s)", key, exc)
        except Exception as exc:  # never the message: it may quote a URL or a header
            log.warning("CDS fetch of prefetch key %s failed (%s)", key, type(exc).__name__)

    async with httpx.AsyncClient(
        transport=transport,
        timeout=seconds,
        headers=headers,
        follow_redirects=False,
        trust_env=False,
    ) as client:
        with anyio.move_on_after(seconds) as scope:
            async with anyio.create_task_group() as group:
                for key in queries:
                    group.start_soon(one, client, key)
    if scope.cancelled_caught:
        log.warning(
            "CDS fetch stopped at the %g s limit: %d of %d key(s) fetched",
            seconds,
            len(out),
            len(queries),
        )
    return out


async def _one(client: httpx.AsyncClient, url: str, max_bytes: int) -> Any:
    try:
        async with client.stream("GET", url) as response:
            if response.status_code in (404, 410) and "?" not in url:
                return None  # a read of a resource the server does not have
            if response.status_code != 200:
                raise FetchFailed(f"HTTP {response.status_code}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchFailed("too large")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchFailed("too large")
                chunks.append(chunk)
    except httpx.TimeoutException:
        raise FetchFailed("timeout") from None
    except httpx.HTTPError as exc:
        raise FetchFailed(type(exc).__name__) from None
    try:
        data = json.loads(b"".join(chunks))
    except (ValueError, RecursionError):
        raise FetchFailed("not JSON") from None
    if not isinstance(data, dict) or "resourceType" not in data:
        raise FetchFailed("not a FHIR resource")
    if data["resourceType"] == "OperationOutcome":
        raise FetchFailed("OperationOutcome")
    return data
