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
