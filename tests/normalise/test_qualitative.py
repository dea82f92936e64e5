"""Words and flags as laboratories write them, read through knowledge/qualitative.yaml."""

from __future__ import annotations

import pytest

from lowalp.knowledge import Knowledge
from lowalp.normalise.qualitative import read_flag, read_text


@pytest.mark.parametrize(
    ("text", "meaning"),
    [
        ("undetectable", "undetectable"),
        ("Not detected", "undetectable"),
        ("within normal limits", "normal"),
        ("WNL", "normal"),
        ("normal", "normal"),
        ("positive", "positive"),
        ("neg", "negative"),
        ("trace", "indeterminate"),
        ("1:160 positive", "positive"),
        ("Positive 1:80", "positive"),
        ("negative (<4 U/mL)", "negative"),
        ("Haemolysed", "no_result"),
        ("raised", "high"),
        ("+", "positive"),
    ],
)
def test_words_have_their_meaning(kb: Knowledge, text: str, meaning: str) -> None:
    r = read_text(kb, text)
    assert r is not None
    assert r.meaning == meaning


@pytest.mark.parametrize(
    ("text", "comparator", "value", "unit"),
    [
        ("<5", "<", 5.0, None),
        ("< 0.34", "<", 0.34, None),
        (">2000", ">", 2000.0, None),
        ("≥2000 U/L", ">", 2000.0, "U/L"),
        ("less than 0.1 mg/dL", "<", 0.1, "mg/dL"),
        ("23", None, 23.0, None),
        ("0,8 mmol/L", None, 0.8, "mmol/L"),
    ],
)
def test_censored_numbers_become_a_qualifier_and_a_value(
    kb: Knowledge, text: str, comparator: str | None, value: float, unit: str | None
) -> None:
    r = read_text(kb, text)
    assert r is not None
    assert (r.comparator, r.value, r.unit) == (comparator, value, unit)
    assert r.qualifier == comparator


@pytest.mark.parametrize("text", ["purple", "1:160", "high and low", "", "see"])
def test_words_that_say_nothing_known_are_not_read(kb: Knowledge, text: str) -> None:
    assert read_text(kb, text) is None


def test_not_detected_is_not_read_as_detected(kb: Knowledge) -> None:
    r = read_text(kb, "antibodies not detected")
    assert r is not None
    assert r.meaning == "undetectable"


@pytest.mark.parametrize(
    ("flag", "meaning"),
    [
        ("L", "low"),
        ("LL", "low"),
        ("H", "high"),
        ("hh", "high"),
        ("N", "normal"),
        ("A", "abnormal"),
        ("AA", "abnormal"),
        ("<", "undetectable"),
        (">", "high"),
        ("POS", "positive"),
        ("NR", "negative"),
        ("H~A", "high"),
        ("low", "low"),
        ("QCF", "no_result"),
    ],
)
def test_hl7_table_0078_flags(kb: Knowledge, flag: str, meaning: str) -> None:
    r = read_flag(kb, flag)
    assert r is not None
    assert r.meaning == meaning


@pytest.mark.parametrize("flag", ["L,H", "N/A", "xyz", "B"])
def test_flags_that_contradict_or_are_unknown_are_not_read(kb: Knowledge, flag: str) -> None:
    assert read_flag(kb, flag) is None


def test_every_table_0078_code_in_the_knowledge_is_read(kb: Knowledge) -> None:
    assert kb.qualitative is not None
    for f in kb.qualitative.flags:
        r = read_flag(kb, f.code)
        assert r is not None, f.code
        assert r.meaning == f.meaning, f.code
