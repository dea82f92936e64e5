"""Settings of the web service, set from ``lowalp serve`` options or by tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class CdsIssuer:
    """An EHR allowed to call the CDS Hooks service: its ``iss`` and where its keys are."""

    issuer: str
    jwks: str
    """A JWKS file path or an https URL."""


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
    public_base_url: str | None = None
    """The URL clients use to reach the service (for the JWT ``aud`` check); by default the
    request's own URL."""
    extra: dict[str, str] = field(default_factory=dict)
