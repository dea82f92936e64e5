"""Gates (``uninformative_when``): a present gate sets the listed states of a finding aside.

These tests add two findings of their own to a copy of the bundled knowledge, so they check the
mechanism independently of any clinical content: ``zz_gated`` (zinc below range) is set aside
when absent while ``zz_gate`` (magnesium below range) is present.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from functools import reduce
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import make_case

from lowalp.adapters.case_json import case_from_dict
from lowalp.engine.alp_status import alp_status
from lowalp.engine.findings import findings
from lowalp.engine.next_tests import next_tests
from lowalp.engine.persistence import persistence
from lowalp.engine.score import score
from lowalp.engine.work import FindingState, Work
from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.knowledge.loader import package_root
from lowalp.knowledge.schema import EvidenceRule
from lowalp.normalise import normalise

GATES = """findings:
  - id: zz_gate
    kind: lab
    analyte: magnesium
    op: below_ref
    label: Test gate (magnesium low)
  - id: zz_gated
    kind: lab
    analyte: zinc
    op: below_ref
    label: Test gated (zinc low)
    uninformative_when:
      - {finding: zz_gate, hides: [absent], estimate: true, reasoning: test}
  - id: zz_gated_both
    kind: lab
    analyte: zinc
    op: below_ref
    label: Test gated both ways
    uninformative_when:
      - {finding: zz_gate, hides: [absent, present], estimate: true, reasoning: test}
"""

ZINC_NORMAL = {"analyte": "zinc", "value": 90, "unit": "µg/dL", "day": 0}
ZINC_LOW = {"analyte": "zinc", "value": 40, "unit": "µg/dL", "day": 0}
MG_LOW = {"analyte": "magnesium", "value": 1.0, "unit": "mg/dL", "day": 0}
MG_NORMAL = {"analyte": "magnesium", "value": 2.0, "unit": "mg/dL", "day": 0}


@pytest.fixture(scope="module")
def gated_kb(tmp_path_factory: pytest.TempPathFactory) -> Knowledge:
    root = tmp_path_factory.mktemp("kb") / "knowledge"
    shutil.copytree(str(package_root()), root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (root / "findings" / "zz_gates.yaml").write_text(GATES, encoding="utf-8")
    return load_knowledge(Path(root))


def states(kb: Knowledge, *labs: dict[str, Any]) -> dict[str, FindingState]:
    norm = normalise(case_from_dict(make_case(*labs)), kb)
    work = reduce(lambda w, s: s(w), (alp_status, persistence, findings), Work(kb=kb, case=norm))
    return work.findings


def test_a_present_gate_sets_the_hidden_state_aside(gated_kb: Knowledge) -> None:
    fs = states(gated_kb, ZINC_NORMAL, MG_LOW)["zz_gated"]
    assert fs.state == "unknown"
    assert fs.set_aside
    assert fs.applicable
    assert "not used: Test gate (magnesium low)" in fs.detail
    assert "90 µg/dL" in fs.detail  # the result itself is still shown


def test_a_state_not_listed_in_hides_is_kept(gated_kb: Knowledge) -> None:
    fs = states(gated_kb, ZINC_LOW, MG_LOW)
    assert fs["zz_gated"].state == "present"
    assert not fs["zz_gated"].set_aside
    assert fs["zz_gated_both"].state == "unknown"
    assert fs["zz_gated_both"].set_aside


@pytest.mark.parametrize("gate_lab", [MG_NORMAL, None], ids=["gate absent", "gate unknown"])
def test_a_gate_that_does_not_hold_changes_nothing(
    gated_kb: Knowledge, gate_lab: dict[str, Any] | None
) -> None:
    labs = [ZINC_NORMAL] + ([gate_lab] if gate_lab else [])
    fs = states(gated_kb, *labs)["zz_gated"]
    assert fs.state == "absent"
    assert not fs.set_aside


def test_the_bundled_knowledge_is_unchanged_by_the_added_findings(gated_kb: Knowledge) -> None:
    plain = states(load_knowledge(), ZINC_NORMAL, MG_LOW)
    gated = states(gated_kb, ZINC_NORMAL, MG_LOW)
    assert {k: v for k, v in gated.items() if not k.startswith("zz_")} == plain


def test_a_set_aside_finding_weighs_nothing_and_suggests_no_test(gated_kb: Knowledge) -> None:
    """Used by a cause, a set-aside result is neither evidence nor a reason for a test."""
    norm = normalise(case_from_dict(make_case(MG_LOW)), gated_kb)
    work = reduce(
        lambda w, s: s(w), (alp_status, persistence, findings), Work(kb=gated_kb, case=norm)
    )
    rule = EvidenceRule(
        finding="zz_gated", lr_present=5, lr_absent=0.1, estimate=True, reasoning="test"
    )
    kb = _with_rule(gated_kb, "zinc_deficiency", rule)
    aside = dict(work.findings)
    aside["zz_gated"] = FindingState("zz_gated", "unknown", "set aside", set_aside=True)
    absent = dict(work.findings)
    absent["zz_gated"] = FindingState("zz_gated", "absent", "normal")
    unknown = dict(work.findings)
    unknown["zz_gated"] = FindingState("zz_gated", "unknown", "not measured")

    def run(fs: dict[str, FindingState]) -> Work:
        return next_tests(
            score(Work(kb=kb, case=norm, series=work.series, alp=work.alp, findings=fs))
        )

    p_aside = _p(run(aside), "zinc_deficiency")
    assert p_aside == pytest.approx(_p(run(unknown), "zinc_deficiency"))
    assert p_aside > _p(run(absent), "zinc_deficiency")
    zinc_tests = set(kb.tests_for_finding("zz_gated"))
    assert zinc_tests
    settles = {t.test for t in run(aside).next_tests if "Test gated" in t.why}
    assert not settles & zinc_tests
    assert {t.test for t in run(unknown).next_tests if "Test gated" in t.why} & zinc_tests


def _p(work: Work, cause_id: str) -> float:
    return next(c.probability for c in work.causes if c.id == cause_id)


def _with_rule(kb: Knowledge, cause_id: str, rule: EvidenceRule) -> Knowledge:
    cause = kb.causes[cause_id]
    causes = dict(kb.causes)
    causes[cause_id] = cause.model_copy(update={"evidence": [*cause.evidence, rule]})
    return replace(kb, causes=causes, cache={})
