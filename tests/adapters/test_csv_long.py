"""The long CSV / Parquet adapter: samples, rejected rows and their pointers, whole-file errors,
and the round trip case -> rows -> case on the bundled examples."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

from lowalp import assess, load_case
from lowalp.adapters.base import ReadOptions, ReadResult
from lowalp.adapters.code_map import CodeMap
from lowalp.adapters.csv_long import (
    ADAPTER,
    PARQUET_ADAPTER,
    cases_to_rows,
    parse_number,
    parse_value,
    write_csv,
)
from lowalp.errors import InputError
from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.model import Assessment, Case, EventRecord, FindingRecord, MedicationRecord

DATA = Path(__file__).parents[1] / "data" / "csv"
EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.json"))

CUSTOM = {
    "patient_id": "MRN",
    "sex": "Gender",
    "birth_date": "DOB",
    "date": "Collected",
    "loinc": "Test LOINC",
    "value": "Result",
    "unit": "Units",
    "ref_low": "Low",
    "ref_high": "High",
}


def read(name: str | Path, options: ReadOptions | None = None) -> tuple[ReadResult, list[Case]]:
    path = name if isinstance(name, Path) else DATA / name
    adapter = PARQUET_ADAPTER if path.suffix == ".parquet" else ADAPTER
    result = adapter.read(path, options or ReadOptions(), load_knowledge())
    cases = list(result.cases)
    assert result.stats.reconciles(), result.stats.summary()
    assert result.stats.rejected == len(result.rejected)
    assert result.stats.cases == len(cases)
    return result, cases


def pointers(result: ReadResult) -> dict[str, str]:
    return {r.pointer: r.reason for r in result.rejected}


# ----------------------------------------------------------------------------- samples


def test_clean_file_gives_one_case_per_patient_in_first_seen_order(kb: Knowledge) -> None:
    result, cases = read("clean.csv")
    assert [c.id for c in cases] == ["P001", "P002", "P003"]
    assert result.stats.read == 30
    assert result.stats.rejected == 0
    child, edta, surgery = cases

    assert child.patient.sex == "M"
    assert child.patient.birth_date == dt.date(2020, 5, 10)
    assert child.labs[0].analyte == "alp"
    assert child.labs[0].loinc == "6768-6"
    assert child.labs[0].date == dt.date(2024, 9, 2)
    assert child.labs[0].specimen == "S1"
    assert child.context.medications == ()  # "none": told, and takes none
    assert child.context.events is None  # not told
    a = assess(child, knowledge=kb)
    assert a.alp.status == "low"
    assert a.alp.low_for_age_only

    assert "edta_contamination" in [x.id for x in assess(edta, knowledge=kb).artifacts]

    assert surgery.context.medications == ("warfarin 3 mg daily", "bisoprolol 2.5 mg daily")
    assert surgery.context.findings == ("aortic stenosis",)
    assert [e.event for e in surgery.context.events or ()] == [
        "cardiac_surgery",
        "cardiopulmonary bypass",
        "transfusion",
    ]
    assert surgery.context.events
    assert surgery.context.events[0].date == dt.date(2024, 10, 7)
    assert surgery.labs[0].unit == "µkat/L"
    assert surgery.labs[0].ref_low == 0.58
    assert assess(surgery, knowledge=kb).top(1) == ["cardiac_surgery"]


def test_semicolon_file_reads_decimal_commas() -> None:
    result, cases = read("semicolon.csv")
    a17 = cases[0]
    assert (a17.labs[0].value, a17.labs[0].ref_low, a17.labs[0].ref_high) == (0.42, 0.58, 1.74)
    plp = a17.labs[4]
    assert (plp.analyte, plp.qualifier, plp.value) == ("plp", "<", 5.0)
    assert pointers(result) == {
        "row 8 (column value)": "ambiguous number (thousands separator?); write it as 1234.5"
    }
    assert result.warnings[0].startswith("semicolon-separated")


def test_tsv_with_days_qualifiers_and_censored_values() -> None:
    result, cases = read("tab.tsv")
    t1, t2 = cases
    assert [lab.day for lab in t1.labs] == [0, -120, 0, 0]
    assert (t1.labs[3].analyte, t1.labs[3].qualifier, t1.labs[3].value) == (
        "ttg_iga",
        "negative",
        None,
    )
    assert (t2.labs[1].qualifier, t2.labs[1].value) == (">", 2000)
    assert t2.patient.age_years == 8.5
    assert result.warnings[0].startswith("tab-separated")


def test_custom_column_names_through_the_mapping() -> None:
    result, cases = read("custom_columns.csv", ReadOptions(columns=CUSTOM))
    assert [c.id for c in cases] == ["100234", "100871"]
    first = cases[0]
    assert first.patient.sex == "F"
    assert first.labs[0].unit == "IU/L"
    assert first.labs[0].date == dt.date(2024, 2, 12)  # datetime with offset: the date as written
    assert cases[1].labs[0].date == dt.date(2024, 2, 13)
    assert not any("not used" in w for w in result.warnings)  # `Comment` is the note's alias
    assert [lab.note for lab in cases[1].labs] == ["borderline"]
    assert {lab.note for lab in first.labs} == {None}


def test_custom_columns_without_mapping_lists_every_missing_column() -> None:
    with pytest.raises(InputError) as err:
        ADAPTER.read(DATA / "custom_columns.csv", ReadOptions(), load_knowledge())
    (problem,) = err.value.problems
    assert "patient_id; value; unit; analyte or loinc or code" in problem.message
    assert "MRN, Gender, DOB" in str(problem.value)
    assert "--column" in (problem.hint or "")


def test_mapping_errors_are_listed_with_did_you_mean() -> None:
    columns = {**CUSTOM, "paitent_id": "MRN", "unit": "Unit"}
    with pytest.raises(InputError) as err:
        ADAPTER.read(DATA / "custom_columns.csv", ReadOptions(columns=columns), load_knowledge())
    text = str(err.value)
    assert "'paitent_id' is not one of our column names" in text
    assert "did you mean 'patient_id'?" in text
    assert "the file has no column 'Unit'" in text
    assert "did you mean 'units'?" in text


def test_local_codes_through_the_code_map(kb: Knowledge) -> None:
    code_map = CodeMap.load(DATA / "code_map.csv", kb)
    result, (case,) = read("local_codes.csv", ReadOptions(code_map=code_map))
    assert [lab.analyte for lab in case.labs] == ["alp", "alp", "albumin", "magnesium", "alp"]
    assert case.labs[0].unit == "U/L"  # no unit in the row: the map's unit
    assert case.labs[4].loinc == "6768-6"  # a LOINC code in the code column
    assert pointers(result) == {
        "row 6 (column code)": "unknown code (system LAB); add it to a --code-map file"
    }
    assert assess(case, knowledge=kb).alp.status == "low"


def test_local_codes_without_a_code_map_are_rejected() -> None:
    result, (case,) = read("local_codes.csv")
    assert len(case.labs) == 1  # only the LOINC row
    assert all("--code-map" in r.reason for r in result.rejected)
    assert [r.pointer for r in result.rejected] == [
        f"row {n} (column code)" for n in (1, 2, 3, 4, 6)
    ]


def test_dirty_rows_are_each_rejected_with_row_column_and_reason(kb: Knowledge) -> None:
    result, (d1, d2) = read("dirty.csv")
    got = pointers(result)
    assert got == {
        "row 2": "duplicate of row 1",
        "row 3 (column value)": "not a number",
        "row 4 (column value)": "not a number",
        "row 5 (column date)": "not an ISO date (YYYY-MM-DD)",
        # undated among D1's dated results: it cannot be placed among them
        "row 6 (column date)": "missing date",
        "row 9 (column value)": (
            "a second alp result for patient D1 at the same time as row 8 with a different "
            "value; row 8 kept (give a specimen id if both are real)"
        ),
        "row 12 (column analyte)": "unknown analyte id; did you mean 'albumin'?",
        "row 13 (column patient_id)": "no patient id",
        "row 14 (column value)": "a result cannot be negative",
        "row 16 (column value)": (
            "decimal comma in a file that is not semicolon-separated; write 4.1, or save the "
            "file with ';' as the delimiter"
        ),
        "row 17 (column value)": "a result but no analyte, loinc or code in the row",
        "row 18": (
            "the row has 11 fields, the header 10; a delimiter inside a value (a decimal "
            "comma?): quote the value"
        ),
        "row 19 (column value)": (
            "a second alp result for patient D2 at the same time as row 15 with a different "
            "value; row 15 kept (give a specimen id if both are real)"
        ),
    }
    values = {r.pointer: r.value for r in result.rejected}
    assert values["row 3 (column value)"] == "see comment"
    assert values["row 5 (column date)"] == "01/06/2024"
    assert result.stats.read == 19
    assert result.stats.used == 6
    warnings = "\n".join(result.warnings)
    assert "1 row(s) with a sex other than F/M/female/male ('X' (1))" in warnings
    assert "patient D1: row 11 gives sex M, row 1 gave F; F kept" in warnings
    assert "no date or day" not in warnings  # the one undated result was rejected

    assert d1.patient.sex == "F"
    assert [lab.analyte for lab in d1.labs] == ["alp", "magnesium", "alp", "ttg_iga", "plp"]
    assert (d1.labs[3].qualifier, d1.labs[4].qualifier, d1.labs[4].value) == ("positive", "<", 5)
    # the unknown unit is passed through; the core reports it
    a = assess(d1, knowledge=kb)
    assert [(n.pointer, n.value) for n in a.not_understood] == [("labs[1].unit", "U/dL")]
    assert d2.patient.sex == "M"
    assert len(d2.labs) == 1


@pytest.fixture(scope="module")
def clinical() -> tuple[ReadResult, list[Case]]:
    return read("clinical.csv")


def test_clinical_columns_under_their_common_names(clinical: tuple[ReadResult, list[Case]]) -> None:
    result, _ = clinical
    assert result.warnings[0] == (
        "comma-separated; columns: patient_id, sex, birth_date, date, loinc, analyte, value, "
        "unit, ref_low, ref_high, flag, text, note, medication, medication_status, "
        "medication_start, medication_end, medication_days_since_stopped, "
        "medication_duration_days, finding, finding_assertion, event, notes"
    )  # abnormal_flag, result_text, comment and clinical_notes by their aliases
    assert result.stats.summary() == "27 rows read = 22 used + 5 rejected; 2 cases"
    assert {r.pointer: (r.reason, r.value) for r in result.rejected} == {
        "row 6 (column text)": (
            "a result given only as text that is not a number or a qualifier, and no flag "
            "that gives one",
            "Haemolysed, not reported",
        ),
        "row 13 (column medication_status)": (
            "not a medication status (active, stopped, not-taken, intended, unknown)",
            "paused",
        ),
        "row 14 (column medication_status)": (
            "a medicine's status or dates but no medication in the row",
            "stopped",
        ),
        "row 20 (column finding_assertion)": (
            "not an assertion (present, absent, historical, family, hypothetical, uncertain)",
            "maybe",
        ),
        "row 21 (column note)": (
            "a result but no analyte, loinc or code in the row",
            "Lab comment without a result",
        ),
    }


def test_clinical_results_keep_flag_text_and_note(clinical: tuple[ReadResult, list[Case]]) -> None:
    _, (c01, _) = clinical
    by = {(lab.analyte, lab.date): lab for lab in c01.labs}
    alp = by["alp", dt.date(2025, 11, 3)]
    assert (alp.value, alp.flag, alp.note) == (24, "L", "Confirmed on repeat analysis")
    plp = by["plp", dt.date(2025, 11, 3)]
    assert (plp.value, plp.qualifier, plp.flag) == (300, ">", "HH")
    cerulo = by["ceruloplasmin", dt.date(2025, 11, 3)]  # text only: the flag N gives the qualifier
    assert (cerulo.qualifier, cerulo.text, cerulo.flag) == ("normal", "Within normal limits", "N")
    pea = by["urine_pea", dt.date(2025, 11, 4)]  # words in `value`: kept as text, flag H
    assert (pea.value, pea.qualifier, pea.text, pea.flag) == (None, "high", "see report", "H")
    assert pea.note == "Sent to the reference laboratory"
    ttg = by["ttg_iga", dt.date(2025, 11, 3)]  # a qualifier word in `text`
    assert (ttg.qualifier, ttg.text) == ("negative", "Negative")
    assert by["zinc", dt.date(2025, 11, 3)].flag == "low"  # a flag as a word, kept as given
    assert len(c01.labs) == 7


def test_clinical_context_records(clinical: tuple[ReadResult, list[Case]]) -> None:
    _, (c01, c02) = clinical
    assert c01.context.medications == (
        MedicationRecord(
            name="Alendronic acid 70 mg weekly",
            status="stopped",  # "discontinued"
            start=dt.date(2019, 2, 1),
            end=dt.date(2024, 8, 15),
        ),
        MedicationRecord(
            name="Colecalciferol 1000 units daily", status="active", start=dt.date(2024, 9, 1)
        ),
        MedicationRecord(name="Denosumab", status="not-taken"),  # "not taken"
        "Omeprazole 20 mg",  # no status or dates: free text, as before
    )
    assert c01.context.findings == (
        FindingRecord(
            text="Metatarsal stress fracture", assertion="historical", date=dt.date(2023, 4, 1)
        ),  # "resolved", dated by the row's date
        FindingRecord(text="Chondrocalcinosis", assertion="uncertain"),  # "possible"
        FindingRecord(text="Coeliac disease", assertion="absent"),  # "ruled out"
        FindingRecord(text="Hypophosphatasia", assertion="family"),  # "family history"
        "Bone pain",
    )
    assert c01.context.events == ("cardiac_surgery",)  # no date or day: text
    assert c01.context.notes == (
        "Seen in rheumatology clinic; stopped alendronate in August 2024.\n"
        "Mother had early loss of her teeth."
    )  # a quoted line break inside the cell
    assert c02.context.medications == (
        MedicationRecord(
            name="alendronate", status="stopped", days_since_stopped=90, duration_days=1825
        ),
    )
    assert c02.context.notes == "Retired builder.\n\nNo falls."  # two rows, in order


def test_clinical_parquet_gives_the_same_cases(tmp_path: Path) -> None:
    _, from_csv = read("clinical.csv")
    _, from_parquet = read(csv_to_parquet(DATA / "clinical.csv", tmp_path / "c.parquet", ","))
    assert from_parquet == from_csv


def test_round_trip_keeps_every_new_field(tmp_path: Path) -> None:
    """case -> rows -> case, exactly, with flags, texts, notes and context records."""
    _, cases = read("clinical.csv")
    path = tmp_path / "again.csv"
    write_csv(cases, path)
    result, back = read(path)
    assert result.rejected == []
    assert back == cases
    _, from_parquet = read(csv_to_parquet(path, tmp_path / "again.parquet", ","))
    assert from_parquet == cases


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "missing_columns.csv",
            "missing required column(s): patient_id; unit; analyte or loinc or code",
        ),
        ("wrong_delimiter.csv", "the header is split by semicolons but the rows by commas"),
        ("space_delimited.csv", "the header did not split into known columns"),
    ],
)
def test_whole_file_problems_raise_input_error(name: str, expected: str) -> None:
    with pytest.raises(InputError) as err:
        ADAPTER.read(DATA / name, ReadOptions(), load_knowledge())
    text = str(err.value)
    assert expected in text
    assert str(DATA / name) in text
    if name != "missing_columns.csv":
        assert "wrong delimiter?" in text
    else:
        assert "patient, sex, age, date, test, value" in text  # the header it found


def test_empty_and_non_utf8_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n")
    with pytest.raises(InputError, match="the file is empty"):
        ADAPTER.read(empty, ReadOptions(), load_knowledge())
    latin = tmp_path / "latin1.csv"
    latin.write_bytes(b"patient_id,analyte,value,unit\nA,zinc,82,\xb5g/dL\n")
    with pytest.raises(InputError, match=r"line 2: not UTF-8 text; save the file as UTF-8"):
        ADAPTER.read(latin, ReadOptions(), load_knowledge())


def test_bom_quoted_fields_pipe_delimiter_and_header_case(tmp_path: Path) -> None:
    path = tmp_path / "pipe.csv"
    path.write_text(
        '\ufeff Patient_ID | Analyte |VALUE| Unit | Finding\n"P|1"|alp|20|U/L|\nP2|alp|21|U/L|\n'
        'P2||||"bone pain, ""vague"""\n',
        encoding="utf-8",
    )
    _, cases = read(path)
    assert [c.id for c in cases] == ["P|1", "P2"]
    assert cases[1].context.findings == ('bone pain, "vague"',)


