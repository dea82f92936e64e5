"""The web front end: pages for clinicians and patients, a REST API and a CDS Hooks service.

Needs the ``web`` extra (``pip install 'lowalp[web]'``). :func:`create_app` builds the ASGI app;
``lowalp serve`` runs it under uvicorn.
"""

from __future__ import annotations

from lowalp.web.settings import CdsIssuer, WebSettings

__all__ = ["CdsIssuer", "WebSettings", "create_app"]


def create_app(settings: WebSettings | None = None):  # type: ignore[no-untyped-def]
    """The FastAPI application (imported lazily so ``import lowalp.web`` stays light)."""
    from lowalp.web.app import build

    return build(settings or WebSettings())
