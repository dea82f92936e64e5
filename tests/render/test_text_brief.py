"""The terminal report: brief by default on the command line, ``--detail full`` for the rest.

The brief report of each example and of inputs with warnings fits one screen (45 lines of at
most 100 columns), puts every warning and assumption before the causes, ends on the
disclaimer, and lists as references only the sources it cites, numbered in the order cited.
The full report keeps everything the report has always shown.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from lowalp import assess
from lowalp.adapters.vignettes import load_vignette
from lowalp.engine.assess import assess_case
from lowalp.knowledge import Knowledge
from lowalp.model import Assessment
from lowalp.render.common import (
    Citations,
    leading,
    management_pointers,
    pointer_sources,
    shown_tests,
    urgent_actions,
)
from lowalp.render.text import render_text

from ..conftest import make_case

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
VIGNETTES = {
    # an ALP in an old unit converted with a warning, and a finding not understood
    "odd-unit": ROOT / "tests/cases/hard/cardiac-avr-ka-units.yaml",
    # an ALP without a unit, judged only against the printed range; phrases not understood
    "no-unit": ROOT / "tests/cases/hard/hypothyroid-child-alp-no-unit.yaml",
    # an adult range printed for a child: low for age
    "adult-range": ROOT / "tests/cases/hard/anaemia-toddler-cows-milk-adult-range.yaml",
}
BUILT: dict[str, dict[str, Any]] = {
    "no-age": make_case(
        {"analyte": "alp", "value": 0.3, "unit": "µkat/L", "day": -200},
        {"analyte": "zinc", "value": 3, "unit": "furlongs", "day": 0},
        age=None,
        sex=None,
        alp=21,
        findings=["wobbly spleen", "metatarsal stress fracture"],
        medications=["warfarin"],
    ),
    "alp-unit-unknown": {
        "patient": {"age_years": 46, "sex": "F"},
        "labs": [
            {"analyte": "alp", "value": 19, "unit": "furlongs", "day": 0},
            {"analyte": "albumin", "value": 3.1, "unit": "g/dL", "day": 0},
        ],
    },
    "not-low": make_case(alp=80, findings=["wobbly spleen"]),
}
CASES = [p.stem for p in EXAMPLES] + list(VIGNETTES) + list(BUILT)
MAX_LINES, MAX_COLUMNS = 45, 100
CAUSES = "Possible explanations (decision support, not a diagnosis)"


@pytest.fixture(scope="module")
def assessed(kb: Knowledge) -> dict[str, Assessment]:
    out = {
        p.stem: assess(json.loads(p.read_text(encoding="utf-8")), knowledge=kb) for p in EXAMPLES
    }
    for name, path in VIGNETTES.items():
        case = load_vignette(path)[0].case
        assert case is not None
        out[name] = assess_case(case, knowledge=kb)
    for name, data in BUILT.items():
        out[name] = assess(data, knowledge=kb)
    return out


def _flat(text: str) -> str:
    return " ".join(text.split())


def _references(text: str) -> list[tuple[int, str]]:
    """The numbered entries under the report's References heading, each on one line."""
    if "\nReferences\n" not in text:
        return []
    block = text.split("\nReferences\n", 1)[1].split("\n\n", 1)[0]
    entries = re.split(r"\n(?=  \[\d+\] )", block)
    return [
        (int(m[1]), _flat(m[2])) for e in entries if (m := re.match(r"  \[(\d+)\] (.*)", e, re.S))
    ]


def _body(text: str) -> str:
    return text.split("\nReferences\n", 1)[0]


def _cited(body: str) -> set[int]:
    """The reference numbers cited ("[1]", "[2,5]"), not a pointer's index ("labs[2]")."""
    return {int(n) for group in re.findall(r"(?<!\S)\[([\d,]+)\]", body) for n in group.split(",")}


def test_the_warning_inputs_have_what_they_are_chosen_for(
    assessed: dict[str, Assessment],
) -> None:
    assert any("Age not given" in w for w in assessed["no-age"].warnings)
    assert assessed["no-age"].not_understood
    assert any(n.pointer.endswith(".unit") for n in assessed["no-age"].not_understood)
    for name in ("no-unit", "odd-unit"):
        assert assessed[name].not_understood
        assert assessed[name].warnings
    assert assessed["alp-unit-unknown"].alp.status == "unknown"
    assert assessed["adult-range"].alp.low_for_age_only
    assert assessed["not-low"].alp.status == "normal"
    assert assessed["edta-contamination"].artifacts
    assert urgent_actions(assessed["wilson-acute-liver-failure"])


@pytest.mark.parametrize("name", CASES)
def test_the_brief_report_fits_one_screen(assessed: dict[str, Assessment], name: str) -> None:
    lines = render_text(assessed[name], detail="brief").splitlines()
    assert len(lines) <= MAX_LINES, "\n".join(lines)
    too_wide = [line for line in lines if len(line) > MAX_COLUMNS]
    assert not too_wide, too_wide