def test_progress_reports_bytes_up_to_the_file_size() -> None:
    seen: list[tuple[int, int | None]] = []
    ADAPTER.read(
        DATA / "clean.csv", ReadOptions(progress=lambda d, t: seen.append((d, t))), load_knowledge()
    )
    size = (DATA / "clean.csv").stat().st_size
    assert seen[-1] == (size, size)


def test_sniff() -> None:
    head = (DATA / "clean.csv").read_text()[:500]
    assert ADAPTER.sniff(head, None)
    assert ADAPTER.sniff((DATA / "semicolon.csv").read_text(), None)
    assert ADAPTER.sniff("MRN,Result\n", Path("x.csv"))
    assert not ADAPTER.sniff('{"labs": []}', Path("x.json"))
    assert not ADAPTER.sniff("MSH|^~\\&|LAB\r", None)
    assert PARQUET_ADAPTER.sniff("PAR1\x15\x04", None)
    assert not PARQUET_ADAPTER.sniff(head, Path("clean.csv"))


@pytest.mark.parametrize(
    ("text", "comma", "expected"),
    [
        ("4.1", False, (4.1, None)),
        ("4,1", True, (4.1, None)),
        ("<5", False, (5.0, "<")),
        ("< 5,0", True, (5.0, "<")),
        (">=100", False, (100.0, ">")),
        ("Positive", False, (None, "positive")),
        ("1e2", False, (100.0, None)),
    ],
)
def test_parse_value(text: str, comma: bool, expected: tuple[float | None, str | None]) -> None:
    assert parse_value(text, decimal_comma=comma) == expected


