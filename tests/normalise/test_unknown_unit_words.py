"""An unknown unit is reported with the unit given, the accepted ones and the closest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lowalp import assess
from lowalp.cli import main
from lowalp.knowledge import load_knowledge
from lowalp.units import accepted_units, suggest_unit, unknown_unit_text

from ..conftest import make_case

KB = load_knowledge()
ALP = KB.analytes["alp"]
DATA = Path(__file__).parents[1] / "data"


@pytest.mark.parametrize(
    ("unit", "closest"), [("u/l", "U/L"), ("U/ml", "U/L"), ("ukat", "ukat/L"), ("IU/dl", "IU/L")]
)
def test_the_closest_accepted_unit_is_named(unit: str, closest: str) -> None:
    assert suggest_unit(unit, ALP, KB.unit_synonyms) == closest
    text = unknown_unit_text(unit, ALP, KB.unit_synonyms)
    assert f"unit {unit!r} is not known for {ALP.name}" in text
    assert "accepted: " + ", ".join(accepted_units(ALP)) in text
    shown = "µ" + closest[1:] if closest == "ukat/L" else closest  # said with its µ spelling
    assert f"closest: {shown!r}" in text


def test_a_spelling_with_u_for_micro_is_said_once() -> None:
    """ukat/L and µkat/L are both accepted; the message names µkat/L only."""
    listed = accepted_units(ALP)
    assert "µkat/L" in listed
    assert "ukat/L" not in listed
    assert set(listed) < set(ALP.units)


@pytest.mark.parametrize("unit", ["u/l", "U/ml"])
def test_an_alp_in_an_unknown_unit_is_reported_not_guessed(unit: str) -> None:
    case = make_case(age=50, sex="F", alp=20)
    case["labs"][0]["unit"] = unit
    a = assess(case, knowledge=KB)
    assert a.alp.status == "unknown"
    assert a.alp.status_reason is not None
    assert f"unit {unit!r} is not known" in a.alp.status_reason
    assert "closest: 'U/L'" in a.alp.status_reason


def test_the_cli_names_the_unit_of_an_alp_it_could_not_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = json.loads((DATA / "fhir" / "bundle.json").read_text(encoding="utf-8"))
    for entry in bundle["entry"]:
        r = entry["resource"]
        codes = [c.get("code") for c in r.get("code", {}).get("coding", [])]
        if r["resourceType"] == "Observation" and "valueQuantity" in r and "6768-6" in codes:
            r["valueQuantity"] = {"value": r["valueQuantity"]["value"], "unit": "U/ml"}
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    assert main(["assess", str(path)]) == 1
    err = capsys.readouterr().err
    assert "add a lab with analyte" not in err
    assert "no usable ALP result; the input's ALP was not used" in err
    assert "closest: 'U/L'" in err
