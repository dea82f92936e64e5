"""Transient causes count only inside their time window."""

from __future__ import annotations

from tests.conftest import make_case


def top(a):
    return a.causes[0].id


def prob(a, cid):
    return next(c.probability for c in a.causes if c.id == cid)


def test_low_alp_days_after_cardiac_surgery_points_to_it(run):
    a = run(make_case(events=[{"event": "cardiac_surgery", "days_before": 2}]))
    assert top(a) == "cardiac_surgery"


def test_the_same_surgery_outside_its_window_does_not(run):
    inside = run(make_case(events=[{"event": "cardiac_surgery", "days_before": 2}]))
    outside = run(make_case(events=[{"event": "cardiac_surgery", "days_before": 60}]))
    assert top(outside) != "cardiac_surgery"
    assert prob(outside, "cardiac_surgery") < prob(inside, "cardiac_surgery") / 10
    ev = next(
        e
        for c in outside.causes
        if c.id == "cardiac_surgery"
        for e in c.evidence
        if e.finding == "recent_cardiac_surgery"
    )
    assert ev.state == "absent"
    assert "outside" in ev.detail


def test_transfusion_in_window(run):
    a = run(make_case(events=[{"event": "massive_transfusion", "days_before": 1}]))
    assert top(a) == "transfusion"


def test_event_given_as_free_text_and_by_date(run):
    case = {
        "patient": {"age_years": 66, "sex": "M"},
        "labs": [{"analyte": "alp", "value": 22, "unit": "U/L", "date": "2026-05-04"}],
        "context": {"events": [{"event": "CABG", "date": "2026-05-02"}]},
    }
    a = run(case)
    assert top(a) == "cardiac_surgery"


def test_an_unknown_event_is_reported(run):
    a = run(make_case(events=[{"event": "space travel", "days_before": 2}]))
    assert [n.pointer for n in a.not_understood] == ["context.events[0].event"]


def test_no_event_list_means_unknown_not_absent(run):
    a = run(make_case())
    ev = next(
        e
        for c in a.causes
        if c.id == "cardiac_surgery"
        for e in c.evidence
        if e.finding == "recent_cardiac_surgery"
    )
    assert ev.state == "unknown"
    assert ev.weight == 0
    empty = run(make_case(events=[]))
    ev2 = next(
        e
        for c in empty.causes
        if c.id == "cardiac_surgery"
        for e in c.evidence
        if e.finding == "recent_cardiac_surgery"
    )
    assert ev2.state == "absent"


# ----------------------------------------------------------------------------- events that last


def _acute_illness(a):
    cause = next(c for c in a.causes if c.id == "acute_illness")
    return next(e for e in cause.evidence if e.finding == "recent_acute_illness")


SIX_WEEKS_IN_ICU = [
    {"event": "sepsis", "days_before": 42, "ongoing": True},
    {"event": "icu_admission", "days_before": 42, "ongoing": True},
]


def test_six_weeks_of_ongoing_sepsis_in_icu_counts_as_a_recent_acute_illness(run):
    a = run(make_case(events=SIX_WEEKS_IN_ICU))
    e = _acute_illness(a)
    assert (e.state, e.effect) == ("present", "supports")
    assert "ongoing since 42 days before" in e.detail
    one_day = run(make_case(events=[{"event": "sepsis", "days_before": 42}]))
    assert _acute_illness(one_day).state == "absent"  # the one-day form works as before
    assert top(a) == "acute_illness"
    assert prob(a, "acute_illness") > 4 * prob(one_day, "acute_illness")


def test_an_illness_that_ended_two_years_ago_is_not_present(run):
    ended = [{"event": "icu_admission", "days_before": 751, "end_days_before": 730}]
    e = _acute_illness(run(make_case(events=ended)))
    assert e.state == "absent"
    assert "ended 730 days before: outside the 0–28 day window" in e.detail


def test_the_window_counts_from_the_end(run):
    def state(**times):
        return _acute_illness(run(make_case(events=[{"event": "sepsis", **times}]))).state

    assert state(days_before=60, end_days_before=20) == "present"  # ended inside the window
    assert state(days_before=60, end_days_before=40) == "absent"  # ended before it
    assert state(date="2026-03-01", end_date="2026-03-25") == "unknown"  # the ALP has no date
    dated = make_case(events=[{"event": "sepsis", "date": "2026-03-01", "end_date": "2026-03-25"}])
    dated["labs"][0] = {"analyte": "alp", "value": 20, "unit": "U/L", "date": "2026-04-10"}
    assert _acute_illness(run(dated)).state == "present"
    dated["labs"][0]["date"] = "2026-06-10"
    assert _acute_illness(run(dated)).state == "absent"


def test_an_ongoing_event_without_a_start_is_present(run):
    a = run(make_case(events=[{"event": "icu_admission", "ongoing": True}]))
    assert _acute_illness(a).state == "present"


def test_an_event_cannot_both_end_and_go_on():
    import pytest

    from lowalp.errors import InputError
    from lowalp.model import EventRecord

    with pytest.raises(ValueError, match="either ongoing or has an end"):
        EventRecord(event="sepsis", ongoing=True, end_days_before=3)
    with pytest.raises(ValueError, match="ends before it starts"):
        EventRecord(event="sepsis", days_before=3, end_days_before=10)
    from lowalp.adapters.case_json import case_from_dict

    with pytest.raises(InputError, match="ongoing"):
        case_from_dict(make_case(events=[{"event": "sepsis", "ongoing": True, "end_day": -2}]))


def test_free_text_reads_ongoing_and_durations(run):
    for words in ("In ICU with sepsis x6 weeks, ongoing", "septic, still in ITU since 6 weeks ago"):
        a = run(make_case(notes=words))
        e = _acute_illness(a)
        assert e.state == "present", (words, e.detail)
        assert "ongoing" in e.detail, words
    past = run(make_case(notes="ICU admission 2 years ago for 3 weeks."))
    e = _acute_illness(past)
    assert e.state == "absent"
    assert "ended" in e.detail


def test_an_operation_is_never_read_as_ongoing(run):
    a = run(make_case(notes="CABG 6 weeks ago, still short of breath."))
    cause = next(c for c in a.causes if c.id == "cardiac_surgery")
    e = next(e for e in cause.evidence if e.finding == "recent_cardiac_surgery")
    assert e.state == "absent"


def test_weeks_ago_in_slash_notation_is_a_time_not_a_duration(run):
    a = run(make_case(events=["CABG x2 on pump 6/52 ago"]))
    cause = next(c for c in a.causes if c.id == "cardiac_surgery")
    e = next(e for e in cause.evidence if e.finding == "recent_cardiac_surgery")
    assert e.state == "absent"
    assert "42 days before:" in e.detail
