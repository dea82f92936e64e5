from __future__ import annotations

from pathlib import Path

from lowalp.adapters.vignettes import iter_labelled
from lowalp.evaluation import CaseOutcome, LabelledCase, calibration, evaluate
from lowalp.model import Case

CASES = Path(__file__).parent / "cases"


def test_evaluate_the_vignettes():
    report = evaluate(iter_labelled(CASES))
    d = report.to_dict()
    assert d["n"] >= 40
    assert 0 <= d["top1"] <= d["top3"] <= 1
    assert set(d["per_cause"]) >= {"hypophosphatasia", "wilson_disease", "edta_contamination"}
    for c in d["cases"]:
        assert {"id", "diagnosis", "ranked"} <= set(c)


def test_an_unassessable_case_counts_as_a_miss():
    bad = LabelledCase("x", None, "hypophosphatasia", "could not be read")
    no_alp = LabelledCase(
        "y",
        Case.model_validate({"labs": [{"analyte": "albumin", "value": 4, "unit": "g/dL"}]}),
        "malnutrition",
    )
    wrong_label = LabelledCase(
        "z", Case.model_validate({"labs": [{"analyte": "alp", "value": 20, "unit": "U/L"}]}), "gout"
    )
    report = evaluate([bad, no_alp, wrong_label])
    assert report.overall.n == 3
    assert report.overall.top1 == 0
    assert all(c.error for c in report.cases)


def _outcome(p: float | None, right: bool) -> CaseOutcome:
    return CaseOutcome("c", "x", ["x" if right else "y"], right, right, top_probability=p)


def test_calibration_counts_first_answers_by_band():
    rows = calibration(
        [
            _outcome(0.95, True),
            _outcome(1.0, False),  # the last band includes 1.0
            _outcome(0.72, True),
            _outcome(0.7, False),  # a band's lower edge belongs to it
            _outcome(0.69, True),
            _outcome(None, False),  # not assessed: no first answer, left out
        ]
    )
    by_band = {(r.low, r.high): (r.n, r.right) for r in rows}
    assert by_band[(0.9, 1.0)] == (2, 1)
    assert by_band[(0.7, 0.9)] == (2, 1)
    assert by_band[(0.5, 0.7)] == (1, 1)
    assert by_band[(0.0, 0.3)] == (0, 0)
    assert sum(r.n for r in rows) == 5


def test_the_report_carries_the_calibration_table():
    d = evaluate(iter_labelled(CASES / "hard")).to_dict()
    table = d["calibration"]
    assert [row["band"] for row in table] == ["0%-30%", "30%-50%", "50%-70%", "70%-90%", "90%-100%"]
    assert sum(row["n"] for row in table) == d["n"]
    assert all(0 <= c["top_probability"] <= 1 for c in d["cases"])
