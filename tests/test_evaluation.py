from __future__ import annotations

from pathlib import Path

from lowalp.adapters.vignettes import iter_labelled
from lowalp.evaluation import LabelledCase, evaluate
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
