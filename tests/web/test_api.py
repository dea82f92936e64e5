"""The REST API: every endpoint, every input content type, the one error shape, local docs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lowalp.web import WebSettings, create_app

DATA = Path(__file__).resolve().parents[1] / "data"
CASE: dict[str, Any] = {
    "id": "api-1",
    "patient": {"age_years": 46, "sex": "F"},
    "labs": [
        {"analyte": "alp", "value": 19, "unit": "U/L", "ref_low": 35, "ref_high": 104, "day": 0},
        {"analyte": "alp", "value": 21, "unit": "U/L", "day": -200},
        {"analyte": "plp", "value": 250, "unit": "nmol/L", "day": 0},
    ],
    "context": {"medications": [], "findings": ["metatarsal stress fracture"]},
}
LIMIT = 50_000


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(WebSettings(max_body_bytes=LIMIT)))


def assert_error(response: Any, status: int) -> dict[str, Any]:
    """The one error shape, and nothing that looks like a traceback."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["status"] == status
    assert isinstance(error["title"], str)
    assert error["title"]
    assert isinstance(error["problems"], list)
    for p in error["problems"]:
        assert {"pointer", "message"} <= set(p)
    assert "Traceback" not in response.text
    assert 'File "' not in response.text
    result: dict[str, Any] = error
    return result


# ----------------------------------------------------------------------------- health, knowledge


def test_health(client: TestClient) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["knowledge_version"] == client.app.state.knowledge.version  # type: ignore[attr-defined]


def test_knowledge_summary(client: TestClient) -> None:
    r = client.get("/api/knowledge")
    assert r.status_code == 200
    body = r.json()
    kb = client.app.state.knowledge  # type: ignore[attr-defined]
    assert body["version"] == kb.version
    ids = {c["id"] for c in body["causes"]}
    assert ids == set(kb.causes)
    hpp = next(c for c in body["causes"] if c["id"] == "hypophosphatasia")
    assert 0 < hpp["prior"]["adult"] < 1
    assert hpp["evidence"]
    assert all("lr_present" in e and "label" in e for e in hpp["evidence"])
    assert hpp["sources"]
    cited = {s["id"] for s in body["sources"]}
    assert set(hpp["sources"]) <= cited
    alp = next(a for a in body["analytes"] if a["id"] == "alp")
    assert alp["canonical_unit"] == "U/L"
    assert "IU/L" in alp["units"]


def test_one_cause(client: TestClient) -> None:
    r = client.get("/api/knowledge/causes/hypophosphatasia")
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == "hypophosphatasia"
    assert body["management"]
    assert body["patient_questions"]
    assert {s["id"] for s in body["references"]} == set(body["sources"])
    assert all(s["citation"] for s in body["references"])


def test_unknown_cause_is_404_with_did_you_mean(client: TestClient) -> None:
    error = assert_error(client.get("/api/knowledge/causes/hypophosphatsia"), 404)
    assert "hypophosphatasia" in error["problems"][0]["hint"]


def test_analytes(client: TestClient) -> None:
    r = client.get("/api/analytes")
    assert r.status_code == 200
    analytes = {a["id"]: a for a in r.json()}
    kb = client.app.state.knowledge  # type: ignore[attr-defined]
    assert set(analytes) == set(kb.analytes)
    albumin = analytes["albumin"]
    assert albumin["units"][0] == albumin["canonical_unit"] == "g/dL"
    assert "g/L" in albumin["units"]
    assert albumin["factors"]["g/L"] == pytest.approx(0.1)
    assert albumin["plausible"]["low"] < albumin["plausible"]["high"]
    assert albumin["plausible"]["unit"] == "g/dL"
    assert analytes["alp"]["unit_synonyms"].get("U/l") == "U/L"


def test_unknown_path_is_404_in_the_error_shape(client: TestClient) -> None:
    assert_error(client.get("/api/nothing-here"), 404)


def test_wrong_method_is_405_in_the_error_shape(client: TestClient) -> None:
    assert_error(client.get("/api/assess"), 405)


# ----------------------------------------------------------------------------- POST /api/assess


