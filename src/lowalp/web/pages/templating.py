"""The Jinja environment for the site's templates (``web/templates``) and rendering a page."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from lowalp.knowledge import Knowledge
from lowalp.render.templating import template_environment


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = template_environment("lowalp.web")
    env.keep_trailing_newline = False
    env.filters["fmt"] = fmt
    return env


def fmt(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = environment().get_template(template).render(site=site(request), **context)
    return HTMLResponse(html, status_code=status)


def site(request: Request) -> dict[str, Any]:
    kb: Knowledge = request.app.state.knowledge
    return {
        "unsigned": bool(getattr(request.app.state.settings, "cds_allow_unsigned", False)),
        "knowledge_version": kb.version,
    }
