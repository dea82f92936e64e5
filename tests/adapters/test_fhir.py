"""The FHIR R4 input adapter: samples under tests/data/fhir (see its README)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from pathlib import Path

import pytest

from lowalp import assess, load_case
from lowalp.adapters.base import ReadOptions, ReadResult
from lowalp.adapters.code_map import CodeMap
from lowalp.adapters.fhir import ADAPTER, Range, _choose_range, _parse_date
from lowalp.errors import InputError
from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.model import (
    Case,
    Context,
    EventRecord,
    FindingRecord,
    LabResult,
    MedicationRecord,
    Patient,
)
from lowalp.render.fhir import case_to_bundle

DATA = Path(__file__).parent.parent / "data" / "fhir"
EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.json"))


def read(path: Path, **kw: object) -> tuple[ReadResult, list[Case]]:
    result = ADAPTER.read(path, ReadOptions(**kw), load_knowledge())  # type: ignore[arg-type]
    cases = list(result.cases)
    assert result.stats.reconciles(), result.stats.summary()
    assert result.stats.rejected == len(result.rejected)
    assert result.stats.cases == len(cases)
    return result, cases


def by_pointer(result: ReadResult) -> dict[str, str]:
    return {r.pointer: r.reason for r in result.rejected}


@pytest.fixture(scope="module")
def code_map(kb: Knowledge) -> CodeMap:
    return CodeMap.load(DATA / "code-map.csv", kb)


# ----------------------------------------------------------------------------- sniffing


def test_sniff() -> None:
    bundle = (DATA / "bundle.json").read_text()
    ndjson = (DATA / "bulk" / "Observation.ndjson").read_text()
    assert ADAPTER.sniff(bundle[:8192], DATA / "bundle.json")
    assert ADAPTER.sniff(ndjson[:8192], None)
    assert ADAPTER.sniff("", DATA / "bulk")
    assert not ADAPTER.sniff('{"patient": {"age_years": 4}, "labs": []}', None)
    assert not ADAPTER.sniff("MSH|^~\\&|LAB", None)


# ----------------------------------------------------------------------------- the Bundle


def test_bundle_sample() -> None:
    result, cases = read(DATA / "bundle.json")
    assert result.stats.read == 18
    assert result.stats.unit == "resources"
    (case,) = cases
    assert case.id == "pat-1"
    assert case.patient.sex == "F"
    assert case.patient.birth_date == dt.date(1978, 5, 1)  # partial "1978-05"
    labs = {(lab.analyte, lab.date): lab for lab in case.labs}
    index = labs["alp", dt.date(2024, 3, 1)]  # 23:30 at -05:00 stays 1 March
    assert (index.value, index.unit) == (18, "IU/L")
    assert (index.ref_low, index.ref_high) == (35, 104)  # the female adult range of three
    assert index.specimen == "Specimen/spec-1"
    amended = labs["alp", dt.date(2023, 9, 1)]  # partial "2023-09", status amended
    assert amended.value == 21
    mg = labs["magnesium", dt.date(2024, 3, 1)]
    assert (mg.qualifier, mg.value, mg.unit) == ("<", 1.0, "mg/dL")  # comparator <=
    assert mg.text == "<=1"  # the '=' kept
    assert labs["plp", dt.date(2024, 3, 5)].value == 310  # corrected, Z
    assert labs["potassium", dt.date(2024, 3, 1)].value == 4.2  # no time zone
    assert labs["ceruloplasmin", dt.date(2024, 3, 5)].qualifier == "normal"  # interpretation N
    assert len(case.labs) == 7
    ctx = case.context
    assert ctx.medications == (
        MedicationRecord(name="levonorgestrel/ethinylestradiol 150/30 microgram", status="active"),
        MedicationRecord(name="alendronate", status="active"),  # contained Medication
        MedicationRecord(name="omeprazole 20 mg", status="stopped"),  # a stopped request
    )
    assert ctx.findings == (
        FindingRecord(text="metatarsal stress fracture", assertion="present"),
        FindingRecord(text="Urinary tract infection", assertion="historical"),  # resolved
    )
    assert ctx.events is not None
    assert [(e.event, e.date) for e in ctx.events] == [
        ("transfusion", dt.date(2024, 2, 27)),  # SNOMED 116859006
        ("plasma_exchange", dt.date(2023, 6, 1)),  # by text
    ]
    assert by_pointer(result) == {
        "entry[5].resource.status": "status 'cancelled': only final, amended and corrected results are used",
        "entry[16].resource.code": "procedure not one lowalp reasons about (surgery, bypass, transfusion, plasma exchange …)",
        "entry[17].resource": "resource type not used",
    }
    text = "\n".join(result.warnings)
    assert (
        "partial date '2023-09' taken as 2023-09-01 (entry[2].resource.effectiveDateTime)" in text
    )
    assert "time without a time zone" in text
    assert "entry[7].resource.effectiveDateTime" in text
    assert "birth date partial date '1978-05'" in text
    a = assess(case)
    assert a.alp.status == "low"
    assert a.alp.persistent


def test_searchset_child_range_and_outcome() -> None:
    result, (case,) = read(DATA / "searchset.json")
    (alp,) = case.labs
    assert (alp.ref_low, alp.ref_high) == (129, 417)  # the 4-15 year range, no sex given
    assert case.id == "p9"  # subject is an absolute URL
    assert by_pointer(result) == {"entry[2].resource": "resource type not used"}
    assert any("Observations before 2020 were not searched" in w for w in result.warnings)


# ----------------------------------------------------------------------------- clinical facts


@pytest.fixture(scope="module")
def clinical() -> tuple[ReadResult, Case]:
    result, (case,) = read(DATA / "clinical.json")
    return result, case


def test_clinical_results_keep_text_flag_and_note(clinical: tuple[ReadResult, Case]) -> None:
    _, case = clinical
    labs = {(lab.analyte, lab.date): lab for lab in case.labs}
    alp = labs["alp", dt.date(2025, 11, 3)]
    assert (alp.value, alp.flag, alp.note) == (24, "L", "Result confirmed on repeat analysis.")
    assert alp.qualifier is None  # a number: the flag is kept, not turned into a qualifier
    assert labs["alp", dt.date(2025, 5, 12)].flag == "L"  # v2-0078 system, same code
    assert labs["plp", dt.date(2025, 11, 3)].flag == "HH"
    vitd = labs["vitamin_d_25oh", dt.date(2025, 11, 3)]
    assert (vitd.value, vitd.qualifier, vitd.text, vitd.flag) == (4, "<", None, "LL")
    ttg = labs["ttg_iga", dt.date(2025, 11, 3)]
    assert (ttg.qualifier, ttg.text, ttg.flag) == ("negative", "Negative", "N")  # SNOMED display
    pea = labs["urine_pea", dt.date(2025, 11, 4)]
    assert (pea.qualifier, pea.text, pea.flag) == ("positive", "Detected", "A")
    cerulo = labs["ceruloplasmin", dt.date(2025, 11, 3)]
    # the words are not a qualifier lowalp reads; the flag N gives one, the words are kept
    assert (cerulo.qualifier, cerulo.text, cerulo.flag) == ("normal", "Within normal limits", "N")
    calcium = labs["calcium", dt.date(2025, 11, 3)]
    assert calcium.note == (
        "Albumin-adjusted calcium not calculated.\n\nSample received 4 hours after collection."
    )
    assert len(case.labs) == 8


def test_clinical_rejections(clinical: tuple[ReadResult, Case]) -> None:
    result, _ = clinical
    assert result.stats.read == 26
    assert by_pointer(result) == {
        "entry[8].resource.valueString": "text value not understood (expected e.g. '<5', 'positive', 'low')",
        "entry[14].resource.verificationStatus": "entered in error",
        "entry[16].resource.status": "the relative's health is not known (status health-unknown)",
        "entry[22].resource.status": "entered in error",
        "entry[24].resource.content": "no plain-text attachment given inline (only text/plain data is read)",
    }
    shown = {r.pointer: r.value for r in result.rejected}
    assert shown["entry[8].resource.valueString"] == "Haemolysed sample, unable to report"
    assert shown["entry[24].resource.content"] == "application/pdf, linked only"
    assert any("condition onset partial date '2023-04'" in w for w in result.warnings)


def test_clinical_conditions_and_family_history(clinical: tuple[ReadResult, Case]) -> None:
    _, case = clinical
    assert case.context.findings == (
        FindingRecord(
            text="Metatarsal stress fracture", assertion="historical", date=dt.date(2023, 4, 1)
        ),  # resolved (confirmed), partial onset
        FindingRecord(
            text="Chondrocalcinosis of the knee", assertion="uncertain", date=dt.date(2025, 9, 18)
        ),  # active but provisional: the verification status decides
        FindingRecord(text="Coeliac disease", assertion="absent"),  # refuted
        "Chronic low back pain",  # no status, no onset: plain text
        FindingRecord(
            text="family history of Hypophosphatasia", assertion="family", date=dt.date(2025, 10, 1)
        ),
        FindingRecord(
            text="family history of Hypertension", assertion="family", date=dt.date(2025, 10, 1)
        ),  # a coding's display when there is no text
    )


def test_clinical_medications(clinical: tuple[ReadResult, Case]) -> None:
    _, case = clinical
    assert case.context.medications == (
        MedicationRecord(
            name="Alendronic acid 70 mg weekly",
            status="stopped",  # completed
            start=dt.date(2019, 2, 1),
            end=dt.date(2024, 8, 15),
        ),
        MedicationRecord(
            name="Colecalciferol 1000 units daily", status="active", start=dt.date(2024, 9, 1)
        ),
        MedicationRecord(name="Denosumab 60 mg every 6 months", status="not-taken"),
        MedicationRecord(
            name="Prednisolone 5 mg tablets",
            status="active",
            start=dt.date(2025, 10, 28),  # authoredOn
            duration_days=14,  # boundsDuration
        ),
        MedicationRecord(
            name="Omeprazole 20 mg capsules",
            status="stopped",  # on-hold
            start=dt.date(2025, 1, 10),
            end=dt.date(2025, 7, 10),  # dispenseRequest.validityPeriod
        ),
    )


def test_clinical_notes(clinical: tuple[ReadResult, Case]) -> None:
    _, case = clinical
    notes = case.context.notes or ""
    letter, *sections = notes.split("\n\n")
    assert letter.startswith("Rheumatology clinic letter.\n57-year-old woman")
    assert "stopped it in August 2024" in letter
    assert sections == [
        "Reason for referral: Persistently low ALP (24 and 27 U/L).",
        "History: Premature loss of adult teeth in her forties\nNo diarrhoea, no weight loss",
        "Family history: Mother: hypophosphatasia & early tooth loss.",  # entity decoded
    ]


@pytest.mark.parametrize(
    ("resource", "pointer", "reason"),
    [
        (
            {"resourceType": "MedicationStatement", "status": "entered-in-error"},
            "status",
            "entered in error",
        ),
        (
            {
                "resourceType": "DocumentReference",
                "status": "superseded",
                "content": [{"attachment": {"contentType": "text/plain", "data": "aGk="}}],
            },
            "status",
            "status 'superseded': only current documents, final or amended, are read",
        ),
        (
            {
                "resourceType": "DocumentReference",
                "status": "current",
                "docStatus": "preliminary",
                "content": [{"attachment": {"contentType": "text/plain", "data": "aGk="}}],
            },
            "docStatus",
            "docStatus 'preliminary': only current documents, final or amended, are read",
        ),
        (
            {
                "resourceType": "DocumentReference",
                "status": "current",
                "content": [
                    {"attachment": {"contentType": "text/plain; charset=utf-8", "data": "/w=="}}
                ],
            },
            "content[0].attachment.data",
            "attachment text is not utf-8",
        ),
        (
            {
                "resourceType": "Composition",
                "status": "preliminary",
                "type": {"text": "note"},
                "date": "2025-01-01",
                "author": [{"display": "x"}],
                "title": "t",
            },
            "status",
            "status 'preliminary': only final and amended compositions are read",
        ),
        (
            {
                "resourceType": "FamilyMemberHistory",
                "status": "completed",
                "patient": {"reference": "Patient/p"},
                "relationship": {"text": "sister"},
            },
            "condition",
            "family history without a named condition",
        ),
    ],
)
def test_clinical_records_rejected(
    resource: dict[str, object], pointer: str, reason: str, tmp_path: Path
) -> None:
    alp = json.loads((DATA / "clinical.json").read_text())["entry"][1]["resource"]
    if resource["resourceType"] == "MedicationStatement":
        resource = {**resource, "medicationCodeableConcept": {"text": "x"}}
    resource = {"subject": {"reference": "Patient/pat-2"}, **resource}
    if resource["resourceType"] == "FamilyMemberHistory":
        del resource["subject"]
    path = tmp_path / "b.json"
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": alp}]}
    bundle["entry"].append({"resource": resource})  # type: ignore[attr-defined]
    path.write_text(json.dumps(bundle))
    result, _ = read(path)
    assert by_pointer(result) == {f"entry[1].resource.{pointer}": reason}


@pytest.mark.parametrize(
    ("sex", "birth", "expected"),
    [
        ("F", dt.date(1980, 1, 1), (35, 104)),
        ("M", dt.date(1980, 1, 1), (40, 129)),
        ("M", dt.date(2016, 1, 1), (129, 417)),
        (None, dt.date(1980, 1, 1), (1, 2)),  # sex unknown: the unqualified range
        ("F", None, (1, 2)),  # age unknown
        ("F", dt.date(2006, 3, 2), (1, 2)),  # 17 on 2024-03-01: not yet 18
        ("F", dt.date(2006, 3, 1), (35, 104)),  # 18th birthday: bounds inclusive
    ],
)
def test_reference_range_choice(sex: str | None, birth: dt.date | None, expected: tuple) -> None:
    ranges = (
        Range(35, 104, "F", 18, None, "a"),
        Range(40, 129, "M", 18, None, "a"),
        Range(129, 417, None, 4, 15, "a"),
        Range(1, 2, None, None, None, "a"),
        Range(9, 9, "?", None, None, "a"),  # pregnancy: never chosen
    )
    assert _choose_range(ranges, sex, birth, dt.date(2024, 3, 1)) == expected  # type: ignore[arg-type]
    assert _choose_range(ranges[:3], None, None, dt.date(2024, 3, 1)) == (None, None)


@pytest.mark.parametrize(
    ("text", "date", "partial"),
    [
        ("2024", dt.date(2024, 1, 1), True),
        ("2024-03", dt.date(2024, 3, 1), True),
        ("2024-03-01", dt.date(2024, 3, 1), False),
        ("2024-03-01T23:30:00-05:00", dt.date(2024, 3, 1), False),
        ("2024-03-02T01:00:00+09:00", dt.date(2024, 3, 2), False),
        ("2024-03-01T12:00:00.123Z", dt.date(2024, 3, 1), False),
    ],
)
def test_dates(text: str, date: dt.date, partial: bool) -> None:
    got, note = _parse_date(text)
    assert got == date
    assert (note is not None) == partial


# ----------------------------------------------------------------------------- bulk NDJSON


def test_bulk_folder(code_map: CodeMap) -> None:
    seen: list[tuple[int, int | None]] = []
    result, cases = read(
        DATA / "bulk", code_map=code_map, progress=lambda d, t: seen.append((d, t))
    )
    assert [c.id for c in cases] == ["b1", "b2", "unknown"]
    b1, b2, unknown = cases
    assert b1.patient.sex == "F"
    assert b1.labs[0].ref_low == 35
    assert b2.patient.sex is None  # gender unknown
    assert b2.patient.birth_date == dt.date(1955, 1, 1)
    local = next(lab for lab in b2.labs if lab.date == dt.date(2023, 11, 20))
    assert (local.analyte, local.value, local.unit) == ("alp", 28, "U/l")
    assert len(unknown.labs) == 1
    assert by_pointer(result) == {
        "Observation.ndjson line 4, status": "status 'preliminary': only final, amended and corrected results are used",
        "OperationOutcome.ndjson line 1": "resource type not used",
    }
    text = "\n".join(result.warnings)
    assert "manifest.json error[0]" in text
    assert "Patient b3: access denied" in text
    assert "no subject: grouped under the patient 'unknown' (Observation.2.ndjson line 3)" in text
    total = sum(p.stat().st_size for p in (DATA / "bulk").glob("*.ndjson"))
    assert seen
    assert seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert [a.alp.status for a in map(assess, cases)] == ["low", "low", "low"]


def test_local_code_without_map_is_rejected() -> None:
    result, _ = read(DATA / "bulk")
    reason = by_pointer(result)["Observation.2.ndjson line 1, code"]
    assert reason == "unknown code; add it to a --code-map file"
    rejected = next(r for r in result.rejected if r.pointer.endswith("line 1, code"))
    assert rejected.value == "urn:oid:1.2.840.114350.1.13.99|ALKP"


def test_single_ndjson_file_with_broken_lines(tmp_path: Path) -> None:
    lines = [
        (DATA / "bulk" / "Patient.ndjson").read_text().splitlines()[0],
        (DATA / "bulk" / "Observation.ndjson")
        .read_text()
        .splitlines()[0]
        .replace("2024-04-02T10:00:00+02:00", "2024-04-02T10:00"),
        "",
        '{"resourceType": "Observation", "status": "final", "cod',
    ]
    path = tmp_path / "export.ndjson"
    path.write_text("\n".join(lines))
    result, (case,) = read(path)
    assert case.id == "b1"
    assert case.labs[0].date == dt.date(2024, 4, 2)
    (bad,) = result.rejected
    assert bad.pointer.startswith("export.ndjson line 4, column")
    assert bad.reason.startswith("not valid JSON")
    assert any("time without a time zone" in w for w in result.warnings)


# ----------------------------------------------------------------------------- bad input


def test_truncated_json() -> None:
    with pytest.raises(InputError) as info:
        ADAPTER.read(DATA / "bad" / "truncated.json", ReadOptions(), load_knowledge())
    (problem,) = info.value.problems
    assert problem.pointer.startswith("line ")
    assert ", column " in problem.pointer
    assert "truncated" in (problem.hint or "")


def test_stu3_bundle() -> None:
    with pytest.raises(InputError) as info:
        ADAPTER.read(DATA / "bad" / "stu3-bundle.json", ReadOptions(), load_knowledge())
    pointers = [p.pointer for p in info.value.problems]
    assert "entry[1].resource.context" in pointers
    assert "entry[2].resource.clinicalStatus" in pointers
    assert "entry[3].resource.taken" in pointers
    assert "earlier FHIR version" in str(info.value)
    assert "convert the data to R4" in str(info.value)


def test_stu3_shape_without_profile_hint(tmp_path: Path) -> None:
    data = json.loads((DATA / "bad" / "stu3-bundle.json").read_text())
    del data["meta"]
    path = tmp_path / "b.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="earlier FHIR version"):
        ADAPTER.read(path, ReadOptions(), load_knowledge())


@pytest.mark.parametrize(
    ("name", "pointer", "reason"),
    [
        (
            "observation-without-code.json",
            "entry[2].resource.code",
            "not valid FHIR R4: field required",
        ),
        (
            "observation-without-value.json",
            "entry[2].resource.value[x]",
            "no value and no interpretation",
        ),
        (
            "unknown-unit.json",
            "entry[2].resource.valueQuantity.unit",
            "unit 'grams per litre' is not known for Albumin; accepted: g/dL, g/L; "
            "closest: 'g/L' (use it only if the lab's report says so)",
        ),
    ],
)
def test_bad_observations(name: str, pointer: str, reason: str) -> None:
    result, (case,) = read(DATA / "bad" / name)
    assert by_pointer(result) == {pointer: reason}
    assert [lab.analyte for lab in case.labs] == ["alp"]


def test_missing_package_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fhir.resources.R4B", None)
    with pytest.raises(InputError, match=r"pip install 'lowalp\[fhir\]'"):
        ADAPTER.read(DATA / "bundle.json", ReadOptions(), load_knowledge())


# ----------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_round_trip(path: Path, tmp_path: Path, kb: Knowledge) -> None:
    """case JSON -> FHIR Bundle -> case gives the same assessment."""
    case = load_case(path)
    out = tmp_path / "bundle.json"
    out.write_text(json.dumps(case_to_bundle(case, knowledge=kb)))
    result, (back,) = read(out)
    assert not result.rejected
    before, after = assess(case, knowledge=kb), assess(back, knowledge=kb)
    assert back.id == case.id
    assert [c.id for c in after.causes] == [c.id for c in before.causes]
    for x, y in zip(before.causes, after.causes, strict=True):
        assert y.probability == pytest.approx(x.probability, abs=1e-9)
    assert after.alp.status == before.alp.status
    assert after.alp.persistent == before.alp.persistent
    assert abs((after.age_years or 0) - (before.age_years or 0)) < 1 / 365


def write_and_read(case: Case, tmp_path: Path, kb: Knowledge) -> tuple[ReadResult, Case]:
    out = tmp_path / "bundle.json"
    bundle = case_to_bundle(case, knowledge=kb)
    out.write_text(json.dumps(bundle))
    result, (back,) = read(out)
    return result, back


def test_round_trip_of_the_clinical_sample(
    clinical: tuple[ReadResult, Case], tmp_path: Path, kb: Knowledge
) -> None:
    """FHIR -> case -> FHIR -> case: every flag, text, note, record and note comes back."""
    _, case = clinical
    result, back = write_and_read(case, tmp_path, kb)
    assert not result.rejected
    assert back == case


def test_round_trip_of_structured_context(tmp_path: Path, kb: Knowledge) -> None:
    """case -> FHIR -> case with every new form, and what is said to change on the way."""
    index = dt.date(2025, 6, 1)
    case = Case(
        id="rt",
        patient=Patient(birth_date=dt.date(1970, 1, 1), sex="M"),
        labs=(
            LabResult(
                analyte="alp", value=21, unit="U/L", date=index, flag="L", note="Repeat sent."
            ),
            LabResult(analyte="magnesium", value=1, unit="mg/dL", qualifier="<", text="<=1"),
            LabResult(analyte="plp", value=300, unit="nmol/L", text="300 (re-run)", flag="H"),
            LabResult(analyte="zinc", qualifier="low", text="below detection", flag="LL"),
            LabResult(analyte="urine_pea", qualifier="positive", text="Detected", flag="A"),
            LabResult(analyte="ceruloplasmin", qualifier="normal", flag="see report"),
            LabResult(analyte="ttg_iga", qualifier="negative"),
        ),
        context=Context(
            medications=(
                MedicationRecord(
                    name="alendronate 70 mg weekly",
                    status="stopped",
                    start=dt.date(2018, 1, 1),
                    end=dt.date(2024, 1, 1),
                    duration_days=2191,
                ),
                MedicationRecord(name="denosumab", status="not-taken"),
                MedicationRecord(name="teriparatide", status="intended"),
                MedicationRecord(name="omeprazole", status="unknown"),
            ),
            findings=(
                "no bone pain",
                FindingRecord(text="metatarsal stress fracture", assertion="historical"),
                FindingRecord(text="chondrocalcinosis", assertion="uncertain"),
                FindingRecord(text="coeliac disease", assertion="absent"),
                FindingRecord(
                    text="premature tooth loss", assertion="present", date=dt.date(2020, 5, 1)
                ),
                FindingRecord(text="tooth loss", date=dt.date(2021, 1, 1)),
                FindingRecord(text="family history of hypophosphatasia", assertion="family"),
            ),
            events=(EventRecord(event="transfusion", date=dt.date(2025, 5, 20)),),
            notes="Seen in clinic.\n\nStopped alendronate in January 2024; no fractures since.",
        ),
    )
    result, back = write_and_read(case, tmp_path, kb)
    assert not result.rejected
    assert back.labs == case.labs
    assert back.context == case.context
    assert back.patient == case.patient
    changed = Case(
        labs=(
            LabResult(analyte="alp", value=21, unit="U/L", date=index),
            LabResult(analyte="zinc", qualifier="low"),
        ),
        context=Context(
            medications=("warfarin", MedicationRecord(name="levothyroxine")),
            findings=(FindingRecord(text="rickets", assertion="hypothetical"),),
        ),
    )
    _, back = write_and_read(changed, tmp_path, kb)
    assert back.labs[1] == LabResult(analyte="zinc", qualifier="low", flag="L")
    assert back.context.medications == (
        MedicationRecord(name="warfarin", status="active"),
        MedicationRecord(name="levothyroxine", status="active"),
    )
    assert back.context.findings == (FindingRecord(text="rickets", assertion="uncertain"),)


def test_days_since_stopped_is_written_as_an_end_date(tmp_path: Path, kb: Knowledge) -> None:
    case = Case(
        labs=(LabResult(analyte="alp", value=21, unit="U/L", date=dt.date(2025, 6, 1)),),
        context=Context(
            medications=(
                MedicationRecord(name="alendronate", status="stopped", days_since_stopped=31),
            )
        ),
    )
    _, back = write_and_read(case, tmp_path, kb)
    assert back.context.medications == (
        MedicationRecord(name="alendronate", status="stopped", end=dt.date(2025, 5, 1)),
    )


def test_ndjson_of_bundles_reads_every_patient(tmp_path: Path, kb: Knowledge) -> None:
    """The recommended multi-patient file: one Bundle per line."""
    cases = [load_case(p) for p in EXAMPLES]
    path = tmp_path / "cases.ndjson"
    path.write_text("".join(json.dumps(case_to_bundle(c, knowledge=kb)) + "\n" for c in cases))
    result, back = read(path)
    assert [c.id for c in back] == [c.id for c in cases]
    assert result.rejected == []
    copy = tmp_path / "folder"
    copy.mkdir()
    shutil.copy(path, copy / "Bundle.ndjson")
    assert [c.id for c in read(copy)[1]] == [c.id for c in cases]


def test_a_resource_type_that_is_not_a_name_is_rejected(tmp_path):
    """A damaged resourceType (a list or an object) is a rejected record, not a crash."""
    import json as _json

    from lowalp.adapters import load

    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": ["Observation"]}},
            {"resource": {"resourceType": {"a": 1}}},
        ],
    }
    p = tmp_path / "b.json"
    p.write_text(_json.dumps(bundle))
    result = load(p, format="fhir")
    list(result.cases)
    assert len(result.rejected) == 2
    assert all("resourceType" in r.pointer for r in result.rejected)
    assert result.stats.read == result.stats.used + result.stats.rejected


def test_a_procedure_period_and_an_in_progress_procedure_give_an_end_or_ongoing(
    tmp_path: Path,
) -> None:
    alp = json.loads((DATA / "clinical.json").read_text())["entry"][1]["resource"]
    subject = {"reference": alp["subject"]["reference"]}

    def procedure(status: str, period: dict[str, str]) -> dict[str, object]:
        return {
            "resourceType": "Procedure",
            "status": status,
            "code": {"text": "intensive care admission"},
            "subject": subject,
            "performedPeriod": period,
        }

    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": alp},
            {"resource": procedure("in-progress", {"start": "2024-01-10"})},
            {"resource": procedure("completed", {"start": "2022-01-10", "end": "2022-02-01"})},
        ],
    }
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle))
    result, cases = read(path)
    assert result.rejected == []
    events = cases[0].context.events
    assert events is not None
    got = [(e.event, e.date, e.end_date, e.ongoing) for e in events if not isinstance(e, str)]
    assert got == [
        ("icu_admission", dt.date(2024, 1, 10), None, True),
        ("icu_admission", dt.date(2022, 1, 10), dt.date(2022, 2, 1), False),
    ]
    # written back as FHIR, the period and the status survive
    again = tmp_path / "again.json"
    again.write_text(json.dumps(case_to_bundle(cases[0])))
    _, back = read(again)
    assert back[0].context.events == cases[0].context.events


def test_an_active_condition_whose_words_deny_it_is_not_taken_as_present(
    tmp_path: Path, kb: Knowledge
) -> None:
    # a problem-list entry, active and confirmed, written "Coeliac disease ruled out": the words
    # decide, and the assessment says the status and the words disagree
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "Patient",
                    "id": "p",
                    "gender": "female",
                    "birthDate": "1970-01-01",
                }
            },
            {
                "resource": {
                    "resourceType": "Observation",
                    "id": "o",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "6768-6"}]},
                    "subject": {"reference": "Patient/p"},
                    "effectiveDateTime": "2026-05-01",
                    "valueQuantity": {"value": 22, "unit": "U/L"},
                }
            },
            {
                "resource": {
                    "resourceType": "Condition",
                    "id": "c",
                    "clinicalStatus": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                "code": "active",
                            }
                        ]
                    },
                    "verificationStatus": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                "code": "confirmed",
                            }
                        ]
                    },
                    "code": {"text": "Coeliac disease ruled out"},
                    "subject": {"reference": "Patient/p"},
                    "onsetDateTime": "2026-01-10",
                }
            },
        ],
    }
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    _, (case,) = read(path)
    a = assess(case, knowledge=kb)
    states = {e.finding: e.state for c in a.causes for e in c.evidence}
    assert states["diagnosed_celiac_disease"] == "absent"
    assert any("recorded as present, but its words say negated" in w for w in a.warnings)