@pytest.mark.parametrize("name", CASES)
def test_every_warning_and_assumption_is_at_the_top(
    assessed: dict[str, Assessment], name: str
) -> None:
    a = assessed[name]
    text = render_text(a, detail="brief")
    top = _flat(text.split(CAUSES, 1)[0])  # everything before the causes
    if a.alp.status in ("low", "unknown"):
        assert CAUSES in text
        warnings = list(a.warnings)
    else:  # normal or high: no causes; the note that it is not low stands for that warning
        assert CAUSES not in text
        warnings = [w for w in a.warnings if "not low" not in w]
    for w in warnings:
        assert _flat(w) in top, w
    for n in a.not_understood:
        assert f"{n.pointer} '{n.value}'" in top, n
        assert _flat(n.reason) in top, n
    for art in a.artifacts:
        assert f"PRE-ANALYTICAL WARNING: {art.name}" in top
        assert _flat(art.action) in top
    for action, _ in urgent_actions(a):
        assert _flat(action) in top
    if a.age_years is None:
        assert "age not given" in top


@pytest.mark.parametrize("name", CASES)
def test_the_brief_report_ends_on_the_disclaimer(
    assessed: dict[str, Assessment], name: str
) -> None:
    a = assessed[name]
    text = render_text(a, detail="brief")
    assert _flat(text).endswith(_flat(a.disclaimer))


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("detail", ["brief", "full"])
def test_references_are_numbered_once_and_only_those_cited(
    assessed: dict[str, Assessment], name: str, detail: str
) -> None:
    a = assessed[name]
    text = render_text(a, detail=detail)  # type: ignore[arg-type]
    listed = _references(text)
    numbers = [n for n, _ in listed]
    assert numbers == list(range(1, len(listed) + 1))
    assert _cited(_body(text)) == set(numbers)  # each cited, each cited one listed
    # the first citation of each number comes in number order
    body = _body(text)
    first = [
        min(m.start() for m in re.finditer(rf"(?<!\S)\[(?:[\d,]+,)?{n}(?:,[\d,]+)?\]", body))
        for n in numbers
    ]
    assert first == sorted(first)
    citations = {s.citation for s in a.sources}
    for _, entry in listed:  # a brief entry is cut short, at a word, before its address
        said = entry.split(" https://")[0].split(" http://")[0].rstrip("…")
        assert any(c.startswith(said) for c in citations), entry
    assert len(listed) <= len(a.sources)


def test_the_lab_value_and_unit_are_shown_beside_the_canonical(
    assessed: dict[str, Assessment],
) -> None:
    """The Wilson case's slip says 0.45 µkat/L: the report says so next to 27 U/L."""
    a = assessed["wilson-acute-liver-failure"]
    for detail in ("brief", "full"):
        text = render_text(a, detail=detail)  # type: ignore[arg-type]
        assert "ALP 27 U/L — LOW" in text
        assert "As reported by the lab: 0.45 µkat/L (lab range 0.58–1.73 µkat/L)" in text
    series = render_text(assessed["after-cardiac-surgery"], detail="brief")
    assert "day -30: 84 U/L (1.4 µkat/L) normal" in series
    assert "index: 33 U/L (0.55 µkat/L) low" in series
    patient = _flat(render_text(a, audience="patient"))
    assert "27 U/L" in patient
    assert "0.45 µkat/L (lab range 0.58–1.73 µkat/L)" in patient
    hpp = render_text(assessed["hpp-adult"], detail="brief")  # given in U/L: nothing to add
    assert "As reported by the lab" not in hpp


@pytest.mark.parametrize("name", CASES)
def test_the_brief_report_names_the_leading_causes_with_words(
    assessed: dict[str, Assessment], name: str
) -> None:
    a = assessed[name]
    if a.alp.status in ("normal", "high"):
        return
    text = render_text(a, detail="brief")
    causes = text.split(CAUSES, 1)[1].split("\nNext steps", 1)[0]
    assert re.search(rf"^ 1\. {re.escape(a.causes[0].name[:20])}", causes, re.M), causes
    words = "most consistent with the data|likely|possible|less likely"
    assert re.search(rf"— (<1%|>99%|\d+%), ({words})", causes)
    shown = re.findall(r"^ ?\d\. ", causes, re.M)
    assert 1 <= len(shown) <= 3
    for i, c in enumerate(a.causes[: len(shown)]):
        assert i == 0 or c.probability >= a.wording.patient_from
    if a.unknown_findings:
        assert f"Not known, and not taken as normal: {len(a.unknown_findings)} finding" in causes


