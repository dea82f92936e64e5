"""The case's context read into the engine's states (lowalp.normalise.context)."""

from __future__ import annotations

import datetime as dt

from lowalp import assess
from lowalp.knowledge import Knowledge
from lowalp.model import Case, Context, FindingRecord, LabResult, MedicationRecord, Patient

INDEX = dt.date(2026, 6, 1)


def _case(**context: object) -> Case:
    return Case(
        patient=Patient(age_years=60, sex="F"),
        labs=(
            LabResult(analyte="alp", value=24, unit="U/L", date=INDEX),
            LabResult(analyte="alp", value=26, unit="U/L", date=dt.date(2025, 12, 1)),
        ),
        context=Context(**context),  # type: ignore[arg-type]
    )


def _state(kb: Knowledge, case: Case, finding: str) -> str:
    a = assess(case, knowledge=kb)
    for c in a.causes:
        for e in c.evidence:
            if e.finding == finding:
                return e.state
    raise AssertionError(f"{finding} is evidence for no cause")


def test_a_bisphosphonate_stopped_two_years_ago_still_counts(kb: Knowledge) -> None:
    case = _case(medications=("alendronate 70 mg weekly, stopped 2024",))
    assert _state(kb, case, "med_bisphosphonate") == "present"


def test_a_bisphosphonate_stopped_long_ago_no_longer_counts(kb: Knowledge) -> None:
    case = _case(medications=("alendronate 2005-2012",))
    assert _state(kb, case, "med_bisphosphonate") == "absent"


def test_denosumab_stopped_a_year_ago_no_longer_counts(kb: Knowledge) -> None:
    case = _case(
        medications=(MedicationRecord(name="Prolia", status="stopped", end=dt.date(2025, 5, 1)),)
    )
    assert _state(kb, case, "med_denosumab") == "absent"


def test_a_medicine_stopped_at_an_unknown_time_is_unknown(kb: Knowledge) -> None:
    case = _case(medications=("alendronate, stopped",))
    assert _state(kb, case, "med_bisphosphonate") == "unknown"


def test_a_glucocorticoid_cream_is_not_systemic_use(kb: Knowledge) -> None:
    case = _case(medications=("betamethasone cream to elbows",))
    assert _state(kb, case, "med_glucocorticoid") == "absent"


def test_an_unread_medicine_keeps_the_others_unknown(kb: Knowledge) -> None:
    read = _case(medications=("levothyroxine 50 mcg",))
    unread = _case(medications=("levothyroxine 50 mcg", "Zzqxv 10 mg"))
    assert _state(kb, read, "med_bisphosphonate") == "absent"
    assert _state(kb, unread, "med_bisphosphonate") == "unknown"
    a = assess(unread, knowledge=kb)
    assert any(n.value == "Zzqxv 10 mg" for n in a.not_understood)


def test_a_brand_the_lexicon_lacks_is_recognised_as_a_medicine(kb: Knowledge) -> None:
    a = assess(_case(medications=("Evista 60 mg",)), knowledge=kb)
    (m,) = a.mappings
    assert m.label == "Raloxifene"
    assert not a.not_understood


def test_a_record_keeps_its_assertion(kb: Knowledge) -> None:
    refuted = _case(
        findings=(FindingRecord(text="metatarsal stress fracture", assertion="absent"),)
    )
    assert _state(kb, refuted, "metatarsal_stress_fracture") == "absent"


def test_words_that_negate_win_over_a_status_of_present(kb: Knowledge) -> None:
    # an active problem-list entry whose own words deny the finding is not the finding
    for words in (
        "no evidence of metatarsal stress fracture",
        "metatarsal stress fracture ruled out",
        "denies metatarsal stress fracture",
    ):
        case = _case(findings=(FindingRecord(text=words, assertion="present"),))
        assert _state(kb, case, "metatarsal_stress_fracture") == "absent", words
        a = assess(case, knowledge=kb)
        assert any("recorded as present, but its words say negated" in w for w in a.warnings), (
            a.warnings
        )


def test_words_that_qualify_win_over_a_status_of_present(kb: Knowledge) -> None:
    for words in ("possible metatarsal stress fracture", "mother had a metatarsal stress fracture"):
        case = _case(findings=(FindingRecord(text=words, assertion="present"),))
        assert _state(kb, case, "metatarsal_stress_fracture") != "present", words


def test_a_refuted_record_stays_absent_whatever_its_words(kb: Knowledge) -> None:
    for words in ("metatarsal stress fracture", "possible metatarsal stress fracture"):
        case = _case(findings=(FindingRecord(text=words, assertion="absent"),))
        assert _state(kb, case, "metatarsal_stress_fracture") == "absent", words


def test_plain_words_keep_the_records_status(kb: Knowledge) -> None:
    case = _case(findings=(FindingRecord(text="metatarsal stress fracture", assertion="present"),))
    assert _state(kb, case, "metatarsal_stress_fracture") == "present"
    assert not any("recorded as" in w for w in assess(case, knowledge=kb).warnings)


def test_a_past_acute_state_is_not_used(kb: Knowledge) -> None:
    a = assess(_case(findings=("previous acute liver failure in 2015, recovered",)), knowledge=kb)
    (m,) = a.mappings
    assert m.assertion == "historical"
    assert m.used_as.startswith("not used")


def test_a_past_lifelong_fact_is_used(kb: Knowledge) -> None:
    case = _case(findings=("h/o metatarsal stress fracture",))
    assert _state(kb, case, "metatarsal_stress_fracture") == "present"


def test_an_event_in_free_text_gets_its_time(kb: Knowledge) -> None:
    case = _case(events=("s/p CABG, POD 3",))
    a = assess(case, knowledge=kb)
    (m,) = [m for m in a.mappings if m.kind == "event"]
    assert m.concept == "cardiac_surgery"
    assert "3 days before" in m.used_as


def test_a_panel_reported_normal_in_a_note_gives_normal_results(kb: Knowledge) -> None:
    a = assess(_case(notes="Bone profile normal. TFTs normal."), knowledge=kb)
    panels = [m for m in a.mappings if m.kind == "panel"]
    assert len(panels) == 2
    assert all(m.used_as.startswith("reported normal") for m in panels)


def test_every_phrase_read_is_in_the_report(kb: Knowledge) -> None:
    from lowalp.render.text import render_text

    a = assess(_case(notes="ALPL sequencing: no pathogenic variant found."), knowledge=kb)
    report = render_text(a)
    assert "How the words given were read" in report
    assert "ALPL sequencing" in report


def test_a_very_long_note_is_read_up_to_its_limit_and_said(kb: Knowledge) -> None:
    import dataclasses

    matching = kb.text.matching
    assert matching is not None
    small = dataclasses.replace(
        kb,
        text=dataclasses.replace(
            kb.text, matching=matching.model_copy(update={"max_note_chars": 1000})
        ),
        cache={},
    )
    note = "Denies tooth loss. " * 100
    a = assess(_case(notes=note), knowledge=small)
    assert any("only the first" in w and "context.notes" in w for w in a.warnings)
    assert a.mappings