@pytest.mark.parametrize("text", ["4,1", "nan", "inf", "1_000", "12 U/L", "see comment"])
def test_parse_number_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"not|decimal comma"):
        parse_number(text, decimal_comma=False, column="value")


# ----------------------------------------------------------------------------- Parquet


def csv_to_parquet(src: Path, dst: Path, delimiter: str = ",") -> Path:
    from pyarrow import csv as pacsv
    from pyarrow import parquet as pq

    # types inferred: dates as date32, numbers as int64/double, empty cells as nulls
    table = pacsv.read_csv(src, parse_options=pacsv.ParseOptions(delimiter=delimiter))
    pq.write_table(table, dst, row_group_size=7)
    return dst


def test_parquet_gives_the_same_cases_as_the_csv(tmp_path: Path) -> None:
    path = csv_to_parquet(DATA / "clean.csv", tmp_path / "clean.parquet")
    seen: list[tuple[int, int | None]] = []
    PARQUET_ADAPTER.batch_size = 8  # several batches
    try:
        result, cases = read(path, ReadOptions(progress=lambda d, t: seen.append((d, t))))
    finally:
        PARQUET_ADAPTER.batch_size = 8_192
    _, from_csv = read("clean.csv")
    assert cases == from_csv
    assert result.stats.read == 30
    assert seen[-1] == (30, 30)