@pytest.mark.parametrize("name", CASES)
def test_next_steps_put_every_urgent_test_first(assessed: dict[str, Assessment], name: str) -> None:
    a = assessed[name]
    if a.alp.status in ("normal", "high"):
        return
    text = render_text(a, detail="brief")
    steps = _flat(text.split("\nNext steps (urgent first)\n", 1)[1].split("(--detail full", 1)[0])
    urgent = [t for t in shown_tests(a) if t.urgent]
    for t in urgent:
        assert f"URGENT: {_flat(t.name)}" in steps
    numbered = re.findall(r"(?:^| )(\d+)\. ", steps)
    assert len(numbered) >= min(3, len(shown_tests(a)))
    assert len(numbered) <= max(3, len(urgent))
    if urgent:
        assert steps.startswith("1. URGENT: ")


@pytest.mark.parametrize("name", CASES)
def test_the_full_report_keeps_everything(assessed: dict[str, Assessment], name: str) -> None:
    """Every section and every item the report has always shown is in ``--detail full``."""
    a = assessed[name]
    text = render_text(a, detail="full")
    flat = _flat(text)
    low = a.alp.status in ("low", "unknown")
    warnings = [w for w in a.warnings if low or "not low" not in w]
    for w in warnings:
        assert _flat(w) in flat, w
    if warnings:
        assert "Warnings and assumptions" in text
    if a.not_understood:
        assert "Not understood — left out of the reasoning" in text
    for n in a.not_understood:
        assert _flat(f"{n.pointer}: '{n.value}' — {n.reason}") in flat
    assert _flat(a.disclaimer) in flat
    if a.alp.status in ("normal", "high"):
        return
    sections = [CAUSES]
    if a.scores:
        sections.append("Published scores and criteria")
    if a.next_tests:
        sections.append("Next tests (urgent first, then the most informative)")
    if management_pointers(a):
        sections.append("Management pointers (for the leading explanations)")
    if a.unknown_findings:
        sections.append("Not known (unknown is not normal)")
    if a.mappings:
        sections.append("How the words given were read")
    places = [text.index(f"\n{s}\n") for s in sections]
    assert places == sorted(places), sections  # in the report's order
    refs = Citations(a.sources)
    for c in a.causes:
        assert _flat(c.name) in flat
    for c in leading(a):
        for e in [e for e in c.evidence if e.effect != "not_applicable" and e.state != "unknown"][
            :6
        ]:
            assert _flat(f"{e.label}: {e.state} (weight {e.weight:+.2f}") in flat
            refs.mark(e.source or "")
    for s in a.scores:
        assert _flat(s.interpretation) in flat
        for it in s.items if s.applicable else ():
            assert _flat(f"{it.label}: {it.state}, ") in flat
    for t in shown_tests(a):
        assert _flat(t.name) in flat
        assert _flat(t.why) in flat
        if t.preparation:
            assert _flat(t.preparation) in flat
    for c, m in management_pointers(a):
        assert _flat(f"[{c.name}] {m}") in flat
        refs.mark(*pointer_sources(c, m))
    for u in a.unknown_findings:
        assert _flat(u) in flat
    for mp in a.mappings:
        assert _flat(f"'{mp.text}' → {mp.label}") in flat
    for art in a.artifacts:
        assert _flat(art.action) in flat
        for e in art.evidence:
            assert _flat(e.label) in flat
    listed = {entry for _, entry in _references(text)}
    for _, src in refs.listed():  # each source cited in these sections is listed in full
        assert any(_flat(entry).startswith(_flat(src.citation)) for entry in listed), src.id


def test_the_full_report_is_the_longer_one(assessed: dict[str, Assessment]) -> None:
    for name in (p.stem for p in EXAMPLES):
        brief = render_text(assessed[name], detail="brief")
        full = render_text(assessed[name], detail="full")
        assert len(full.splitlines()) > 2 * len(brief.splitlines()), name
        assert "--detail full adds" in brief
        assert "--detail full adds" not in full


def test_the_patient_view_is_the_same_whatever_the_detail(
    assessed: dict[str, Assessment],
) -> None:
    a = assessed["hpp-adult"]
    assert render_text(a, audience="patient", detail="brief") == render_text(
        a, audience="patient", detail="full"
    )


def test_names_keep_their_capitals(assessed: dict[str, Assessment]) -> None:
    text = render_text(assessed["edta-contamination"], detail="brief")
    assert "PRE-ANALYTICAL WARNING: Spurious low ALP from K-EDTA sample contamination" in text
    assert "spurious low alp" not in text


def test_the_full_report_lists_fewer_sources_than_the_knowledge_gives(
    assessed: dict[str, Assessment],
) -> None:
    """The report used to list every source of every cause (71) whatever it showed."""
    for name in (p.stem for p in EXAMPLES):
        a = assessed[name]
        assert len(_references(render_text(a, detail="full"))) < len(a.sources) / 2, name
