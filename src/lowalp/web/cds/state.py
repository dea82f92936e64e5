"""Per-app CDS Hooks state, kept on ``app.state.cds`` and made on first use.

``app.state.cds_transport`` (an ``httpx.AsyncBaseTransport``), when set, carries every outgoing
call (FHIR fetches, JWKS URLs): tests put an ``httpx.MockTransport`` there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import Request

from lowalp.knowledge import Knowledge
from lowalp.web.cds.auth import ReplayStore, Verifier
from lowalp.web.cds.discovery import discovery_document, prefetch_templates
from lowalp.web.cds.feedback import FeedbackCounts
from lowalp.web.settings import WebSettings

UNSIGNED_HEADER = "X-Lowalp-Warning"
UNSIGNED_TEXT = "unsigned CDS calls accepted (development only)"


@dataclass
class CdsState:
    settings: WebSettings
    kb: Knowledge
    verifier: Verifier
    discovery: dict[str, Any]
    templates: dict[str, str]
    feedback: FeedbackCounts = field(default_factory=FeedbackCounts)

    @property
    def unsigned(self) -> bool:
        return self.settings.cds_allow_unsigned


def cds_state(request: Request) -> CdsState:
    app_state = request.app.state
    state: CdsState | None = getattr(app_state, "cds", None)
    if state is None:
        settings: WebSettings = app_state.settings
        kb: Knowledge = app_state.knowledge
        state = CdsState(
            settings=settings,
            kb=kb,
            verifier=Verifier(settings.cds_issuers, replay=replay_store(settings)),
            discovery=discovery_document(kb),
            templates=prefetch_templates(kb),
        )
        app_state.cds = state
        app_state.cds_unsigned = settings.cds_allow_unsigned
    state.verifier.jwks.transport = transport(request)
    return state


REPLAY_FILE = "cds-jti.sqlite"


def replay_store(settings: WebSettings) -> ReplayStore:
    """The ``jti`` store: a file in the runtime folder when the server has one (shared by its
    workers), else memory."""
    if settings.runtime_dir is None:
        return ReplayStore()
    return ReplayStore(settings.runtime_dir / REPLAY_FILE)


def transport(request: Request) -> httpx.AsyncBaseTransport | None:
    found = getattr(request.app.state, "cds_transport", None)
    return found if isinstance(found, httpx.AsyncBaseTransport) else None


def base_url(request: Request, settings: WebSettings) -> str:
    """The service's public base URL, without a trailing slash."""
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/")
    return str(request.base_url).rstrip("/")


def called_url(request: Request, settings: WebSettings) -> str:
    """The URL the client called (the JWT ``aud`` must equal it), without query string."""
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/") + request.url.path
    return str(request.url.replace(query="", fragment=""))
