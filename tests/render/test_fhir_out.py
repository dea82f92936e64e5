"""FHIR R4 output: the assessment as a Bundle (GuidanceResponse + ALP Observation), validated
with the fhir.resources R4B models."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from lowalp import assess, load_case
from lowalp.knowledge import Knowledge
from lowalp.model import Assessment
from lowalp.render.fhir import case_to_bundle, interpretation_code, render_fhir

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.json"))
WHEN = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


def resources(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"]}


def params(guidance: dict[str, Any]) -> list[dict[str, Any]]:
    (contained,) = guidance["contained"]
    assert guidance["outputParameters"] == {"reference": f"#{contained['id']}"}
    out: list[dict[str, Any]] = contained["parameter"]
    return out


def parts(p: dict[str, Any]) -> dict[str, Any]:
    return {x["name"]: next(v for k, v in x.items() if k.startswith("value")) for x in p["part"]}


@pytest.fixture(scope="module", params=EXAMPLES, ids=lambda p: p.stem)
def assessment(request: pytest.FixtureRequest, kb: Knowledge) -> Assessment:
    return assess(load_case(request.param), knowledge=kb)


def test_valid_r4_bundle(assessment: Assessment, kb: Knowledge) -> None:
    out = render_fhir(assessment, patient_ref="Patient/123", knowledge=kb, occurrence=WHEN)
    Bundle.model_validate(out)
    assert out["type"] == "collection"
    res = resources(out)
    assert set(res) == {"GuidanceResponse", "Observation"}
    gr, obs = res["GuidanceResponse"], res["Observation"]
    assert gr["subject"] == obs["subject"] == {"reference": "Patient/123"}
    assert gr["moduleCanonical"] == f"urn:lowalp:knowledge|{assessment.knowledge_version}"
    assert gr["occurrenceDateTime"] == "2026-03-01T09:30:00+00:00"
    assert gr["note"][-1] == {"text": assessment.disclaimer}
    shown = [t for t in assessment.next_tests if not t.folded]
    assert gr["status"] == ("data-required" if shown else "success")
    obs_url = next(e["fullUrl"] for e in out["entry"] if e["resource"] is obs)
    assert gr["reasonReference"] == [{"reference": obs_url}]


def test_parameters_list_causes_and_next_tests(assessment: Assessment, kb: Knowledge) -> None:
    gr = resources(render_fhir(assessment, knowledge=kb))["GuidanceResponse"]
    ps = params(gr)
    causes = [parts(p) for p in ps if p["name"] == "cause"]
    assert [c["id"] for c in causes] == [c.id for c in assessment.causes]
    assert [c["probability"] for c in causes] == [c.probability for c in assessment.causes]
    tests = [parts(p) for p in ps if p["name"] == "nextTest"]
    assert [t["id"] for t in tests] == [t.test for t in assessment.next_tests]
    assert [t["expectedInformationGain"] for t in tests] == [
        t.expected_information_gain for t in assessment.next_tests
    ]
    assert [(t["urgent"], t["folded"]) for t in tests] == [
        (t.urgent, t.folded) for t in assessment.next_tests
    ]
    reqs = gr.get("dataRequirement", [])
    shown = [t for t in assessment.next_tests if not t.folded]  # folded tests are not required
    # element ids allow letters, digits, '-' and '.': underscores become '-'
    assert [r["id"] for r in reqs] == [t.test.replace("_", "-") for t in shown]
    for r, t in zip(reqs, shown, strict=True):
        assert r["type"] == "Observation"
        want = {kb.analytes[a].loinc[0] for a in kb.tests[t.test].analytes}
        got = {c["code"] for f in r.get("codeFilter", []) for c in f["code"]}
        assert got == want


def test_alp_observation(assessment: Assessment, kb: Knowledge) -> None:
    obs = resources(render_fhir(assessment, knowledge=kb))["Observation"]
    alp = assessment.alp
    assert obs["status"] == "final"
    assert obs["code"]["coding"][0]["code"] == "6768-6"
    q = obs["valueQuantity"]
    assert (q["value"], q["system"], q["code"]) == (alp.value, "http://unitsofmeasure.org", "U/L")
    rr = obs["referenceRange"][0]
    assert rr["low"]["value"] == alp.lower_limit
    (interp,) = obs["interpretation"]
    coding = interp["coding"][0]
    assert coding["system"] == "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
    assert coding["code"] == interpretation_code(alp.value, alp.lower_limit, alp.status)
    assert "subject" not in obs


def test_guidance_without_patient_keeps_case_id(assessment: Assessment, kb: Knowledge) -> None:
    gr = resources(render_fhir(assessment, knowledge=kb))["GuidanceResponse"]
    assert "subject" not in gr
    assert gr["requestIdentifier"]["value"] == assessment.case_id


def test_interpretation_codes() -> None:
    assert interpretation_code(17, 35, "low") == "LL"  # below half the lower limit
    assert interpretation_code(17.5, 35, "low") == "L"
    assert interpretation_code(None, 35, "low") == "L"
    assert interpretation_code(50, 35, "normal") == "N"
    assert interpretation_code(150, 35, "high") == "H"
    assert interpretation_code(None, None, "unknown") is None


def test_success_when_no_next_tests(assessment: Assessment, kb: Knowledge) -> None:
    bare = assessment.model_copy(update={"next_tests": ()})
    out = render_fhir(bare, knowledge=kb)
    Bundle.model_validate(out)
    gr = resources(out)["GuidanceResponse"]
    assert gr["status"] == "success"
    assert "dataRequirement" not in gr


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_case_to_bundle_is_valid_r4(path: Path, kb: Knowledge) -> None:
    Bundle.model_validate(case_to_bundle(load_case(path), knowledge=kb))


def test_fhir_resources_is_not_imported_by_the_renderer() -> None:
    code = (
        "import sys, lowalp.render.fhir, lowalp.adapters.fhir;"
        "print(any(m.startswith('fhir.resources') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_case_with_flags_records_and_notes_is_valid_r4(kb: Knowledge) -> None:
    """The clinical sample read from FHIR, written again: a valid Bundle, every part in it."""
    from lowalp.adapters import load

    sample = Path(__file__).parents[1] / "data" / "fhir" / "clinical.json"
    (case,) = list(load(sample, format="fhir").cases)
    out = case_to_bundle(case, knowledge=kb)
    Bundle.model_validate(out)
    kinds = [e["resource"]["resourceType"] for e in out["entry"]]
    assert kinds.count("MedicationStatement") == 5
    assert kinds.count("Condition") == 4
    assert kinds.count("FamilyMemberHistory") == 2
    assert kinds.count("DocumentReference") == 1
    obs = [e["resource"] for e in out["entry"] if e["resource"]["resourceType"] == "Observation"]
    assert obs[0]["interpretation"][0]["coding"][0]["code"] == "L"
    assert obs[0]["note"] == [{"text": "Result confirmed on repeat analysis."}]
