"""Urgent things first: next tests and management pointers, checked as cases (action_cases.yaml)
and as properties over every vignette (the cap, no zero-information lead, no known answer)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from lowalp import assess
from lowalp.adapters.vignettes import load_vignette
from lowalp.engine.management import select_management
from lowalp.engine.work import FindingState
from lowalp.knowledge import Knowledge
from lowalp.model import Assessment
from lowalp.render.common import folded_line, shown_tests, summary_line
from lowalp.render.html import render_html
from lowalp.render.text import render_text

ROOT = Path(__file__).parents[2]
CASES = yaml.safe_load((Path(__file__).parent / "action_cases.yaml").read_text(encoding="utf-8"))[
    "cases"
]
VIGNETTES = sorted((ROOT / "tests" / "cases").rglob("*.yaml"))


def _case(spec: dict[str, Any]) -> dict[str, Any]:
    if "example" in spec:
        data: dict[str, Any] = json.loads((ROOT / "examples" / spec["example"]).read_text("utf-8"))
        return data
    return dict(spec["case"])


def _patient_tests(a: Assessment) -> list[str]:
    text = render_text(a, audience="patient")
    block = text.split("Tests that could help\n", 1)[1].split("\n\n", 1)[0]
    return [line.strip(" •") for line in block.splitlines() if line.startswith(" •")]


@pytest.mark.parametrize("spec", CASES, ids=[c["id"] for c in CASES])
def test_action_case(spec: dict[str, Any], kb: Knowledge) -> None:
    a = assess(_case(spec), knowledge=kb)
    expect = spec["expect"]
    shown = shown_tests(a)
    ids = [t.test for t in shown]
    context = f"{spec['id']}: shown {[(t.test, t.urgent) for t in shown]}"
    if "first_next_test" in expect:
        assert ids, context
        assert ids[0] == expect["first_next_test"], context
    for tid in expect.get("urgent_tests", []):
        assert tid in ids, context
        assert next(t for t in shown if t.test == tid).urgent, context
    for tid in expect.get("not_shown", []):
        assert tid not in ids, context
    for tid in expect.get("deferred", []):
        t = next((t for t in a.next_tests if t.test == tid), None)
        assert t is not None, context
        assert t.folded, context
        assert t.deferred_by, context
    by_id = {c.id: c for c in a.causes}
    for cid, words in expect.get("first_management", {}).items():
        first = by_id[cid].management[0]
        assert words in first, f"{spec['id']}: {cid} first pointer: {first}"
    for cid, phrases in expect.get("management_has", {}).items():
        for words in phrases:
            assert any(words in m for m in by_id[cid].management), (cid, words)
    for cid, phrases in expect.get("management_lacks", {}).items():
        for words in phrases:
            assert not any(words in m for m in by_id[cid].management), (cid, words)
    if "patient_first_test" in expect:
        lines = _patient_tests(a)
        assert lines, spec["id"]
        assert expect["patient_first_test"] in lines[0], lines


# ----------------------------------------------------------------------------- properties


@pytest.fixture(scope="module")
def assessed(kb: Knowledge) -> list[tuple[str, dict[str, Any], Assessment]]:
    out = []
    for p in VIGNETTES:
        labelled, _ = load_vignette(p)
        assert labelled.case is not None
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))["case"]
        out.append((labelled.id, raw, assess(labelled.case, knowledge=kb)))
    return out


def test_few_tests_are_shown_and_urgent_ones_lead(assessed, kb: Knowledge) -> None:
    cap = kb.settings.next_tests.shown
    floor = kb.settings.next_tests.min_gain_bits
    for cid, _, a in assessed:
        shown = shown_tests(a)
        urgent = [t for t in shown if t.urgent]
        assert len(shown) <= max(cap, len(urgent)), cid
        assert shown[: len(urgent)] == urgent, cid  # urgent first
        assert all(t.urgent or t.expected_information_gain >= floor for t in shown), cid
        assert not any(t.deferred_by for t in shown), cid
        # shown ones first in the model, folded ones after: nothing is lost
        assert list(a.next_tests[: len(shown)]) == shown, cid
        gains = [t.expected_information_gain for t in shown if not t.urgent]
        assert gains == sorted(gains, reverse=True), cid


def test_an_urgent_test_is_shown_whenever_one_exists(assessed) -> None:
    for cid, _, a in assessed:
        if any(t.urgent and not t.deferred_by for t in a.next_tests):
            assert shown_tests(a)[0].urgent, cid


def test_the_case_that_had_38_tests_now_shows_five(assessed, kb: Knowledge) -> None:
    counts = {cid: (len(shown_tests(a)), len(a.next_tests)) for cid, _, a in assessed}
    shown, total = counts["acute-child-pneumonia-transient"]
    assert total > 30
    assert shown <= kb.settings.next_tests.shown


def test_no_test_whose_result_is_in_hand(assessed, kb: Knowledge) -> None:
    """A test that decides findings only through analytes measured with the index ALP is never
    listed, even when the result could not settle its finding (no interval for a child)."""
    for cid, raw, a in assessed:
        measured = {lab.get("analyte") for lab in raw.get("labs", []) if lab.get("day", 0) == 0}
        for t in a.next_tests:
            entry = kb.tests[t.test]
            if entry.analytes and not entry.findings and not entry.kinds:
                assert not set(entry.analytes) <= measured, (cid, t.test)


def test_a_child_without_a_magnesium_interval_is_not_sent_for_magnesium_again(run) -> None:
    from tests.conftest import make_case

    case = make_case(
        {"analyte": "magnesium", "value": 0.5, "unit": "mmol/L", "day": 0},
        age=0.5,
        alp=80,
    )
    a = run(case)
    assert "magnesium" not in [t.test for t in a.next_tests]
    assert "magnesium" in [t.test for t in run(make_case(age=0.5, alp=80)).next_tests]


def test_resample_is_only_for_a_sample_in_doubt(assessed) -> None:
    for cid, _, a in assessed:
        edta = any(
            e.finding == "edta_pattern" and e.state == "present"
            for c in a.causes
            for e in c.evidence
        )
        listed = "recollect_sample" in [t.test for t in a.next_tests]
        assert listed == edta, cid


def test_summary_names_a_shown_test_only(assessed) -> None:
    for cid, _, a in assessed:
        line = summary_line(a)
        if "; next: " in line and not a.artifacts:
            assert shown_tests(a), cid
            assert shown_tests(a)[0].name.split(" (")[0].split(":")[0] in line, cid


def test_text_and_html_fold_the_rest(kb: Knowledge) -> None:
    a = assess(_case({"example": "edta-contamination.json"}), knowledge=kb)
    folded = [t for t in a.next_tests if t.folded]
    assert folded
    text = render_text(a)
    assert f"{len(folded)} more tests (listed in the JSON output)" in text
    assert "Not for now, while EDTA pattern" in text
    assert "Repeat ALP in 4–6 weeks" in text
    section = text.split("Next tests", 1)[1].split("Management pointers", 1)[0]
    numbered = [line for line in section.splitlines() if re.match(r"\s*\d+\. ", line)]
    assert len(numbered) == len(shown_tests(a))
    html = render_html(a)
    assert '<details id="more-tests">' in html
    assert html.index("Recollect the sample now") < html.index('<details id="more-tests">')
    assert html.index('<details id="more-tests">') < html.index("Repeat ALP in 4–6 weeks")
    assert folded_line(a) in html
    data = json.loads(a.model_dump_json())
    assert len(data["next_tests"]) == len(a.next_tests)  # the JSON keeps every test
    assert any(t["folded"] for t in data["next_tests"])


def test_pointers_carry_their_sources(kb: Knowledge) -> None:
    a = assess(_case({"example": "edta-contamination.json"}), knowledge=kb)
    edta = next(c for c in a.causes if c.id == "edta_contamination")
    assert [p.text for p in edta.pointers] == list(edta.management)
    assert edta.pointers[0].sources == ("who_phlebotomy2010",)
    text = render_text(a)  # the report cites it by number and lists it once
    src = next(s for s in a.sources if s.id == "who_phlebotomy2010")
    listed = re.search(rf"^  \[(\d+)\] {re.escape(src.citation[:40])}", text, re.M)
    assert listed, text
    body = text.split("\nReferences\n")[0]
    assert f"[{listed.group(1)}]" in body.split("Management pointers")[1]
    for c in kb.causes.values():  # every source a pointer names is a source of its cause
        for m in c.management:
            assert set(m.sources) <= set(c.sources), (c.id, m.text)


def test_selection_follows_when_unless_and_urgent_when(kb: Knowledge) -> None:
    """Generic over the knowledge: each pointer is shown exactly when its conditions hold."""
    for cause in kb.causes.values():
        for m in cause.management:
            for present in (set(), {*m.when}, {*m.when, *m.unless}, {*m.when, *m.urgent_when}):
                states = {
                    f: FindingState(f, "present" if f in present else "unknown")
                    for f in kb.findings
                }
                chosen = {p.text: p for p in select_management(cause, states)}
                holds = set(m.when) <= present and not (set(m.unless) & present)
                assert (m.text in chosen) == holds, (cause.id, m.text, present)
                if holds:
                    assert chosen[m.text].urgent == bool(set(m.urgent_when) & present)
