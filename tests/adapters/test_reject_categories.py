"""Every record an adapter sets aside carries a category of one vocabulary
(lowalp.adapters.reasons.CATEGORIES), counted in ``stats.by_category``: a standard code
lowalp has no use for is not an error in any format, and asks for no code map."""

from __future__ import annotations

from pathlib import Path

import pytest

from lowalp.adapters import load
from lowalp.adapters.base import ReadResult
from lowalp.adapters.reasons import (
    CATEGORIES,
    CODE_NOT_IDENTIFIED,
    NEEDS_ACTION,
    REPEATED,
    STANDARD_CODE_NOT_USED,
    STANDARD_CODE_REASON,
    VALUE_NOT_USABLE,
    is_loinc,
)
from lowalp.knowledge import Knowledge

DATA = Path(__file__).parent.parent / "data"
NOT_READ_AS_IS = {
    "code_map.csv",  # a code map, not an input
    "custom_columns.csv",  # needs --column
    "missing_columns.csv",  # errors, each tested in their adapter's tests
    "space_delimited.csv",
    "wrong_delimiter.csv",
    "bad_broken_msh.hl7",
    "bad_no_pid.hl7",
    "bad_truncated.hl7",
}
ALL = sorted(
    [
        *(DATA / "csv").glob("*.csv"),
        *(DATA / "csv").glob("*.tsv"),
        *(DATA / "hl7v2").glob("*.hl7"),
        DATA / "fhir" / "bundle.json",
        DATA / "fhir" / "clinical.json",
        DATA / "fhir" / "bulk-export",
    ]
)
INPUTS = [p for p in ALL if p.name not in NOT_READ_AS_IS]


def _read(path: Path) -> ReadResult | None:
    from lowalp.errors import InputError

    try:
        result = load(path)
        list(result.cases)  # a long file sets its repeats aside as its cases are built
    except InputError:
        return None  # a file that cannot be read at all is an error, not a set-aside record
    return result


@pytest.mark.parametrize("path", INPUTS, ids=[p.name for p in INPUTS])
def test_every_record_set_aside_has_a_category(path: Path) -> None:
    result = _read(path)
    assert result is not None, path
    stats = result.stats
    for r in result.rejected:
        assert r.category in CATEGORIES, (path.name, str(r))
    assert set(stats.by_category) <= set(CATEGORIES)
    assert sum(stats.by_category.values()) == stats.rejected, stats.by_category
    assert stats.reconciles(), stats.summary()


def test_the_fixtures_reach_every_kind_of_reader() -> None:
    seen = {c for p in INPUTS if (r := _read(p)) for c in r.stats.by_category}
    assert {CODE_NOT_IDENTIFIED, VALUE_NOT_USABLE, STANDARD_CODE_NOT_USED} <= seen


def _long(tmp_path: Path, rows: list[str]) -> ReadResult:
    path = tmp_path / "labs.csv"
    header = "patient_id,sex,age,date,loinc,code,system,value,unit"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    result = load(path)
    list(result.cases)
    return result


def test_a_standard_loinc_code_in_a_long_file_is_not_an_error(tmp_path: Path) -> None:
    result = _long(
        tmp_path,
        [
            "P1,F,50,2026-05-01,6768-6,,,22,U/L",  # ALP: used
            "P1,F,50,2026-05-01,2571-8,,,1.2,mmol/L",  # triglycerides: standard, not used
            "P1,F,50,2026-05-01,,2093-3,LN,5.1,mmol/L",  # cholesterol, by code and system
            "P1,F,50,2026-05-01,2571-7,,,1.2,mmol/L",  # wrong check digit: not a LOINC code
            "P1,F,50,2026-05-01,6768-6,,,22,U/L",  # the same ALP again
        ],
    )
    by = {r.pointer: r for r in result.rejected}
    fats = by["row 2 (column loinc)"]
    assert (fats.reason, fats.category) == (STANDARD_CODE_REASON, STANDARD_CODE_NOT_USED)
    assert by["row 3 (column code)"].category == STANDARD_CODE_NOT_USED
    typo = by["row 4 (column loinc)"]
    assert typo.category == CODE_NOT_IDENTIFIED
    assert "code-map" in typo.reason
    assert by["row 5"].category == REPEATED
    assert not any(
        "code-map" in r.reason for r in result.rejected if r.category not in NEEDS_ACTION
    )
    assert result.stats.by_category == {
        STANDARD_CODE_NOT_USED: 2,
        CODE_NOT_IDENTIFIED: 1,
        REPEATED: 1,
    }


def test_records_beyond_the_limit_are_counted_not_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lowalp.adapters.reasons as reasons

    monkeypatch.setattr(reasons, "LISTED_PER_CATEGORY", 3)
    rows = ["P1,F,50,2026-05-01,6768-6,,,22,U/L"]
    rows += [f"P1,F,50,2026-05-0{d},2571-8,,,1.2,mmol/L" for d in range(1, 8)]
    rows += [f"P1,F,50,2026-05-0{d},99999-X,,,5.4,mmol/L" for d in range(1, 6)]
    stats = _long(tmp_path, rows).stats
    assert stats.by_category == {STANDARD_CODE_NOT_USED: 7, CODE_NOT_IDENTIFIED: 5}
    assert stats.not_listed == 7 - 3  # what asks something of the user is all listed
    assert stats.reconciles()


def test_a_standard_loinc_code_in_hl7_is_not_an_error(tmp_path: Path, kb: Knowledge) -> None:
    msg = "\r".join(
        [
            "MSH|^~\\&|LAB|H|EHR|H|20260501120000||ORU^R01|1|P|2.5.1",
            "PID|1||P1^^^H^MR||Doe^Jane||19760101|F",
            "OBR|1|||PANEL|||20260501080000",
            "OBX|1|NM|6768-6^ALP^LN||22|U/L|35-104|L|||F",
            "OBX|2|NM|2571-8^Triglyceride^LN||1.2|mmol/L|||||F",
            "OBX|3|NM|GLU^Glucose^L||5.4|mmol/L|||||F",
        ]
    )
    path = tmp_path / "m.hl7"
    path.write_text(msg + "\r", encoding="utf-8")
    result = load(path)
    list(result.cases)
    cats = {r.pointer: (r.reason, r.category) for r in result.rejected}
    assert cats["message 1, OBX[2]-3"] == (STANDARD_CODE_REASON, STANDARD_CODE_NOT_USED)
    assert cats["message 1, OBX[3]-3"][1] == CODE_NOT_IDENTIFIED


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("6768-6", True),
        ("1-8", True),
        ("2345-7", True),
        ("6768-5", False),
        ("ALKP", False),
        ("6768", False),
        ("12345678-9", False),
    ],
)
def test_loinc_check_digit(code: str, ok: bool, kb: Knowledge) -> None:
    assert is_loinc(code) is ok
    assert all(is_loinc(c) for c in kb.loinc_index)