def test_assess_case_json(client: TestClient) -> None:
    r = client.post("/api/assess", json=CASE)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["case_id"] == "api-1"
    assert body["alp"]["status"] == "low"
    assert body["causes"]
    assert abs(sum(c["probability"] for c in body["causes"]) - 1) < 1e-6
    assert body["knowledge_version"]


def test_assess_without_content_type_reads_json(client: TestClient) -> None:
    r = client.post("/api/assess", content=json.dumps(CASE).encode())
    assert r.status_code == 200
    assert r.json()["case_id"] == "api-1"


def test_assess_json_array_gives_a_batch(client: TestClient) -> None:
    second = {**CASE, "id": "api-2"}
    r = client.post("/api/assess", json=[CASE, {"labs": "none"}, second])
    assert r.status_code == 200
    body = r.json()
    assert [a["case_id"] for a in body["assessments"]] == ["api-1", "api-2"]
    assert body["rejected"][0]["pointer"] == "[1]"
    assert body["rejected"][0]["problems"][0]["pointer"] == "[1].labs"
    assert body["stats"]["read"] == 3
    assert body["stats"]["assessed"] == 2


def test_assess_fhir_bundle(client: TestClient) -> None:
    r = client.post(
        "/api/assess",
        content=(DATA / "fhir" / "bundle.json").read_bytes(),
        headers={"Content-Type": "application/fhir+json"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["case_id"] == "pat-1"
    assert body["alp"]["value"] is not None
    # the records the reader left out are said, not dropped
    assert any(w.startswith("not used: ") for w in body["warnings"])
    # those that are not errors are counted by category, not listed one by one
    assert "not used: 1 resource type not used (not an error)" in body["warnings"]


def test_assess_fhir_bundle_sent_as_plain_json(client: TestClient) -> None:
    r = client.post(
        "/api/assess",
        content=(DATA / "fhir" / "bundle.json").read_bytes(),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["case_id"] == "pat-1"


@pytest.mark.parametrize(
    "content_type", ["application/hl7-v2", "x-application/hl7-v2+er7", "text/plain"]
)
def test_assess_hl7v2(client: TestClient, content_type: str) -> None:
    r = client.post(
        "/api/assess",
        content=(DATA / "hl7v2" / "oru_r01_v251_chemistry.hl7").read_bytes(),
        headers={"Content-Type": content_type},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["alp"]["value"] is not None
    assert body["causes"]


def test_assess_hl7v2_batch_gives_several(client: TestClient) -> None:
    r = client.post(
        "/api/assess",
        content=(DATA / "hl7v2" / "oru_r01_batch_two_patients.hl7").read_bytes(),
        headers={"Content-Type": "application/hl7-v2"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["assessments"]) == 2
    assert body["stats"]["format"] == "hl7v2"
    assert body["stats"]["cases"] == 2


def test_assess_csv(client: TestClient) -> None:
    r = client.post(
        "/api/assess",
        content=(DATA / "csv" / "clean.csv").read_bytes(),
        headers={"Content-Type": "text/csv; charset=utf-8"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [a["case_id"] for a in body["assessments"]] == ["P001", "P002", "P003"]
    stats = body["stats"]
    assert stats["format"] == "csv"
    assert stats["read"] == stats["used"] + stats["rejected"]


def test_the_temporary_file_is_deleted(client: TestClient, tmp_path: Path) -> None:
    import tempfile

    before = set(Path(tempfile.gettempdir()).glob("lowalp-api-*"))
    client.post(
        "/api/assess",
        content=(DATA / "csv" / "clean.csv").read_bytes(),
        headers={"Content-Type": "text/csv"},
    )
    client.post("/api/assess", content=b"not,a\ncsv", headers={"Content-Type": "text/csv"})
    assert set(Path(tempfile.gettempdir()).glob("lowalp-api-*")) == before


@pytest.mark.parametrize(
    ("fmt", "media"),
    [("fhir", "application/fhir+json"), ("html", "text/html"), ("text", "text/plain")],
)
def test_assess_output_formats(client: TestClient, fmt: str, media: str) -> None:
    r = client.post(f"/api/assess?format={fmt}", json=CASE)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(media)
    if fmt == "fhir":
        bundle = r.json()
        assert bundle["resourceType"] == "Bundle"
        kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
        assert "GuidanceResponse" in kinds
    elif fmt == "html":
        assert r.text.lstrip().lower().startswith("<!doctype html")
        assert "<script" not in r.text.lower()
    else:
        assert "ALP" in r.text


def test_audience_changes_the_html(client: TestClient) -> None:
    clinician = client.post("/api/assess?format=html", json=CASE).text
    patient = client.post("/api/assess?format=html&audience=patient", json=CASE).text
    assert clinician != patient


def test_fhir_output_of_several_is_a_bundle_of_bundles(client: TestClient) -> None:
    r = client.post(
        "/api/assess?format=fhir",
        content=(DATA / "csv" / "clean.csv").read_bytes(),
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 200
    doc = r.json()
    assert doc["type"] == "collection"
    assert len(doc["entry"]) == 3
    assert all(e["resource"]["resourceType"] == "Bundle" for e in doc["entry"])


def test_html_of_several_cases_is_refused(client: TestClient) -> None:
    r = client.post("/api/assess?format=html", json=[CASE, CASE])
    error = assert_error(r, 422)
    assert error["problems"][0]["pointer"] == "format"


def test_strict_turns_unknown_units_into_errors(client: TestClient) -> None:
    case = {**CASE, "labs": [*CASE["labs"], {"analyte": "zinc", "value": 80, "unit": "furlongs"}]}
    assert client.post("/api/assess", json=case).status_code == 200
    assert_error(client.post("/api/assess?strict=true", json=case), 422)


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("content_type", ["image/png", "application/xml", "multipart/form-data"])
def test_unknown_content_type_is_415_with_the_accepted_list(
    client: TestClient, content_type: str
) -> None:
    r = client.post("/api/assess", content=b"<x/>", headers={"Content-Type": content_type})
    error = assert_error(r, 415)
    for accepted in ("application/json", "application/fhir+json", "text/csv", "application/hl7-v2"):
        assert accepted in error["detail"]


def test_plain_text_that_is_not_hl7_is_415(client: TestClient) -> None:
    r = client.post("/api/assess", content=b"hello", headers={"Content-Type": "text/plain"})
    error = assert_error(r, 415)
    assert "MSH" in error["problems"][0]["hint"]


def test_broken_json_is_422_with_line_and_column(client: TestClient) -> None:
    body = b'{\n  "labs": [\n    {"analyte": "alp", "value": 19,,}\n  ]\n}'
    error = assert_error(
        client.post("/api/assess", content=body, headers={"Content-Type": "application/json"}),
        422,
    )
    assert re.fullmatch(r"line 3, column \d+", error["problems"][0]["pointer"])


@pytest.mark.parametrize(
    "body", [b"", b"   ", b"\xff\xfe{}", b"[]", b"42", b'"case"', b"null", b"[[[[]]]]", b"{}"]
)
def test_odd_json_bodies_are_422(client: TestClient, body: bytes) -> None:
    assert_error(
        client.post("/api/assess", content=body, headers={"Content-Type": "application/json"}),
        422,
    )


def test_a_case_with_ten_errors_lists_all_ten(client: TestClient) -> None:
    case = {
        "patient": {"age_years": -3, "sex": "X", "birth_date": "yesterday"},
        "labs": [
            {"analyte": "alp", "value": "low-ish", "unit": "U/L", "day": "today"},
            {"analyte": "alp", "value": 20, "ref_low": "a", "ref_high": "b", "date": "never"},
            {"analyte": "tsh", "qualifier": "maybe", "colour": "red"},
        ],
        "context": {"setting": "ward"},
    }
    error = assert_error(client.post("/api/assess", json=case), 422)
    pointers = {p["pointer"] for p in error["problems"]}
    assert pointers == {
        "patient.age_years",
        "patient.sex",
        "patient.birth_date",
        "labs[0].value",
        "labs[0].day",
        "labs[1].ref_low",
        "labs[1].ref_high",
        "labs[1].date",
        "labs[2].qualifier",
        "labs[2].colour",
        "context.setting",
    }


def test_bad_query_parameter_is_422(client: TestClient) -> None:
    error = assert_error(client.post("/api/assess?format=xml", json=CASE), 422)
    assert error["problems"][0]["pointer"] == "query.format"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("hl7v2/bad_broken_msh.hl7", "application/hl7-v2"), ("csv/missing_columns.csv", "text/csv")],
)
def test_unreadable_files_are_422(client: TestClient, path: str, content_type: str) -> None:
    r = client.post(
        "/api/assess", content=(DATA / path).read_bytes(), headers={"Content-Type": content_type}
    )
    assert_error(r, 422)


def test_bad_fhir_is_422(client: TestClient) -> None:
    for body in (b'{"resourceType": "Bundle", "entry": 3}', b'{"resourceType": "Patient"}'):
        r = client.post(
            "/api/assess", content=body, headers={"Content-Type": "application/fhir+json"}
        )
        assert_error(r, 422)


def test_too_large_with_content_length_is_413(client: TestClient) -> None:
    r = client.post(
        "/api/assess", content=b"x" * (LIMIT + 1), headers={"Content-Type": "application/json"}
    )
    error = assert_error(r, 413)
    assert str(LIMIT) in error["detail"]


def test_too_large_chunked_is_413(client: TestClient) -> None:
    def chunks() -> Any:
        for _ in range(LIMIT // 1000 + 5):
            yield b" " * 1000

    r = client.post("/api/assess", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in r.request.headers
    assert_error(r, 413)


def test_a_chunked_body_under_the_limit_is_read(client: TestClient) -> None:
    data = json.dumps(CASE).encode()

    def chunks() -> Any:
        for i in range(0, len(data), 50):
            yield data[i : i + 50]

    r = client.post("/api/assess", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 200
    assert r.json()["case_id"] == "api-1"


# ----------------------------------------------------------------------------- OpenAPI and docs


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/assess",
        "/api/knowledge",
        "/api/knowledge/causes/{cause_id}",
        "/api/health",
        "/api/analytes",
    ):
        assert path in paths
    post = paths["/api/assess"]["post"]
    content = post["requestBody"]["content"]
    assert {"application/json", "application/fhir+json", "application/hl7-v2", "text/csv"} <= set(
        content
    )
    case_schema = content["application/json"]["schema"]["oneOf"][0]
    assert "labs" in case_schema["required"]
    assert {"200", "413", "415", "422"} <= set(post["responses"])
    ok = post["responses"]["200"]["content"]
    assert {"application/json", "application/fhir+json", "text/html", "text/plain"} <= set(ok)
    assert "Assessment" in spec["components"]["schemas"]
    assert "ErrorResponse" in spec["components"]["schemas"]
    # the documented 422 is our error shape, not FastAPI's default one
    ref = post["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/ErrorResponse")


def test_docs_load_without_any_external_url(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", page.text)
    assert urls
    for url in urls:
        assert not re.match(r"(?i)^(https?:)?//", url), url
        assert client.get(url).status_code == 200, url
    assert "cdn" not in page.text.lower()
    # Swagger UI 5 (4 cannot read OpenAPI 3.1), from the package, started by a script file
    js = client.get("/static/swagger-ui/swagger-ui-bundle.js")
    assert js.status_code == 200
    assert len(js.content) > 100_000
    version = client.get("/static/swagger-ui/VERSION").text
    assert re.fullmatch(r"swagger-ui-dist 5\.\d+\.\d+\n", version), version
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")
    assert "Apache License" in client.get("/static/swagger-ui/LICENSE").text
    assert "<script>" not in page.text


def test_factory_reads_its_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from lowalp.web.app import factory

    monkeypatch.setenv("LOWALP_WEB_MAX_BODY_BYTES", "100")
    monkeypatch.setenv("LOWALP_CDS_ALLOW_UNSIGNED", "1")
    app = factory()
    assert app.state.settings.max_body_bytes == 100
    assert app.state.settings.cds_allow_unsigned is True
    r = TestClient(app).post("/api/assess", json=CASE)
    assert_error(r, 413)
