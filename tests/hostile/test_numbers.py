"""NaN, infinities and numbers too large for a float, anywhere in a case and through every
door: refused with the field named (a JSON case, FHIR, HL7 v2), or, in a table, the row
refused with its column — except ``NaN`` in a CSV or Parquet cell, which is pandas' way of
writing "missing" and is read as an empty cell, and said so."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from tests.hostile.doors import api, cli, problems, strict_loads, upload

from lowalp.model import EventRecord, LabResult, MedicationRecord, Patient

DATA = Path(__file__).resolve().parents[1] / "data"
CASE: dict[str, Any] = {
    "id": "h1",
    "patient": {"age_years": 46, "sex": "F"},
    "labs": [
        {"analyte": "alp", "value": 19, "unit": "U/L", "ref_low": 35, "ref_high": 104, "day": 0},
        {"analyte": "alp", "value": 21, "unit": "U/L", "day": -200},
    ],
    "context": {
        "medications": [{"name": "alendronate", "status": "stopped", "days_since_stopped": 30}],
        "events": [{"event": "cardiac surgery", "days_before": 10}],
    },
}
FIELDS = [
    ("labs", 0, "value"),
    ("labs", 0, "ref_low"),
    ("labs", 0, "ref_high"),
    ("labs", 1, "day"),
    ("patient", "age_years"),
    ("context", "medications", 0, "days_since_stopped"),
    ("context", "events", 0, "days_before"),
]
BAD = ["NaN", "Infinity", "-Infinity", "1e309", "-1e309", "9" * 5000]


def _pointer(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def case_text(path: tuple[str | int, ...], literal: str) -> str:
    """The case as JSON with ``literal`` (not valid JSON itself) at ``path``."""
    case = copy.deepcopy(CASE)
    node: Any = case
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = "@@HERE@@"
    return json.dumps(case).replace('"@@HERE@@"', literal)


@pytest.mark.parametrize("literal", BAD)
@pytest.mark.parametrize("path", FIELDS, ids=_pointer)
def test_the_json_case_doors_refuse_it_with_the_field(
    tmp_path: Path, path: tuple[str | int, ...], literal: str
) -> None:
    text = case_text(path, literal)
    pointer = _pointer(path)
    file = tmp_path / "case.json"
    file.write_text(text)
    ran = cli("assess", file, "--format", "json")
    assert ran.code == 1
    assert ran.out == ""
    assert f"{pointer}: not a finite number" in ran.err

    r = api(text, "application/json")
    assert r.status_code == 422
    assert [p["pointer"] for p in problems(r)] == [pointer]

    page = upload("case.json", text)
    assert page.status_code == 422
    assert pointer in page.text


def test_every_refused_number_is_named_at_once(tmp_path: Path) -> None:
    text = case_text(("labs", 0, "ref_low"), "NaN").replace('"day": -200', '"day": -Infinity')
    r = api(text, "application/json")
    assert [p["pointer"] for p in problems(r)] == ["labs[0].ref_low", "labs[1].day"]


def test_a_json_lines_file_refuses_only_the_line(tmp_path: Path) -> None:
    good = json.dumps(CASE)
    file = tmp_path / "cases.jsonl"
    file.write_text("\n".join([good, case_text(("labs", 0, "ref_low"), "NaN"), good]) + "\n")
    ran = cli("assess", file, "--format", "json")
    assert ran.code == 0
    assert len(ran.out.splitlines()) == 2
    assert "line 2: labs[0].ref_low: not a finite number" in ran.err
    assert "3 cases read = 2 used + 1 rejected" in ran.err


@pytest.mark.parametrize(
    "make",
    [
        lambda: LabResult(analyte="alp", value=float("nan")),
        lambda: LabResult(analyte="alp", value=20, ref_low=float("inf")),
        lambda: LabResult(analyte="alp", value=20, day=float("-inf")),
        lambda: LabResult(analyte="alp", value=20, day=1e300),
        lambda: Patient(age_years=float("nan")),
        lambda: MedicationRecord(name="x", duration_days=float("inf")),
        lambda: EventRecord(event="x", day=float("nan")),
    ],
)
def test_the_input_models_refuse_non_finite_numbers(make: Any) -> None:
    """The class fixed at the model: an adapter that built a case around its own parsing
    would be stopped here too."""
    with pytest.raises(ValidationError):
        make()


# ----------------------------------------------------------------------------- FHIR


def _bundle_with(literal: str) -> str:
    text = (DATA / "fhir" / "bundle.json").read_text()
    assert '"value": 18' in text
    return text.replace('"value": 18', f'"value": {literal}', 1)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-1e309"])
def test_a_fhir_bundle_with_it_is_refused_with_the_element(tmp_path: Path, literal: str) -> None:
    text = _bundle_with(literal)
    file = tmp_path / "bundle.json"
    file.write_text(text)
    ran = cli("assess", file, "--format", "fhir")
    assert ran.code == 1
    assert "resource.valueQuantity.value: not a finite number" in ran.err
    r = api(text, "application/fhir+json")
    assert r.status_code == 422
    assert problems(r)[0]["pointer"].endswith("resource.valueQuantity.value")
    assert upload("bundle.json", text).status_code == 422


def test_a_fhir_value_too_large_for_a_float_rejects_the_resource(tmp_path: Path) -> None:
    file = tmp_path / "bundle.json"
    file.write_text(_bundle_with("9" * 400))
    ran = cli("assess", file, "--format", "json")
    assert ran.code == 0
    assert "valueQuantity.value: not a finite number" in ran.err
    strict_loads(ran.out)


def test_an_ndjson_line_with_it_is_one_reject(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    for f in (DATA / "fhir" / "bulk").iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    obs = folder / "Observation.ndjson"
    lines = obs.read_text().splitlines()
    first = json.loads(lines[0])
    first["valueQuantity"]["value"] = "@@"
    lines.append(json.dumps(first).replace('"@@"', "NaN"))
    obs.write_text("\n".join(lines) + "\n")
    ran = cli("assess", folder, "--format", "json")
    assert ran.code == 0
    assert f"Observation.ndjson line {len(lines)}, valueQuantity.value: not a finite" in ran.err
    read, used, rejected = _counts(ran.err)
    assert read == used + rejected


def _counts(err: str) -> tuple[int, int, int]:
    import re

    m = re.search(r"(\d+) [\w ]+ read = (\d+) used \+ (\d+) rejected", err)
    assert m, err
    return int(m[1]), int(m[2]), int(m[3])


# ----------------------------------------------------------------------------- HL7 v2


def test_an_hl7_number_too_large_for_a_float_rejects_its_obx(tmp_path: Path) -> None:
    text = (DATA / "hl7v2" / "oru_r01_v251_chemistry.hl7").read_text()
    segments = text.replace("\n", "\r").split("\r")
    i = next(i for i, s in enumerate(segments) if s.startswith("OBX|") and "|NM|" in s)
    fields = segments[i].split("|")
    fields[5] = "9" * 400
    segments[i] = "|".join(fields)
    file = tmp_path / "big.hl7"
    file.write_text("\r".join(segments))
    ran = cli("assess", file, "--format", "json")
    assert "the number is too large to be a result" in ran.err
    read, used, rejected = _counts(ran.err)
    assert read == used + rejected
    assert rejected >= 1


# ----------------------------------------------------------------------------- CSV, Parquet

CSV_HEAD = "patient_id,sex,age,day,analyte,value,unit,ref_low,ref_high\n"


@pytest.mark.parametrize("cell", ["inf", "-Infinity", "1e309", "infinity"])
@pytest.mark.parametrize("column", ["day", "value", "ref_low", "age"])
def test_a_csv_infinity_rejects_the_row_with_its_column(
    tmp_path: Path, column: str, cell: str
) -> None:
    row = {"patient_id": "p1", "sex": "F", "age": "46", "day": "0", "analyte": "alp"}
    row |= {"value": "19", "unit": "U/L", "ref_low": "35", "ref_high": "104"}
    bad = row | {column: cell}
    other = row | {"day": "-200", "value": "21"}
    file = tmp_path / "labs.csv"
    file.write_text(CSV_HEAD + ",".join(bad.values()) + "\n" + ",".join(other.values()) + "\n")
    ran = cli("assess", file, "--format", "json")
    assert ran.code == 0
    assert f"row 1 (column {column}): not a number" in ran.err
    assert _counts(ran.err) == (2, 1, 1)
    doc = strict_loads(ran.out)
    assert doc["alp"]["value"] == 21


def test_a_csv_nan_is_a_missing_cell_and_said_so(tmp_path: Path) -> None:
    file = tmp_path / "labs.csv"
    file.write_text(
        CSV_HEAD
        + "p1,F,NaN,0,alp,19,U/L,NaN,104\n"
        + "p1,F,,-100,alp,nan,U/L,35,104\n"
        + "p1,F,46,-200,alp,21,U/L,35,104\n"
    )
    ran = cli("assess", file, "--format", "json")
    assert ran.code == 0
    assert "NaN in column ref_low" in ran.err
    assert "no lower reference limit from the lab (row 1)" in ran.err
    assert "NaN in column value" in ran.err
    assert "row 2 (column value): no value and no qualifier" in ran.err
    assert _counts(ran.err) == (3, 2, 1)
    doc = strict_loads(ran.out)
    index = doc["alp"]
    assert index["value"] == 19
    assert index["limit_source"] != "lab"  # no lab range: not "normal" against a NaN limit


def test_a_parquet_nan_is_a_missing_cell_and_an_infinity_a_reject(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    nan, inf = float("nan"), float("inf")
    table = pa.table(
        {
            "patient_id": ["p1", "p1", "p1", "p1"],
            "sex": ["F"] * 4,
            "age": [46.0, nan, 46.0, 46.0],
            "day": [0.0, -100.0, -200.0, -inf],
            "analyte": ["alp"] * 4,
            "value": [19.0, nan, 21.0, 22.0],
            "unit": ["U/L"] * 4,
            "ref_low": [nan, 35.0, 35.0, 35.0],
            "ref_high": [104.0, 104.0, inf, 104.0],
        }
    )
    file = tmp_path / "labs.parquet"
    pq.write_table(table, file)
    ran = cli("assess", file, "--format", "json")
    assert ran.code == 0
    assert "NaN in column ref_low" in ran.err
    assert "row 2 (column value): no value and no qualifier" in ran.err
    assert "row 3 (column ref_high): not a number" in ran.err
    assert "row 4 (column day): not a number" in ran.err
    assert _counts(ran.err) == (4, 1, 3)
    assert strict_loads(ran.out)["alp"]["value"] == 19
    r = upload("labs.parquet", file.read_bytes())
    assert r.status_code == 200
    assert "NaN in column ref_low" in r.text


# ----------------------------------------------------------------------------- output


EXTREME: dict[str, Any] = {
    "id": "edge",
    "patient": {"age_years": 0, "sex": "M"},
    "labs": [
        {"analyte": "alp", "value": 1e308, "unit": "U/L", "ref_low": 1e-308, "day": 59_999},
        {"analyte": "alp", "value": 5e-324, "unit": "U/L", "day": -59_999},
        {"analyte": "phosphate", "value": 1.7e308, "unit": "mg/dL", "day": 0},
        {"analyte": "b12", "value": 1e308, "unit": "pmol/L", "ref_high": 1e308, "day": 1},
    ],
    "context": {"medications": [{"name": "x", "duration_days": 60_000}]},
}


@pytest.mark.parametrize("fmt", ["json", "fhir"])
def test_every_json_output_is_strict_json(tmp_path: Path, fmt: str) -> None:
    """Extreme but finite inputs: whatever the arithmetic does, the output is JSON that a
    strict parser reads (no NaN, no Infinity)."""
    file = tmp_path / "edge.json"
    file.write_text(json.dumps(EXTREME))
    ran = cli("assess", file, "--format", fmt)
    assert ran.code == 0, ran.err
    strict_loads(ran.out)
    r = api(json.dumps(EXTREME), "application/json", format=fmt)
    assert r.status_code == 200
    strict_loads(r.text)
    batch = api(json.dumps([EXTREME, CASE]), "application/json", format=fmt)
    assert batch.status_code == 200
    strict_loads(batch.text)


def test_a_range_printed_without_its_lower_limit_does_not_make_a_low_alp_normal() -> None:
    """A missing lower limit (a NaN read as empty, or ``null``) cannot say a value is low:
    the age/sex interval judges it, not an upper limit alone."""
    case = copy.deepcopy(CASE)
    case["labs"][0]["ref_low"] = None
    r = api(json.dumps(case), "application/json")
    assert r.status_code == 200
    alp = r.json()["alp"]
    assert alp["status"] == "low"
    assert alp["lower_limit"] == alp["age_sex_lower_limit"]
    assert alp["persistent"] is True
