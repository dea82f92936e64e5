"""The HL7 v2 ORU^R01 adapter, driven by the samples in tests/data/hl7v2 (see its README)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from lowalp import assess
from lowalp.adapters import hl7v2
from lowalp.adapters.base import ReadOptions, ReadResult
from lowalp.adapters.code_map import CodeMap
from lowalp.errors import InputError
from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.model import Assessment, Case, Context, LabResult, Patient

DATA = Path(__file__).parent.parent / "data" / "hl7v2"
EXAMPLES = Path(__file__).parent.parent.parent / "examples"
ADAPTER = hl7v2.ADAPTER


def read(name: str | Path, **kw: Any) -> tuple[ReadResult, list[Case]]:
    path = name if isinstance(name, Path) else DATA / name
    result = ADAPTER.read(path, ReadOptions(**kw), load_knowledge())
    cases = list(result.cases)
    assert result.stats.reconciles(), result.stats.summary()
    assert result.stats.rejected == len(result.rejected)
    assert result.stats.cases == len(cases)
    return result, cases


@pytest.fixture(scope="module")
def code_map(kb: Knowledge) -> CodeMap:
    return CodeMap.load(DATA / "code_map.csv", kb)


def labs_by_analyte(case: Case) -> dict[str, list[LabResult]]:
    out: dict[str, list[LabResult]] = {}
    for lab in case.labs:
        out.setdefault(lab.analyte or "", []).append(lab)
    return out


# ----------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize("path", sorted(DATA.glob("oru_*.hl7")), ids=lambda p: p.name)
def test_sniff_accepts_the_samples(path: Path) -> None:
    head = path.read_bytes()[:8192].decode("utf-8")
    assert ADAPTER.sniff(head, path)


@pytest.mark.parametrize("head", ['{"labs": []}', "patient_id,sex\n", "", "MSHX|", "PID|1||x"])
def test_sniff_rejects_other_formats(head: str) -> None:
    assert not ADAPTER.sniff(head, None)


# ----------------------------------------------------------------------------- the samples


def test_clean_v251_chemistry_panel() -> None:
    result, [case] = read("oru_r01_v251_chemistry.hl7")
    assert result.stats.summary() == "5 OBX segments read = 5 used + 0 rejected; 1 case"
    assert case.id == "555-44-4444"
    assert case.patient == Patient(birth_date=dt.date(1980, 3, 20), sex="F")
    assert case.context == Context()
    alp = case.labs[0]
    assert alp == LabResult(
        analyte="alp",
        loinc="6768-6",
        value=22,
        unit="U/L",  # from `U/L^^UCUM`
        ref_low=35,
        ref_high=104,
        date=dt.date(2026, 3, 15),
        flag="L",  # OBX-8
        note="Low alkaline phosphatase; consider repeat and bone-specific ALP.",  # the NTE after it
    )
    assert {lab.flag for lab in case.labs[1:]} == {"N"}
    assert {lab.note for lab in case.labs[1:]} == {None}
    by = labs_by_analyte(case)
    assert set(by) == {"alp", "calcium", "magnesium", "potassium", "albumin"}
    assert (by["magnesium"][0].ref_low, by["magnesium"][0].ref_high) == (1.6, 2.6)  # `1.6 - 2.6`
    assert result.warnings == []
    assessment = assess(case)
    assert assessment.alp.status == "low"


def test_v23_message_with_loinc_in_the_alternate_triplet() -> None:
    result, [case] = read("oru_r01_v23.hl7")
    assert result.rejected == []
    assert case.id == "77321"
    # PID-7 carries a time (195405121015): the date is kept
    assert case.patient == Patient(birth_date=dt.date(1954, 5, 12), sex="M")
    alp = case.labs[0]
    assert (alp.analyte, alp.loinc, alp.value, alp.unit) == ("alp", "6768-6", 31, "IU/L")
    # OBX-14 is empty in every OBX: the date comes from OBR-7
    assert {lab.date for lab in case.labs} == {dt.date(1999, 11, 2)}


def test_batch_file_gives_one_case_per_patient() -> None:
    result, cases = read("oru_r01_batch_two_patients.hl7")
    assert result.stats.summary() == "6 OBX segments read = 6 used + 0 rejected; 2 cases"
    by_id = {c.id: c for c in cases}
    assert set(by_id) == {"P1001", "P1002"}
    ann = by_id["P1001"]
    assert [(lab.analyte, lab.value, lab.date) for lab in ann.labs if lab.analyte == "alp"] == [
        ("alp", 24, dt.date(2025, 10, 10)),
        ("alp", 21, dt.date(2026, 4, 1)),
    ]
    assert len(by_id["P1002"].labs) == 2
    assert result.warnings == []  # BTS-1 says 3 messages, and there are 3
    assessment = assess(ann)
    assert assessment.alp.status == "low"
    assert assessment.alp.persistent is True


def test_quirks_with_a_code_map(code_map: CodeMap) -> None:
    result, [case] = read("oru_r01_quirks.hl7", code_map=code_map)
    assert result.stats.summary() == "16 OBX segments read = 10 used + 6 rejected; 1 case"
    assert [(r.pointer, r.value) for r in result.rejected] == [
        ("message 1, OBX[4]", None),  # superseded by OBX[5] (C)
        ("message 1, OBX[6]-11", "X"),
        ("message 1, OBX[7]-11", "P"),
        ("message 1, OBX[9]-5", "Hemolyzed"),
        ("message 1, OBX[10]-3", "XYZ^Mystery test^99RL"),
        ("message 2, OBX[3]-5", "^60^-^80"),
    ]
    reasons = [r.reason for r in result.rejected]
    assert "superseded by the corrected result at message 1, OBX[5]" in reasons[0]
    assert reasons[1].startswith("cancelled")
    assert reasons[2].startswith("preliminary")
    assert reasons[3].startswith("text result")
    assert reasons[4] == "unknown code; add it to a --code-map file"
    assert "range" in reasons[5]

    by = labs_by_analyte(case)
    first_alp, second_alp = by["alp"]
    # `\n` separators, MLLP framing, IU/L passed through, OBX-14 empty -> OBR-7 with +0100
    assert (first_alp.value, first_alp.unit, first_alp.date) == (98, "IU/L", dt.date(2026, 2, 10))
    # repeated OBX-8 (`L~A`) does not disturb a numeric value; the flag that says low is kept
    assert (first_alp.qualifier, first_alp.flag) == (None, "L")
    assert first_alp.note == "Below the paediatric reference interval."  # the NTE after it
    assert by["tsh"][0].text == "2.4"  # ST: the text as written, and its number
    # LOINC in the alternate triplet of a local code; `>40` is a lower limit only
    assert (second_alp.ref_low, second_alp.ref_high) == (40, None)
    # the time zone is not applied: 23:00 -0500 stays on the lab's local day
    assert second_alp.date == dt.date(2026, 3, 1)
    assert (by["plp"][0].qualifier, by["plp"][0].value) == ("<", 5)  # SN `<^5`
    assert (by["vitamin_d_25oh"][0].qualifier, by["vitamin_d_25oh"][0].value) == (">", 100)
    assert (by["phosphate"][0].value, by["phosphate"][0].qualifier) == (4.8, None)  # SN `^4.8`
    assert (by["zinc"][0].loinc, by["zinc"][0].value) == (None, 82)  # through the code map
    assert [lab.value for lab in by["albumin"]] == [4.1]  # the corrected value
    assert by["tsh"][0].value == 2.4  # ST with a plain number
    assert (by["hemoglobin"][0].value, by["hemoglobin"][0].qualifier) == (None, "low")  # LL
    assert by["calcium"][0].value == 2.41  # a short segment (no OBX-12..14)
    assert not {"potassium", "magnesium", "sodium"} & set(by)


def test_text_results_flags_and_comments() -> None:
    result, [case] = read("oru_r01_text_results.hl7")
    assert result.stats.summary() == "9 OBX segments read = 7 used + 2 rejected; 1 case"
    # NTE after PID (two repetitions of NTE-3) is the patient's note; after PV1 it is skipped
    assert case.context == Context(
        notes="Alendronate 2019-2024, stopped August 2024.\nQuery hypophosphatasia."
    )
    by = {lab.analyte: lab for lab in case.labs}
    order_note = "Specimen slightly haemolysed."  # NTE after OBR[1]: on each of its results
    alp = by["alp"]
    assert (alp.value, alp.text, alp.flag) == (24, None, "L")
    assert alp.note == (
        f"{order_note}\n\nConfirmed on repeat analysis.\n\nBone-specific ALP and PLP suggested."
    )
    assert (by["potassium"].flag, by["potassium"].note) == ("H", order_note)  # CWE flag H^High
    cerulo = by["ceruloplasmin"]
    assert (cerulo.qualifier, cerulo.text, cerulo.flag) == ("normal", "Within normal limits", "N")
    mg = by["magnesium"]
    assert (mg.value, mg.qualifier, mg.text, mg.flag) == (1.0, "<", "<=1.0", "LL")  # SN <=^1.0
    plp = by["plp"]  # OBR[2]: the first order's note does not reach it
    assert (plp.value, plp.qualifier, plp.text, plp.flag) == (300, ">", ">300", "HH")
    assert plp.note == "Above the upper limit of measurement."
    ttg = by["ttg_iga"]
    assert (ttg.qualifier, ttg.text, ttg.flag, ttg.note) == ("negative", "Negative", None, None)
    pea = by["urine_pea"]  # TX with two repetitions; flags A~H: H says the direction
    assert (pea.qualifier, pea.text, pea.flag) == (
        "high",
        "Increased\nSee interpretive report",
        "H",
    )
    assert [(r.pointer, r.value) for r in result.rejected] == [
        # FT with a line break (\.br\) and no flag
        ("message 1, OBX[8]-5", "Result to follow.\nSample sent to the reference laboratory."),
        ("message 1, OBX[9]-5", "See comment"),  # highlighting (\H\ … \N\) removed
    ]


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("a\\F\\b\\S\\c", "a|b^c"),
        ("one\\.br\\two\\.sp2\\three", "one\ntwo\n\n\nthree"),  # .sp2: two blank lines
        ("\\H\\bold\\N\\ and \\.in+4\\indented", "bold and indented"),
        ("a\\E\\N\\b", "a\\N\\b"),  # an escaped escape starts no sequence
    ],
)
def test_escape_sequences(raw: str, text: str) -> None:
    assert ENC.unescape(raw) == text


def test_local_code_without_a_code_map_is_rejected_with_a_hint() -> None:
    result, _ = read("oru_r01_quirks.hl7")
    hit = [r for r in result.rejected if r.pointer == "message 1, OBX[3]-3"]
    assert hit
    assert hit[0].reason == "unknown code; add it to a --code-map file"
    assert hit[0].value == "ZN^Zinc, serum^99RL"


def test_progress_is_reported_in_bytes() -> None:
    calls: list[tuple[int, int | None]] = []
    path = DATA / "oru_r01_batch_two_patients.hl7"
    read(path, progress=lambda done, total: calls.append((done, total)))
    size = path.stat().st_size
    assert calls[-1] == (size, size)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bad_no_pid.hl7", ["message 1, line 3: no PID segment"]),
        (
            "bad_broken_msh.hl7",
            [
                "message 1, line 1: the MSH segment is broken",
                "message 1, line 5: not an HL7 segment",
            ],
        ),
        ("bad_truncated.hl7", ["message 1, line 3: the message has no OBX segment"]),
    ],
)
def test_bad_messages_raise_input_error_with_every_problem(name: str, expected: list[str]) -> None:
    with pytest.raises(InputError) as info:
        ADAPTER.read(DATA / name, ReadOptions(), load_knowledge())
    problems = [str(p) for p in info.value.problems]
    assert len(problems) == len(expected)
    for text, start in zip(problems, expected, strict=True):
        assert text.startswith(start)
    assert all(p.hint for p in info.value.problems)


def test_a_bad_message_among_good_ones_is_rejected_and_listed() -> None:
    result, [case] = read("mixed_one_bad.hl7")
    assert result.stats.summary() == "4 OBX segments read = 2 used + 2 rejected; 1 case"
    assert [r.pointer for r in result.rejected] == ["message 2, OBX[1]", "message 2, OBX[2]"]
    assert all(r.reason.startswith("message rejected: no PID") for r in result.rejected)
    assert [lab.value for lab in case.labs] == [22, 23]


def test_a_broken_message_without_obx_counts_as_one_rejected_record(tmp_path: Path) -> None:
    good = (DATA / "oru_r01_v251_chemistry.hl7").read_text()
    path = tmp_path / "two.hl7"
    path.write_text(good + "MSH|^~\\&|TRUNCATED\r")
    result, _ = read(path)
    assert result.stats.summary() == "6 OBX segments read = 5 used + 1 rejected; 1 case"
    assert result.rejected[0].pointer == "message 2"


def test_all_messages_bad_is_an_input_error(tmp_path: Path) -> None:
    bad = (DATA / "bad_no_pid.hl7").read_text()
    path = tmp_path / "bad.hl7"
    path.write_text(bad + bad)
    with pytest.raises(InputError) as info:
        ADAPTER.read(path, ReadOptions(), load_knowledge())
    assert [p.pointer for p in info.value.problems] == ["message 1, line 3", "message 2, line 6"]


def test_empty_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.hl7"
    path.write_text("\r\n\r\n")
    with pytest.raises(InputError, match="no HL7 message found"):
        ADAPTER.read(path, ReadOptions(), load_knowledge())


def test_not_an_oru_message(tmp_path: Path) -> None:
    path = tmp_path / "adt.hl7"
    path.write_text("MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.5.1\rPID|1||X\rOBX|1|NM|x||1\r")
    with pytest.raises(InputError, match="not an ORU"):
        ADAPTER.read(path, ReadOptions(), load_knowledge())


def test_latin1_text_is_read_with_a_warning(tmp_path: Path) -> None:
    text = (DATA / "oru_r01_v251_chemistry.hl7").read_text().replace("EVERYWOMAN", "MÜLLER")
    path = tmp_path / "latin1.hl7"
    path.write_bytes(text.encode("latin-1"))
    result, [_case] = read(path)
    assert any("Latin-1" in w for w in result.warnings)


def test_chunk_boundaries_do_not_change_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = [(DATA / n).read_bytes() for n in ("oru_r01_v251_chemistry.hl7", "oru_r01_v23.hl7")]
    path = tmp_path / "crlf.hl7"
    path.write_bytes(b"".join(p.replace(b"\r", b"\r\n") for p in parts) * 3)
    want, want_cases = read(path)
    monkeypatch.setattr(hl7v2.framing, "_CHUNK", 7)
    got, got_cases = read(path)
    assert got_cases == want_cases
    assert got.stats == want.stats
    assert got.warnings == want.warnings


def test_an_escaped_delimiter_in_units_and_ranges(tmp_path: Path) -> None:
    path = tmp_path / "esc.hl7"
    path.write_text(
        "MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.5.1\r"
        "PID|1||X1||||19800101|F\r"
        "OBR|1|||x|||20260101\r"
        "OBX|1|NM|6768-6^ALP^LN||30|U/L|35\\T\\104|L|||F\r"
        "OBX|2|NM|1751-7^ALB^LN||4|g/dL|3.5-5.2 mg/dL||||F\r"
    )
    result, [case] = read(path)
    assert [(lab.ref_low, lab.ref_high) for lab in case.labs] == [(None, None), (None, None)]
    assert [w.split(":")[0] for w in result.warnings] == [
        "message 1, OBX[1]-7",
        "message 1, OBX[2]-7",
    ]


def test_a_time_without_a_day_rejects_the_result(tmp_path: Path) -> None:
    path = tmp_path / "partial.hl7"
    path.write_text(
        "MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.5.1\r"
        "PID|1||X1\r"
        "OBR|1|||x|||202603\r"
        "OBX|1|NM|6768-6^ALP^LN||30|U/L|||||F\r"
        "OBX|2|NM|6768-6^ALP^LN||31|U/L|||||F|||20260302\r"
    )
    result, [case] = read(path)
    assert [(r.pointer, r.reason, r.value) for r in result.rejected] == [
        (
            "message 1, OBX[1], OBR[1]-7",
            "observation time is a partial date without a day",
            "202603",
        )
    ]
    assert [lab.date for lab in case.labs] == [dt.date(2026, 3, 2)]


# ----------------------------------------------------------------------------- field rules


ENC = hl7v2._Enc()


@pytest.mark.parametrize(
    ("vtype", "raw", "flags", "expected"),
    [
        ("NM", "22", "", (22.0, None, None)),
        ("NM", "-1.5", "", (-1.5, None, None)),
        ("NM", "<5", "", (5.0, "<", "<5")),
        ("NM", "", "L", (None, "low", None)),
        ("NM", "", "LL~A", (None, "low", None)),
        ("NM", "", "H", (None, "high", None)),
        ("NM", "", "N", (None, "normal", None)),
        ("NM", "", "ND", (None, "negative", None)),  # v2.7 table 0078 detection codes
        ("NM", "22", "L", (22.0, None, None)),
        ("SN", "<^5", "", (5.0, "<", "<5")),
        ("SN", ">^100", "", (100.0, ">", ">100")),
        ("SN", "^45", "", (45.0, None, None)),
        ("SN", "=^45", "", (45.0, None, None)),
        ("SN", "<=^5", "", (5.0, "<", "<=5")),
        ("ST", "45", "", (45.0, None, "45")),
        ("ST", "< 5", "", (5.0, "<", "< 5")),
        ("ST", "Negative", "", (None, "negative", "Negative")),
        ("ST", "Not detected", "", (None, "negative", "Not detected")),
        ("ST", "Within normal limits", "", (None, "normal", "Within normal limits")),
        # words lowalp does not read: the flag gives the qualifier, the words are kept
        ("ST", "Trace", "A~H", (None, "high", "Trace")),
        ("ST", "See comment", "L", (None, "low", "See comment")),
        ("TX", "Increased~see report", "H", (None, "high", "Increased\nsee report")),
        ("FT", "Raised\\.br\\refer", "H", (None, "high", "Raised\nrefer")),
        ("CWE", "260385009^Negative^SCT", "", (None, "negative", "Negative")),
        ("CWE", "LA11882-0^Detected^LN", "", (None, "positive", "Detected")),
        ("CE", "Q1^Equivocal^L", "A~L", (None, "low", "Equivocal")),
    ],
)
def test_values(vtype: str, raw: str, flags: str, expected: tuple[object, ...]) -> None:
    fields = ["OBX", "1", vtype, "code", "", raw, "", "", flags]
    assert hl7v2._value(vtype, raw, fields, ENC) == expected


@pytest.mark.parametrize(
    ("vtype", "raw", "flags", "reason"),
    [
        ("ST", "Hemolyzed", "", "text result"),
        ("ST", "Hemolyzed", "A", "no flag (OBX-8) that gives one"),
        ("ST", "4,1", "", "text result"),
        ("ST", "45 U/L", "", "text result"),
        ("NM", "abc", "", "not a number"),
        ("NM", "abc", "L", "not a number"),
        ("SN", "^60^-^80", "", "a range"),
        ("SN", "^1^:^128", "", "a ratio"),
        ("SN", "<>^5", "", "comparator"),
        ("NM", "", "A", "flags (A)"),
        ("NM", "", "", "no flag"),
        ("CWE", "Q2^Indeterminate^L", "", "coded result"),
        ("ED", "x", "", "value type 'ED'"),
    ],
)
def test_values_rejected(vtype: str, raw: str, flags: str, reason: str) -> None:
    fields = ["OBX", "1", vtype, "code", "", raw, "", "", flags]
    got = hl7v2._value(vtype, raw, fields, ENC)
    assert isinstance(got, str)
    assert reason in got


@pytest.mark.parametrize(
    ("raw", "unit", "expected"),
    [
        ("40-129", "U/L", (40, 129)),
        ("40 - 129", "U/L", (40, 129)),
        ("0.58-1.74", "µkat/L", (0.58, 1.74)),
        ("40-129 U/L", "U/L", (40, 129)),
        ("40-129 mg/dL", "U/L", (None, None)),
        (">40", "U/L", (40, None)),
        ("<5", "mg/L", (None, 5)),
        ("-2-2", "mmol/L", (-2, 2)),
        ("129-40", "U/L", (None, None)),
        ("adult: 40-129", "U/L", (None, None)),
        ("", "U/L", (None, None)),
    ],
)
def test_reference_ranges(raw: str, unit: str, expected: tuple[object, object]) -> None:
    assert hl7v2._range(raw, unit) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("20260315", dt.date(2026, 3, 15)),
        ("202603150730", dt.date(2026, 3, 15)),
        ("20260315073000.1234+0100", dt.date(2026, 3, 15)),
        ("20260301230000-0500", dt.date(2026, 3, 1)),
        ("202603", "a partial date without a day"),
        ("20260230", "not a valid calendar date"),
        ("2026-03-15", "not an HL7 date/time (YYYYMMDD[HHMM[SS]][+ZZZZ])"),
    ],
)
def test_dates(raw: str, expected: object) -> None:
    assert hl7v2._date(raw) == expected


def test_status_codes_per_the_v2_to_fhir_concept_map(tmp_path: Path) -> None:
    rows = "".join(
        f"OBX|{i}|NM|6768-6^ALP^LN||30|U/L|||||{s}|||20260101\r"
        for i, s in enumerate("FCAPXDWIR", start=1)
    )
    path = tmp_path / "status.hl7"
    path.write_text(f"MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.5.1\rPID|1||X1\rOBR|1\r{rows}")
    result, [case] = read(path)
    # F and the C/A that follow: C and A supersede the earlier result of the same code and time
    assert len(case.labs) == 1
    assert [r.pointer for r in result.rejected] == [
        "message 1, OBX[1]",
        "message 1, OBX[2]",
        "message 1, OBX[4]-11",
        "message 1, OBX[5]-11",
        "message 1, OBX[6]-11",
        "message 1, OBX[7]-11",
        "message 1, OBX[8]-11",
        "message 1, OBX[9]-11",
    ]


# ----------------------------------------------------------------------------- round trip


def case_to_oru(case: Case, kb: Knowledge) -> str:
    """One ORU^R01 v2.5.1 message carrying a case's patient and labs (dates required for timed
    labs; one OBR per date, OBX-14 set; censored values as SN; qualifiers as OBX-8 flags or ST)."""
    loinc: dict[str, str] = {}
    for code, analyte in kb.loinc_index.items():
        loinc.setdefault(analyte, code)
    p = case.patient
    birth = p.birth_date.strftime("%Y%m%d") if p.birth_date else ""
    segs = [
        "MSH|^~\\&|LOWALP|TEST|EHR|TEST|20260101120000||ORU^R01^ORU_R01|RT-1|P|2.5.1||||||UNICODE UTF-8",
        f"PID|1||{case.id}^^^LOWALP^MR||DOE^JANE||{birth}|{p.sex or 'U'}",
    ]
    dates = sorted({lab.date for lab in case.labs}, key=lambda d: (d is not None, d))
    k = 0
    for j, date in enumerate(dates, start=1):
        when = date.strftime("%Y%m%d") + "0800" if date else ""
        segs.append(f"OBR|{j}|||PANEL^Panel^L|||{when}")
        for lab in (lab for lab in case.labs if lab.date == date):
            k += 1
            code = lab.loinc or loinc[lab.analyte or ""]
            ref = (
                f"{lab.ref_low:g}-{lab.ref_high:g}"
                if lab.ref_low is not None and lab.ref_high is not None
                else f">{lab.ref_low:g}"
                if lab.ref_low is not None
                else f"<{lab.ref_high:g}"
                if lab.ref_high is not None
                else ""
            )
            vtype, value, flag = "NM", "", ""
            if lab.qualifier in ("<", ">"):
                vtype, value = "SN", f"{lab.qualifier}^{lab.value:g}"
            elif lab.value is not None:
                value = f"{lab.value:g}"
            elif lab.qualifier in ("positive", "negative"):
                vtype, value = "ST", lab.qualifier.capitalize()
            else:
                flag = {"low": "L", "high": "H", "normal": "N"}[lab.qualifier or ""]
            segs.append(
                f"OBX|{k}|{vtype}|{code}^{lab.analyte}^LN||{value}|{lab.unit or ''}|{ref}|{flag}|||F|||{when}"
            )
    return "\r".join(segs) + "\r"


def as_oru_case(case: Case) -> Case:
    """What ORU can carry: relative days become dates, age becomes a birth date, no context."""
    base = dt.date(2026, 3, 15)
    labs = tuple(
        lab.model_copy(
            update={
                "date": base + dt.timedelta(days=lab.day) if lab.day is not None else lab.date,
                "day": None,
            }
        )
        for lab in case.labs
    )
    patient = case.patient
    if patient.age_years is not None:
        birth = base - dt.timedelta(days=round(patient.age_years * 365.25))
        patient = Patient(birth_date=birth, sex=patient.sex)
    return Case(id=case.id, patient=patient, labs=labs)


def same_assessment(a: Assessment, b: Assessment) -> None:
    assert [c.id for c in a.causes] == [c.id for c in b.causes]
    for x, y in zip(a.causes, b.causes, strict=True):
        assert x.probability == pytest.approx(y.probability, abs=1e-9)
    assert a.alp.status == b.alp.status
    assert a.alp.persistent == b.alp.persistent


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_round_trip_of_the_examples(path: Path, kb: Knowledge, tmp_path: Path) -> None:
    """assess(case) == assess(read(case_to_oru(case))) on the examples stripped of context
    (medications, events and findings do not travel in ORU^R01); ages and relative days are
    written as a birth date and dates, which is all ORU can carry."""
    original = Case.model_validate(json.loads(path.read_text()))
    stripped = original.model_copy(update={"context": Context()})
    case = as_oru_case(original)
    out = tmp_path / "rt.hl7"
    out.write_text(case_to_oru(case, kb), encoding="utf-8")
    result, [back] = read(out)
    assert result.rejected == []
    assert result.stats.used == len(original.labs)
    assert back.id == case.id
    assert back.patient == case.patient
    same_assessment(assess(stripped, knowledge=kb), assess(back, knowledge=kb))
    same_assessment(assess(case, knowledge=kb), assess(back, knowledge=kb))


# ----------------------------------------------------------------------------- specimens (SPM)


def test_specimen_ids_and_collection_times_from_spm() -> None:
    result, cases = read("oru_r01_specimens.hl7")
    by_id = {c.id: c for c in cases}
    got = [(lab.analyte, lab.specimen, lab.date) for lab in by_id["P300"].labs]
    day = dt.date(2026, 3, 10)  # SPM-17, before OBR-7 (11 March): OBX-14 is empty
    assert got == [
        # the order's results come before its SPM (v2.5.1 7.3.1): of its only specimen
        ("alp", "F-77 (GHH LAB)", day),  # SPM-2: the filler's (laboratory's) id, with namespace
        ("potassium", "F-77 (GHH LAB)", day),
        ("calcium", "F-78 (GHH LAB)", day),
        ("zinc", "F-78 (GHH LAB)", day),  # an OBX in the SPECIMEN group, after its SPM
    ]
    assert {lab.specimen for lab in by_id["P301"].labs} == {"F-90 (GHH LAB)"}
    # two SPMs after the results: which result is from which tube is not said
    assert [lab.specimen for lab in by_id["P302"].labs] == [None, None]
    assert result.warnings == [
        "message 3, OBR[1]: 2 specimens (SPM) and 2 result(s) before them; which result is "
        "from which specimen is not said, so their specimen is unknown."
    ]


def test_specimen_ids_decide_the_same_sample_checks(kb: Knowledge) -> None:
    """The EDTA pattern (high potassium, low calcium and zinc in the index ALP's sample): the
    same results on the same day fire it when SPM says one tube, not when it says two."""
    _, cases = read("oru_r01_specimens.hl7")
    by_id = {c.id: c for c in cases}
    two_tubes = assess(by_id["P300"], knowledge=kb)
    one_tube = assess(by_id["P301"], knowledge=kb)
    assert [a.id for a in one_tube.artifacts] == ["edta_contamination"]
    assert not two_tubes.artifacts
    # without specimen ids the results of one day count as one sample
    untagged = by_id["P300"].model_copy(
        update={
            "labs": tuple(lab.model_copy(update={"specimen": None}) for lab in by_id["P300"].labs)
        }
    )
    assert [a.id for a in assess(untagged, knowledge=kb).artifacts] == ["edta_contamination"]


def test_a_correction_supersedes_only_the_result_of_its_own_specimen(tmp_path: Path) -> None:
    path = tmp_path / "c.hl7"
    head = "MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.5.1\rPID|1||X1||||19800101|F\r"
    order = "OBR|{n}|||x|||20260101\rOBX|1|NM|6768-6^ALP^LN||{v}|U/L|||||{s}\rSPM|1|^{spm}\r"
    path.write_text(
        head
        + order.format(n=1, v=20, s="F", spm="T1")
        + order.format(n=2, v=30, s="F", spm="T2")
        + order.format(n=3, v=21, s="C", spm="T1")
    )
    result, [case] = read(path)
    assert [(lab.value, lab.specimen) for lab in case.labs] == [(21, "T1"), (30, "T2")]
    assert [r.pointer for r in result.rejected] == ["message 1, OBX[1]"]


def test_text_that_is_not_utf8_is_read_in_the_character_set_msh18_names(tmp_path: Path) -> None:
    path = tmp_path / "greek.hl7"
    path.write_bytes(
        "MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.5.1||||||8859/7\r"
        "PID|1||X1||ΠΑΠΑΔΟΠΟΥΛΟΥ^ΕΛΕΝΗ||19800101|F\r"
        "OBR|1|||x|||20260101\r"
        "OBX|1|ST|6768-6^ALP^LN||χαμηλή|U/L||L|||F\r".encode("iso8859-7")
    )
    result, [case] = read(path)
    assert case.labs[0].text == "χαμηλή"
    assert result.warnings == ["message 1: not valid UTF-8; read as 8859/7 (MSH-18)."]
