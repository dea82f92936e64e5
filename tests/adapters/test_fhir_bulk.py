"""A hospital-shaped FHIR bulk export (tests/data/fhir/bulk-export, see its README): what is
used and what is set aside by category, validation only of what is used,
MedicationAdministration, and Condition words read as findings."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from lowalp.adapters.base import ReadOptions, ReadResult
from lowalp.adapters.fhir import ADAPTER
from lowalp.adapters.fhir import reader as fhir_reader
from lowalp.adapters.reasons import (
    CODE_NOT_IDENTIFIED,
    NOT_VALID,
    STANDARD_CODE_NOT_USED,
    STATUS_NOT_USED,
    TYPE_NOT_USED,
)
from lowalp.cli import main
from lowalp.knowledge import load_knowledge
from lowalp.model import Case, MedicationRecord
from lowalp.normalise import normalise

EXPORT = Path(__file__).parent.parent / "data" / "fhir" / "bulk-export"


def read() -> tuple[ReadResult, dict[str, Case]]:
    result = ADAPTER.read(EXPORT, ReadOptions(), load_knowledge())
    cases = {c.id or "": c for c in result.cases}
    assert result.stats.reconciles(), result.stats.summary()
    assert result.stats.rejected == len(result.rejected)
    return result, cases


def test_counts_by_category() -> None:
    result, cases = read()
    assert result.stats.summary() == "38 resources read = 13 used + 25 rejected; 2 cases"
    assert result.stats.by_category == {
        STANDARD_CODE_NOT_USED: 15,  # 12 LOINC results, 2 coded conditions, a colonoscopy
        CODE_NOT_IDENTIFIED: 3,  # a local code, no code, an ALP under an unlisted LOINC
        STATUS_NOT_USED: 4,  # preliminary, not-done, two entered in error
        TYPE_NOT_USED: 2,  # encounters
        NOT_VALID: 1,  # a code that is a string
    }
    counted: dict[str, int] = {}
    for r in result.rejected:
        counted[r.category] = counted.get(r.category, 0) + 1
    assert counted == result.stats.by_category
    assert sorted(cases) == ["x1", "x2"]


def test_standard_codes_ask_for_no_code_map() -> None:
    result, _ = read()
    standard = [r for r in result.rejected if r.category == STANDARD_CODE_NOT_USED]
    assert all("code-map" not in r.reason for r in standard)
    observations = [r for r in standard if r.pointer.startswith("Observation")]
    assert len(observations) == 12
    assert {r.reason for r in observations} == {"standard code not used by lowalp"}
    assert "http://loinc.org|8867-4" in {r.value for r in observations}
    by_pointer = {r.pointer: r for r in result.rejected}
    hypertension = by_pointer["Condition.ndjson line 3, code"]
    assert hypertension.category == STANDARD_CODE_NOT_USED
    assert (
        by_pointer["Condition.ndjson line 4, code"].value
        == "http://hl7.org/fhir/sid/icd-10-cm|D64.9"
    )
    unknown = [r for r in result.rejected if r.category == CODE_NOT_IDENTIFIED]
    assert [r.pointer for r in unknown] == [
        "Observation.ndjson line 16, code",
        "Observation.ndjson line 17, code",
        "Observation.ndjson line 18, code",
    ]
    assert unknown[0].reason == "unknown code; add it to a --code-map file"
    assert unknown[1].reason.startswith("no code")
    assert "--code-map" in unknown[2].reason
    assert "77141-0" in unknown[2].reason


def test_only_used_resources_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    validate = fhir_reader.validate

    def counting(reader: Any, res: dict[str, Any], rtype: str, prefix: str) -> bool:
        seen.append(prefix)
        return validate(reader, res, rtype, prefix)

    monkeypatch.setattr(fhir_reader, "validate", counting)
    result, _ = read()
    # every used resource once, and the one whose code is not shaped like FHIR (to say where)
    assert len(seen) == len(set(seen)) == result.stats.used + 1
    assert "Observation.ndjson line 20" in seen
    for r in result.rejected:
        if r.category != NOT_VALID:
            assert not any(r.pointer.startswith(p + ",") or r.pointer == p for p in seen), r


def test_medication_administration() -> None:
    result, cases = read()
    assert cases["x2"].context.medications == (
        # two doses on 1 March: one record, given that day
        MedicationRecord(
            name="ferrous sulfate 325 MG Oral Tablet",
            status="stopped",
            start=dt.date(2025, 3, 1),
            end=dt.date(2025, 3, 1),
        ),
        MedicationRecord(
            name="ferrous sulfate 325 MG Oral Tablet", status="active", start=dt.date(2025, 3, 2)
        ),
    )
    by_pointer = {r.pointer: r.reason for r in result.rejected}
    assert (
        by_pointer["MedicationAdministration.ndjson line 4, status"]
        == "not given (status not-done)"
    )
    assert by_pointer["MedicationAdministration.ndjson line 5, status"] == "entered in error"


def test_condition_words_become_findings() -> None:
    _, cases = read()
    kb = load_knowledge()
    x1 = normalise(cases["x1"], kb)
    assert "diagnosed_celiac_disease" in x1.findings_present  # SNOMED-coded, by its text
    # refuted: absent, never present, though its clinical status is active
    assert "diagnosed_wilson_disease" in x1.findings_absent
    assert "diagnosed_wilson_disease" not in x1.findings_present
    x2 = normalise(cases["x2"], kb)
    assert "diagnosed_zinc_deficiency" in x2.findings_present  # text only, no code
    assert "diagnosed_celiac_disease" not in x2.findings_present  # entered in error


def test_cli_summary_by_category(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rejects = tmp_path / "rejects.csv"
    out = tmp_path / "out.json"
    args = ["assess", str(EXPORT), "--format", "json", "-o", str(out), "--rejects", str(rejects)]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "set aside, by category:" in err
    assert "15 standard code not used by lowalp (not an error)" in err
    assert "3 code lowalp cannot identify" in err
    listed = [line for line in err.splitlines() if "not used: " in line]
    # the records that may ask something of the user come first
    assert "VITB6" in listed[0]
    assert not any("8867-4" in line and "code-map" in line for line in listed)
    with rejects.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 25
    assert {row["category"] for row in rows} >= {STANDARD_CODE_NOT_USED, CODE_NOT_IDENTIFIED}


def test_records_not_errors_are_counted_beyond_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fhir_reader.Reader, "listed_per_category", 2)
    result = ADAPTER.read(EXPORT, ReadOptions(), load_knowledge())
    stats = result.stats
    assert stats.by_category[STANDARD_CODE_NOT_USED] == 15  # every one counted
    kept = [r for r in result.rejected if r.category == STANDARD_CODE_NOT_USED]
    assert len(kept) == 2
    assert stats.not_listed == (15 - 2) + (4 - 2)  # standard codes, statuses (types: 2 kept)
    assert stats.rejected == len(result.rejected) + stats.not_listed
    # what may ask something of the user is kept whole
    assert len([r for r in result.rejected if r.category == CODE_NOT_IDENTIFIED]) == 3
