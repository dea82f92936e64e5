"""lowalp screen end to end on a small hand-made OMOP data set: outputs, rejects, reconciliation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("ibis")
pytest.importorskip("duckdb")

from lowalp.screen import rejects as R  # noqa: E402
from lowalp.screen.inputs import ScreenInput  # noqa: E402
from lowalp.screen.runner import run_screen  # noqa: E402

# Ibis 12 calls DuckDB 2.0's deprecated fetch_arrow_table() and pandas 3's deprecated
# future.infer_string option; neither is ours to fix.
pytestmark = [
    pytest.mark.filterwarnings(r"ignore:fetch_arrow_table\(\) is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(r"ignore:The 'future.infer_string' option is deprecated"),
]

ALP, ALB, TSH = 3035995, 3024561, 3009201
U_L, G_DL = 8645, 8713


def write_omop(folder: Path, persons: list[dict[str, Any]], rows: list[dict[str, Any]]) -> Path:
    """measurement.parquet and person.parquet from plain dicts (missing columns left null)."""
    folder.mkdir(parents=True, exist_ok=True)
    cols = [
        "measurement_id", "person_id", "measurement_concept_id", "measurement_date",
        "value_as_number", "unit_concept_id", "unit_source_value", "range_low", "range_high",
        "operator_concept_id", "value_source_value",
    ]  # fmt: skip
    m = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)
    m["measurement_id"] = range(1, len(m) + 1)
    m["measurement_date"] = pd.to_datetime(m.measurement_date).dt.date
    for c in ("unit_concept_id", "operator_concept_id", "person_id", "measurement_concept_id"):
        m[c] = m[c].astype("Int64")
    for c in ("value_as_number", "range_low", "range_high"):
        m[c] = m[c].astype("float64")
    for c in ("unit_source_value", "value_source_value"):
        m[c] = m[c].astype("string")
    p = pd.DataFrame(persons)
    for c in ("month_of_birth", "day_of_birth"):
        if c not in p:
            p[c] = None
        p[c] = p[c].astype("Int64")
    m.to_parquet(folder / "measurement.parquet", index=False)
    p.to_parquet(folder / "person.parquet", index=False)
    return folder


def alp(pid: int, date: str, value: float | None, **kw: Any) -> dict[str, Any]:
    return {"person_id": pid, "measurement_concept_id": ALP, "measurement_date": date,
            "value_as_number": value, "unit_concept_id": U_L, "unit_source_value": "U/L", **kw}  # fmt: skip


def small_data(tmp: Path) -> Path:
    persons = [
        {"person_id": 1, "gender_concept_id": 8532, "year_of_birth": 1970},  # persistent low
        {"person_id": 2, "gender_concept_id": 8507, "year_of_birth": 1960},  # normal
        {
            "person_id": 3,
            "gender_concept_id": 8532,
            "year_of_birth": 2012,
        },  # child, adult range printed
        {
            "person_id": 4,
            "gender_concept_id": 0,
            "year_of_birth": 1980,
        },  # sex unknown, fell from normal
    ]
    rows = [
        alp(1, "2023-01-10", 22.0),
        alp(1, "2023-03-15", 20.0, range_low=35.0, range_high=104.0),
        {"person_id": 1, "measurement_concept_id": ALB, "measurement_date": "2023-03-01",
         "value_as_number": 4.1, "unit_concept_id": G_DL},
        {"person_id": 1, "measurement_concept_id": TSH, "measurement_date": "2022-06-01",
         "value_as_number": 2.0, "unit_source_value": "mIU/L"},  # outside the window
        alp(2, "2023-01-10", 80.0),
        alp(3, "2023-02-01", 60.0, range_low=40.0, range_high=129.0),  # 10.6 y: 129-417 U/L
        alp(4, "2022-01-01", 70.0),
        alp(4, "2023-01-01", 25.0),
        # dirty rows, one reason each
        alp(1, None, 30.0),
        alp(2, "2023-05-01", None, value_source_value="see comment"),
        alp(2, "2023-05-02", None),
        {**alp(2, "2023-05-03", 30.0), "unit_concept_id": 0, "unit_source_value": "furlongs"},
        {**alp(2, "2023-05-04", 30.0), "measurement_concept_id": 999999},
        alp(77, "2023-05-05", 30.0),
        {"person_id": 2, "measurement_concept_id": TSH, "measurement_date": "2023-05-06",
         "value_as_number": 0.01, "unit_source_value": "mIU/L", "operator_concept_id": 4171756},
        alp(2, "2023-05-07", 20000.0),
        alp(2, "2023-05-08", 30.0, range_low=50.0, range_high=10.0),
        alp(3, "2005-01-01", 30.0),
        alp(1, "2023-01-10", 22.0),  # duplicate of row 0
        alp(1, "2023-03-15", 21.0),  # same day as row 1, other value
    ]  # fmt: skip
    return write_omop(tmp / "omop", persons, rows)


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("screen")
    folder = small_data(tmp)
    return run_screen(ScreenInput("omop", folder), tmp / "out"), tmp / "out"


def test_outputs_written(result: Any) -> None:
    _, out = result
    for name in ("worklist.parquet", "worklist.csv", "rejects.parquet"):
        assert (out / name).exists()


def test_rows_reconcile(result: Any) -> None:
    r, _ = result
    c = r.counts
    assert c["rows_read"] == 20
    assert c["rows_read"] == c["rows_used"] + c["rows_rejected"]
    assert c["rows_rejected"] == len(r.rejects) == 12
    assert c["screen_assess_disagreements"] == 0
    assert c["persons_checked_against_assess"] == len(r.worklist) == 3


def test_a_row_that_differs_from_assess_is_counted(tmp_path: Path) -> None:
    """The check is real: a work-list row changed after scoring is caught field by field."""
    from lowalp.knowledge import load_knowledge
    from lowalp.screen import worklist

    kb = load_knowledge()
    p = worklist.PersonRows(
        1, "F", dt.date(1970, 5, 1), (("alp", 20.0, 35.0, 104.0, dt.date(2023, 3, 15), None),)
    )
    own = worklist.assess_person(p, kb)
    row = {**own, "index_status": own["assess_status"], "persistent": own["assess_persistent"]}
    assert worklist.differs(row, own) == []
    assert worklist.differs({**row, "cause_2": "scurvy"}, own) == ["cause_2"]
    moved = {**row, "cause_1_probability": own["cause_1_probability"] + 1e-6}
    assert worklist.differs(moved, own) == ["cause_1_probability"]


def test_each_reject_has_its_reason(result: Any) -> None:
    r, _ = result
    reasons = dict(zip(r.rejects.source_row, r.rejects.reason, strict=True))
    assert reasons == {
        8: R.NO_DATE,
        9: R.TEXT_VALUE,
        10: R.NO_VALUE,
        11: R.UNKNOWN_UNIT,
        12: R.UNMAPPED,
        13: R.NO_PERSON,
        14: R.OPERATOR,
        15: R.IMPOSSIBLE,
        16: R.BAD_RANGE,
        17: R.BEFORE_BIRTH,
        18: R.DUPLICATE,
        19: R.SAME_DAY,
    }


def test_worklist_rows(result: Any) -> None:
    r, _ = result
    wl = r.worklist.set_index("person_id")
    assert set(wl.index) == {1, 3, 4}
    p1 = wl.loc[1]
    assert p1.persistent == True  # noqa: E712
    assert (p1.n_alp, p1.n_low) == (2, 2)
    assert p1.index_alp == 20.0
    assert p1.lowest_alp == 20.0
    assert p1.albumin == 4.1
    assert pd.isna(p1.tsh)
    assert wl.loc[3].n_low_inside_printed_range == 1
    assert wl.loc[4].persistent == False  # noqa: E712
    assert list(r.worklist.hpp_priority) == [1, 2, 3]
    assert r.worklist.person_id.iloc[0] == 1
    assert "persistent" in r.worklist.hpp_priority_reasons.iloc[0]


def test_long_format(tmp_path: Path) -> None:
    csv = tmp_path / "long.csv"
    csv.write_text(
        "patient_id,sex,birth_date,date,loinc,value,unit,ref_low,ref_high\n"
        "P1,F,1970-05-01,2023-01-10,6768-6,0.35,µkat/L,,\n"
        "P1,F,1970-05-01,2023-03-15,6768-6,20,U/L,35,104\n"
        "P1,F,1970-05-01,2023-03-15,1751-7,41,g/L,,\n"
        "P2,M,1960-01-01,2023-01-10,3016-3,<0.01,mIU/L,,\n"
        "P2,M,1960-01-01,2023-01-11,6768-6,80,U/L,,\n",
        encoding="utf-8",
    )
    r = run_screen(ScreenInput("measurements", csv), tmp_path / "out")
    assert r.counts["rows_read"] == 5
    assert r.counts["rows_rejected"] == 1
    assert r.rejects.reason.tolist() == [R.OPERATOR]
    wl = r.worklist
    assert wl.patient_id.tolist() == ["P1"]
    assert wl.n_low.iloc[0] == 2
    assert wl.persistent.iloc[0]
    assert abs(wl.albumin.iloc[0] - 4.1) < 1e-9


def test_dates_are_dates(result: Any) -> None:
    r, _ = result
    assert r.worklist.index_date.iloc[0] == pd.Timestamp(dt.date(2023, 3, 15))


def test_a_duckdb_database_gives_the_same_worklist(tmp_path: Path) -> None:
    """`--duckdb FILE` (measurement, person and concept tables in a database) screens like the
    same tables given as files."""
    import duckdb

    src = small_data(tmp_path / "files")
    db = tmp_path / "lab.duckdb"
    con = duckdb.connect(str(db))
    for table in ("measurement", "person"):
        con.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_parquet('{src / (table + '.parquet')}')"
        )
    con.close()
    from_db = run_screen(ScreenInput("duckdb", db), tmp_path / "out-db")
    from_files = run_screen(ScreenInput("omop", src), tmp_path / "out-files")
    cols = ["person_id", "n_alp", "n_low", "persistent", "index_alp", "cause_1"]
    assert from_db.worklist[cols].to_dict("records") == from_files.worklist[cols].to_dict("records")
    assert from_db.counts["rows_read"] == from_files.counts["rows_read"]


def test_a_censored_alp_is_read_as_assess_reads_it(tmp_path: Path) -> None:
    """ "<5 U/L" (operator '<') is low when 5 is at or below the lower limit, as in `assess`;
    a censored result of another analyte is still left out (rejected with its reason)."""
    from lowalp import assess

    LESS = 4171756  # OMOP '<' (knowledge/omop.yaml)
    persons = [{"person_id": 7, "gender_concept_id": 8532, "year_of_birth": 1975}]
    rows = [
        alp(7, "2024-01-10", 5.0, operator_concept_id=LESS),
        alp(7, "2024-04-10", 5.0, operator_concept_id=LESS),
        {"person_id": 7, "measurement_concept_id": 3009201, "measurement_date": "2024-04-10",
         "value_as_number": 0.01, "unit_source_value": "mIU/L", "operator_concept_id": LESS},
    ]  # fmt: skip
    r = run_screen(
        ScreenInput("omop", write_omop(tmp_path / "omop", persons, rows)), tmp_path / "o"
    )
    (row,) = r.worklist.to_dict("records")
    assert row["n_low"] == 2
    assert bool(row["persistent"]) is True
    assert list(r.rejects.reason) == [R.OPERATOR]  # the TSH only
    case = {
        "patient": {"birth_date": "1975-07-01", "sex": "F"},
        "labs": [
            {"analyte": "alp", "qualifier": "<", "value": 5, "unit": "U/L", "date": "2024-01-10"},
            {"analyte": "alp", "qualifier": "<", "value": 5, "unit": "U/L", "date": "2024-04-10"},
        ],
    }
    a = assess(case)
    assert a.alp.status == "low"
    assert a.alp.persistent is True
    assert row["cause_1"] == a.causes[0].id


def test_co_analytes_are_those_assess_takes_as_drawn_with_the_index(tmp_path: Path) -> None:
    """Within the knowledge's window (30 days), the nearest; of two equally near, the later."""
    csv = tmp_path / "long.csv"
    csv.write_text(
        "patient_id,sex,birth_date,date,loinc,value,unit\n"
        "P1,F,1970-05-01,2023-01-10,6768-6,21,U/L\n"
        "P1,F,1970-05-01,2023-03-15,6768-6,20,U/L\n"
        "P1,F,1970-05-01,2023-02-03,62236-5,250,nmol/L\n"  # 40 days before: outside
        "P1,F,1970-05-01,2023-03-05,1751-7,3.9,g/dL\n"  # 10 days before
        "P1,F,1970-05-01,2023-03-25,1751-7,4.2,g/dL\n"  # 10 days after: the later wins
        "P1,F,1970-05-01,2023-03-10,3016-3,1.5,mIU/L\n"  # 5 days before: nearest
        "P1,F,1970-05-01,2023-04-04,3016-3,2.5,mIU/L\n",  # 20 days after
        encoding="utf-8",
    )
    r = run_screen(ScreenInput("measurements", csv), tmp_path / "out")
    row = r.worklist.iloc[0]
    assert pd.isna(row.plp)
    assert "PLP" not in row.hpp_priority_reasons
    assert abs(row.albumin - 4.2) < 1e-9
    assert abs(row.tsh - 1.5) < 1e-9


