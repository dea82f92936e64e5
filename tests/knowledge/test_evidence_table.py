"""The evidence behind the weights: every rule's provenance, published figures and their
derivation, docs/evidence.md in step with knowledge/, and a rule's measured influence."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from lowalp.cli import main
from lowalp.evidence import Labelled, influence, rule_table, sensitivity, with_rule
from lowalp.knowledge import Knowledge
from lowalp.knowledge.schema import EvidenceRule, PublishedFigure
from lowalp.model import Case
from lowalp.render.evidence import markdown

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "evidence.md"


def test_every_rule_says_where_its_weights_come_from(kb: Knowledge) -> None:
    rows = rule_table(kb)
    assert len(rows) == sum(len(c.evidence) for c in kb.causes.values())
    for c in kb.causes.values():
        for r in c.evidence:
            where = f"{c.id}/{r.finding}"
            if r.published is not None:
                assert r.source in kb.sources, where
                assert r.published.derivation.strip(), where
                assert r.published.population.strip(), where
            elif r.estimate:
                assert (r.reasoning or "").strip(), where
            else:
                assert r.source in kb.sources, where


def test_docs_evidence_is_in_step_with_the_knowledge(kb: Knowledge) -> None:
    """docs/evidence.md is generated (`make evidence`): a change to knowledge/ regenerates it."""
    assert DOC.read_text(encoding="utf-8") == markdown(rule_table(kb), kb.version), (
        "docs/evidence.md is out of date: run `make evidence`"
    )


def test_the_cli_prints_the_markdown_and_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["knowledge", "--evidence", "--format", "markdown"]) == 0
    assert capsys.readouterr().out == DOC.read_text(encoding="utf-8")
    assert main(["knowledge", "--evidence", "--sort", "weight", "--cause", "hypophosphatasia"]) == 0
    lines = capsys.readouterr().out.splitlines()
    body = [ln for ln in lines if ln.startswith("hypophosphatasia ")]
    assert body
    weights = [abs(float(ln.split()[4])) for ln in body]
    assert weights == sorted(weights, reverse=True)


def test_influence_needs_cases(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["knowledge", "--sort", "influence"]) == 2
    assert "--cases" in capsys.readouterr().err


# ----------------------------------------------------------------------------- published figures


def _rule(**kw: Any) -> EvidenceRule:
    return EvidenceRule.model_validate({"finding": "tsh_high", **kw})


SENS_SPEC = {
    "design": "cohort",
    "population": "adults tested consecutively",
    "n": 200,
    "sensitivity": 0.9,
    "specificity": 0.8,
    "derivation": "LR+ = 0.9 / 0.2 = 4.5; LR− = 0.1 / 0.8 = 0.125",
}


def test_a_published_figure_gives_the_rules_ratios() -> None:
    r = _rule(lr_present=4.5, lr_absent=0.125, source="x", published=SENS_SPEC)
    assert r.published is not None
    assert r.published.derived_lr_present() == pytest.approx(4.5)
    assert r.published.derived_lr_absent() == pytest.approx(0.125)
    shares = PublishedFigure.model_validate(
        {
            "design": "case_control",
            "population": "p",
            "cases_with": 0.6,
            "controls_with": 0.2,
            "derivation": "d",
        }
    )
    assert shares.derived_lr_present() == pytest.approx(3)
    assert shares.derived_lr_absent() == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("kw", "said"),
    [
        ({"lr_present": 9, "source": "x", "published": SENS_SPEC}, "not the published"),
        ({"lr_present": 4.5, "published": SENS_SPEC, "estimate": True, "reasoning": "r"}, "source"),
        ({"lr_present": 4.5, "source": "x", "adjusted": "capped"}, "`published`, which is absent"),
        (
            {
                "lr_present": 3,
                "source": "x",
                "published": {
                    "design": "cohort",
                    "population": "p",
                    "odds_ratio": 3,
                    "derivation": "d",
                },
            },
            "does not follow",
        ),
        (
            {
                "lr_present": 3,
                "source": "x",
                "published": {
                    "design": "cohort",
                    "population": "p",
                    "sensitivity": 0.5,
                    "derivation": "d",
                },
            },
            "go together",
        ),
    ],
)
def test_a_published_figure_that_does_not_give_the_weight_is_refused(
    kw: dict[str, Any], said: str
) -> None:
    with pytest.raises(ValidationError, match=said):
        _rule(**kw)


def test_a_departure_from_the_figures_is_allowed_when_said() -> None:
    r = _rule(lr_present=3, source="x", published=SENS_SPEC, adjusted="shrunk toward 1: n = 20")
    assert r.adjusted


# ----------------------------------------------------------------------------- influence


def _on_estrogen() -> Labelled:
    case = Case.model_validate(
        {
            "patient": {"age_years": 58, "sex": "F"},
            "labs": [{"analyte": "alp", "value": 28, "unit": "U/L", "day": 0}],
            "context": {"medications": [{"name": "estradiol"}]},
        }
    )
    return Labelled("on-estrogen", case)


def test_taking_a_rule_away_can_change_the_first_cause(kb: Knowledge) -> None:
    case = _on_estrogen()
    found = influence(kb, [case], rules=[("estrogen_therapy", "med_estrogen")])
    assert found[0].bears_on == 1
    assert found[0].flips == 1
    assert found[0].flipped == ("on-estrogen",)
    # a rule whose finding this case does not have weighs nothing and is not re-assessed
    idle = influence(kb, [case], rules=[("wilson_disease", "kayser_fleischer_rings")])
    assert idle[0].bears_on == 0
    assert idle[0].flips == 0


def test_a_changed_rule_leaves_the_knowledge_it_came_from_alone(kb: Knowledge) -> None:
    before = kb.causes["estrogen_therapy"]
    changed = with_rule(
        kb, "estrogen_therapy", "med_estrogen", lambda r: r.model_copy(update={"lr_present": 1.0})
    )
    assert kb.causes["estrogen_therapy"] is before
    lr = {r.finding: r.lr_present for r in changed.causes["estrogen_therapy"].evidence}
    assert lr["med_estrogen"] == 1.0
    assert changed.cache.get("program") is None


def test_sensitivity_moves_estimates_only_and_sorts_the_unsettling_first(kb: Knowledge) -> None:
    found = sensitivity(kb, [_on_estrogen()], spread=2.0)
    published = {r.key for r in rule_table(kb) if r.provenance == "published"}
    assert not published & {(f.cause, f.finding) for f in found}
    flips = [f.flips for f in found]
    assert flips == sorted(flips, reverse=True)
    with pytest.raises(ValueError, match="above 1"):
        sensitivity(kb, [], spread=1.0)


def test_a_weaker_estimate_never_crosses_to_the_other_side() -> None:
    from lowalp.evidence import _moved

    assert _moved(4, 2) == pytest.approx(8)
    assert _moved(0.25, 2) == pytest.approx(0.125)
    assert _moved(1.5, 0.5) == pytest.approx(1.0)  # ln 1.5 < ln 2: weakened to no weight
    assert _moved(0.25, 0.5) == pytest.approx(0.5)
    assert math.isclose(_moved(1.0, 2), 1.0)
