"""Form posts from other sites are refused; PDF printing is bounded (queue, timeout, 503 with
Retry-After)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lowalp.web import WebSettings, create_app
from lowalp.web.work import WorkPool

CASE = {
    "id": "c1",
    "patient": {"age_years": 40, "sex": "F"},
    "labs": [{"analyte": "alp", "value": 20, "unit": "U/L", "day": 0}],
}
POSTS = [
    ("/report", {"case": json.dumps(CASE)}),
    ("/edit", {"case": json.dumps(CASE)}),
    ("/assess", {"age_years": "40", "sex": "F"}),
    ("/report.pdf", {"case": json.dumps(CASE)}),
    ("/upload", None),
]


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(WebSettings()))


@pytest.mark.parametrize(("path", "data"), POSTS)
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://testserver.evil.example"},
        {"Referer": "https://evil.example/page"},
    ],
)
def test_posts_from_other_sites_are_403(
    client: TestClient, path: str, data: dict[str, str] | None, headers: dict[str, str]
) -> None:
    files = {"file": ("case.json", json.dumps(CASE).encode())} if data is None else None
    r = client.post(path, data=data, files=files, headers=headers)
    assert r.status_code == 403
    assert r.json()["error"]["title"] == "Cross-site form posts are not accepted"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": "http://testserver"}, {"Referer": "http://testserver/"}],
)
def test_posts_from_the_site_itself_are_served(client: TestClient, headers: dict[str, str]) -> None:
    r = client.post("/report", data={"case": json.dumps(CASE)}, headers=headers)
    assert r.status_code == 200


def test_the_public_url_counts_as_the_site() -> None:
    c = TestClient(create_app(WebSettings(public_base_url="https://lowalp.example/")))
    r = c.post(
        "/report", data={"case": json.dumps(CASE)}, headers={"Origin": "https://lowalp.example"}
    )
    assert r.status_code == 200


def test_the_json_api_is_not_affected(client: TestClient) -> None:
    assert client.post("/api/assess", json=CASE, headers={"Origin": "https://x.example"}).status_code == 200  # fmt: skip


def test_a_full_pdf_queue_is_503_with_retry_after() -> None:
    app = create_app(WebSettings(pdf_concurrency=1, pdf_queue=0))
    pool: WorkPool = app.state.pdf
    pool.admit()
    try:
        r = TestClient(app).post("/report.pdf", data={"case": json.dumps(CASE)})
    finally:
        pool.leave()
    assert r.status_code == 503
    assert int(r.headers["Retry-After"]) > 0


def test_a_slow_print_is_stopped_at_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = tmp_path / "chromium"
    slow.write_text("#!/bin/sh\nsleep 20\n")
    slow.chmod(slow.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("LOWALP_CHROMIUM", str(slow))
    app = create_app(WebSettings(pdf_timeout_seconds=0.5))
    r = TestClient(app).post("/report.pdf", data={"case": json.dumps(CASE)})
    assert r.status_code == 503
    assert "longer than 0.5 s" in r.json()["error"]["detail"]
    assert "Retry-After" in r.headers