def test_explain_prints_each_query_plan_without_writing(tmp_path: Path, capsys: Any) -> None:
    from lowalp.cli import main

    folder = tmp_path / "omop"
    from lowalp.screen.synth.generate import SynthConfig, synthesize

    synthesize(SynthConfig(persons=50, out=folder, seed=3))
    assert main(["screen", "--omop", str(folder), "--explain"]) == 0
    text = capsys.readouterr().out
    for heading in ("== 1. the rows used", "== 2. persons", "== 3. the result", "== 5. in memory"):
        assert heading in text
    assert "READ_PARQUET" in text
    assert "HASH_JOIN" in text
    assert not (tmp_path / "out").exists()


def test_screen_without_out_or_explain_names_the_missing_option(
    tmp_path: Path, capsys: Any
) -> None:
    from lowalp.cli import main

    csv = tmp_path / "long.csv"
    csv.write_text("patient_id,date,loinc,value,unit\nP1,2023-01-10,6768-6,20,U/L\n")
    assert main(["screen", "--measurements", str(csv)]) != 0
    assert "--out" in capsys.readouterr().err


def test_scoring_in_chunks_gives_the_same_worklist(tmp_path: Path) -> None:
    from lowalp.screen.synth.generate import SynthConfig, synthesize

    folder = tmp_path / "omop"
    synthesize(SynthConfig(persons=300, out=folder, seed=11))
    whole = run_screen(ScreenInput("omop", folder), tmp_path / "a").worklist
    parts = run_screen(ScreenInput("omop", folder), tmp_path / "b", chunk=7).worklist
    assert len(whole) > 14  # several chunks
    pd.testing.assert_frame_equal(whole, parts)