def test_parquet_rejections_and_missing_columns(tmp_path: Path) -> None:
    import pyarrow as pa
    from pyarrow import parquet as pq

    path = tmp_path / "dirty.parquet"
    table = pa.table(
        {
            "Patient_ID": ["X1", "X1", None, "X1"],
            "analyte": ["alp", "albumin", "alp", "alp"],
            "value": ["20", "see comment", "21", "<5"],
            "unit": ["U/L", "g/dL", "U/L", "U/L"],
            "date": pa.array([dt.date(2024, 1, 2), None, None, dt.datetime(2023, 1, 2, 9, 30)]),
            "age": pa.array([50, 50, 50, 50], pa.int16()),
        }
    )
    pq.write_table(table, path)
    result, (case,) = read(path)
    assert pointers(result) == {
        "row 2 (column value)": "not a number",
        "row 3 (column patient_id)": "no patient id",
    }
    assert [lab.date for lab in case.labs] == [dt.date(2024, 1, 2), dt.date(2023, 1, 2)]
    assert case.patient.age_years == 50
    assert case.labs[1].qualifier == "<"
    bad = csv_to_parquet(DATA / "missing_columns.csv", tmp_path / "missing.parquet")
    with pytest.raises(InputError, match="missing required column"):
        PARQUET_ADAPTER.read(bad, ReadOptions(), load_knowledge())
    not_parquet = DATA / "clean.csv"
    with pytest.raises(InputError, match="not a readable Parquet file"):
        PARQUET_ADAPTER.read(not_parquet, ReadOptions(), load_knowledge())


