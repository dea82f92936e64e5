"""Next tests: ranked by information gain, never for a result already known."""

from __future__ import annotations

from tests.conftest import make_case


def suggested(a):
    return [t.test for t in a.next_tests]


def test_unmeasured_thyroid_function_is_suggested_and_measured_is_not(run):
    a = run(make_case())
    assert "thyroid_function" in suggested(a)
    b = run(
        make_case(
            {"analyte": "tsh", "value": 2, "unit": "mIU/L", "day": 0},
            {"analyte": "free_t4", "value": 1.2, "unit": "ng/dL", "day": 0},
        )
    )
    assert "thyroid_function" not in suggested(b)


def test_ranked_by_expected_information_gain(run):
    a = run(make_case())
    gains = [t.expected_information_gain for t in a.next_tests]
    assert gains == sorted(gains, reverse=True)
    assert all(g > 0 for g in gains)
    assert all(1 <= t.relative_cost <= 5 for t in a.next_tests)


def test_every_suggestion_says_why_and_for_which_causes(run):
    a = run(make_case())
    for t in a.next_tests:
        assert t.why.startswith("would settle")
        assert t.causes


def test_plp_rises_when_hypophosphatasia_is_in_play(run):
    """Once the ALP is persistently very low, PLP becomes more informative than it was."""
    single = run(make_case(alp=30))
    persistent = run(make_case({"analyte": "alp", "value": 18, "unit": "U/L", "day": -200}, alp=17))

    def gain(a):
        return next((t.expected_information_gain for t in a.next_tests if t.test == "plp"), 0.0)

    assert gain(persistent) > gain(single)


def test_a_medication_list_removes_the_medication_history_test(run):
    a = run(make_case())
    assert "medication_history" in suggested(a)
    b = run(make_case(medications=[]))
    assert "medication_history" not in suggested(b)
