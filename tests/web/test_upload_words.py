"""What an upload that cannot be used says: what to do with the file, never a command-line
option, and for an ALP it could not use, that ALP and why — not "add an ALP"."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lowalp.web import WebSettings, create_app
from lowalp.web.errors import CLI_FLAG

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(WebSettings()))


def _said(page: str) -> str:
    """The page's words: no style sheet (its custom properties begin with "--"), no tags."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", page))


def _fhir_with_alp_unit(unit: str) -> bytes:
    bundle = json.loads((DATA / "fhir" / "bundle.json").read_text(encoding="utf-8"))
    for entry in bundle["entry"]:
        r = entry["resource"]
        codes = [c.get("code") for c in r.get("code", {}).get("coding", [])]
        if r["resourceType"] == "Observation" and "valueQuantity" in r and "6768-6" in codes:
            r["valueQuantity"] = {"value": r["valueQuantity"]["value"], "unit": unit}
    return json.dumps(bundle).encode()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("missing.csv", (DATA / "csv" / "missing_columns.csv").read_bytes()),
        ("local.csv", (DATA / "csv" / "local_codes.csv").read_bytes()),
        ("x.bin", b"\x00\x01 not a case"),
    ],
    ids=["missing-columns", "local-codes", "unknown-format"],
)
def test_an_upload_error_names_no_command_line_option(
    client: TestClient, name: str, data: bytes
) -> None:
    r = client.post("/upload", files={"file": (name, data)})
    said = _said(r.text)
    assert not CLI_FLAG.search(said), CLI_FLAG.findall(said)


def test_a_missing_column_says_to_rename_it(client: TestClient) -> None:
    data = (DATA / "csv" / "missing_columns.csv").read_bytes()
    said = _said(client.post("/upload", files={"file": ("m.csv", data)}).text)
    assert "missing required column" in said
    assert "rename the file's columns" in said


def test_an_alp_with_an_unknown_unit_is_named_not_asked_for(client: TestClient) -> None:
    r = client.post("/upload", files={"file": ("b.json", _fhir_with_alp_unit("U/ml"))})
    assert r.status_code == 422
    said = _said(r.text)
    assert "add a lab with analyte" not in said
    assert "unit 'U/ml' is not known for Alkaline phosphatase" in said
    assert "accepted: U/L, IU/L" in said
    assert "closest: 'U/L'" in said


def test_an_unknown_format_is_named_in_words_with_what_to_do(client: TestClient) -> None:
    said = _said(client.post("/upload", files={"file": ("results.dat", b"ALP 22 U/L\n")}).text)
    assert "its format was not recognised (lowalp reads case JSON, FHIR JSON" in said
    assert "save it with a name ending .json" in said
    assert not re.search(r"case-json|hl7v2|tried fhir", said), said
