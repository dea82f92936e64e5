"""Lab findings read the lab's own words: verdicts against fixed thresholds, flags, censored and
qualitative parts of ratios."""

from __future__ import annotations

from functools import reduce

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import make_case

from lowalp.adapters.case_json import case_from_dict
from lowalp.engine.alp_status import alp_status
from lowalp.engine.findings import findings
from lowalp.engine.persistence import persistence
from lowalp.engine.value_bounds import decide, verdict_bounds
from lowalp.engine.work import FindingState, Work
from lowalp.knowledge import load_knowledge
from lowalp.knowledge.schema import LabFinding
from lowalp.normalise import normalise
from lowalp.units import factor

KB = load_knowledge()


def states(case: dict) -> dict[str, FindingState]:
    work = Work(kb=KB, case=normalise(case_from_dict(case), KB))
    done = reduce(lambda w, s: s(w), (alp_status, persistence, findings), work)
    return done.findings


def state(case: dict, fid: str) -> FindingState:
    return states(case)[fid]


# ----------------------------------------------------------------------------- verdicts


def test_high_counts_above_a_threshold_the_labs_upper_limit_reaches() -> None:
    lab = {"analyte": "plp", "qualifier": "high", "unit": "nmol/L", "ref_low": 20, "ref_high": 200}
    s = state(make_case({**lab, "day": 0}), "plp_above_180")
    assert s.state == "present"
    assert "lab's range" in s.detail
    assert "counted as present" in s.detail


def test_high_cannot_tell_above_a_threshold_beyond_the_labs_upper_limit() -> None:
    lab = {"analyte": "plp", "qualifier": "high", "unit": "nmol/L", "ref_low": 20, "ref_high": 125}
    s = state(make_case({**lab, "day": 0}), "plp_above_180")
    assert s.state == "unknown"
    assert "cannot tell" in s.detail


def test_without_the_labs_limits_the_reference_interval_is_used_and_named() -> None:
    s = state(make_case({"analyte": "b12", "qualifier": "low", "day": 0}), "b12_low")
    assert s.state == "present"  # below 180 pg/mL (ARUP) is below the 200 pg/mL threshold
    assert "reference interval" in s.detail
    assert "ARUP Laboratories" in s.detail
    s = state(make_case({"analyte": "b12", "qualifier": "normal", "day": 0}), "b12_low")
    assert s.state == "unknown"  # 180–914 straddles the threshold


def test_normal_settles_a_threshold_outside_the_normal_range() -> None:
    s = state(
        make_case({"analyte": "hemoglobin", "qualifier": "normal", "day": 0}), "hemoglobin_below_8"
    )
    assert s.state == "absent"
    s = state(
        make_case({"analyte": "ceruloplasmin", "qualifier": "low", "day": 0}), "ceruloplasmin_low"
    )
    assert s.state == "present"  # below the female lower limit 20 mg/dL


def test_without_any_limits_a_verdict_cannot_tell_and_says_why() -> None:
    s = state(make_case({"analyte": "inr", "qualifier": "high", "day": 0}), "inr_high")
    assert s.state == "unknown"
    assert "no reference interval" in s.detail
    child = make_case({"analyte": "ceruloplasmin", "qualifier": "low", "day": 0}, age=8)
    assert state(child, "ceruloplasmin_low").state == "unknown"


def test_a_verdict_is_not_judged_against_an_interval_chosen_by_a_guessed_age_or_sex() -> None:
    """Caeruloplasmin has adult intervals only: with the age unknown the patient may be a child
    the knowledge has no interval for, so 'low' cannot settle the 20 mg/dL threshold."""
    lab = {"analyte": "ceruloplasmin", "qualifier": "low", "day": 0}
    assert state(make_case(lab), "ceruloplasmin_low").state == "present"
    s = state(make_case(lab, age=None), "ceruloplasmin_low")
    assert s.state == "unknown"
    assert "age or sex" in s.detail
    assert state(make_case(lab, sex=None), "ceruloplasmin_low").state == "unknown"


