"""FHIR R4 output: an assessment as a Bundle, and a case as a Bundle (for round trips and export).

:func:`render_fhir` returns a Bundle (type ``collection``,
https://hl7.org/fhir/R4/bundle.html) holding

- a **GuidanceResponse** (https://hl7.org/fhir/R4/guidanceresponse.html): ``status``
  ``success``, or ``data-required`` when next tests are suggested; ``moduleCanonical`` names the lowalp rule set with the knowledge
  version (``urn:lowalp:knowledge|2026.11.0``); ``occurrenceDateTime``; ``reasonCode`` and
  ``reasonReference`` (the ALP Observation); ``outputParameters`` pointing at a contained
  **Parameters** resource with every cause (id, name, probability), every next test (id, name,
  expected information gain, why), artifacts and the ALP status; one ``dataRequirement`` a next
  test (type Observation, ``codeFilter`` on ``code`` with the LOINC codes of its analytes where the
  knowledge has them; the element ``id`` is the test id, ``_`` written ``-`` as element ids
  require); ``note`` the disclaimer.
- an **Observation** for the ALP itself: status final, LOINC 6768-6, ``valueQuantity`` in U/L
  (UCUM), the ``referenceRange`` the assessment used and an ``interpretation`` from
  v3-ObservationInterpretation (see :func:`interpretation_code`).

:func:`case_to_bundle` writes a :class:`~lowalp.model.Case` as a Bundle that the ``fhir`` input
adapter reads back to the same case (Patient, Observations, MedicationStatements, Conditions,
Procedures, and empty "nil known" Lists for lists given as empty). It is used by the round-trip
tests and is meant for the web app's "export as FHIR". Relative days become dates counted from
``anchor`` (2026-01-01 by default); an age becomes a birth date just over that many years before
the index ALP, so the age read back is the same to within a day (and never younger). The case's
``setting`` and ``diagnosis`` have no place in these resources and are not written.

fhir.resources is not imported here; tests validate the output with the R4B models.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from typing import Any

from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.model import Assessment, Case, LabResult

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
LIST_EMPTY = "http://terminology.hl7.org/CodeSystem/list-empty-reason"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
MODULE = "urn:lowalp:knowledge"
ALP_LOINC = "6768-6"
ALP_DISPLAY = "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma"
DAYS_PER_YEAR = 365.25

# Printed unit -> UCUM code, only where the UCUM spelling is certain.
UCUM_CODES = {
    "U/L": "U/L",
    "µkat/L": "ukat/L",
    "ukat/L": "ukat/L",
    "nkat/L": "nkat/L",
    "g/dL": "g/dL",
    "g/L": "g/L",
    "mg/dL": "mg/dL",
    "mg/L": "mg/L",
    "mmol/L": "mmol/L",
    "µmol/L": "umol/L",
    "umol/L": "umol/L",
    "nmol/L": "nmol/L",
    "pmol/L": "pmol/L",
    "ng/mL": "ng/mL",
    "ng/dL": "ng/dL",
    "pg/mL": "pg/mL",
    "µg/L": "ug/L",
    "ug/L": "ug/L",
    "µg/dL": "ug/dL",
    "ug/dL": "ug/dL",
    "mEq/L": "meq/L",
    "mIU/L": "m[IU]/L",
    "fL": "fL",
    "%": "%",
    "kg/m2": "kg/m2",
    "U/mL": "U/mL",
}
LIST_CODES = {
    "medications": ("10160-0", "History of Medication use Narrative"),
    "findings": ("11450-4", "Problem list - Reported"),
    "events": ("47519-4", "History of Procedures Document"),
}
_NOT_ID = re.compile(r"[^A-Za-z0-9\-.]")


def interpretation_code(value: float | None, lower: float | None, status: str) -> str | None:
    """The v3-ObservationInterpretation code for the ALP.

    ``LL`` is a **lowalp convention**, not a published cut-off: a value below half the lower
    limit is coded ``LL`` ("critically low") so that receiving systems flag it; published
    guidance gives no critical limit for a low ALP.

    >>> interpretation_code(15, 35, "low"), interpretation_code(30, 35, "low")
    ('LL', 'L')
    >>> interpretation_code(60, 35, "normal"), interpretation_code(200, 35, "high")
    ('N', 'H')
    """
    if status == "low":
        if value is not None and lower is not None and value < lower / 2:
            return "LL"
        return "L"
    return {"normal": "N", "high": "H"}.get(status)


_INTERPRETATION_DISPLAY = {"LL": "Critical low", "L": "Low", "N": "Normal", "H": "High"}


def _urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _quantity(value: float, unit: str) -> dict[str, Any]:
    q: dict[str, Any] = {"value": value, "unit": unit}
    code = UCUM_CODES.get(unit)
    if code:
        q["system"] = UCUM
        q["code"] = code
    return q


def render_fhir(
    a: Assessment,
    *,
    patient_ref: str | None = None,
    knowledge: Knowledge | None = None,
    occurrence: dt.datetime | None = None,
) -> dict[str, Any]:
    """The assessment as a FHIR R4 Bundle (type collection): GuidanceResponse + ALP Observation.

    ``patient_ref`` (``Patient/123``) becomes the ``subject`` of both; without it they have
    none and the case id is kept in ``GuidanceResponse.requestIdentifier``. ``occurrence`` is
    when the assessment was made (now, in UTC, by default).
    """
    kb = knowledge or load_knowledge()
    when = (occurrence or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    subject = {"subject": {"reference": patient_ref}} if patient_ref else {}
    obs_url, gr_url = _urn(), _urn()
    alp = a.alp

    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY, "code": "laboratory"}]},
        ],
        "code": {"coding": [{"system": LOINC, "code": ALP_LOINC, "display": ALP_DISPLAY}]},
        **subject,
    }
    if alp.value is not None:
        obs["valueQuantity"] = _quantity(alp.value, "U/L")
    else:
        obs["dataAbsentReason"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                    "code": "unknown",
                }
            ]
        }
    if alp.lower_limit is not None or alp.upper_limit is not None:
        rr: dict[str, Any] = {}
        if alp.lower_limit is not None:
            rr["low"] = _quantity(alp.lower_limit, "U/L")
        if alp.upper_limit is not None:
            rr["high"] = _quantity(alp.upper_limit, "U/L")
        rr["text"] = (
            "the laboratory's range"
            if alp.limit_source == "lab"
            else f"lowalp age/sex interval {alp.limit_source}"
        )
        obs["referenceRange"] = [rr]
    code = interpretation_code(alp.value, alp.lower_limit, alp.status)
    if code:
        obs["interpretation"] = [
            {
                "coding": [
                    {
                        "system": V3_INTERPRETATION,
                        "code": code,
                        "display": _INTERPRETATION_DISPLAY[code],
                    }
                ]
            }
        ]

    params: list[dict[str, Any]] = [
        {"name": "knowledgeVersion", "valueString": a.knowledge_version},
        {"name": "alpStatus", "valueCode": alp.status},
    ]
    if alp.persistent is not None:
        params.append({"name": "alpPersistent", "valueBoolean": alp.persistent})
    for art in a.artifacts:
        params.append(
            {
                "name": "artifact",
                "part": [
                    {"name": "id", "valueCode": art.id},
                    {"name": "name", "valueString": art.name},
                    {"name": "action", "valueString": art.action},
                ],
            }
        )
    for c in a.causes:
        params.append(
            {
                "name": "cause",
                "part": [
                    {"name": "id", "valueCode": c.id},
                    {"name": "name", "valueString": c.name},
                    {"name": "probability", "valueDecimal": c.probability},
                ],
            }
        )
    requirements: list[dict[str, Any]] = []
    for t in a.next_tests:
        parts: list[dict[str, Any]] = [
            {"name": "id", "valueCode": t.test},
            {"name": "name", "valueString": t.name},
            {"name": "expectedInformationGain", "valueDecimal": t.expected_information_gain},
        ]
        if t.why:
            parts.append({"name": "why", "valueString": t.why})
        params.append({"name": "nextTest", "part": parts})
        req: dict[str, Any] = {"id": _element_id(t.test), "type": "Observation"}
        entry = kb.tests.get(t.test)
        codes = [
            {"system": LOINC, "code": kb.analytes[an].loinc[0], "display": kb.analytes[an].name}
            for an in (entry.analytes if entry else [])
            if an in kb.analytes
        ]
        if codes:
            req["codeFilter"] = [{"path": "code", "code": codes}]
        requirements.append(req)

    guidance: dict[str, Any] = {
        "resourceType": "GuidanceResponse",
        "contained": [{"resourceType": "Parameters", "id": "outputs", "parameter": params}],
        "moduleCanonical": f"{MODULE}|{a.knowledge_version}",
        "status": "data-required" if a.next_tests else "success",
        **subject,
        "occurrenceDateTime": when,
        "reasonCode": [
            {
                "coding": [{"system": LOINC, "code": ALP_LOINC, "display": ALP_DISPLAY}],
                "text": f"Explain a {alp.status} alkaline phosphatase",
            }
        ],
        "reasonReference": [{"reference": obs_url}],
        "note": [{"text": a.disclaimer}],
        "outputParameters": {"reference": "#outputs"},
    }
    if a.case_id:
        guidance["requestIdentifier"] = {"system": "urn:lowalp:case", "value": a.case_id}
    if requirements:
        guidance["dataRequirement"] = requirements
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": when,
        "entry": [
            {"fullUrl": gr_url, "resource": guidance},
            {"fullUrl": obs_url, "resource": obs},
        ],
    }


def _element_id(text: str) -> str:
    return _NOT_ID.sub("-", text)[:64] or "x"


# ----------------------------------------------------------------------------- case -> Bundle


def case_to_bundle(
    case: Case,
    *,
    knowledge: Knowledge | None = None,
    anchor: dt.date = dt.date(2026, 1, 1),
) -> dict[str, Any]:
    """A case as a FHIR R4 Bundle (type collection) that the ``fhir`` adapter reads back.

    >>> from lowalp.model import Case, LabResult, Patient
    >>> b = case_to_bundle(Case(id="p1", patient=Patient(age_years=40, sex="F"),
    ...     labs=(LabResult(analyte="alp", value=20, unit="U/L", day=0),)))
    >>> [e["resource"]["resourceType"] for e in b["entry"]]
    ['Patient', 'Observation']
    """
    kb = knowledge or load_knowledge()
    pid = _element_id(case.id or "case")
    patient_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'lowalp-case:' + pid)}"
    subject = {"reference": patient_url}

    def date_of(day: float | None, date: dt.date | None) -> dt.date | None:
        if date is not None:
            return date
        if day is not None:
            return anchor + dt.timedelta(days=day)
        return None

    alp_dates = [
        d
        for lab in case.labs
        if (lab.analyte == "alp" or (lab.loinc and kb.loinc_index.get(lab.loinc) == "alp"))
        and (d := date_of(lab.day, lab.date)) is not None
    ]
    index_date = max(alp_dates) if alp_dates else anchor

    patient: dict[str, Any] = {"resourceType": "Patient", "id": pid}
    if case.patient.sex:
        patient["gender"] = {"F": "female", "M": "male"}[case.patient.sex]
    if case.patient.birth_date is not None:
        patient["birthDate"] = case.patient.birth_date.isoformat()
    elif case.patient.age_years is not None:
        days = math.ceil(case.patient.age_years * DAYS_PER_YEAR)
        patient["birthDate"] = (index_date - dt.timedelta(days=days)).isoformat()
    entries: list[dict[str, Any]] = [{"fullUrl": patient_url, "resource": patient}]

    def add(resource: dict[str, Any]) -> None:
        entries.append({"fullUrl": _urn(), "resource": resource})

    for lab in case.labs:
        add(_observation(lab, kb, subject, date_of(lab.day, lab.date)))
    ctx = case.context
    for text in ctx.medications or ():
        add(
            {
                "resourceType": "MedicationStatement",
                "status": "active",
                "medicationCodeableConcept": {"text": text},
                "subject": subject,
            }
        )
    for text in ctx.findings or ():
        add(
            {
                "resourceType": "Condition",
                "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": "active"}]},
                "code": {"text": text},
                "subject": subject,
            }
        )
    for ev in ctx.events or ():
        label = kb.events[ev.event].label if ev.event in kb.events else ev.event
        proc: dict[str, Any] = {
            "resourceType": "Procedure",
            "status": "completed",
            "code": {"text": ev.event.replace("_", " ") if ev.event in kb.events else label},
            "subject": subject,
        }
        if ev.days_before is not None:
            proc["performedDateTime"] = (index_date - dt.timedelta(days=ev.days_before)).isoformat()
        elif (when := date_of(ev.day, ev.date)) is not None:
            proc["performedDateTime"] = when.isoformat()
        add(proc)
    for kind, given in (
        ("medications", ctx.medications),
        ("findings", ctx.findings),
        ("events", ctx.events),
    ):
        if given is not None and len(given) == 0:
            code, display = LIST_CODES[kind]
            add(
                {
                    "resourceType": "List",
                    "status": "current",
                    "mode": "snapshot",
                    "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
                    "subject": subject,
                    "emptyReason": {"coding": [{"system": LIST_EMPTY, "code": "nilknown"}]},
                }
            )
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _observation(
    lab: LabResult, kb: Knowledge, subject: dict[str, str], when: dt.date | None
) -> dict[str, Any]:
    loinc = lab.loinc
    if loinc is None and lab.analyte in kb.analytes:
        loinc = kb.analytes[lab.analyte].loinc[0]
    coding = {"system": LOINC, "code": loinc} if loinc else {"code": str(lab.analyte)}
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "laboratory"}]}],
        "code": {"coding": [coding]},
        "subject": subject,
    }
    if when is not None:
        obs["effectiveDateTime"] = when.isoformat()
    if lab.value is not None:
        q: dict[str, Any] = _quantity(lab.value, lab.unit) if lab.unit else {"value": lab.value}
        if lab.qualifier in ("<", ">"):
            q["comparator"] = lab.qualifier
        obs["valueQuantity"] = q
    elif lab.qualifier in ("positive", "negative"):
        code = "10828004" if lab.qualifier == "positive" else "260385009"
        obs["valueCodeableConcept"] = {
            "coding": [{"system": SNOMED, "code": code}],
            "text": lab.qualifier,
        }
    elif lab.qualifier in ("low", "normal", "high"):
        code = {"low": "L", "normal": "N", "high": "H"}[lab.qualifier]
        obs["interpretation"] = [{"coding": [{"system": V3_INTERPRETATION, "code": code}]}]
    if lab.ref_low is not None or lab.ref_high is not None:
        rr: dict[str, Any] = {}
        for side, v in (("low", lab.ref_low), ("high", lab.ref_high)):
            if v is not None:
                rr[side] = _quantity(v, lab.unit) if lab.unit else {"value": v}
        obs["referenceRange"] = [rr]
    if lab.specimen:
        obs["specimen"] = {"reference": lab.specimen}
    return obs
