"""The free-text reader: matching, assertions, corrections and times (lowalp.text)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lowalp.knowledge import Knowledge
from lowalp.text.reader import read_text
from lowalp.text.timing import find_times


def _read(kb: Knowledge, text: str, **kw: object) -> list[tuple[str, str]]:
    return [(m.concept, m.assertion) for m in read_text(text, kb, **kw).mentions]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ALPL sequencing: no pathogenic variant found", ("alpl_variant", "absent")),
        ("genetic testing negative for ALPL", ("alpl_variant", "absent")),
        ("Kayser-Fleischer rings: none seen", ("kayser_fleischer_rings", "absent")),
        ("possible KF rings", ("kayser_fleischer_rings", "uncertain")),
        ("rule out coeliac disease", ("diagnosed_celiac_disease", "hypothetical")),
        ("sister has coeliac disease", ("family_history_celiac", "family")),
        ("no family history of hypophosphatasia", ("family_history_low_alp", "absent")),
        ("mother had early tooth loss", ("premature_tooth_loss", "family")),
        ("Coombs-negative haemolytic anaemia", ("coombs_negative_hemolysis", "present")),
        ("anicteric", ("jaundice", "absent")),
        # a condition named as the question asked is not a finding
        ("referred to the coeliac clinic", ("diagnosed_celiac_disease", "hypothetical")),
        ("Wilson disease screen: caeruloplasmin 12", ("diagnosed_wilson_disease", "hypothetical")),
        ("investigations for hypophosphatasia", ("diagnosed_hypophosphatasia", "hypothetical")),
        ("known hypophosphatasia on asfotase alfa", ("diagnosed_hypophosphatasia", "present")),
    ],
)
def test_assertions(kb: Knowledge, text: str, expected: tuple[str, str]) -> None:
    assert expected in _read(kb, text)


def test_inserted_words_and_plurals(kb: Knowledge) -> None:
    found = _read(kb, "bilateral incomplete atypical femoral shaft fractures")
    assert ("atypical_femoral_fracture", "present") in found


def test_lay_words_and_equivalents(kb: Knowledge) -> None:
    found = _read(kb, "shed her milk teeth early")
    assert ("premature_tooth_loss", "present") in found


def test_abbreviations_only_in_capitals_when_they_are_words(kb: Knowledge) -> None:
    assert ("atypical_femoral_fracture", "present") in _read(kb, "bilateral AFF")
    assert _read(kb, "aff") == []


def test_a_misspelling_is_read_and_said(kb: Knowledge) -> None:
    (m,) = read_text("alendronte 70mg weekly", kb, kinds={"MEDICATION"}).mentions
    assert m.concept == "med_bisphosphonate"
    assert m.corrections == (("alendronte", "alendronate"),)


def test_a_short_unknown_word_is_never_corrected(kb: Knowledge) -> None:
    assert _read(kb, "bane pain") == []


def test_a_scope_ending_word_stops_a_trigger_with_a_short_scope(kb: Knowledge) -> None:
    found = _read(
        kb,
        "Was on alendronate 2014-2019, then a drug holiday; now on Prolia.",
        sentences=True,
    )
    assert ("med_bisphosphonate", "historical") in found
    assert ("med_denosumab", "present") in found


def test_but_ends_a_negation(kb: Knowledge) -> None:
    found = _read(kb, "No tooth loss but reports bone pain")
    assert ("adult_dental_problems", "absent") in found
    assert ("musculoskeletal_pain", "present") in found


def test_a_reporter_is_not_a_relative(kb: Knowledge) -> None:
    found = _read(kb, "low mood and personality change per parents")
    assert found
    assert all(a == "present" for _, a in found)


def test_a_phrase_that_is_no_concept_hides_the_one_inside_it(kb: Knowledge) -> None:
    assert _read(kb, "seasonal hay fever") == []


def test_a_broader_phrase_counts_only_when_negated(kb: Knowledge) -> None:
    assert ("low_trauma_fractures", "absent") in _read(kb, "no fractures")
    assert _read(kb, "fractures after a car crash") == []


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("CABG 3 days ago", 3.0),
        ("s/p AVR POD 2", 2.0),
        ("last dose 8/12 ago", 8 * 30.44),
        ("transfused yesterday", 1.0),
    ],
)
def test_relative_times(text: str, days: float) -> None:
    assert any(t.days_ago == pytest.approx(days) for t in find_times(text))


def test_a_course_with_years_gives_its_end() -> None:
    (t,) = [t for t in find_times("alendronate 2012-2021") if t.date is not None]
    assert t.date is not None
    assert t.date.year == 2021


def test_the_same_words_can_name_a_finding_and_an_event(kb: Knowledge) -> None:
    found = _read(kb, "post-thyroidectomy review")
    assert ("thyroid_neck_surgery_history", "present") in found
    assert ("thyroid_or_neck_surgery", "present") in found


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=300))
def test_any_text_is_read_without_error(kb: Knowledge, text: str) -> None:
    reading = read_text(text, kb, sentences=True)
    for m in reading.mentions:
        assert 0 <= m.start <= m.end <= len(text)


@settings(max_examples=60, deadline=None)
@given(
    text=st.lists(
        st.sampled_from(
            [
                "no",
                "not",
                "tooth",
                "loss",
                "fracture",
                "?",
                ";",
                ",",
                "-",
                "ALPL",
                "stopped",
                "mother",
                "alendronate",
                "2019",
                "POD",
                "3",
                "/",
                "h",
                "o",
                "<",
                "\n",
                "x9y",
            ]
        ),
        max_size=40,
    ).map(" ".join)
)
def test_clinical_word_salad_is_read_without_error(kb: Knowledge, text: str) -> None:
    read_text(text, kb, sentences=True)
    read_text(text, kb, kinds={"MEDICATION"}, medication_field=True)


def test_a_spouse_is_neither_the_patient_nor_a_relative(kb: Knowledge) -> None:
    assert ("thyroid_disease_history", "other") in _read(kb, "His wife has hypothyroidism")
    assert ("diagnosed_celiac_disease", "other") in _read(kb, "his partner has coeliac disease")


def test_a_relative_who_has_the_condition_is_family(kb: Knowledge) -> None:
    found = _read(kb, "mother has coeliac disease")
    # either the family-history phrase itself or the condition in a relative
    assert {("family_history_celiac", "present"), ("family_history_celiac", "family")} & set(found)
    assert ("family_history_celiac", "other") not in found


@pytest.mark.parametrize(
    "text", ["BP 128/76, pulse 80", "DH: levothyroxine", "CXR PA: clear", "OP clinic follow-up"]
)
def test_common_abbreviations_that_mean_something_else_read_nothing(
    kb: Knowledge, text: str
) -> None:
    found = _read(kb, text)
    assert not [
        c
        for c, a in found
        if c in {"med_bisphosphonate", "dermatitis_herpetiformis", "b12_malabsorption_history"}
    ]


def test_no_two_concepts_share_a_phrase_once_words_are_keyed(kb: Knowledge) -> None:
    """The loader checks the written synonyms; this checks what the matcher compares (lemmas,
    equivalents, HPO and dictionary names included), where matching ignores word order."""
    from lowalp.text.lexicon import build_lexicon

    owners: dict[tuple[str, tuple[str, ...]], set[str]] = {}
    for e in build_lexicon(kb).entries:
        owners.setdefault((e.kind, tuple(sorted(e.keys))), set()).add(e.concept)
    shared = {k: v for k, v in owners.items() if len(v) > 1}
    assert not shared, shared
