"""``lowalp screen`` against hostile files: a database whose views read other files, names
with quotes, text in numeric columns, missing required columns, formula cells, and a screen
stopped half-way (the output folder keeps one complete run, or none)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")
duckdb = pytest.importorskip("duckdb")
pytest.importorskip("ibis")

from tests.hostile.doors import cli  # noqa: E402

from lowalp.screen import outputs  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings(r"ignore:fetch_arrow_table\(\) is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(r"ignore:The 'future.infer_string' option is deprecated"),
]
ALP = 3035995
MEASUREMENT = (
    "person_id,measurement_concept_id,measurement_date,value_as_number,unit_source_value,"
    "range_low,range_high\n"
    "1,3035995,2023-01-10,22,U/L,35,104\n"
    "1,3035995,2023-03-15,20,U/L,35,104\n"
    "2,3035995,2023-01-10,80,U/L,35,104\n"
)
PERSON = "person_id,gender_concept_id,year_of_birth\n1,8532,1970\n2,8507,1960\n"


def omop(folder: Path, measurement: str = MEASUREMENT, person: str = PERSON) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "measurement.csv").write_text(measurement)
    (folder / "person.csv").write_text(person)
    return folder


def screen(*args: str | Path) -> tuple[int, str]:
    ran = cli("screen", "--quiet", *args)
    return ran.code, ran.err


def test_one_text_cell_in_a_numeric_column_is_one_reject(tmp_path: Path) -> None:
    data = omop(tmp_path / "omop", MEASUREMENT + "2,3035995,2023-02-01,abc,U/L,35,104\n")
    code, err = screen("--omop", data, "--out", tmp_path / "out")
    assert code == 0, err
    rejects = pd.read_parquet(tmp_path / "out" / "rejects.parquet")
    assert list(rejects.reason) == ["text value"]
    assert list(rejects.value) == ["abc"]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    counts = manifest["counts"]
    assert counts["rows_read"] == 4
    assert counts["rows_read"] == counts["rows_used"] + counts["rows_rejected"]


def test_a_person_table_without_gender_concept_id_is_refused_by_name(tmp_path: Path) -> None:
    data = omop(tmp_path / "omop", person="person_id,year_of_birth\n1,1970\n2,1960\n")
    code, err = screen("--omop", data, "--out", tmp_path / "out")
    assert code == 1
    assert "person table: missing column(s): gender_concept_id" in err
    assert not (tmp_path / "out" / "manifest.json").exists()
    assert not list((tmp_path / "out").glob(outputs.STAGING_PREFIX + "*"))


@pytest.mark.parametrize("name", ["it's.csv", "a'); DROP TABLE x; --.csv", 'q"uote.csv'])
def test_quotes_in_a_measurements_file_name_are_only_a_name(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(
        "patient_id,sex,age,date,analyte,value,unit\n"
        "p1,F,50,2023-01-10,alp,20,U/L\np1,F,50,2023-04-10,alp,21,U/L\n"
    )
    code, err = screen("--measurements", path, "--out", tmp_path / "out")
    assert code == 0, err
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["input"]["path"] == name


def _database(path: Path, *, person_view: str | None = None) -> Path:
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE measurement AS SELECT * FROM (VALUES "
        "(1, 3035995, DATE '2023-01-10', 22.0, 'U/L'), (1, 3035995, DATE '2023-03-15', 20.0, 'U/L'))"
        " t(person_id, measurement_concept_id, measurement_date, value_as_number, unit_source_value)"
    )
    if person_view:
        con.execute(f"CREATE VIEW person AS {person_view}")
    else:
        con.execute(
            "CREATE TABLE person AS SELECT 1 AS person_id, 8532 AS gender_concept_id, "
            "1970 AS year_of_birth"
        )
    con.close()
    return path


def test_a_database_is_screened_from_its_tables(tmp_path: Path) -> None:
    db = _database(tmp_path / "in.duckdb")
    code, err = screen("--duckdb", db, "--out", tmp_path / "out")
    assert code == 0, err
    assert (tmp_path / "out" / "manifest.json").exists()


def test_a_view_in_the_database_is_refused_and_never_run(tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("person_id,gender_concept_id,year_of_birth\n1,8532,1970\n")
    db = _database(
        tmp_path / "in.duckdb",
        person_view=f"SELECT * FROM read_csv('{secret}')",  # the attacker's own file
    )
    code, err = screen("--duckdb", db, "--out", tmp_path / "out")
    assert code == 1
    assert "person is a view, not a table" in err
    assert not (tmp_path / "out" / "rejects.parquet").exists()


def test_the_input_database_cannot_reach_files(tmp_path: Path) -> None:
    from lowalp.screen import engines

    db = _database(tmp_path / "in.duckdb")
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the database")
    con = engines.connect(database=db, temp_directory=tmp_path)
    try:
        settings = con.raw_sql(
            "SELECT current_setting('enable_external_access'), "
            "current_setting('autoinstall_known_extensions'), "
            "current_setting('autoload_known_extensions')"
        ).fetchall()
        assert settings == [(False, False, False)]
        with pytest.raises(duckdb.PermissionException):
            con.raw_sql(f"SELECT * FROM read_text('{secret}')").fetchall()
    finally:
        con.disconnect()


FORMULAS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def test_formula_cells_are_neutralised_in_every_csv_written(tmp_path: Path) -> None:
    rows = "".join(
        f"{pid},F,50,2023-01-10,alp,20,U/L\n{pid},F,50,2023-04-10,alp,21,U/L\n"
        for pid in ("=cmd", "+x", "@x")
    )
    path = tmp_path / "long.csv"
    path.write_text("patient_id,sex,age,date,analyte,value,unit\n" + rows)
    code, err = screen("--measurements", path, "--out", tmp_path / "out")
    assert code == 0, err
    with (tmp_path / "out" / "worklist.csv").open(newline="") as fh:
        listed = list(csv.DictReader(fh))
    assert sorted(r["patient_id"] for r in listed) == ["'+x", "'=cmd", "'@x"]
    assert all(not r["index_alp"].startswith("'") for r in listed)
    raw = pd.read_parquet(tmp_path / "out" / "worklist.parquet")
    assert sorted(raw.patient_id) == ["+x", "=cmd", "@x"]  # the raw value where it is data


def test_the_rejects_csv_of_assess_is_neutralised(tmp_path: Path) -> None:
    lines = ["patient_id,analyte,value,unit,day", "p1,alp,20,U/L,0", "p1,alp,21,U/L,-200"]
    lines += [f"p1,alp,{v},U/L,-{i + 1}" for i, v in enumerate(['"=1+2"', "-5", '"@x"'])]
    path = tmp_path / "labs.csv"
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "rejects.csv"
    ran = cli("assess", path, "--rejects", out, "--format", "json")
    assert ran.code == 0, ran.err
    with out.open(newline="") as fh:
        values = [r["value"] for r in csv.DictReader(fh)]
    assert "'=1+2" in values
    assert "'@x" in values
    assert "-5" in values  # a negative number stays a number


def test_an_interrupted_screen_leaves_the_previous_complete_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = omop(tmp_path / "omop")
    out = tmp_path / "out"
    assert screen("--omop", data, "--out", out)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert {"manifest.json", "worklist.csv", "worklist.parquet", "rejects.parquet"} <= set(before)

    more = MEASUREMENT + "2,3035995,2023-02-01,abc,U/L,35,104\n"
    omop(tmp_path / "omop", more)
    from lowalp.screen import runner

    def stop(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # Ctrl-C after the rejects and the work-list were written

    monkeypatch.setattr(runner, "_summary", stop)
    with pytest.raises(KeyboardInterrupt):
        cli("screen", "--quiet", "--omop", data, "--out", out)
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before  # nothing new, nothing half-written, no staging folder left

    monkeypatch.undo()
    assert screen("--omop", data, "--out", out)[0] == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is True
    assert manifest["counts"]["rows_read"] == 4
    assert manifest["knowledge_version"]
    assert "finished_at" in manifest
    assert set(manifest["outputs"]) <= {p.name for p in out.iterdir()}