def test_undetectable_is_below_a_positive_lower_limit() -> None:
    assert state(
        make_case({"analyte": "pth", "text": "undetectable", "day": 0}), "pth_low"
    ).state == ("present")
    assert state(
        make_case({"analyte": "pth", "text": "undetectable", "day": 0}), "pth_high"
    ).state == ("absent")
    ttg = make_case({"analyte": "ttg_iga", "text": "not detected", "day": 0})
    assert state(ttg, "ttg_iga_positive").state == "absent"


def test_a_flag_decides_when_the_number_cannot_be_judged() -> None:
    """A child's prealbumin has no reference interval in the knowledge; the lab's L decides."""
    lab = {"analyte": "prealbumin", "value": 9, "unit": "mg/dL", "day": 0}
    child = make_case({**lab, "flag": "L"}, age=6)
    s = state(child, "prealbumin_low")
    assert s.state == "present"
    assert "flagged 'low'" in s.detail
    assert state(make_case(lab, age=6), "prealbumin_low").state == "unknown"


def test_the_number_wins_over_a_flag_that_contradicts_it() -> None:
    lab = {"analyte": "tsh", "value": 2.0, "unit": "mIU/L", "flag": "H", "day": 0}
    assert state(make_case(lab), "tsh_high").state == "absent"


def test_an_alp_judged_only_in_words_reaches_the_alp_threshold_finding() -> None:
    case = {
        "patient": {"age_years": 46, "sex": "F"},
        "labs": [
            {
                "analyte": "alp",
                "text": "undetectable",
                "ref_low": 35,
                "ref_high": 104,
                "unit": "U/L",
            }
        ],
    }
    s = state(case, "alp_below_25")
    assert s.state == "unknown"  # below 35 U/L does not say below 25
    assert "below 35 U/L" in s.detail


# ----------------------------------------------------------------------------- ratios


def test_a_censored_bilirubin_still_settles_the_alp_bilirubin_ratio() -> None:
    """ALP 20 / bilirubin <0.3 mg/dL: the ratio is above 66, so 'below 4' is absent."""
    case = make_case({"analyte": "bilirubin_total", "text": "<0.3", "unit": "mg/dL", "day": 0})
    s = state(case, "alp_bilirubin_ratio_below_4")
    assert s.state == "absent"
    assert "above 66.67" in s.detail
    assert "direction is certain" in s.detail


def test_a_censored_part_that_leaves_the_direction_open_cannot_tell() -> None:
    case = make_case(
        {"analyte": "bilirubin_total", "qualifier": "<", "value": 10, "unit": "mg/dL", "day": 0},
        alp=20,
    )
    assert state(case, "alp_bilirubin_ratio_below_4").state == "unknown"


def test_a_high_bilirubin_over_a_low_alp_is_present() -> None:
    case = make_case(
        {"analyte": "bilirubin_total", "qualifier": ">", "value": 10, "unit": "mg/dL", "day": 0},
        alp=20,
    )
    assert state(case, "alp_bilirubin_ratio_below_4").state == "present"


def test_a_qualitative_part_of_a_ratio_uses_its_reference_limits() -> None:
    case = make_case({"analyte": "bilirubin_total", "qualifier": "normal", "day": 0}, alp=20)
    assert state(case, "alp_bilirubin_ratio_below_4").state == "absent"  # 20/1.2 > 16


# ----------------------------------------------------------------------------- "normal" never creates evidence


