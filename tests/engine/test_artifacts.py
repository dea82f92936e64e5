"""The EDTA pattern is warned of before any cause, with the advice to repeat the sample."""

from __future__ import annotations

from tests.conftest import make_case

from lowalp.render.text import render_text

EDTA = (
    {"analyte": "potassium", "value": 7.4, "unit": "mmol/L", "day": 0},
    {"analyte": "calcium", "value": 1.6, "unit": "mmol/L", "day": 0},
    {"analyte": "zinc", "value": 20, "unit": "µg/dL", "day": 0},
)


def test_edta_pattern_fires_and_is_first(run):
    a = run(make_case(*EDTA, alp=25))
    assert [x.id for x in a.artifacts] == ["edta_contamination"]
    assert "Repeat the sample" in a.artifacts[0].action
    assert "ECG" in a.artifacts[0].action
    assert a.causes[0].id == "edta_contamination"
    text = render_text(a)
    assert text.index("PRE-ANALYTICAL WARNING") < text.index("Possible explanations")


def test_parts_from_another_day_do_not_make_the_pattern(run):
    moved = [dict(lab, day=-3) if lab["analyte"] == "calcium" else lab for lab in EDTA]
    a = run(make_case(*moved, alp=25))
    assert not a.artifacts


def test_normal_calcium_rules_the_pattern_out(run):
    labs = [dict(lab, value=2.4) if lab["analyte"] == "calcium" else lab for lab in EDTA]
    a = run(make_case(*labs, alp=25))
    assert not a.artifacts
    edta = next(c for c in a.causes if c.id == "edta_contamination")
    pattern = next(e for e in edta.evidence if e.finding == "edta_pattern")
    assert pattern.state != "present"


def test_low_zinc_alone_is_not_called_an_artefact(run):
    a = run(make_case({"analyte": "zinc", "value": 40, "unit": "µg/dL", "day": 0}, alp=25))
    assert not a.artifacts


def test_specimen_ids_decide_what_is_the_same_sample(run):
    case = make_case(alp=None)
    case["labs"] = [
        {"analyte": "alp", "value": 25, "unit": "U/L", "day": 0, "specimen": "A"},
        *[dict(lab, specimen="A") for lab in EDTA],
    ]
    assert run(case).artifacts
    case["labs"][1]["specimen"] = "B"  # potassium from another tube
    assert not run(case).artifacts
