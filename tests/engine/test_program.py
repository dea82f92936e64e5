"""The knowledge compiled into one program: dependency order, weights as the score adds them,
and a clear error (file and key) for each definition the columnar form cannot express."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from lowalp.engine.likelihood import added, rule_weights
from lowalp.engine.program import (
    LabNode,
    PatternNode,
    ProgramError,
    RatioNode,
    compile_program,
)
from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.knowledge.schema import LabFinding, PatternFinding


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return load_knowledge()


def _with(kb: Knowledge, **findings: Any) -> Knowledge:
    """A copy of ``kb`` with some findings replaced (nothing cached)."""
    return dataclasses.replace(kb, findings={**kb.findings, **findings}, cache={})


def test_every_finding_is_compiled_after_the_findings_it_refers_to(kb: Knowledge) -> None:
    program = compile_program(kb)
    seen: set[str] = set()
    for node in program.nodes:
        refs = [g.finding for g in node.gates]
        if isinstance(node, PatternNode):
            refs += [*node.all_of, *node.any_of]
        if isinstance(node, LabNode | RatioNode | PatternNode) and node.applies:
            refs += list(node.applies.when)
        assert set(refs) <= seen, (node.id, set(refs) - seen)
        seen.add(node.id)
    assert seen == set(kb.findings)


def test_the_rules_carry_the_weights_the_evidence_shows(kb: Knowledge) -> None:
    program = compile_program(kb)
    for cause in program.causes:
        weights = rule_weights(kb, kb.causes[cause.id])
        for rule in cause.rules:
            assert rule.w_present == round(weights[rule.finding].w_present, 3)
            assert rule.w_absent == round(weights[rule.finding].w_absent, 3)
            assert rule.group == kb.group_of.get(rule.finding)


def test_lab_thresholds_are_in_canonical_units(kb: Knowledge) -> None:
    program = compile_program(kb)
    b12 = program.node("b12_low")
    assert isinstance(b12, LabNode)
    assert b12.limit == pytest.approx(kb.thresholds["b12_low"])
    anaemia = program.node("hemoglobin_below_8")
    assert isinstance(anaemia, LabNode)
    assert anaemia.bands
    assert "potassium" in program.specimen_analytes
    assert "albumin" in program.specimen_analytes


def test_added_is_a_left_fold() -> None:
    assert added([0.1, 0.2, 0.3]) == (0.1 + 0.2) + 0.3
    assert added([]) == 0.0


def test_a_finding_that_refers_to_itself_names_its_file_and_key(kb: Knowledge) -> None:
    f = kb.findings["calcium_low_any"]
    assert isinstance(f, PatternFinding)
    bad = f.model_copy(update={"any_of": [*f.any_of, "edta_pattern"]})
    with pytest.raises(ProgramError) as err:
        compile_program(_with(kb, calcium_low_any=bad))
    assert (
        err.value.file == kb.finding_files["calcium_low_any"]
        or err.value.file == (kb.finding_files["edta_pattern"])
    )
    assert "refers to itself" in str(err.value)
    assert "edta_pattern" in str(err.value)
    assert "calcium_low_any" in str(err.value)


def test_a_band_in_a_unit_the_analyte_lacks_names_its_file_and_key(kb: Knowledge) -> None:
    f = kb.findings["hemoglobin_below_8"]
    assert isinstance(f, LabFinding)
    band = f.bands[0].model_copy(update={"unit": "furlongs/L"})
    bad = f.model_copy(update={"bands": [band, *f.bands[1:]]})
    with pytest.raises(ProgramError) as err:
        compile_program(_with(kb, hemoglobin_below_8=bad))
    assert err.value.file == kb.finding_files["hemoglobin_below_8"]
    assert err.value.key == "hemoglobin_below_8.bands[0].unit"
    assert "furlongs" in str(err.value)


def test_an_adjustment_by_an_unknown_analyte_names_its_file_and_key(kb: Knowledge) -> None:
    f = kb.findings["calcium_low_adjusted"]
    assert isinstance(f, LabFinding)
    assert f.adjust is not None
    bad = f.model_copy(update={"adjust": f.adjust.model_copy(update={"analyte": "unobtainium"})})
    with pytest.raises(ProgramError) as err:
        compile_program(_with(kb, calcium_low_adjusted=bad))
    assert err.value.key == "calcium_low_adjusted.adjust.analyte"
    assert "unobtainium" in str(err.value)


def test_a_pattern_part_that_is_no_finding_names_its_file_and_key(kb: Knowledge) -> None:
    f = kb.findings["kidney_failure"]
    assert isinstance(f, PatternFinding)
    bad = f.model_copy(update={"any_of": [*f.any_of, "no_such_finding"]})
    with pytest.raises(ProgramError) as err:
        compile_program(_with(kb, kidney_failure=bad))
    assert err.value.file == kb.finding_files["kidney_failure"]
    assert err.value.key == "kidney_failure"
    assert "no_such_finding" in str(err.value)


def test_a_kind_without_a_columnar_form_names_its_file_and_key(kb: Knowledge) -> None:
    @dataclasses.dataclass
    class Strange:
        id: str = "strange"
        kind: str = "oracle"
        uninformative_when: tuple[()] = ()

    with pytest.raises(ProgramError) as err:
        compile_program(_with(kb, strange=Strange()))
    assert err.value.key == "strange.kind"
    assert "oracle" in str(err.value)


def test_a_rule_population_on_no_finding_names_the_cause_file(kb: Knowledge) -> None:
    cause = kb.causes["hypophosphatasia"]
    rule = next(r for r in cause.evidence if r.population is not None)
    pop = rule.population
    assert pop is not None
    bad_rule = rule.model_copy(
        update={"population": pop.model_copy(update={"unless": [*pop.unless, "nowhere"]})}
    )
    evidence = [bad_rule if r is rule else r for r in cause.evidence]
    bad = cause.model_copy(update={"evidence": evidence})
    k = dataclasses.replace(kb, causes={**kb.causes, "hypophosphatasia": bad}, cache={})
    with pytest.raises(ProgramError) as err:
        compile_program(k)
    assert err.value.file == "causes/hypophosphatasia.yaml"
    assert err.value.key == f"evidence.{rule.finding}.population"
    assert "nowhere" in str(err.value)


def test_an_artefact_on_no_finding_names_the_cause_file(kb: Knowledge) -> None:
    cause = kb.causes["edta_contamination"]
    assert cause.artifact is not None
    bad = cause.model_copy(
        update={"artifact": cause.artifact.model_copy(update={"finding": "nowhere"})}
    )
    k = dataclasses.replace(kb, causes={**kb.causes, "edta_contamination": bad}, cache={})
    with pytest.raises(ProgramError) as err:
        compile_program(k)
    assert err.value.file == "causes/edta_contamination.yaml"
    assert err.value.key == "artifact.finding"


def test_an_artefact_warning_is_compiled_with_its_threshold(kb: Knowledge) -> None:
    spec = kb.causes["edta_contamination"].artifact
    assert spec is not None
    assert compile_program(kb).cause("edta_contamination").artifact == (
        spec.finding,
        spec.min_probability,
    )
