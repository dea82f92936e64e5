"""Liver failure: Korman's rule only where it was derived, a competing cause, urgent things first."""

from __future__ import annotations

from functools import reduce
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import make_case

from lowalp.adapters.case_json import case_from_dict
from lowalp.engine.alp_status import alp_status
from lowalp.engine.findings import findings
from lowalp.engine.persistence import persistence
from lowalp.engine.work import FindingState, Work
from lowalp.normalise import normalise
from lowalp.render.html import render_html
from lowalp.render.text import render_text
from lowalp.web.cds.cards import patient_view_cards

# Both Korman ratios met: ALP 24 / bilirubin 12 = 2 (< 4), AST 240 / ALT 70 = 3.4 (> 2.2).
RATIOS = (
    {"analyte": "bilirubin_total", "value": 12, "unit": "mg/dL", "day": 0},
    {"analyte": "ast", "value": 240, "unit": "U/L", "day": 0},
)
ALT_MEETS = {"analyte": "alt", "value": 70, "unit": "U/L", "day": 0}
ALT_FAILS = {"analyte": "alt", "value": 200, "unit": "U/L", "day": 0}  # AST/ALT 1.2
INR_HIGH = {"analyte": "inr", "value": 3.0, "day": 0}


def states(kb: Any, case: dict[str, Any]) -> dict[str, FindingState]:
    work = Work(kb=kb, case=normalise(case_from_dict(case), kb))
    done = reduce(lambda w, s: s(w), (alp_status, persistence, findings), work)
    return done.findings


def _case(*labs: dict[str, Any], **context: Any) -> dict[str, Any]:
    return make_case(*RATIOS, *labs, alp=24, age=19, setting="inpatient", **context)


def test_the_korman_pattern_is_not_applicable_without_liver_failure(run, kb) -> None:
    case = _case(ALT_MEETS)
    a, fss = run(case), states(kb, case)
    assert fss["alp_bilirubin_ratio_below_4"].state == "present"
    assert fss["ast_alt_ratio_above_2_2"].state == "present"
    fs = fss["korman_wilson_alf_pattern"]
    assert fs.state == "unknown"
    assert not fs.applicable
    wilson = next(c for c in a.causes if c.id == "wilson_disease")
    korman = next(e for e in wilson.evidence if e.finding == "korman_wilson_alf_pattern")
    assert (korman.effect, korman.weight) == ("not_applicable", 0.0)
    assert "applies only with" in korman.population


def test_outside_liver_failure_the_ratios_change_no_probability(run) -> None:
    met = {c.id: c.probability for c in run(_case(ALT_MEETS)).causes}
    failed = {c.id: c.probability for c in run(_case(ALT_FAILS)).causes}
    assert met.keys() == failed.keys()
    for cid, p in met.items():
        assert abs(p - failed[cid]) < 1e-12, cid


def test_in_liver_failure_the_conjunction_is_weighed_once(run, kb) -> None:
    met_case = _case(ALT_MEETS, INR_HIGH, findings=["acute liver failure"])
    failed_case = _case(ALT_FAILS, INR_HIGH, findings=["acute liver failure"])
    met, failed = run(met_case), run(failed_case)
    assert states(kb, met_case)["korman_wilson_alf_pattern"].state == "present"
    assert states(kb, failed_case)["korman_wilson_alf_pattern"].state == "absent"
    wilson = next(c for c in met.causes if c.id == "wilson_disease")
    korman = [e for e in wilson.evidence if e.finding.startswith(("korman", "alp_bil", "ast_alt"))]
    assert [e.finding for e in korman] == ["korman_wilson_alf_pattern"]

    def p(a: Any) -> float:
        return next(c.probability for c in a.causes if c.id == "wilson_disease")

    assert p(met) > p(failed)


def test_severe_acute_liver_injury_opens_the_rule_without_a_reported_failure(kb) -> None:
    fss = states(kb, _case(ALT_MEETS, INR_HIGH))
    assert fss["severe_acute_liver_injury"].state == "present"
    assert fss["korman_wilson_alf_pattern"].state == "present"


def test_liver_failure_without_other_findings_gives_wilson_its_registry_share(run) -> None:
    a = run(make_case(alp=30, age=40, setting="icu", findings=["acute liver failure"]))
    p = {c.id: c.probability for c in a.causes}
    share = p["wilson_disease"] / (p["wilson_disease"] + p["acute_liver_failure_other_cause"])
    assert 0.01 < share < 0.04


