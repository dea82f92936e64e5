"""The summary line is never cut inside a word, and names keep the knowledge's capitals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lowalp import assess
from lowalp.knowledge import load_knowledge
from lowalp.model import Artifact, Assessment
from lowalp.render.common import SUMMARY_LIMIT, clip, plain_answer, summary_line

from ..conftest import make_case

KB = load_knowledge()
BASE = assess(make_case(age=50, sex="M", alp=30, medications=[]), knowledge=KB)

words = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzALP;:,()", min_size=1, max_size=14),
    min_size=1,
    max_size=40,
)


@given(words=words, limit=st.integers(10, 160))
def test_clip_never_cuts_a_word(words: list[str], limit: int) -> None:
    text = " ".join(words)
    out = clip(text, limit)
    assert len(out) <= limit
    if len(text) <= limit:
        assert out == text
        return
    assert out.endswith("…")
    kept = out[:-1].split()
    original = text.split()
    # every kept word is a whole word of the original, in order from the start; only the
    # separators that would dangle before the ellipsis (";", ":", ",", "(") are dropped
    if kept:
        assert kept[:-1] == original[: len(kept) - 1]
        assert original[len(kept) - 1].rstrip(";,:(") == kept[-1]


def _with_artifact_summary(summary: str) -> Assessment:
    art = Artifact.model_construct(summary=summary)
    return BASE.model_copy(update={"artifacts": (art,)})


def test_a_long_summary_ends_on_a_whole_word() -> None:
    tail = "repeat the sample; " * 5 + "Repeat ALP on a fresh sample drawn into a serum tube"
    s = summary_line(_with_artifact_summary(tail))
    assert len(s) <= SUMMARY_LIMIT
    assert s.endswith("…")
    last = s[:-1].split()[-1]
    assert last in (BASE.alp.status, *tail.replace(";", "").split()), s
    assert not s[:-1].endswith(("Repeat AL", "AL"))


@pytest.mark.parametrize(
    ("cause", "kept"),
    [
        ("hypophosphatasia", "ALP"),
        ("wilson_disease", "Wilson disease"),
        ("estrogen_therapy", "HRT"),
    ],
)
def test_patient_answer_keeps_the_knowledge_capitals(cause: str, kept: str) -> None:
    by_id = {c.id: c for c in BASE.causes}
    top = by_id[cause].model_copy(update={"probability": 0.9})
    rest = tuple(
        c.model_copy(update={"probability": 0.1 / 30}) for c in BASE.causes if c.id != cause
    )
    a = BASE.model_copy(update={"causes": (top, *rest), "artifacts": ()})
    assert kept in top.plain_name
    text = plain_answer(a)
    assert kept in text, text
    # the article that opens the name is still lowered inside the sentence
    first = top.plain_name.split()[0]
    assert f"reason: {first.lower()} " in text, text
