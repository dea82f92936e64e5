"""Published scores are computed when their inputs are present, and say what is missing."""

from __future__ import annotations

from tests.conftest import make_case


def score(a, sid):
    return next((s for s in a.scores if s.id == sid), None)


def test_leipzig_counts_its_items(run):
    a = run(
        make_case(
            {"analyte": "ceruloplasmin", "value": 8, "unit": "mg/dL", "day": 0},
            findings=["Kayser-Fleischer rings", "Coombs-negative haemolytic anaemia"],
            age=19,
        )
    )
    s = score(a, "leipzig")
    assert s is not None
    assert s.totals["total"] == 5  # KF rings 2 + caeruloplasmin <0.1 g/L 2 + haemolysis 1
    assert not s.complete
    assert s.missing
    assert "established" in s.interpretation


def test_leipzig_caeruloplasmin_bands(run):
    for value, points in ((25, 0), (15, 1), (5, 2)):
        a = run(make_case({"analyte": "ceruloplasmin", "value": value, "unit": "mg/dL", "day": 0}))
        item = next(i for i in score(a, "leipzig").items if "aeruloplasmin" in i.label)
        assert item.points == points, value


def test_no_score_without_any_input(run):
    a = run(make_case())
    assert score(a, "leipzig") is None


def test_tornero_criteria(run):
    a = run(
        make_case(
            {"analyte": "alp", "value": 19, "unit": "U/L", "day": -300},
            {"analyte": "plp", "value": 300, "unit": "nmol/L", "day": 0},
            alp=18,
        )
    )
    s = score(a, "tornero2022")
    assert s is not None
    met = {i.item for i in s.items if i.state == "met"}
    assert len(met) == 2
    assert any("urine" in m.lower() or "pea" in m.lower() for m in s.missing)
