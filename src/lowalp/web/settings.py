"""Settings of the web service, set from ``lowalp serve`` options or by tests.

Every limit has a default that suits one small machine; each is a ``lowalp serve`` option
(docs/web.md lists them) and a ``LOWALP_WEB_*`` variable for :func:`lowalp.web.app.factory`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class CdsIssuer:
    """An EHR allowed to call the CDS Hooks service: its ``iss``, where its keys are, and the
    FHIR base URLs the service may fetch from with the access token its calls carry."""

    issuer: str
    jwks: str
    """A JWKS file path or an https URL."""
    fhir_servers: tuple[str, ...] = ()
    """FHIR base URLs a call from this issuer may name in ``fhirServer``; none: nothing is
    fetched for it (prefetch only)."""


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    knowledge: Path | None = None
    """A knowledge folder other than the bundled one."""
    max_body_bytes: int = 5_000_000
    """Requests with a larger body are refused with 413."""
    cds_issuers: tuple[CdsIssuer, ...] = ()
    cds_allow_unsigned: bool = False
    """Development only: accept CDS Hooks calls without a valid JWT (announced on every page and
    in the log)."""
    cds_fhir_insecure: bool = False
    """Development only: the configured FHIR servers may be plain http and may resolve to
    loopback or private addresses (a FHIR server on the developer's machine)."""
    cds_fhir_max_bytes: int = 8_000_000
    """The largest FHIR response read for one prefetch key; a larger one counts as failed."""
    cds_fetch_seconds: float = 2.5
    """All FHIR fetches of one hook call together end within this time."""
    public_base_url: str | None = None
    """The URL clients use to reach the service (for the JWT ``aud`` check); by default the
    request's own URL."""
    runtime_dir: Path | None = None
    """A private folder for state shared by the workers (the CDS ``jti`` replay store); none:
    that state is kept in memory, per process."""

    # --- work done for a request, off the event loop (lowalp.web.work)
    work_threads: int = 2
    """Requests parsed and assessed at once (threads); others wait their turn."""
    work_queue: int = 8
    """Requests that may wait for a thread; past that the answer is 503 with Retry-After."""
    max_rows: int = 100_000
    """Records in one body or file (lines of CSV, TSV, NDJSON and HL7, Parquet rows, FHIR
    Bundle entries); more: 413."""
    max_patients: int = 1_000
    """Cases (patients) in one request; more: 413."""
    max_batch_patients: int = 100
    """Cases in one answer built whole (``format=json``, ``fhir``, ``text``); up to
    ``max_patients`` are streamed as ``format=ndjson``."""
    max_decompressed_bytes: int = 50_000_000
    """Uncompressed size of a Parquet upload, read from its metadata before any row is."""
    request_seconds: float = 30.0
    """Time for reading and assessing one request; past it the answer is 422."""

    # --- PDF (lowalp.web.pdfqueue)
    pdf_concurrency: int = 1
    """Chromium processes printing at once."""
    pdf_queue: int = 4
    """PDF requests that may wait; past that: 503 with Retry-After."""
    pdf_timeout_seconds: float = 30.0

    extra: dict[str, str] = field(default_factory=dict)


TUNABLE: tuple[tuple[str, type, str], ...] = (
    ("max_body_bytes", int, "bytes in one request body (413 past it)"),
    ("max_rows", int, "records in one body or file: lines, Parquet rows, FHIR resources"),
    ("max_patients", int, "patients (cases) in one request"),
    ("max_batch_patients", int, "patients in an answer built whole (more: format=ndjson)"),
    ("max_decompressed_bytes", int, "uncompressed bytes of a Parquet upload"),
    ("request_seconds", float, "seconds for reading and assessing one request"),
    ("work_threads", int, "requests read and assessed at once"),
    ("work_queue", int, "requests waiting for a thread (503 past it)"),
    ("pdf_concurrency", int, "PDFs printed at once"),
    ("pdf_queue", int, "PDF requests waiting (503 past it)"),
    ("pdf_timeout_seconds", float, "seconds for printing one PDF"),
    ("cds_fhir_max_bytes", int, "bytes of one FHIR response read for a CDS call"),
    ("cds_fetch_seconds", float, "seconds for all FHIR fetches of one CDS call"),
)
"""The limits ``lowalp serve`` takes as options (``--max-rows`` …) and
:func:`lowalp.web.app.factory` as ``LOWALP_WEB_MAX_ROWS`` …"""


def env_name(name: str) -> str:
    return "LOWALP_WEB_" + name.upper()


def issuers_to_env(issuers: tuple[CdsIssuer, ...]) -> str:
    return json.dumps(
        [
            {"issuer": i.issuer, "jwks": i.jwks, "fhir_servers": list(i.fhir_servers)}
            for i in issuers
        ]
    )


def issuers_from_env(text: str) -> tuple[CdsIssuer, ...]:
    """JSON (as :func:`issuers_to_env` writes), or the older ``ISS=JWKS`` pairs."""
    if text.strip().startswith("["):
        return tuple(
            CdsIssuer(d["issuer"], d["jwks"], tuple(d.get("fhir_servers", ())))
            for d in json.loads(text)
        )
    return tuple(
        CdsIssuer(iss, jwks)
        for iss, _, jwks in (pair.partition("=") for pair in text.split() if "=" in pair)
    )
