"""Properties of the scoring that must hold for any case (hypothesis)."""

from __future__ import annotations

import math
from dataclasses import replace
from functools import reduce

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lowalp.adapters.case_json import case_from_dict
from lowalp.engine import STAGES
from lowalp.engine.alp_status import alp_status
from lowalp.engine.findings import findings
from lowalp.engine.persistence import persistence
from lowalp.engine.population import rules_in_population
from lowalp.engine.score import score
from lowalp.engine.work import FindingState, Work
from lowalp.knowledge import load_knowledge
from lowalp.normalise import normalise

KB = load_knowledge()
NUMERIC = [a for a in KB.analytes.values() if a.id != "alp" and a.reference and a.reference[0].high]


@st.composite
def cases(draw: st.DrawFn) -> dict:
    age = draw(st.one_of(st.none(), st.floats(0.1, 95)))
    sex = draw(st.sampled_from(["F", "M", None]))
    labs = [{"analyte": "alp", "value": draw(st.floats(3, 400)), "unit": "U/L", "day": 0}]
    if draw(st.booleans()):
        labs.append(
            {
                "analyte": "alp",
                "value": draw(st.floats(3, 400)),
                "unit": "U/L",
                "day": -draw(st.integers(1, 900)),
            }
        )
    for a in draw(st.lists(st.sampled_from(NUMERIC), max_size=8, unique_by=lambda a: a.id)):
        ref = a.reference[0]
        hi = ref.high * a.units[ref.unit]
        value = draw(st.floats(max(a.plausible[0], hi * 0.05), min(a.plausible[1], hi * 2.5)))
        labs.append({"analyte": a.id, "value": value, "unit": a.canonical_unit, "day": 0})
    drugs = [d for f in KB.findings.values() if f.kind == "medication" for d in f.drugs[:1]]
    clinical = [f.id for f in KB.findings.values() if f.kind == "clinical"]
    context: dict = {}
    if draw(st.booleans()):
        context["medications"] = draw(st.lists(st.sampled_from(drugs), max_size=3))
    if draw(st.booleans()):
        context["findings"] = draw(st.lists(st.sampled_from(clinical), max_size=4))
    return {"patient": {"age_years": age, "sex": sex}, "labs": labs, "context": context}


def _work_until_findings(case: dict) -> Work:
    norm = normalise(case_from_dict(case), KB)
    return reduce(lambda w, s: s(w), (alp_status, persistence, findings), Work(kb=KB, case=norm))


def _probs(work: Work) -> dict[str, float]:
    return {c.id: c.probability for c in score(work).causes}


def _weights(fid: str, work: Work) -> dict[str, float]:
    """The weight a present finding gives each cause in this case (0 where a cause has no rule
    for it, or its rule is outside the population it was measured in)."""
    out = {}
    for cause in KB.causes.values():
        rw = rules_in_population(work, cause).get(fid)
        out[cause.id] = rw.w_present if rw else 0.0
    return out


COMMON = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@COMMON
@given(cases())
def test_probabilities_sum_to_one(case):
    work = reduce(lambda w, s: s(w), STAGES, Work(kb=KB, case=normalise(case_from_dict(case), KB)))
    total = sum(c.probability for c in work.causes)
    assert math.isclose(total, 1.0, abs_tol=1e-9)
    assert all(0 <= c.probability <= 1 for c in work.causes)
    assert [c.probability for c in work.causes] == sorted(
        (c.probability for c in work.causes), reverse=True
    )


USED = sorted({r.finding for c in KB.causes.values() for r in c.evidence})


@COMMON
@given(cases(), st.sampled_from(USED))
def test_a_finding_that_supports_a_cause_most_never_lowers_it(case, fid):
    work = _work_until_findings(case)
    changed = replace(work, findings={**work.findings, fid: FindingState(fid, "present")})
    weights = _weights(fid, changed)
    best = max(weights.values())
    before = _probs(work)
    after = _probs(changed)
    for cid, w in weights.items():
        if w == best and w > 0:
            assert after[cid] >= before[cid] - 1e-12, (fid, cid)


@COMMON
@given(cases(), st.sampled_from(USED))
def test_a_finding_that_refutes_a_cause_most_never_raises_it(case, fid):
    work = _work_until_findings(case)
    changed = replace(work, findings={**work.findings, fid: FindingState(fid, "present")})
    weights = _weights(fid, changed)
    worst = min(weights.values())
    before = _probs(work)
    after = _probs(changed)
    for cid, w in weights.items():
        if w == worst and w < 0:
            assert after[cid] <= before[cid] + 1e-12, (fid, cid)


@COMMON
@given(cases(), st.sampled_from(USED))
def test_unknown_findings_weigh_nothing(case, fid):
    work = _work_until_findings(case)
    unknown = replace(work, findings={**work.findings, fid: FindingState(fid, "unknown")})
    for c in score(unknown).causes:
        for e in c.evidence:
            if e.finding == fid:
                assert e.weight == 0


@COMMON
@given(cases())
def test_a_known_result_is_never_suggested(case):
    work = reduce(lambda w, s: s(w), STAGES, Work(kb=KB, case=normalise(case_from_dict(case), KB)))
    for t in work.next_tests:
        test = KB.tests[t.test]
        decided = set(test.findings)
        decided |= {f for f in USED if KB.findings[f].kind in test.kinds}
        decided |= {
            f
            for f in USED
            if getattr(KB.findings[f], "analyte", None) in test.analytes
            or {
                getattr(KB.findings[f], "numerator", None),
                getattr(KB.findings[f], "denominator", None),
            }
            & set(test.analytes)
        }
        assert (
            any(work.findings[f].state == "unknown" for f in decided if f in work.findings)
            or test.findings == []
        ), t.test


def test_measuring_a_supporting_analyte_raises_its_cause():
    """End to end: a raised TSH beside a low ALP moves hypothyroidism up."""
    from lowalp import assess

    base = {
        "patient": {"age_years": 50, "sex": "F"},
        "labs": [{"analyte": "alp", "value": 28, "unit": "U/L", "day": 0}],
    }
    with_tsh = {
        **base,
        "labs": [*base["labs"], {"analyte": "tsh", "value": 25, "unit": "mIU/L", "day": 0}],
    }
    p0 = next(c.probability for c in assess(base).causes if c.id == "hypothyroidism")
    p1 = next(c.probability for c in assess(with_tsh).causes if c.id == "hypothyroidism")
    assert p1 > p0