def test_a_normal_verdict_against_any_reference_row_never_meets_a_threshold() -> None:
    """The knowledge-level guarantee behind the property below."""
    for f in KB.findings.values():
        if not isinstance(f, LabFinding) or f.op in ("below_ref", "above_ref"):
            continue
        a = KB.analytes[f.analyte]
        cuts = [(0.0, 200.0, KB.thresholds.get(f.id))] + [
            (b.age_min, b.age_max, b.value * factor(a, b.unit, {}))
            for b in f.bands
            if b.growth is None
        ]
        for r in a.reference:
            if r.low is None and r.high is None:
                continue  # no limits at these ages: nothing a verdict is judged against
            scale = a.units[r.unit]
            lo = r.low * scale if r.low is not None else None
            hi = r.high * scale if r.high is not None else None
            bounds = verdict_bounds("normal", lo, hi)
            assert bounds is not None
            for age_min, age_max, cut in cuts:
                if cut is not None and r.age_min < age_max and age_min < r.age_max:
                    assert decide(bounds, f.op, cut) != "present", (f.id, r)


WITH_REFERENCE = sorted(a.id for a in KB.analytes.values() if a.reference and a.id != "alp")


@st.composite
def results(draw: st.DrawFn) -> dict:
    """A case with a low-ish ALP and a few results, with realistic printed ranges (the
    knowledge's reference within ±10%) or none."""
    age = draw(st.floats(0.5, 90))
    sex = draw(st.sampled_from(["F", "M", None]))
    labs: list[dict] = [
        {"analyte": "alp", "value": draw(st.floats(3, 300)), "unit": "U/L", "day": 0}
    ]
    for aid in draw(st.lists(st.sampled_from(WITH_REFERENCE), min_size=1, max_size=6, unique=True)):
        a = KB.analytes[aid]
        ref = a.reference[0]
        scale = a.units[ref.unit]
        hi = (ref.high or (ref.low or 1) * 3) * scale
        lab: dict = {"analyte": aid, "unit": a.canonical_unit, "day": -draw(st.integers(0, 20))}
        if draw(st.booleans()):
            k = draw(st.floats(0.9, 1.1))
            if ref.low is not None:
                lab["ref_low"] = ref.low * scale * k
            if ref.high is not None:
                lab["ref_high"] = ref.high * scale * k
        if draw(st.booleans()):
            lab["value"] = draw(
                st.floats(max(a.plausible[0], hi * 0.05), min(a.plausible[1], hi * 3))
            )
            if draw(st.booleans()):
                lab["qualifier"] = "<"
        else:
            lab["qualifier"] = draw(st.sampled_from(["low", "high", "positive", "negative"]))
        labs.append(lab)
    return {"patient": {"age_years": age, "sex": sex}, "labs": labs}


def _present(case: dict, kinds: set[str] | None = None) -> set[str]:
    return {
        fid
        for fid, s in states(case).items()
        if s.state == "present" and (kinds is None or KB.findings[fid].kind in kinds)
    }


PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(results(), st.data())
def test_adding_a_labs_normal_flag_never_turns_a_finding_present(
    case: dict, data: st.DataObject
) -> None:
    numeric = [i for i, lab in enumerate(case["labs"]) if i and "value" in lab]
    if not numeric:
        return
    k = data.draw(st.sampled_from(numeric))
    flagged = {**case, "labs": [dict(x) for x in case["labs"]]}
    flagged["labs"][k]["flag"] = data.draw(st.sampled_from(["N", "normal", "WNL"]))
    assert _present(flagged) <= _present(case)


@PROPERTY
@given(results(), st.data())
def test_a_normal_verdict_never_turns_a_lab_finding_present(
    case: dict, data: st.DataObject
) -> None:
    """Replacing a result by the lab's "normal" leaves no lab finding on that analyte present
    (ratios aside: a normal ALT under a raised AST does make AST/ALT above 2.2 certain)."""
    k = data.draw(st.integers(1, len(case["labs"]) - 1))
    normal = {**case, "labs": [dict(x) for x in case["labs"]]}
    lab = normal["labs"][k]
    lab.pop("value", None)
    lab["qualifier"] = "normal"
    for fid in _present(normal, {"lab"}):
        assert KB.findings[fid].analyte != lab["analyte"], fid  # type: ignore[union-attr]
