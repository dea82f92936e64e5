"""Files that once gave a traceback or a 500, each now a clear rejection (or a clean read)
through the command line, the API and the upload page; and generated inputs (hypothesis) with
NaN, infinities, huge integers, deep nesting, odd encodings and line endings: never a
traceback, never a 500, every record counted."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.hostile.doors import api, cli, problems, strict_loads, upload

from lowalp.adapters import load
from lowalp.errors import InputError

DATA = Path(__file__).resolve().parents[1] / "data"
CASE = {
    "patient": {"age_years": 46, "sex": "F"},
    "labs": [
        {"analyte": "alp", "value": 19, "unit": "U/L", "day": 0},
        {"analyte": "alp", "value": 21, "unit": "U/L", "day": -200},
    ],
}
DEEP = "[" * 100_000 + "]" * 100_000
CSV_ROWS = "p1,alp,19,U/L,0\np1,alp,21,U/L,-200\n"


def counts(err: str) -> tuple[int, int, int]:
    m = re.search(r"(\d+) [\w ]+ read = (\d+) used \+ (\d+) rejected", err)
    assert m, err
    return int(m[1]), int(m[2]), int(m[3])


@pytest.mark.parametrize(
    ("name", "text", "fmt", "content_type", "says"),
    [
        ("deep.json", '{"labs": ' + DEEP + "}", "case-json", "application/json", "too deeply"),
        (
            "deep-fhir.json",
            '{"resourceType": "Bundle", "entry": ' + DEEP + "}",
            "fhir",
            "application/fhir+json",
            "too deeply",
        ),
        ("deep.ndjson", DEEP + "\n" + DEEP + "\n", "fhir", "application/fhir+ndjson", "deep"),
        (
            "digits.json",
            json.dumps(CASE).replace('"value": 19', '"value": ' + "7" * 4400),
            "case-json",
            "application/json",
            "labs[0].value: not a finite number",
        ),
        (
            "header.csv",
            "patient_id,analyte,value,unit,day," + "x" * 140_000 + "\n" + CSV_ROWS,
            "csv",
            "text/csv",
            "header: not readable as CSV: field larger than field limit",
        ),
        (
            "not-msh.hl7",
            "PID|1||123\rOBX|1|NM|6768-6^ALP^LN||19|U/L\r",
            "hl7v2",
            "application/hl7-v2",
            "does not start with a MSH segment",
        ),
    ],
)
def test_each_is_a_clear_rejection(
    tmp_path: Path, name: str, text: str, fmt: str, content_type: str, says: str
) -> None:
    file = tmp_path / name
    file.write_text(text)
    ran = cli("assess", file, "--input-format", fmt, "--format", "json")
    assert ran.code == 1
    assert says in ran.err
    assert ran.out == ""
    r = api(text, content_type)
    assert r.status_code == 422
    assert says.split(":")[-1].strip() in json.dumps(problems(r))
    assert upload(name, text).status_code == 422


def test_cr_only_line_endings_read_as_lines(tmp_path: Path) -> None:
    text = "patient_id,analyte,value,unit,day\r" + CSV_ROWS.replace("\n", "\r")
    file = tmp_path / "mac.csv"
    file.write_text(text, newline="")
    ran = cli("assess", file, "--format", "json")
    assert ran.code == 0, ran.err
    assert counts(ran.err) == (2, 2, 0)
    assert strict_loads(ran.out)["alp"]["persistent"] is True
    assert api(text, "text/csv").status_code == 200


def test_a_csv_field_past_the_limit_rejects_its_row_only(tmp_path: Path) -> None:
    text = "patient_id,analyte,value,unit,day,note\n" + "p1,alp,19,U/L,0,\n"
    text += "p1,alp,20,U/L,-100," + "x" * 140_000 + "\np1,alp,21,U/L,-200,\n"
    file = tmp_path / "long.csv"
    file.write_text(text)
    ran = cli("assess", file, "--format", "json")
    assert ran.code == 0
    assert "field larger than field limit" in ran.err
    assert counts(ran.err) == (3, 2, 1)


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-16", b""), ("latin-1", b""), ("utf-8", b"\xef\xbb\xbf")],
)
def test_odd_encodings_are_read_or_refused_by_name(
    tmp_path: Path, encoding: str, bom: bytes
) -> None:
    csv_text = "patient_id,analyte,value,unit,day,note\np1,alp,19,U/L,0,café\np1,alp,21,U/L,-200,\n"
    for name, text in (
        ("labs.csv", csv_text),
        ("case.json", json.dumps(CASE | {"id": "é"}, ensure_ascii=False)),
    ):
        file = tmp_path / name
        file.write_bytes(bom + text.encode(encoding))
        ran = cli("assess", file, "--format", "json")
        if encoding == "utf-8":
            assert ran.code == 0, ran.err
            strict_loads(ran.out)
        else:
            assert ran.code == 1
            assert "UTF-8" in ran.err or "could not tell the format" in ran.err
        upload(name, file.read_bytes())


# ----------------------------------------------------------------------------- generated

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e309", "9" * 5000]),
)


def _literal(x: object) -> str:
    if isinstance(x, str):
        return x
    if isinstance(x, float) and x != x:
        return "NaN"
    if isinstance(x, float) and x in (float("inf"), float("-inf")):
        return "Infinity" if x > 0 else "-Infinity"
    return json.dumps(x)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    field=st.sampled_from(["value", "ref_low", "ref_high", "day"]),
    number=NUMBERS,
    depth=st.integers(min_value=0, max_value=3000),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_generated_cases_never_break_a_door(
    field: str, number: object, depth: int, newline: str
) -> None:
    case = json.loads(json.dumps(CASE))
    case["labs"][0][field] = "@@"
    text = json.dumps(case, indent=1).replace('"@@"', _literal(number))
    if depth:
        text = text.rstrip()[:-1] + ', "context": {"notes": ' + "[" * depth + "]" * depth + "}}"
    text = text.replace("\n", newline)
    r = api(text, "application/json")
    if r.status_code == 200:
        strict_loads(r.text)
    else:
        assert r.status_code == 422
    page = upload("case.json", text)
    assert page.status_code in (200, 422)


@settings(max_examples=30, deadline=None)
@given(
    cells=st.lists(
        st.tuples(
            st.sampled_from(["p1", "p2", "=p3", "@p4"]),
            st.one_of(st.just("alp"), st.text(max_size=5)),
            st.one_of(NUMBERS.map(_literal), st.text(max_size=8)),
            st.sampled_from(["U/L", "", "ukat/L", "\u00b5kat/L"]),
            st.one_of(st.integers(-500, 0).map(str), st.just("NaN"), st.just("inf")),
        ),
        min_size=1,
        max_size=12,
    ),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_generated_csv_rows_are_all_counted(
    tmp_path_factory: pytest.TempPathFactory, cells: list[tuple[str, ...]], newline: str
) -> None:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(["patient_id", "analyte", "value", "unit", "day"])
    writer.writerows(cells)
    file = tmp_path_factory.mktemp("gen") / "labs.csv"
    file.write_bytes(buffer.getvalue().encode("utf-8", "surrogatepass"))
    ran = cli("assess", file, "--format", "json", "--quiet")
    if ran.code == 0:
        if ran.out.startswith("{\n"):  # one case: one indented document
            strict_loads(ran.out)
        else:  # several: JSON Lines
            for line in ran.out.splitlines():
                strict_loads(line)
    try:
        result = load(file)
        cases = list(result.cases)
    except InputError:  # refused whole (a CR file with a line break in a quoted cell)
        assert ran.code == 1
        assert api(file.read_bytes(), "text/csv").status_code == 422
        return
    assert result.stats.reconciles(), result.stats
    if newline != "\r" and all(any(c.strip() for c in row) for row in cells):
        assert result.stats.read == len(cells)  # one record a row, line breaks in cells too
    assert result.stats.cases >= len(cases)
    r = api(file.read_bytes(), "text/csv")
    if r.status_code == 200:
        body = strict_loads(r.text)
        stats = body.get("stats")
        if stats:
            assert stats["read"] == stats["used"] + stats["rejected"]
