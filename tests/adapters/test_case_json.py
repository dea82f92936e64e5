"""The case JSON adapter: the structured forms of results and context, and what a wrong one
is told (sample in tests/data/case, see its README)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from lowalp.adapters import load
from lowalp.adapters.case_json import case_from_dict
from lowalp.errors import InputError
from lowalp.model import EventRecord, FindingRecord, MedicationRecord

DATA = Path(__file__).parent.parent / "data" / "case"
ALP = {"analyte": "alp", "value": 20, "unit": "U/L"}


def test_the_clinical_sample_reads_every_form() -> None:
    result = load(DATA / "clinical.json")
    assert result.format == "case-json"
    (case,) = list(result.cases)
    alp, _, plp, cerulo = case.labs
    assert (alp.flag, alp.note) == ("L", "Confirmed on repeat analysis.")
    assert (plp.loinc, plp.qualifier, plp.value, plp.text, plp.flag) == (
        "62236-5",
        ">",
        300,
        ">300",
        "HH",
    )
    assert (cerulo.qualifier, cerulo.text, cerulo.flag) == ("normal", "Within normal limits", "N")
    ctx = case.context
    assert ctx.medications == (
        MedicationRecord(
            name="Alendronic acid 70 mg weekly",
            status="stopped",
            start=dt.date(2019, 2, 1),
            end=dt.date(2024, 8, 15),
        ),
        MedicationRecord(
            name="Colecalciferol 1000 units daily", status="active", start=dt.date(2024, 9, 1)
        ),
        "omeprazole 20 mg daily",
    )
    assert ctx.findings == (
        FindingRecord(
            text="metatarsal stress fracture", assertion="historical", date=dt.date(2023, 4, 1)
        ),
        FindingRecord(text="family history of hypophosphatasia", assertion="family"),
        FindingRecord(text="coeliac disease", assertion="absent"),
        "premature loss of adult teeth",
    )
    # an event as text stays text (its words may say when), an object is a record
    assert ctx.events == (
        EventRecord(event="transfusion", date=dt.date(2025, 10, 30)),
        "plasma exchange last spring",
    )
    assert ctx.notes is not None
    assert ctx.notes.splitlines()[1] == "No fractures since 2023. Mother lost her teeth early."


def test_the_case_writes_back_to_the_same_json() -> None:
    data = json.loads((DATA / "clinical.json").read_text())
    case = case_from_dict(data)
    again = case_from_dict(json.loads(case.model_dump_json(exclude_none=True)))
    assert again == case


@pytest.mark.parametrize(
    ("context", "problems"),
    [
        (
            {"medications": [{"name": "alendronate", "status": "paused"}]},
            [("context.medications[0].status", "'active', 'stopped'", "paused")],
        ),
        (
            {"medications": [{"status": "stopped"}]},
            [("context.medications[0].name", "Field required", None)],
        ),
        (
            {"findings": [{"text": "bone pain", "assertion": "maybe"}]},
            [("context.findings[0].assertion", "'present', 'absent'", "maybe")],
        ),
        (
            {"findings": [{"text": "bone pain", "date": 20240101}]},
            [("context.findings[0].date", "a date is written as text", 20240101)],
        ),
        (
            {"events": ["bypass 3 days ago", {"event": "transfusion", "days_before": -1}]},
            [("context.events[1].days_before", "greater than or equal to 0", -1)],
        ),
        (
            {"medications": [5], "findings": [["bone pain"]]},
            [
                ("context.medications[0]", 'must be text, or an object with "name"', 5),
                ("context.findings[0]", 'must be text, or an object with "text"', None),
            ],
        ),
        ({"notes": 5}, [("context.notes", "valid string", 5)]),
    ],
)
def test_a_wrong_context_entry_is_named_by_the_form_it_was_given_in(
    context: dict[str, Any], problems: list[tuple[str, str, object]]
) -> None:
    with pytest.raises(InputError) as info:
        case_from_dict({"labs": [ALP], "context": context})
    got = info.value.problems
    assert [p.pointer for p in got] == [p for p, _, _ in problems]
    for problem, (_, words, value) in zip(got, problems, strict=True):
        assert words in problem.message
        assert problem.value == value


def test_lab_text_flag_and_note_must_be_text() -> None:
    with pytest.raises(InputError) as info:
        case_from_dict({"labs": [{**ALP, "flag": 1, "note": ["a"]}]})
    assert [p.pointer for p in info.value.problems] == ["labs[0].flag", "labs[0].note"]
