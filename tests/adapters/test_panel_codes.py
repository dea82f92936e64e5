"""The routine-panel LOINC codes are read from a FHIR Observation and an HL7 v2 OBX.

Samples: tests/data/fhir/panel-bundle.json and tests/data/hl7v2/oru_r01_panel.hl7 (see the
READMEs there). Each code must arrive as its analyte, and the case must normalise to the
canonical value; the primary codes are dated 10 February, the alternative codes 3 February.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from lowalp import assess
from lowalp.adapters import hl7v2
from lowalp.adapters.base import ReadOptions
from lowalp.adapters.fhir import ADAPTER as FHIR
from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.model import Case
from lowalp.normalise import normalise

DATA = Path(__file__).parent.parent / "data"
DAY0, DAY7 = dt.date(2026, 2, 10), dt.date(2026, 2, 3)
PANEL = (
    "ldh", "haptoglobin", "reticulocytes", "reticulocytes_abs", "dat", "bilirubin_direct", "wbc",
    "platelets", "pt", "bicarbonate", "chloride", "glucose", "urea", "lactate", "iga_total",
)  # fmt: skip

# code -> (analyte, date, canonical value or qualifier)
EXPECTED: dict[str, tuple[str, dt.date, float | str]] = {
    "2532-0": ("ldh", DAY0, 640),
    "4542-7": ("haptoglobin", DAY0, 8),
    "17849-1": ("reticulocytes", DAY0, 6.5),
    "60474-4": ("reticulocytes_abs", DAY0, 210),
    "1007-4": ("dat", DAY0, "negative"),
    "1968-7": ("bilirubin_direct", DAY0, 0.2),
    "6690-2": ("wbc", DAY0, 7.2),
    "777-3": ("platelets", DAY0, 250),
    "5902-2": ("pt", DAY0, 18.4),
    "1963-8": ("bicarbonate", DAY0, 27),
    "2075-0": ("chloride", DAY0, 101),
    "2345-7": ("glucose", DAY0, 92),
    "3094-0": ("urea", DAY0, 14 * 0.35697),  # BUN mg/dL -> urea mmol/L
    "2524-7": ("lactate", DAY0, 1.1),
    "14804-9": ("ldh", DAY7, 200),
    "46127-7": ("haptoglobin", DAY7, 90),
    "13946-9": ("dat", DAY7, "positive"),
    "15152-2": ("bilirubin_direct", DAY7, 3.4 / 17.1),
    "26464-8": ("wbc", DAY7, 6.8),
    "26515-7": ("platelets", DAY7, 240),
    "14749-6": ("glucose", DAY7, 5.1 * 18.0156),
    "22664-7": ("urea", DAY7, 5.0),
}
IGA = {"fhir": 5.0, "hl7v2": 5.0}  # 0.05 g/L in the Bundle, 5 mg/dL in the message


def read_case(kind: str) -> Case:
    if kind == "fhir":
        result = FHIR.read(DATA / "fhir" / "panel-bundle.json", ReadOptions(), load_knowledge())
    else:
        result = hl7v2.ADAPTER.read(
            DATA / "hl7v2" / "oru_r01_panel.hl7", ReadOptions(), load_knowledge()
        )
    assert not result.rejected, result.rejected
    (case,) = list(result.cases)
    return case


@pytest.fixture(scope="module", params=["fhir", "hl7v2"])
def sample(request: pytest.FixtureRequest) -> tuple[str, Case]:
    return request.param, read_case(request.param)


def test_the_samples_hold_every_panel_code(kb: Knowledge) -> None:
    panel = {code for a in PANEL for code in kb.analytes[a].loinc}
    assert panel == {*EXPECTED, "2458-8"}


def test_every_code_arrives_as_its_analyte(sample: tuple[str, Case]) -> None:
    kind, case = sample
    got = sorted((lab.analyte or "", lab.date) for lab in case.labs if lab.analyte != "alp")
    want = [*((a, d) for a, d, _ in EXPECTED.values()), ("iga_total", DAY0)]
    assert got == sorted(want)
    if kind == "hl7v2":
        codes = {lab.loinc for lab in case.labs}
        assert codes >= set(EXPECTED)


def test_every_code_normalises_to_the_canonical_value(
    kb: Knowledge, sample: tuple[str, Case]
) -> None:
    kind, case = sample
    norm = normalise(case, kb)
    assert not norm.not_understood, norm.not_understood
    index = max(lab.date for lab in case.labs if lab.date)
    by_key = {(m.analyte, m.t): m for m in norm.measurements}
    for analyte, date, want in EXPECTED.values():
        t = float((date - index).days)
        m = by_key[analyte, t]
        assert m.unit == kb.analytes[analyte].canonical_unit
        if isinstance(want, str):
            assert (m.value, m.qualifier) == (None, want), analyte
        else:
            assert m.value is not None
            assert math.isclose(m.value, want, rel_tol=1e-3), (analyte, m.value, want)
    iga = by_key["iga_total", 0.0]
    assert iga.value is not None
    assert math.isclose(iga.value, IGA[kind], rel_tol=1e-9)


def test_the_panel_sample_assesses_with_the_derived_findings(
    kb: Knowledge, sample: tuple[str, Case]
) -> None:
    """Haptoglobin 8, LDH 640, negative DAT, PT 18.4 s and IgA 5 mg/dL reach the causes."""
    _, case = sample
    a = assess(case, knowledge=kb)
    wilson = next(c for c in a.causes if c.id == "wilson_disease")
    states = {e.finding: e.state for e in wilson.evidence}
    assert states["coombs_negative_hemolysis_either"] == "present"
    assert states["coagulopathy"] == "present"
    celiac = next(c for c in a.causes if c.id == "celiac_disease")
    assert {e.finding: e.state for e in celiac.evidence}["iga_total_low"] == "present"
