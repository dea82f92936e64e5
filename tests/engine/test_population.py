"""Evidence rules apply only inside the population they were measured in (``population``)."""

from __future__ import annotations

import math
from dataclasses import replace

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from tests.conftest import make_case
from tests.engine.test_properties import _work_until_findings, cases

from lowalp.engine.population import rule_population
from lowalp.engine.program import compile_program
from lowalp.engine.score import score
from lowalp.engine.work import FindingState
from lowalp.knowledge import load_knowledge

KB = load_knowledge()
PERSISTENT = {"analyte": "alp", "value": 21, "unit": "U/L", "day": -120}
PLP_HIGH = {"analyte": "plp", "value": 300, "unit": "nmol/L", "day": 0}


def _tornero(a):
    hpp = next(c for c in a.causes if c.id == "hypophosphatasia")
    return next(e for e in hpp.evidence if e.finding == "alp_below_25_persistent")


def _tests(a):
    """The tests a report shows (a test that is not for now is folded, with its reason)."""
    return [t.test for t in a.next_tests if not t.folded]


def _deferred(a, test_id):
    return next((t.deferred_by for t in a.next_tests if t.test == test_id), ())


def test_on_a_bisphosphonate_tornero_is_shown_as_not_applicable(run) -> None:
    a = run(make_case(PERSISTENT, age=60, medications=["alendronate 70 mg weekly"]))
    e = _tornero(a)
    assert e.state == "present"
    assert (e.effect, e.weight) == ("not_applicable", 0.0)
    assert "without Bisphosphonate, which is present here" in e.population
    assert e.source == "tornero2020"


def test_without_a_medication_list_it_is_applied_and_the_assumption_shown(run) -> None:
    a = run(make_case(PERSISTENT, age=60))
    e = _tornero(a)
    assert e.effect == "supports"
    assert math.isclose(e.weight, round(math.log(19.8), 3))
    assert e.population.startswith("applied on the assumption that none of these is present")
    assert "Bisphosphonate" in e.population
    listed = run(make_case(PERSISTENT, age=60, medications=[], setting="outpatient"))
    assert "Bisphosphonate" not in _tornero(listed).population


def test_after_a_fall_from_normal_the_persistent_rule_does_not_apply(run) -> None:
    normal_before = {"analyte": "alp", "value": 80, "unit": "U/L", "day": -60}
    e = _tornero(run(make_case(normal_before, age=60)))
    assert e.effect == "not_applicable"
    assert "measured only with ALP persistently low" in e.population


def test_in_intensive_care_alpl_sequencing_is_not_suggested(run) -> None:
    outpatient = run(make_case(PERSISTENT, PLP_HIGH, age=50, setting="outpatient"))
    assert "alpl_sequencing" in [t.test for t in outpatient.next_tests]
    assert not _deferred(outpatient, "alpl_sequencing")
    for context in (
        {"setting": "icu"},
        {"findings": ["septic shock"]},
        {"medications": ["denosumab"]},
        {"events": [{"event": "sepsis", "days_before": 3}]},
    ):
        a = run(make_case(PERSISTENT, PLP_HIGH, age=50, **context))
        assert _tornero(a).effect == "not_applicable", context
        assert "alpl_sequencing" not in _tests(a), context
        assert _deferred(a, "alpl_sequencing"), context  # folded with the reason, not lost


def test_a_raised_copper_outside_liver_failure_is_not_weighed_for_wilson(run) -> None:
    copper = {"analyte": "copper", "value": 250, "unit": "µg/dL", "day": 0}
    a = run(make_case(copper, age=30))
    wilson = next(c for c in a.causes if c.id == "wilson_disease")
    e = next(e for e in wilson.evidence if e.finding == "copper_high")
    assert (e.state, e.effect, e.weight) == ("present", "not_applicable", 0.0)
    inside = run(make_case(copper, age=30, findings=["acute liver failure"]))
    wilson = next(c for c in inside.causes if c.id == "wilson_disease")
    e = next(e for e in wilson.evidence if e.finding == "copper_high")
    assert e.effect == "supports"


def test_the_reason_is_rendered_in_text_and_html(run) -> None:
    from lowalp.render.html import render_html
    from lowalp.render.text import render_text

    a = run(make_case(PERSISTENT, age=60, medications=["alendronate"], setting="outpatient"))
    text = render_text(a)
    assert "not applicable here (weighs nothing): ALP persistently low and below 25" in text
    html = render_html(a)
    assert "Not applicable here, weighs nothing:" in html
    assert "without Bisphosphonate, which is present here" in html


# ----------------------------------------------------------------------------- property

RULES = [
    (c.id, r)
    for c in KB.causes.values()
    for r in c.evidence
    if r.population is not None
    and all(
        q.population is not None
        for other in KB.causes.values()
        for q in other.evidence
        if q.finding == r.finding
    )
]
"""Population rules whose finding no rule without a population uses (flipping the finding can
then change a probability only through a rule that applies)."""


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.sampled_from(RULES), st.data())
def test_a_rule_outside_its_population_never_changes_a_probability(case, item, data) -> None:
    _, rule = item
    pop = rule.population
    assert pop is not None
    work = _work_until_findings(case)
    states = dict(work.findings)
    # put the person outside: an exclusion present, or a requirement not met
    ways = [("unless", f) for f in pop.unless] + [("when", f) for f in pop.when]
    how, fid = data.draw(st.sampled_from(ways))
    if how == "unless":
        states[fid] = FindingState(fid, "present", "drawn")
    else:
        states[fid] = FindingState(fid, data.draw(st.sampled_from(["absent", "unknown"])), "drawn")
    outside = replace(work, findings=states)
    # every rule that uses the finding is outside its population too
    assume(
        all(
            rule_population(outside, q).outside
            for c in compile_program(KB).causes
            for q in c.rules
            if q.finding == rule.finding
        )
    )
    probs = []
    for state in ("present", "absent", "unknown"):
        flipped = {**states, rule.finding: FindingState(rule.finding, state, "flipped")}
        done = score(replace(outside, findings=flipped))
        probs.append({c.id: c.probability for c in done.causes})
        for c in done.causes:
            for e in c.evidence:
                if e.finding == rule.finding:
                    assert (e.effect, e.weight) == ("not_applicable", 0.0)
    for other in probs[1:]:
        for cid, p in probs[0].items():
            assert math.isclose(p, other[cid], rel_tol=0, abs_tol=1e-12), (rule.finding, cid)
