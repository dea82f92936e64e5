"""Note headings decide how the lines under them are read (text/sections.yaml)."""

from __future__ import annotations

import pytest

from lowalp import assess
from lowalp.knowledge import Knowledge
from lowalp.text.reader import read_text


def _read(kb: Knowledge, text: str) -> dict[str, str]:
    return {m.concept: m.assertion for m in read_text(text, kb, sentences=True).mentions}


@pytest.mark.parametrize(
    ("text", "concept", "assertion"),
    [
        # a heading alone on its line covers the lines below it
        (
            "STOPPED:\nalendronate 70 mg weekly\nprednisolone 5 mg od",
            "med_bisphosphonate",
            "historical",
        ),
        (
            "STOPPED:\nalendronate 70 mg weekly\nprednisolone 5 mg od",
            "med_glucocorticoid",
            "historical",
        ),
        ("Discontinued medications\n- Prolia 60 mg 6-monthly", "med_denosumab", "historical"),
        ("Resolved problems:\nanorexia nervosa\n", "anorexia_nervosa", "historical"),
        ("Plan:\nstart alendronate 70 mg weekly", "med_bisphosphonate", "hypothetical"),
        # a heading with words after it covers its own line
        ("Allergies: alendronate (oesophagitis)", "med_bisphosphonate", "historical"),
        ("FH: coeliac disease", "family_history_celiac", "family"),
        ("PMH: metatarsal stress fracture 2019", "metatarsal_stress_fracture", "historical"),
        # the sentence's own words still decide
        ("PMH: no fractures", "low_trauma_fractures", "absent"),
        # a heading ends at the next heading on its line, or at a blank line
        (
            "Stopped: alendronate (2021). Current: levothyroxine 50 mcg",
            "med_levothyroxine",
            "present",
        ),
        ("Allergies: penicillin\nTakes alendronate 70 mg weekly", "med_bisphosphonate", "present"),
        ("Stopped:\nalendronate\n\nOn omeprazole 20 mg", "med_ppi", "present"),
        # a heading counts only at the start of a line
        ("Seen in clinic, PMH: anorexia nervosa", "anorexia_nervosa", "present"),
    ],
)
def test_headings(kb: Knowledge, text: str, concept: str, assertion: str) -> None:
    assert _read(kb, text).get(concept) == assertion


def test_a_heading_alone_is_not_reported_as_unread(kb: Knowledge) -> None:
    reading = read_text("STOPPED:\nalendronate 70 mg weekly", kb, sentences=True)
    assert reading.unread == ()


def test_a_heading_inside_one_list_entry(kb: Knowledge) -> None:
    reading = read_text("STOPPED: Fosamax 70 mg", kb, medication_field=True)
    assert [(m.concept, m.assertion) for m in reading.mentions] == [
        ("med_bisphosphonate", "historical")
    ]


def test_a_medicine_under_stopped_is_not_taken_now_end_to_end() -> None:
    a = assess(
        {
            "patient": {"age_years": 50, "sex": "F"},
            "labs": [{"analyte": "alp", "value": 28, "unit": "U/L", "day": 0}],
            "context": {"notes": "Current meds:\nlevothyroxine 75 mcg\n\nSTOPPED:\nprednisolone"},
        }
    )
    used = {m.concept: m.assertion for m in a.mappings}
    assert used["med_glucocorticoid"] == "historical"
    assert used["med_levothyroxine"] == "present"
