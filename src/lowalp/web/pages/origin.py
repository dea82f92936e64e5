"""The pages' form posts are taken only from the site's own pages (cross-site request forgery).

A browser names the page a post comes from in ``Origin`` (and, under the site's
``Referrer-Policy: same-origin``, in ``Referer`` for its own pages only). A post whose
``Origin`` is another site, or ``null`` (a sandboxed frame, a page with ``no-referrer``), or
whose ``Referer`` is another site, is refused with 403. A post with neither header is not
from a browser page and is let through (curl, tests). The site sets no cookies, so there is no
session to ride on; this stops other sites from making a visitor's browser spend the server's
work (a PDF, a large assessment) as well.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import HTTPException, Request

from lowalp.web.settings import WebSettings


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def own_origins(request: Request) -> set[str]:
    settings: WebSettings = request.app.state.settings
    own = {f"{request.url.scheme}://{request.headers.get('host', '').lower()}"}
    if settings.public_base_url:
        public = _origin_of(settings.public_base_url)
        if public:
            own.add(public)
    return own


async def same_origin(request: Request) -> None:
    """A FastAPI dependency: 403 for a post from another site."""
    origin = request.headers.get("origin")
    referer = request.headers.get("referer")
    if origin is None and referer is None:
        return
    own = own_origins(request)
    if origin is not None and origin.strip().lower() not in own:
        raise HTTPException(403, "Cross-site form posts are not accepted")
    if origin is None and referer is not None and _origin_of(referer) not in own:
        raise HTTPException(403, "Cross-site form posts are not accepted")
