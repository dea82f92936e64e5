"""Security of the web service: headers, size limits, escaping, logs, and no stack traces."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lowalp.web import WebSettings, create_app
from lowalp.web.app import CSP, SECURITY_HEADERS

DATA = Path(__file__).resolve().parents[1] / "data"
XSS = "<script>alert(1)</script>"
LIMIT = 20_000


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(WebSettings(max_body_bytes=LIMIT)))


def xss_case() -> dict[str, Any]:
    """A case with the same script in every free-text field."""
    return {
        "id": XSS,
        "patient": {"age_years": 40, "sex": "M"},
        "labs": [
            {"analyte": "alp", "value": 18, "unit": "U/L", "day": 0},
            {"analyte": "alp", "value": 19, "unit": "U/L", "day": -120},
            {"analyte": XSS, "value": 3, "unit": "U/L", "day": 0},
            {"analyte": "zinc", "value": 70, "unit": XSS, "day": 0},
            {"analyte": "magnesium", "value": 0.8, "unit": "mmol/L", "day": 0, "specimen": XSS},
            {
                "analyte": "calcium",
                "value": 9,
                "unit": "mg/dL",
                "flag": XSS,
                "text": XSS,
                "note": XSS,
            },
        ],
        "context": {
            "medications": [XSS, f"omeprazole {XSS}", {"name": XSS, "status": "stopped"}],
            "findings": [XSS, {"text": XSS, "assertion": "family"}],
            "events": [{"event": XSS, "days_before": 3}, XSS],
            "notes": XSS,
        },
    }


# ----------------------------------------------------------------------------- headers


REQUESTS = [
    ("GET", "/api/health", None, {}),
    ("GET", "/api/knowledge", None, {}),
    ("GET", "/api/analytes", None, {}),
    ("GET", "/api/knowledge/causes/nope", None, {}),
    ("GET", "/no/such/page", None, {}),
    ("DELETE", "/api/assess", None, {}),
    ("POST", "/api/assess", b"{", {"Content-Type": "application/json"}),
    ("POST", "/api/assess", b"x", {"Content-Type": "image/gif"}),
    ("POST", "/api/assess", b" " * (LIMIT + 1), {"Content-Type": "application/json"}),
    ("POST", "/api/assess?format=html", None, {}),
    ("GET", "/openapi.json", None, {}),
]


@pytest.mark.parametrize(("method", "path", "body", "headers"), REQUESTS)
def test_every_response_has_the_security_headers(
    client: TestClient, method: str, path: str, body: bytes | None, headers: dict[str, str]
) -> None:
    if body is None and method == "POST":
        body = json.dumps(xss_case()).encode()
    r = client.request(method, path, content=body, headers=headers)
    for key, value in SECURITY_HEADERS.items():
        assert r.headers.get(key) == value, (path, key)
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in r.headers["Content-Security-Policy"].split("script-src")[1]
    assert r.headers.get("X-Request-ID")


def test_the_api_explorer_keeps_the_site_policy(client: TestClient) -> None:
    """The explorer is started from a script file, so /docs needs no inline script."""
    assert client.get("/docs").headers["Content-Security-Policy"] == CSP


# ----------------------------------------------------------------------------- size limits


def test_a_declared_length_over_the_limit_is_refused_unread(client: TestClient) -> None:
    r = client.post(
        "/api/assess", content=b"{" * (LIMIT + 1), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413
    assert r.json()["error"]["status"] == 413


def test_a_chunked_body_over_the_limit_is_stopped(client: TestClient) -> None:
    sent = 0

    def chunks() -> Any:
        nonlocal sent
        for _ in range(1000):  # 4 MB if nothing stopped it
            sent += 4096
            yield b"[" * 4096

    r = client.post("/api/assess", content=chunks(), headers={"Content-Type": "text/csv"})
    assert r.request.headers.get("transfer-encoding") == "chunked"
    assert r.status_code == 413
    assert r.json()["error"]["title"] == "Request body too large"


def test_a_false_content_length_does_not_beat_the_limit() -> None:
    """The limit is counted on the bytes read, whatever the header said."""
    import asyncio

    app = create_app(WebSettings(max_body_bytes=100))
    sent: list[dict[str, Any]] = []
    chunks = [b"{" * 60, b"{" * 60, b""]

    async def receive() -> dict[str, Any]:
        body = chunks.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(chunks)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/assess",
        "raw_path": b"/api/assess",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"10")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413


# ----------------------------------------------------------------------------- escaping


def test_script_in_every_free_text_field_comes_back_as_json_text(client: TestClient) -> None:
    r = client.post("/api/assess", json=xss_case())
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-content-type-options"] == "nosniff"
    body = r.json()
    assert body["case_id"] == XSS
    values = [n["value"] for n in body["not_understood"]]
    # the script only ever comes back inside JSON strings, never as markup
    assert any(XSS in v for v in values)
    assert json.loads(r.text) == body


def test_script_in_every_free_text_field_is_escaped_in_html(client: TestClient) -> None:
    for audience in ("clinician", "patient"):
        r = client.post(f"/api/assess?format=html&audience={audience}", json=xss_case())
        assert r.status_code == 200, r.text
        page = r.text
        assert XSS not in page
        assert "<script" not in page.lower()
        assert "alert(1)" not in page or "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    clinician = client.post("/api/assess?format=html", json=xss_case()).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in clinician


def test_script_in_a_strict_error_comes_back_as_json_text(client: TestClient) -> None:
    r = client.post("/api/assess?strict=true", json=xss_case())
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/json"
    assert XSS in json.dumps(r.json())


def test_script_in_the_path_of_a_404_is_json_text(client: TestClient) -> None:
    tag = "<img src=x onerror=alert(1)>"
    r = client.get("/api/knowledge/causes/%3Cimg%20src=x%20onerror=alert(1)%3E")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/json"
    assert r.json()["error"]["problems"][0]["value"] == tag


# ----------------------------------------------------------------------------- logs


def test_the_log_holds_no_patient_data_or_token(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    case = {
        "id": "MRN-98765",
        "patient": {"birth_date": "1961-07-14", "sex": "F"},
        "labs": [
            {"analyte": "alp", "value": 17.43, "unit": "U/L", "date": "2026-02-01"},
            {"analyte": "alp", "value": 18.91, "unit": "U/L", "date": "2025-08-01"},
        ],
        "context": {"findings": ["Jane Doe-Smithson reports fractures"]},
    }
    hl7 = (DATA / "hl7v2" / "oru_r01_v251_chemistry.hl7").read_bytes()
    secret = "eyJhbGciOiJSUzI1NiJ9.secret-token-4242.sig"
    with caplog.at_level(logging.DEBUG, logger="lowalp.web"):
        client.post(
            "/api/assess?token=" + secret,
            json=case,
            headers={"Authorization": f"Bearer {secret}"},
        )
        client.post(
            "/api/assess?format=html",
            content=hl7,
            headers={"Content-Type": "application/hl7-v2", "Authorization": f"Bearer {secret}"},
        )
        client.post("/api/assess", json={**case, "labs": [{"value": "17.43 U/L"}]})
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("lowalp.web")]
    assert len(lines) >= 3  # one access line per request
    log = "\n".join([*lines, caplog.text])
    for private in (
        "MRN-98765",
        "1961-07-14",
        "1961",
        "2026-02-01",
        "17.43",
        "18.91",
        "Jane",
        "Smithson",
        "EVERYWOMAN",
        "19800320",
        "555-44-4444",
        "STATESVILLE",
        secret,
        "secret-token",
        "Bearer",
    ):
        assert private not in log, private


# ----------------------------------------------------------------------------- no stack traces


def test_an_unexpected_error_gives_no_stack_trace(monkeypatch: pytest.MonkeyPatch) -> None:
    import lowalp.engine.assess

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("internal detail /srv/secret/path.py line 42")

    monkeypatch.setattr(lowalp.engine.assess, "assess_case", broken)
    client = TestClient(create_app(WebSettings()), raise_server_exceptions=False)
    r = client.post("/api/assess", json=xss_case())
    assert r.status_code == 500
    body = r.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == 500
    for leak in ("Traceback", "RuntimeError", "secret", "line 42", 'File "'):
        assert leak not in r.text
    assert r.headers["Content-Security-Policy"] == CSP


def test_an_unexpected_error_logs_no_message(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import lowalp.engine.assess

    message = "value 17.43 of patient Jane Doe"

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError(message)  # the stack's source lines hold no input, only the message

    monkeypatch.setattr(lowalp.engine.assess, "assess_case", broken)
    client = TestClient(create_app(WebSettings()), raise_server_exceptions=False)
    with caplog.at_level(logging.INFO, logger="lowalp.web"):
        assert client.post("/api/assess", json=xss_case()).status_code == 500
    assert "ValueError" in caplog.text
    assert "api.py" in caplog.text
    assert "17.43" not in caplog.text
    assert "Jane" not in caplog.text


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\x00\x01\x02", "application/json"),
        (b"[" * 5000 + b"]" * 5000, "application/json"),
        (b"MSH|\x00\xff", "application/hl7-v2"),
        (b"\xff\xfe\x00", "text/csv"),
        (b'{"resourceType": 1}', "application/fhir+json"),
        (b'{"resourceType": "Bundle", "entry": [null, 1, "x"]}', "application/fhir+json"),
        (b"not json at all", "application/fhir+ndjson"),
    ],
)
def test_malformed_bodies_are_4xx_never_500(
    client: TestClient, body: bytes, content_type: str
) -> None:
    r = client.post("/api/assess", content=body, headers={"Content-Type": content_type})
    assert 400 <= r.status_code < 500, r.text
    assert "Traceback" not in r.text
    assert set(r.json()) == {"error"}
