"""CDS Hooks card summaries at the limit: under 140 characters (CDS Hooks 2.0 "Card
Attributes"), never ending on a space, cut between words and marked with an ellipsis.

Checked on :func:`lowalp.render.common.clip` itself and on the cards the CDS service builds
(:mod:`lowalp.web.cds.cards`), with texts of exactly 139, 140 and 141 characters, a word
straddling the limit, a space at the limit, line breaks and no space at all. The same on cards
answered by the service over HTTP is in test_cds_hooks.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lowalp import assess, load_case
from lowalp.knowledge import Knowledge
from lowalp.model import Assessment
from lowalp.render.common import SUMMARY_LIMIT, clip, summary_line
from lowalp.web.cds.cards import SUMMARY_MAX, antiresorptive_card, patient_view_cards

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.json"))
ELLIPSIS = "…"
STRIPPED = " ;,:—–-("
"""What a cut summary may have lost at its end besides the words left out."""


def check_summary(summary: str, source: str) -> None:
    """``summary`` is ``source`` (white space as one space) whole, or cut between its words."""
    said = " ".join(source.split())
    assert 0 < len(summary) < 140
    assert summary == summary.strip()
    assert "\n" not in summary
    assert "  " not in summary
    if summary == said:
        return
    assert summary.endswith(ELLIPSIS)
    body = summary[: -len(ELLIPSIS)]
    if not body:  # no word ends before the limit: never cut inside a word
        assert not said[:SUMMARY_MAX].rpartition(" ")[0].rstrip(STRIPPED)
        return
    assert not body[-1].isspace()
    assert said.startswith(body)
    # cut between words: what follows the kept text is a space or punctuation
    assert said[len(body)] in STRIPPED, (body[-20:], said[len(body) : len(body) + 20])


def sized(n: int, *, word: int = 4) -> str:
    """A text of exactly ``n`` characters: words of ``word`` letters between single spaces."""
    unit = "a" * word + " "
    text = (unit * (n // len(unit) + 1))[:n]
    return text[:-1] + "z" if text.endswith(" ") else text


def test_the_limits_agree() -> None:
    assert SUMMARY_MAX == SUMMARY_LIMIT == 139


@pytest.mark.parametrize("n", [138, 139, 140, 141, 200])
def test_clip_at_the_limit(n: int) -> None:
    text = sized(n)
    out = clip(text, SUMMARY_MAX)
    check_summary(out, text)
    assert (out == text) is (n <= SUMMARY_MAX)


@pytest.mark.parametrize("space_at", range(132, 144))
def test_clip_with_a_space_near_the_limit(space_at: int) -> None:
    """One long word, a space at ``space_at`` (0-based), another word: the space at the limit,
    before it and after it, and the second word straddling the limit."""
    text = "a" * space_at + " " + "b" * 12
    out = clip(text, SUMMARY_MAX)
    check_summary(out, text)
    if space_at <= SUMMARY_MAX - 1:
        assert out == "a" * space_at + ELLIPSIS  # the second word is left out whole


def test_clip_a_word_straddling_the_limit() -> None:
    text = sized(130) + " straddling the limit"
    assert text.index("straddling") < SUMMARY_MAX < text.index("straddling") + len("straddling")
    out = clip(text, SUMMARY_MAX)
    check_summary(out, text)
    assert "strad" not in out


def test_clip_without_any_space() -> None:
    """Nothing can be cut between words: the ellipsis alone, not a piece of the word."""
    assert clip("x" * 200, SUMMARY_MAX) == ELLIPSIS
    assert clip("x" * 139 + " y", SUMMARY_MAX) == ELLIPSIS


@pytest.mark.parametrize(
    "text",
    [
        sized(139) + " ",
        " " + sized(139),
        sized(60) + "\n" + sized(100),
        sized(60) + "\t\t" + sized(100),
        sized(137) + " ; more",
        sized(136) + " — more",
        "abc ",
    ],
    ids=["trailing-space", "leading-space", "line-break", "tabs", "semicolon", "dash", "short"],
)
def test_clip_white_space_and_punctuation(text: str) -> None:
    check_summary(clip(text, SUMMARY_MAX), text)


@given(
    st.lists(
        st.text(alphabet="abcdefghij;,:-—(", min_size=1, max_size=30),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from([" ", "  ", "\n", " \t"]),
)
def test_clip_any_words(words: list[str], gap: str) -> None:
    text = gap.join(words)
    check_summary(clip(text, SUMMARY_MAX), text)


# ----------------------------------------------------------------------------- real cards


@pytest.fixture(scope="module")
def low_alp(kb: Knowledge) -> Assessment:
    case = {
        "patient": {"age_years": 62, "sex": "F"},
        "labs": [
            {"analyte": "alp", "value": 24, "unit": "U/L", "day": 0},
            {"analyte": "alp", "value": 26, "unit": "U/L", "day": -200},
        ],
    }
    return assess(case, knowledge=kb)


HEAD = "Low ALP (24 U/L): exclude hypophosphatasia before starting "
"""The order-select card's summary before the medicine's name, for ``low_alp``."""


def order_card_summary(a: Assessment, kb: Knowledge, drug: str) -> str:
    card = antiresorptive_card(a, kb, drug=drug, patient_id="p", base_url="https://x.example")
    summary: str = card["summary"]
    return summary


@pytest.mark.parametrize("total", [138, 139, 140, 141, 160])
def test_order_select_card_at_the_limit(low_alp: Assessment, kb: Knowledge, total: int) -> None:
    drug = sized(total - len(HEAD), word=7)
    summary = order_card_summary(low_alp, kb, drug)
    check_summary(summary, HEAD + drug)
    assert (summary == HEAD + drug) is (total <= SUMMARY_MAX)


@pytest.mark.parametrize("space_at", range(134, 143))
def test_order_select_card_with_a_space_near_the_limit(
    low_alp: Assessment, kb: Knowledge, space_at: int
) -> None:
    drug = "d" * (space_at - len(HEAD)) + " " + "tablet" * 3
    check_summary(order_card_summary(low_alp, kb, drug), HEAD + drug)


def test_order_select_card_with_a_name_without_spaces(low_alp: Assessment, kb: Knowledge) -> None:
    drug = "alendronate" * 12
    summary = order_card_summary(low_alp, kb, drug)
    check_summary(summary, HEAD + drug)
    assert summary == HEAD.rstrip() + ELLIPSIS  # the name is left out whole, not cut inside


def test_order_select_card_with_line_breaks(low_alp: Assessment, kb: Knowledge) -> None:
    drug = "alendronate\n70 mg  weekly " + "tablet " * 15
    check_summary(order_card_summary(low_alp, kb, drug), HEAD + drug)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_patient_view_cards_of_the_examples(path: Path, kb: Knowledge) -> None:
    a = assess(load_case(path), knowledge=kb)
    for card in patient_view_cards(a, kb, patient_id="p", base_url="https://x.example"):
        check_summary(card["summary"], summary_line(a))


@pytest.mark.parametrize("extra", range(0, 12))
def test_patient_view_card_of_a_long_result_text(kb: Knowledge, extra: int) -> None:
    """A low ALP said in words only: the lab's words lead the summary, so their length moves
    the cut over every position near the limit."""
    words = "very low, well below the laboratory reference range, confirmed on repeat " + (
        "x" * extra + " analysis of a fresh sample drawn this morning at the clinic today"
    )
    case = {
        "patient": {"age_years": 50, "sex": "F"},
        "labs": [{"analyte": "alp", "flag": "L", "text": words, "unit": "U/L", "day": 0}],
    }
    a = assess(case, knowledge=kb)
    [card] = patient_view_cards(a, kb, patient_id="p", base_url="https://x.example")
    assert len(f"ALP {words}") > SUMMARY_MAX
    check_summary(card["summary"], f"ALP {words} low")