FINDING_CASES = {
    "censored ALP over a bilirubin": [
        ("6768-6", "<20", "U/L"), ("1975-2", "2", "mg/dL"), ("1920-8", "900", "U/L"),
        ("1742-6", "300", "U/L"),
    ],
    "EDTA pattern on the day": [
        ("6768-6", "12", "U/L"), ("2823-3", "7.9", "mmol/L"), ("17861-6", "6.1", "mg/dL"),
        ("19123-9", "1.1", "mg/dL"), ("1751-7", "2.9", "g/dL"), ("2160-0", "0.8", "mg/dL"),
    ],
    "anaemia and B12 in a child": [
        ("6768-6", "90", "U/L"), ("718-7", "7.2", "g/dL"), ("2132-9", "120", "pg/mL"),
        ("3016-3", "9.5", "mIU/L"),
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(FINDING_CASES))
def test_every_finding_is_decided_as_assess_decides_it(name: str, tmp_path: Path) -> None:
    """The program's columnar evaluation gives every finding the state and applicability the
    engine of `lowalp assess` gives it, for the same person's rows."""
    from lowalp.engine import STAGES
    from lowalp.engine.assess import run_stages
    from lowalp.engine.program import compile_program
    from lowalp.engine.work import Work
    from lowalp.knowledge import load_knowledge
    from lowalp.model import Case, LabResult, Patient
    from lowalp.normalise import normalise
    from lowalp.screen import engines, expression, inputs
    from lowalp.screen.program_eval import ABSENT, PRESENT, Evaluator

    kb = load_knowledge()
    born = "2015-02-01" if "child" in name else "1980-05-01"
    csv = tmp_path / "long.csv"
    lines = [
        f"P1,F,{born},2023-03-15,{code},{value},{unit}" for code, value, unit in FINDING_CASES[name]
    ]
    csv.write_text("patient_id,sex,birth_date,date,loinc,value,unit\n" + "\n".join(lines) + "\n")
    src = ScreenInput("measurements", csv)
    src.work_dir.mkdir(parents=True, exist_ok=True)
    con = engines.connect("duckdb", temp_directory=src.work_dir)
    used = R.used_view(R.classify(inputs.stage(con, src, kb), kb))
    program = compile_program(kb)
    frame = expression.screen_frame(used, kb, program.analytes, program.specimen_analytes)
    assert len(frame) == 1
    ev = Evaluator(program, {c: frame[c].to_numpy() for c in frame.columns}, 1)

    day = dt.date(2023, 3, 15)
    labs = []
    for code, value, unit in FINDING_CASES[name]:
        censored = value.startswith("<")
        labs.append(
            LabResult(
                analyte=kb.loinc_index[code], value=float(value.lstrip("<")), unit=unit,
                qualifier="<" if censored else None, date=day,
            )
        )  # fmt: skip
    case = Case(patient=Patient(sex="F", birth_date=dt.date.fromisoformat(born)), labs=tuple(labs))
    work = run_stages(Work(kb=kb, case=normalise(case, kb)), STAGES)
    code = {"present": PRESENT, "absent": ABSENT, "unknown": 0}
    for fid, fs in work.findings.items():
        got = ev.state(fid)
        assert int(got.state[0]) == code[fs.state], (fid, fs)
        assert bool(got.applicable[0]) == fs.applicable, (fid, fs)


def test_a_ratio_with_a_censored_alp_is_bounded_as_assess_bounds_it(tmp_path: Path) -> None:
    """ALP "<20" over a bilirubin of 15 mg/dL: the ratio is below 4 whatever the ALP, in the
    screen as in `assess` (through the ratio's bounds, not the number 20)."""
    from lowalp import assess
    from lowalp.model import Case, LabResult, Patient

    csv = tmp_path / "long.csv"
    csv.write_text(
        "patient_id,sex,birth_date,date,loinc,value,unit\n"
        "P1,F,1990-05-01,2023-03-15,6768-6,<20,U/L\n"
        "P1,F,1990-05-01,2023-03-15,1975-2,15,mg/dL\n"
        "P1,F,1990-05-01,2023-03-15,1920-8,900,U/L\n"
        "P1,F,1990-05-01,2023-03-15,1742-6,300,U/L\n",
        encoding="utf-8",
    )
    r = run_screen(ScreenInput("measurements", csv), tmp_path / "out")
    (row,) = r.worklist.to_dict("records")
    day = dt.date(2023, 3, 15)
    labs = (
        LabResult(analyte="alp", value=20, unit="U/L", qualifier="<", date=day),
        LabResult(analyte="bilirubin_total", value=15, unit="mg/dL", date=day),
        LabResult(analyte="ast", value=900, unit="U/L", date=day),
        LabResult(analyte="alt", value=300, unit="U/L", date=day),
    )
    case = Case(patient=Patient(sex="F", birth_date=dt.date(1990, 5, 1)), labs=labs)
    a = assess(case)
    for i in range(3):
        assert row[f"cause_{i + 1}"] == a.causes[i].id
        assert abs(row[f"cause_{i + 1}_probability"] - round(a.causes[i].probability, 4)) < 1e-9


def test_a_long_file_is_read_with_the_column_names_assess_reads(
    tmp_path: Path, capsys: Any
) -> None:
    """Header names matched as `lowalp assess` matches them: case, aliases (`age_years`),
    `--column ours=theirs`, sex words (`female`); the same file assessed and screened gives the
    same status for the patient, and a wrong mapping names the option."""
    from lowalp.adapters import load
    from lowalp.cli import main

    csv = tmp_path / "extract.csv"
    csv.write_text(
        "MRN,Sex,Age_Years,Date,LOINC,Value,Unit\n"
        "A1,female,52,2023-01-10,6768-6,21,U/L\n"
        "A1,female,52,2023-03-15,6768-6,22,U/L\n",
        encoding="utf-8",
    )
    r = run_screen(
        ScreenInput("measurements", csv, columns={"patient_id": "MRN"}), tmp_path / "out"
    )
    assert r.counts["rows_rejected"] == 0, r.rejects
    row = r.worklist.iloc[0]
    assert (row.patient_id, row.sex, row.index_status) == ("A1", "F", "low")
    assert bool(row.persistent)
    from lowalp.adapters.base import ReadOptions

    (case,) = list(load(csv, options=ReadOptions(columns={"patient_id": "MRN"})).cases)
    assert case.patient.sex == "F"
    assert case.patient.age_years == 52

    out = tmp_path / "out2"
    args = ["screen", "--measurements", str(csv), "--out", str(out)]
    assert main([*args, "--column", "patient_id=MRM"]) != 0
    err = capsys.readouterr().err
    assert "--column patient_id=MRM" in err
    assert "did you mean 'mrn'?" in err
    assert main([*args, "--column", "patient_id=MRN", "-q"]) == 0
    assert main(["screen", "--omop", str(tmp_path), "--column", "a=b", "--out", str(out)]) != 0
    assert "goes with --measurements" in capsys.readouterr().err


def test_the_review_files_split_persistent_from_single_lows_in_words(tmp_path: Path) -> None:
    """review.csv holds the persistent lows, single_lows.csv the rest, in the work-list's order,
    with units in the headers, causes by name, and a leading cause only where a finding
    supports it."""
    from lowalp.knowledge import load_knowledge
    from lowalp.screen.synth.generate import SynthConfig, synthesize

    kb = load_knowledge()
    folder = tmp_path / "omop"
    synthesize(SynthConfig(persons=400, out=folder, seed=5))
    r = run_screen(ScreenInput("omop", folder), tmp_path / "out")
    review = pd.read_csv(tmp_path / "out" / "review.csv")
    single = pd.read_csv(tmp_path / "out" / "single_lows.csv")
    wl = r.worklist
    assert len(review) == int((wl.persistent == True).sum())  # noqa: E712
    assert len(review) + len(single) == len(wl)
    assert set(review.persistent) == {"yes"}
    assert "yes" not in set(single.persistent)
    assert list(review.priority) == sorted(review.priority)
    assert "ALP at index (U/L)" in review.columns
    assert "Albumin (g/dL)" in review.columns
    names = {c.name for c in kb.causes.values()}
    unexplained = kb.causes[kb.settings.link_ceilings.excess_to].name
    both = pd.concat([review, single])
    scored = ~both["leading cause"].str.startswith("none: the newest ALP is")
    assert not scored.all()  # some persons' newest ALP is normal again
    both = both[scored]
    assert set(both["leading cause"]) <= names
    prior_only = both["supported by"].fillna("").str.startswith("no finding present supports")
    assert (both.loc[prior_only, "leading cause"] == unexplained).all()
    assert both.loc[prior_only, "leading cause (%)"].isna().all()
    assert both.loc[~prior_only, "leading cause (%)"].notna().all()
    # rounded as shown: one decimal for ALP
    assert (
        both["ALP at index (U/L)"].dropna() == both["ALP at index (U/L)"].dropna().round(1)
    ).all()


def test_a_cause_no_finding_supports_is_not_shown_as_the_leading_cause() -> None:
    """A most probable cause that rests on its prior alone is not put forward: the reviewer
    reads the knowledge's "no identifiable cause yet", and why, without a probability."""
    from lowalp.knowledge import load_knowledge
    from lowalp.screen import worklist

    kb = load_knowledge()
    row = {
        "hpp_priority": 1, "person_id": 7, "sex": "F", "age_at_index": 61.04,
        "index_alp": 31.26, "index_date": dt.date(2024, 1, 2), "lowest_alp": 29.0,
        "n_low": 1, "n_alp": 3, "first_low_date": dt.date(2024, 1, 2),
        "last_low_date": dt.date(2024, 1, 2), "persistent": False,
        "n_low_inside_printed_range": 0, "index_status": "low",
        "cause_1": "acute_illness", "cause_1_probability": 0.3812, "cause_1_supporting": "",
        "sample_artefact": "",
        "hpp_probability": 0.0123, "hpp_priority_reasons": "HPP probability 0.01",
    }  # fmt: skip
    (out,) = worklist.readable(pd.DataFrame([row]), kb).to_dict("records")
    assert out["leading cause"] == kb.causes[kb.settings.link_ceilings.excess_to].name
    assert pd.isna(out["leading cause (%)"])
    assert out["supported by"].startswith(
        f"no finding present supports {kb.causes['acute_illness'].name}, the most probable (38%"
    )
    assert (out["age at index (years)"], out["ALP at index (U/L)"]) == (61.0, 31.3)
    assert out["HPP probability (%)"] == 1.2
    assert out["low results"] == "1 of 3"
    assert pd.isna(out["check the sample first"])
    row["sample_artefact"] = "edta_contamination"
    (out,) = worklist.readable(pd.DataFrame([row]), kb).to_dict("records")
    spec = kb.causes["edta_contamination"].artifact
    assert spec is not None
    assert out["check the sample first"] == spec.heading
