"""The patient view over every example case: likelihood in words only, no remote causes, plain
test names, a parent addressed for a child, and no reassurance beside a flagged value."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from lowalp import assess
from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.model import Assessment
from lowalp.render.common import (
    for_parent,
    is_child,
    patient_causes,
    patient_questions,
    plain_test,
    shown_tests,
    urgent_actions,
)
from lowalp.render.html import render_html
from lowalp.render.text import render_text

from .test_html import walk

ROOT = Path(__file__).parents[2]
CASE_FILES = sorted((ROOT / "src" / "lowalp" / "web" / "examples").glob("*.json")) + sorted(
    (ROOT / "tests" / "cases").glob("*/*.yaml")
)

PERCENT = re.compile(r"\d\s*%|[<>]\s*1\s*%")
JARGON = (
    "tube",
    "venepuncture",
    "decanting",
    "serology",
    "edta",
    "recent events",
    "haemolysis",
    "radiograph",
    "iga",
    "igm",
    "mcv",
    "centile",
    "slit-lamp",
    "nephrocalcinosis",
    "quantitative",
    "plasma",
    "serum",
)
"""Clinicians' words that a patient view must not use to name a test."""
REASSURANCE = (
    "fine",
    "nothing to worry",
    "no need to worry",
    "harmless",
    "not serious",
    "when they are not",
)
"""Words that would call a result safe; none may stand beside an urgent or pre-analytical flag."""


@cache
def _kb() -> Knowledge:
    return load_knowledge()


def _case(path: Path) -> dict[str, Any]:
    if path.suffix == ".json":
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
    case: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))["case"]
    return case


@cache
def _assessed(path: Path) -> Assessment:
    return assess(_case(path), knowledge=_kb())


@cache
def _views(path: Path) -> tuple[str, str]:
    """The patient view of a case as terminal text and as the visible text of the HTML, each
    with its white space run together (the terminal's line breaks fall anywhere)."""
    a = _assessed(path)
    html = render_html(a, audience="patient")
    visible = " ".join(t for stack, t in walk(html).text if "style" not in stack)
    return " ".join(render_text(a, audience="patient").split()), " ".join(visible.split())


IDS = [f"{p.parent.name}/{p.stem}" for p in CASE_FILES]


@pytest.mark.parametrize("path", CASE_FILES, ids=IDS)
def test_patient_view_gives_no_percentages(path: Path) -> None:
    for view in _views(path):
        assert not PERCENT.search(view), PERCENT.findall(view)


@pytest.mark.parametrize("path", CASE_FILES, ids=IDS)
def test_patient_view_names_no_remote_cause(path: Path) -> None:
    a = _assessed(path)
    shown = patient_causes(a)
    if a.causes:
        assert shown[0] == a.causes[0]  # the answer, "no identifiable cause" included
    assert all(c.probability >= a.wording.patient_from for c in shown[1:])
    text, html = _views(path)
    for c in a.causes[:3]:
        if c not in shown:
            assert " ".join(c.plain.split()) not in text
            assert c.plain_name not in html


def test_a_remote_cause_is_left_out_of_a_real_case() -> None:
    # the 4-year-old's hypophosphatasia: the clinician view lists causes under 1%, this one not
    path = ROOT / "src" / "lowalp" / "web" / "examples" / "child-low-for-age.json"
    a = _assessed(path)
    remote = [c for c in a.causes[:3] if c.probability < a.wording.patient_from]
    assert remote
    text, html = _views(path)
    assert all(c.plain_name not in text and c.plain_name not in html for c in remote)
    assert "fits the results best" in text.lower()


@pytest.mark.parametrize("path", CASE_FILES, ids=IDS)
def test_tests_shown_to_a_patient_are_in_plain_words(path: Path) -> None:
    a = _assessed(path)
    for t in shown_tests(a)[:4]:
        name = plain_test(t).lower()
        assert not [w for w in JARGON if re.search(rf"\b{re.escape(w)}\b", name)], name
    text, html = _views(path)
    for t in shown_tests(a)[:4]:
        if t.plain:
            assert t.name not in text
            assert t.name not in html


@pytest.mark.parametrize("path", CASE_FILES, ids=IDS)
def test_a_child_report_speaks_to_a_parent(path: Path) -> None:
    a = _assessed(path)
    child = a.age_years is not None and a.age_years < _kb().settings.adult_age_years
    assert is_child(a) == child
    text, html = _views(path)
    for view in (text, html):
        if child:
            assert "Your child's alkaline phosphatase" in view
            assert "reasons for your child's result" in view
            assert "reasons for your result" not in view
            assert "for someone of your age" not in view
            assert "low for your age" not in view
        else:
            assert "your child" not in view.lower()
    if child:
        for q in patient_questions(a):
            assert not re.search(r"\b(I|me|am I|my(?! child))\b", q), q


def test_the_four_year_old_is_not_asked_about_their_own_bone_medicine() -> None:
    path = ROOT / "src" / "lowalp" / "web" / "examples" / "child-low-for-age.json"
    text, html = _views(path)
    for view in (text, html):
        assert "Before I start any bone-strengthening medicine" not in view
        assert "before my child is given any medicine for the bones" in view
        assert "Questions you could ask your child's doctor" in view


@pytest.mark.parametrize("path", CASE_FILES, ids=IDS)
def test_no_reassurance_beside_a_flagged_value(path: Path) -> None:
    a = _assessed(path)
    if not (a.artifacts or urgent_actions(a) or any(t.urgent for t in a.next_tests)):
        return
    for view in _views(path):
        said = [w for w in REASSURANCE if re.search(rf"\b{w}\b", view.lower())]
        assert not said, said


@pytest.mark.parametrize("path", CASE_FILES, ids=IDS)
def test_urgent_advice_only_when_the_clinician_view_has_it(path: Path) -> None:
    a = _assessed(path)
    clinician = render_text(a)
    text, html = _views(path)
    urgent = "need urgent care today" in text
    assert urgent == ("need urgent care today" in html)
    if urgent:
        assert urgent_actions(a)
        assert "urgent" in clinician.lower()


def test_the_sweep_reaches_flagged_cases() -> None:
    flagged = [p for p in CASE_FILES if _assessed(p).artifacts or urgent_actions(_assessed(p))]
    children = [p for p in CASE_FILES if is_child(_assessed(p))]
    assert len(flagged) >= 3
    assert len(children) >= 3


def test_every_finding_said_to_a_parent_is_about_the_child() -> None:
    texts = [f.plain for f in _kb().findings.values() if getattr(f, "plain", "")]
    about_you = [t for t in texts if re.search(r"\byou(r)?\b", t, re.IGNORECASE)]
    assert len(about_you) >= 20
    for t in about_you:
        said = for_parent(t)
        assert not re.search(r"\byou\b", said, re.IGNORECASE), said
        assert not re.search(r"\byour\b(?! child)", said, re.IGNORECASE), said


@pytest.mark.parametrize("path", CASE_FILES, ids=IDS)
def test_a_child_report_gives_the_clues_about_the_child(path: Path) -> None:
    a = _assessed(path)
    if not is_child(a):
        return
    text, html = _views(path)
    for c in patient_causes(a):
        for e in [e for e in c.evidence if e.state == "present" and e.weight > 0][:3]:
            said = for_parent(e.plain or e.label)
            assert not re.search(r"\byour\b(?! child)|\byou\b", said, re.IGNORECASE), said
            assert said in text
            assert said in html