def test_parquet_without_pyarrow_names_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "pyarrow" or m.startswith("pyarrow.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(InputError, match=r"pip install 'lowalp\[parquet\]'"):
        PARQUET_ADAPTER.read(tmp_path / "x.parquet", ReadOptions(), load_knowledge())


# ----------------------------------------------------------------------------- round trip


def same_assessment(a: Assessment, b: Assessment) -> None:
    assert [c.id for c in a.causes] == [c.id for c in b.causes]
    for x, y in zip(a.causes, b.causes, strict=True):
        assert x.probability == pytest.approx(y.probability, abs=1e-9)
    assert a.alp.status == b.alp.status
    assert a.alp.persistent == b.alp.persistent


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_round_trip_case_to_rows_to_case(example: Path, tmp_path: Path, kb: Knowledge) -> None:
    case = load_case(example)
    path = tmp_path / "case.csv"
    write_csv([case], path)
    result, (back,) = read(path)
    assert result.stats.rejected == 0
    assert back.id == case.id
    assert back.context.medications == case.context.medications
    same_assessment(assess(case, knowledge=kb), assess(back, knowledge=kb))


def test_round_trip_of_all_examples_in_one_semicolon_file_and_parquet(
    tmp_path: Path, kb: Knowledge
) -> None:
    cases = [load_case(p) for p in EXAMPLES]
    path = tmp_path / "all.csv"
    rows = write_csv(cases, path, delimiter=";")
    assert rows == len(list(cases_to_rows(cases)))
    _, back = read(path)
    _, from_parquet = read(csv_to_parquet(path, tmp_path / "all.parquet", ";"))
    assert from_parquet == back
    assert [c.id for c in back] == [c.id for c in cases]
    for original, again in zip(cases, back, strict=True):
        same_assessment(assess(original, knowledge=kb), assess(again, knowledge=kb))


def test_event_end_and_ongoing_columns(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "patient_id,date,day,analyte,value,unit,event,event_end,event_ongoing\n"
        "p1,2026-05-01,,alp,19,U/L,,,\n"
        "p1,2026-03-20,,,,,sepsis,,yes\n"
        "p1,2024-01-10,,,,,icu_admission,2024-02-01,\n"
        "p2,,0,alp,19,U/L,,,\n"
        "p2,,-60,,,,icu_admission,-30,no\n"
        "p2,,-60,,,,sepsis,-70,\n"
        "p2,,,,,,,2024-01-01,\n",
        encoding="utf-8",
    )
    result, cases = read(path)
    assert pointers(result) == {
        "row 6 (column event_end)": "the event ends before it starts",
        "row 7 (column event_end)": "an event's end but no event in the row",
    }
    p1, p2 = cases
    assert p1.context.events == (
        EventRecord(event="sepsis", date=dt.date(2026, 3, 20), ongoing=True),
        EventRecord(event="icu_admission", date=dt.date(2024, 1, 10), end_date=dt.date(2024, 2, 1)),
    )
    assert p2.context.events == (EventRecord(event="icu_admission", day=-60, end_day=-30),)
    again = tmp_path / "again.csv"
    write_csv(cases, again)
    _, back = read(again)
    assert back == cases


def test_an_undated_result_is_used_only_in_a_patient_with_no_dated_result(tmp_path: Path) -> None:
    """A lab extract: an undated potassium beside dated results could be from any year, so it
    is rejected (the screen rejects the same row for the same reason); a patient whose results
    are all undated is one panel, taken as drawn with the index ALP, with a warning."""
    path = tmp_path / "labs.csv"
    path.write_text(
        "patient_id,age,date,analyte,value,unit\n"
        "A,50,2024-01-05,alp,22,U/L\n"
        "A,50,,potassium,7.1,mmol/L\n"
        "A,50,2023-06-01,alp,25,U/L\n"
        "B,60,,alp,20,U/L\n"
        "B,60,,potassium,4.0,mmol/L\n",
        encoding="utf-8",
    )
    result, (a, b) = read(path)
    assert pointers(result) == {"row 2 (column date)": "missing date"}
    assert [lab.analyte for lab in a.labs] == ["alp", "alp"]
    assert [lab.analyte for lab in b.labs] == ["alp", "potassium"]
    assert any(
        w.startswith("2 result row(s) have no date or day, nor has any other result")
        for w in result.warnings
    ), result.warnings
