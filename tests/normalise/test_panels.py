"""Panels reported in words: "LFTs normal" vouches for each of its analytes, never for the ALP,
and never over a number."""

from __future__ import annotations

import pytest
from tests.conftest import make_case

from lowalp.adapters.case_json import case_from_dict
from lowalp.knowledge import Knowledge
from lowalp.normalise import normalise
from lowalp.normalise.panels import find_panel, panel_results


@pytest.mark.parametrize(
    ("name", "panel"),
    [
        ("LFTs", "liver_function"),
        ("lft", "liver_function"),
        ("Liver panel", "liver_function"),
        ("hepatic function panel", "liver_function"),
        ("TFTs", "thyroid_function"),
        ("thyroid function", "thyroid_function"),
        ("FBC", "full_blood_count"),
        ("CBC", "full_blood_count"),
        ("Full Blood Count", "full_blood_count"),
        ("FBE", "full_blood_count"),
        ("bone profile", "bone_profile"),
        ("U&E", "urea_electrolytes"),
        ("U&Es", "urea_electrolytes"),
        ("renal panel", "urea_electrolytes"),
        ("BMP", "basic_metabolic_panel"),
        ("CMP", "comprehensive_metabolic_panel"),
        ("iron studies", "iron_studies"),
        ("all other bloods", "routine_bloods"),
        ("coeliac screen", "coeliac_serology"),
    ],
)
def test_panel_names_as_notes_write_them(kb: Knowledge, name: str, panel: str) -> None:
    assert find_panel(kb, name) == panel


def test_an_unknown_name_is_no_panel(kb: Knowledge) -> None:
    assert find_panel(kb, "liver") is None
    assert find_panel(kb, "ALP") is None


def test_no_panel_vouches_for_the_alp(kb: Knowledge) -> None:
    assert all("alp" not in p.analytes for p in kb.panels.values())


def test_panel_results_are_normal_results_marked_as_words(kb: Knowledge) -> None:
    results = panel_results(kb, "liver_function", "normal", "context.notes", words="LFTs normal")
    assert {m.analyte for m in results} == {"albumin", "bilirubin_total", "alt"}
    for m in results:
        assert (m.value, m.qualifier, m.t) == (None, "normal", None)
        assert m.reported_in_words == "LFTs normal"
        assert m.pointer == "context.notes"
        assert m.unit == kb.analytes[m.analyte].canonical_unit


def test_verdict_words_are_read_and_abnormal_panels_give_nothing(kb: Knowledge) -> None:
    assert [m.qualifier for m in panel_results(kb, "coeliac_serology", "negative", "x")] == [
        "negative"
    ]
    assert len(panel_results(kb, "full_blood_count", "WNL", "x")) == 2
    assert panel_results(kb, "liver_function", "deranged", "x") == []
    assert panel_results(kb, "liver_function", "high", "x") == []


def test_an_unknown_panel_id_is_a_programming_error(kb: Knowledge) -> None:
    with pytest.raises(KeyError):
        panel_results(kb, "lfts", "normal", "x")


def test_a_panel_lab_entry_becomes_one_result_per_analyte(kb: Knowledge) -> None:
    n = normalise(
        case_from_dict(make_case({"panel": "bone profile", "qualifier": "normal", "day": -3})),
        kb,
    )
    words = [m for m in n.measurements if m.reported_in_words]
    assert {m.analyte for m in words} == {"calcium", "phosphate", "albumin"}
    assert all(m.t == -3 and m.reported_in_words == "bone profile normal" for m in words)
    assert not n.not_understood


def test_a_panel_entry_in_words_and_an_unknown_panel(kb: Knowledge) -> None:
    n = normalise(
        case_from_dict(
            make_case(
                {"panel": "TFTs", "text": "within normal limits"},
                {"panel": "vibes", "qualifier": "normal"},
                {"panel": "LFTs", "qualifier": "high"},
            )
        ),
        kb,
    )
    assert [m.analyte for m in n.measurements if m.reported_in_words] == ["tsh"]
    assert [x.pointer for x in n.not_understood] == ["labs[2].panel", "labs[3]"]


def test_a_number_near_the_same_time_wins_over_the_panel_word(run) -> None:
    a = run(
        make_case(
            {"panel": "LFTs", "qualifier": "normal", "day": 0},
            {"analyte": "albumin", "value": 2.4, "unit": "g/dL", "day": -5},
        )
    )
    ev = next(e for c in a.causes for e in c.evidence if e.finding == "albumin_low")
    assert ev.state == "present"
    assert "2.4 g/dL" in ev.detail


def test_a_panel_word_decides_when_there_is_no_number(run) -> None:
    a = run(make_case({"panel": "LFTs", "qualifier": "normal", "day": 0}))
    ev = next(e for c in a.causes for e in c.evidence if e.finding == "albumin_low")
    assert ev.state == "absent"
    assert "LFTs normal" in ev.detail
