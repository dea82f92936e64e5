"""The routine-panel analytes (LDH … total IgA): codes, ranges and every unit through a case.

Each accepted unit (and the reviewed lab spellings of it) is entered in a case, normalised and
compared with the canonical value; the published conversion factors are checked against the
molar masses the file's factors rest on.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from tests.conftest import make_case

from lowalp.adapters.case_json import case_from_dict
from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.normalise import normalise

PANEL_IDS = [
    "ldh", "haptoglobin", "reticulocytes", "reticulocytes_abs", "dat", "bilirubin_direct", "wbc",
    "platelets", "pt", "bicarbonate", "chloride", "glucose", "urea", "lactate", "iga_total",
]  # fmt: skip

# LOINC codes the knowledge must read for each analyte (primary first).
CODES = {
    "ldh": ["2532-0", "14804-9"],
    "haptoglobin": ["4542-7", "46127-7"],
    "reticulocytes": ["17849-1"],
    "reticulocytes_abs": ["60474-4"],
    "dat": ["1007-4", "13946-9"],
    "bilirubin_direct": ["1968-7", "15152-2"],
    "wbc": ["6690-2", "26464-8"],
    "platelets": ["777-3", "26515-7"],
    "pt": ["5902-2"],
    "bicarbonate": ["1963-8"],
    "chloride": ["2075-0"],
    "glucose": ["2345-7", "14749-6"],
    "urea": ["3094-0", "22664-7"],
    "lactate": ["2524-7"],
    "iga_total": ["2458-8"],
}


def canonical(kb: Knowledge, analyte: str, value: float, unit: str | None) -> tuple[float, str]:
    lab: dict[str, Any] = {"analyte": analyte, "value": value, "day": 0}
    if unit is not None:
        lab["unit"] = unit
    norm = normalise(case_from_dict(make_case(lab)), kb)
    assert not norm.not_understood, norm.not_understood
    (m,) = norm.series(analyte)
    assert m.value is not None
    return m.value, m.unit


@pytest.mark.parametrize("analyte_id", PANEL_IDS)
def test_panel_analyte_is_complete(kb: Knowledge, analyte_id: str) -> None:
    a = kb.analytes[analyte_id]
    assert a.name
    assert a.loinc_note
    assert a.loinc == CODES[analyte_id]
    for code in a.loinc:
        assert kb.loinc_index[code] == analyte_id
    assert a.units[a.canonical_unit] == 1
    lo, hi = a.plausible
    for r in a.reference:
        for limit in (r.low, r.high):
            if limit is not None:
                assert lo <= limit * a.units[r.unit] <= hi
        assert r.source in kb.sources
    for sex in ("F", "M"):
        rows = sorted((r for r in a.reference if r.sex in (None, sex)), key=lambda r: r.age_min)
        for prev, nxt in itertools.pairwise(rows):
            assert prev.age_max <= nxt.age_min + 1e-12, (analyte_id, sex)


def test_total_co2_and_urea_mass_codes_are_not_read_as_panel_analytes(kb: Knowledge) -> None:
    """Not synonyms (LOINC on 1963-8), and a bare mg/dL here means urea nitrogen."""
    assert "2028-9" not in kb.loinc_index
    assert "3091-6" not in kb.loinc_index


ALL_PANEL_UNITS = [(a, u) for a in PANEL_IDS for u in load_knowledge().analytes[a].units]


@pytest.mark.parametrize(("analyte_id", "unit"), ALL_PANEL_UNITS)
def test_every_unit_round_trips_through_a_case(kb: Knowledge, analyte_id: str, unit: str) -> None:
    a = kb.analytes[analyte_id]
    lo, hi = a.plausible
    value = (lo + (hi - lo) / 7) / a.units[unit]  # inside the plausible range in any unit
    got, got_unit = canonical(kb, analyte_id, value, unit)
    assert got_unit == a.canonical_unit
    assert math.isclose(got, value * a.units[unit], rel_tol=1e-12)
    assert math.isclose(got / a.units[unit], value, rel_tol=1e-12)


@pytest.mark.parametrize(
    ("analyte", "value", "unit", "expected"),
    [
        ("ldh", 3.67, "µkat/L", 220.2),  # 2.08–3.67 µkat/L printed as 125–220 U/L
        ("ldh", 222, "IU/L", 222),
        ("haptoglobin", 0.3, "g/L", 30),
        ("reticulocytes", 1.5, "% RBC", 1.5),
        ("reticulocytes_abs", 85, "K/uL", 85),
        ("reticulocytes_abs", 0.087, "m/cumm", 87),  # Barnes-Jewish prints millions per mm³
        ("reticulocytes_abs", 0.05, "x10^12/L", 50),
        ("dat", 0, None, 0),  # one scale: the grade needs no unit
        ("bilirubin_direct", 5.13, "µmol/L", 0.3),
        ("bilirubin_direct", 3, "mg/l", 0.3),
        ("wbc", 7500, "/µL", 7.5),
        ("wbc", 7.5, "x10^9/L", 7.5),
        ("wbc", 7.5, "G/L", 7.5),
        ("platelets", 250, "K/µL", 250),
        ("platelets", 250000, "cells/uL", 250),
        ("pt", 14.2, "sec", 14.2),
        ("bicarbonate", 24, "mEq/L", 24),
        ("chloride", 101, "meq/l", 101),
        ("glucose", 5.5, "mmol/L", 99.09),
        ("glucose", 1.0, "g/L", 100),
        ("urea", 5.0, "mmol/L", 5.0),
        ("urea", 14, "mg/dL", 5.0),  # BUN: 14 mg/dL × 0.357
        ("urea", 14, "mg/dL BUN", 5.0),
        ("urea", 30, "mg/dL urea", 5.0),  # urea mass: 30 mg/dL / 6.006
        ("lactate", 18, "mg/dL", 2.0),
        ("iga_total", 0.2, "g/L", 20),
    ],
)
def test_known_conversions_through_a_case(
    kb: Knowledge, analyte: str, value: float, unit: str | None, expected: float
) -> None:
    got, _ = canonical(kb, analyte, value, unit)
    assert math.isclose(got, expected, rel_tol=2e-3)


def test_published_factors_match_the_molar_masses(kb: Knowledge) -> None:
    a = kb.analytes
    assert math.isclose(a["urea"].units["mg/dL"], 1 / 2.8, rel_tol=2e-3)  # St. Boniface
    assert math.isclose(a["urea"].units["mg/dL"], 0.357, rel_tol=1e-3)  # BUN × 0.357
    assert a["urea"].units["mg/dL"] == a["urea"].units["mg/dL urea nitrogen"]
    assert math.isclose(a["urea"].units["mg/dL urea"], 10 / 60.056, rel_tol=1e-12)
    glucose = a["glucose"]
    assert glucose.molar_mass is not None
    assert math.isclose(glucose.units["mmol/L"], glucose.molar_mass / 10, rel_tol=1e-12)
    assert math.isclose(glucose.units["mmol/L"], 18.0, rel_tol=1e-3)
    lactate = a["lactate"]
    assert lactate.molar_mass is not None
    assert math.isclose(lactate.units["mg/dL"], 10 / lactate.molar_mass, rel_tol=1e-12)
    assert math.isclose(lactate.units["mg/dL"], 0.111, rel_tol=1e-3)
    assert a["bilirubin_direct"].units == a["bilirubin_total"].units


@pytest.mark.parametrize(
    ("analyte", "value", "unit"),
    [
        ("dat", 1, "mg/dL"),  # a unit of another analyte
        ("urea", 14, "mmol/mol"),
        ("reticulocytes", 1.5, "fraction"),
        ("wbc", 7.5, "u/L"),
    ],
)
def test_units_the_table_does_not_hold_are_reported_not_guessed(
    kb: Knowledge, analyte: str, value: float, unit: str
) -> None:
    lab = {"analyte": analyte, "value": value, "unit": unit, "day": 0}
    norm = normalise(case_from_dict(make_case(lab)), kb)
    assert [n.pointer for n in norm.not_understood] == ["labs[1].unit"]
    assert not norm.series(analyte)


def test_a_numeric_wbc_without_a_unit_is_not_used(kb: Knowledge) -> None:
    """WBC is printed per µL or per litre: the scale cannot be assumed."""
    norm = normalise(case_from_dict(make_case({"analyte": "wbc", "value": 7.5, "day": 0})), kb)
    assert [n.pointer for n in norm.not_understood] == ["labs[1].unit"]


def test_an_impossible_value_is_set_aside(kb: Knowledge) -> None:
    norm = normalise(case_from_dict(make_case({"analyte": "dat", "value": 7, "day": 0})), kb)
    assert norm.series("dat") == []
    assert any(n.pointer.startswith("labs[") for n in norm.not_understood)


@pytest.mark.parametrize("qualifier", ["positive", "negative"])
def test_the_dat_is_read_as_a_qualifier(kb: Knowledge, qualifier: str) -> None:
    norm = normalise(
        case_from_dict(make_case({"analyte": "dat", "qualifier": qualifier, "day": 0})), kb
    )
    (m,) = norm.series("dat")
    assert m.qualifier == qualifier
    assert m.value is None
