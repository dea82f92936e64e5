"""The doors a hostile input comes through, each asserting what must hold at every door: no
500, no traceback, and an answer that is either a result or a rejection that says where.

- :func:`cli`: ``lowalp.cli.main`` in process, standard output and error captured;
- :func:`api`: ``POST /api/assess`` through the app's in-process client;
- :func:`upload`: ``POST /upload`` (the page's file upload) through the same client.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from lowalp.cli import main
from lowalp.web import WebSettings, create_app

TRACEBACK_MARKS = ("Traceback (most recent call last)", 'File "', "Internal Server Error")


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def no_traceback(text: str) -> None:
    for mark in TRACEBACK_MARKS:
        assert mark not in text, text[-3000:]


def cli(*argv: str | Path) -> Ran:
    """Run the command line; only a clean exit (0 done, 1 input rejected, 2 usage) passes."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    ran = Ran(code, out.getvalue(), err.getvalue())
    no_traceback(ran.err)
    no_traceback(ran.out)
    assert code in (0, 1, 2), ran
    return ran


@cache
def client() -> TestClient:
    return TestClient(create_app(WebSettings()), raise_server_exceptions=False)


def api(body: bytes | str, content_type: str, **params: str) -> Any:
    """``POST /api/assess``; a 200 or a 4xx in the one error shape, never a 5xx."""
    data = body.encode() if isinstance(body, str) else body
    r = client().post(
        "/api/assess", content=data, headers={"content-type": content_type}, params=params
    )
    assert r.status_code < 500, r.text[:3000]
    no_traceback(r.text)
    if r.status_code >= 400:
        assert set(r.json()) == {"error"}
    return r


def upload(name: str, body: bytes | str) -> Any:
    """``POST /upload`` with the file; the report, the list, or the form with why (422)."""
    data = body.encode() if isinstance(body, str) else body
    r = client().post("/upload", files={"file": (name, data)})
    assert r.status_code in (200, 422), r.text[:3000]
    no_traceback(r.text)
    return r


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def strict_loads(text: str) -> Any:
    """JSON as a strict parser reads it: ``NaN`` and ``Infinity`` are errors."""
    return json.loads(text, parse_constant=_refuse)


def problems(response: Any) -> list[dict[str, Any]]:
    """The problems of an API error."""
    found: list[dict[str, Any]] = response.json()["error"]["problems"]
    return found
