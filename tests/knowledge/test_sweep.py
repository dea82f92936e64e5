"""A sweep of the whole knowledge base: ids, provenance, reachability, coverage."""

from __future__ import annotations

from dataclasses import replace

from pydantic import BaseModel

from lowalp.adapters.case_json import case_from_dict
from lowalp.engine.likelihood import rule_weights
from lowalp.engine.score import score
from lowalp.engine.work import FindingState, Work
from lowalp.knowledge import Knowledge
from lowalp.knowledge.schema import Cited, LabFinding
from lowalp.normalise import normalise

DESIGN_CAUSES = {
    "malnutrition", "celiac_disease", "hypophosphatasia", "wilson_disease", "cardiac_surgery",
    "transfusion", "hypothyroidism", "b12_deficiency", "severe_anemia", "zinc_deficiency",
    "magnesium_deficiency", "estrogen_therapy", "other_medication", "edta_contamination",
    "hypoparathyroidism", "milk_alkali_syndrome", "scurvy", "acute_illness",
}  # fmt: skip


def test_every_design_cause_is_present(kb: Knowledge):
    assert set(kb.causes) >= DESIGN_CAUSES


def _cited(obj: object, path: str = "") -> list[tuple[str, Cited]]:
    out = []
    if isinstance(obj, Cited):
        out.append((path, obj))
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            out += _cited(getattr(obj, name), f"{path}.{name}")
    elif isinstance(obj, list | tuple):
        for i, x in enumerate(obj):
            out += _cited(x, f"{path}[{i}]")
    elif isinstance(obj, dict):
        for k, x in obj.items():
            out += _cited(x, f"{path}.{k}")
    return out


def test_every_number_has_a_source_or_is_a_marked_estimate(kb: Knowledge):
    blocks = _cited(list(kb.causes.values())) + _cited(list(kb.findings.values()))
    blocks += _cited(list(kb.analytes.values())) + _cited(kb.settings)
    blocks += _cited(kb.qualitative)
    assert blocks
    for path, c in blocks:
        assert c.source in kb.sources or (c.estimate and c.reasoning), path


def test_every_lab_threshold_has_provenance(kb: Knowledge):
    for f in kb.findings.values():
        if isinstance(f, LabFinding) and f.op in ("lt", "le", "gt", "ge"):
            assert f.threshold is not None or f.bands, f.id


def test_every_cause_is_reachable(kb: Knowledge):
    """With its supporting findings present, each cause can rank first."""
    case = case_from_dict(
        {
            "patient": {"age_years": 40, "sex": "F"},
            "labs": [{"analyte": "alp", "value": 20, "unit": "U/L", "day": 0}],
        }
    )
    from lowalp.engine.alp_status import alp_status
    from lowalp.engine.findings import findings
    from lowalp.engine.persistence import persistence

    work = findings(persistence(alp_status(Work(kb=kb, case=normalise(case, kb)))))
    blank = {fid: FindingState(fid, "unknown") for fid in work.findings}
    for cause in kb.causes.values():
        states = dict(blank)
        for fid, rw in rule_weights(kb, cause).items():
            if rw.w_present > 0:
                states[fid] = FindingState(fid, "present")
        ranked = score(replace(work, findings=states)).causes
        assert ranked[0].id == cause.id, (cause.id, [c.id for c in ranked[:3]])


def test_every_finding_is_used(kb: Knowledge):
    used = {r.finding for c in kb.causes.values() for r in c.evidence}
    used |= {c.artifact.finding for c in kb.causes.values() if c.artifact}
    used |= {i.finding for s in kb.scores for i in s.items if i.finding}
    used |= {  # the conditions of a rule's population
        f
        for c in kb.causes.values()
        for r in c.evidence
        if r.population
        for f in (*r.population.when, *r.population.unless)
    }
    # conditions of management pointers and tests (when, unless, urgent_when) use a finding too
    used |= {
        f
        for c in kb.causes.values()
        for m in c.management
        for f in (*m.when, *m.unless, *m.urgent_when)
    }
    used |= {f for t in kb.tests.values() for f in (*t.unless, *t.urgent_when)}
    grown = True
    while grown:  # the parts of a used pattern and the gates of a used finding are used too
        before = len(used)
        for f in kb.findings.values():
            if f.id in used:
                used |= {g.finding for g in f.uninformative_when}
                if f.kind == "pattern":
                    used |= {*f.all_of, *f.any_of}
        grown = len(used) > before
    unused = set(kb.findings) - used
    assert not unused, sorted(unused)


def test_every_cause_has_text_and_tests(kb: Knowledge):
    for c in kb.causes.values():
        assert c.summary.strip(), c.id
        assert c.plain.strip(), c.id
        assert c.next_tests, c.id
        assert c.patient_questions, c.id


def test_every_unknown_finding_has_a_test_that_decides_it(kb: Knowledge):
    """Unknowns must be able to turn into suggested tests."""
    undecidable = []
    for c in kb.causes.values():
        for r in c.evidence:
            f = kb.findings[r.finding]
            if f.kind == "alp" or getattr(f, "analyte", None) == "alp":
                continue  # decided by the ALP series itself
            parts = [f.id]
            if f.kind == "pattern":
                parts += [*f.all_of, *f.any_of]
            if not any(kb.tests_for_finding(p) for p in parts):
                undecidable.append(f"{c.id}:{f.id}")
    assert not undecidable, undecidable


def test_priors_are_plausible_shares(kb: Knowledge):
    adult = sum(c.prior.adult for c in kb.causes.values())
    child = sum(c.prior.child for c in kb.causes.values())
    assert 0.5 <= adult <= 1.5
    assert 0.5 <= child <= 1.5


def test_knowledge_version_is_stamped(kb: Knowledge):
    a = __import__("lowalp").assess(
        {"patient": {"age_years": 30}, "labs": [{"analyte": "alp", "value": 20, "unit": "U/L"}]},
        knowledge=kb,
    )
    assert a.knowledge_version == kb.version
    assert a.disclaimer