def test_haptoglobin_and_ldh_do_not_show_haemolysis_in_liver_failure(kb) -> None:
    labs = (
        {"analyte": "haptoglobin", "value": 8, "unit": "mg/dL", "day": 0},
        {"analyte": "ldh", "value": 900, "unit": "U/L", "day": 0},
        {"analyte": "dat", "qualifier": "negative", "day": 0},
    )
    plain = states(kb, make_case(*labs, age=30))
    assert plain["coombs_negative_hemolysis_labs"].state == "present"
    alf = states(kb, make_case(*labs, age=30, findings=["acute liver failure"]))
    assert alf["hemolysis_labs_ldh"].set_aside
    assert alf["coombs_negative_hemolysis_labs"].state == "unknown"
    retic = {"analyte": "reticulocytes", "value": 8, "unit": "%", "day": 0}
    with_retic = states(kb, make_case(*labs, retic, age=30, findings=["acute liver failure"]))
    assert with_retic["coombs_negative_hemolysis_labs"].state == "present"


def _alf(run: Any) -> Any:
    return run(
        _case(
            ALT_MEETS,
            INR_HIGH,
            findings=["acute liver failure", "paracetamol overdose"],
        )
    )


def test_in_liver_failure_the_transplant_centre_comes_first_everywhere(run, kb) -> None:
    a = _alf(run)
    assert a.causes[0].id == "acute_liver_failure_other_cause"
    assert "liver transplant centre" in a.causes[0].management[0]
    assert a.next_tests[0].urgent
    assert all(t.urgent for t in a.next_tests[: sum(t.urgent for t in a.next_tests)])

    text = render_text(a)
    assert text.index("URGENT") < text.index("Possible explanations")
    assert text.index("liver transplant centre") < text.index("Possible explanations")
    assert text.count("contact a liver transplant centre now") >= 1

    html = render_html(a)
    assert html.index('id="urgent"') < html.index('id="causes"')
    patient = render_text(a, audience="patient")
    assert patient.index("Urgent") < patient.index("Possible reasons")
    patient_html = render_html(a, audience="patient")
    assert patient_html.index('id="urgent"') < patient_html.index('id="causes"')

    card = patient_view_cards(a, kb, patient_id="p1", base_url="https://example.org")[0]
    detail = card["detail"]
    assert detail.index("Urgent") < detail.index("Possible causes")
    assert card["indicator"] == "warning"


def test_nothing_is_urgent_without_liver_failure(run) -> None:
    a = run(_case(ALT_MEETS))
    assert not any(c.urgent for c in a.causes)
    assert not any(t.urgent for t in a.next_tests)
    assert "URGENT" not in render_text(a)


def test_leipzig_cannot_be_scored_with_most_items_unknown(run) -> None:
    a = run(make_case({"analyte": "ceruloplasmin", "value": 25, "unit": "mg/dL", "day": 0}, age=19))
    leipzig = next(s for s in a.scores if s.id == "leipzig")
    assert "cannot be scored" in leipzig.interpretation
    assert "very unlikely" not in leipzig.interpretation


def test_leipzig_low_band_needs_most_items_known(run) -> None:
    a = run(
        make_case(
            {"analyte": "ceruloplasmin", "value": 25, "unit": "mg/dL", "day": 0},
            {"analyte": "urine_copper_24h", "value": 20, "unit": "µg/24 h", "day": 0},
            {"analyte": "haptoglobin", "value": 120, "unit": "mg/dL", "day": 0},
            age=19,
            findings=[
                "no Kayser-Fleischer rings",
                "no tremor",
                "no Coombs-negative haemolytic anaemia",
            ],
        )
    )
    leipzig = next(s for s in a.scores if s.id == "leipzig")
    known = [i for i in leipzig.items if i.state != "unknown"]
    assert len(known) >= 5, [(i.item, i.state) for i in leipzig.items]
    assert "very unlikely" in leipzig.interpretation


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    alt=st.floats(min_value=5, max_value=5000),
    ast=st.floats(min_value=5, max_value=5000),
    bilirubin=st.floats(min_value=0.2, max_value=40),
)
def test_without_liver_failure_the_ratio_inputs_never_move_a_probability(
    run, alt: float, ast: float, bilirubin: float
) -> None:
    """AST/ALT and ALP/bilirubin outside liver failure weigh nothing: ALT feeds only the ratio."""
    base = (
        {"analyte": "bilirubin_total", "value": bilirubin, "unit": "mg/dL", "day": 0},
        {"analyte": "ast", "value": ast, "unit": "U/L", "day": 0},
        {"analyte": "inr", "value": 1.0, "day": 0},
    )
    without = {c.id: c.probability for c in run(make_case(*base, alp=24, age=19)).causes}
    alt_lab = {"analyte": "alt", "value": alt, "unit": "U/L", "day": 0}
    with_alt = {c.id: c.probability for c in run(make_case(*base, alt_lab, alp=24, age=19)).causes}
    for cid, p in without.items():
        assert abs(p - with_alt[cid]) < 1e-12, cid
