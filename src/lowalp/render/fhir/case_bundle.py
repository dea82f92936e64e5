"""A case as a FHIR R4 Bundle, for round trips and export.

:func:`case_to_bundle` writes a :class:`~lowalp.model.Case` as a Bundle that the ``fhir`` input
adapter reads back to the same case (Patient, Observations, MedicationStatements, Conditions,
Procedures, and empty "nil known" Lists for lists given as empty). It is used by the round-trip
tests and is meant for the web app's "export as FHIR". Relative days become dates counted from
``anchor`` (2026-01-01 by default); an age becomes a birth date just over that many years before
the index ALP, so the age read back is the same to within a day (and never younger). The case's
``setting`` and ``diagnosis`` have no place in these resources and are not written.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from typing import Any

from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.model import Case, EventRecord, LabResult, text_of
from lowalp.render.fhir.codes import (
    LOINC,
    OBSERVATION_CATEGORY,
    SNOMED,
    V3_INTERPRETATION,
    element_id,
    quantity,
    urn,
)

CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
LIST_EMPTY = "http://terminology.hl7.org/CodeSystem/list-empty-reason"
DAYS_PER_YEAR = 365.25
LIST_CODES = {
    "medications": ("10160-0", "History of Medication use Narrative"),
    "findings": ("11450-4", "Problem list - Reported"),
    "events": ("47519-4", "History of Procedures Document"),
}


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
    pid = element_id(case.id or "case")
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
        entries.append({"fullUrl": urn(), "resource": resource})

    for lab in case.labs:
        add(_observation(lab, kb, subject, date_of(lab.day, lab.date)))
    ctx = case.context
    for med in ctx.medications or ():
        text = text_of(med)
        add(
            {
                "resourceType": "MedicationStatement",
                "status": "active",
                "medicationCodeableConcept": {"text": text},
                "subject": subject,
            }
        )
    for finding in ctx.findings or ():
        text = text_of(finding)
        add(
            {
                "resourceType": "Condition",
                "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": "active"}]},
                "code": {"text": text},
                "subject": subject,
            }
        )
    for raw in ctx.events or ():
        ev = raw if isinstance(raw, EventRecord) else EventRecord(event=raw)
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
        q: dict[str, Any] = quantity(lab.value, lab.unit) if lab.unit else {"value": lab.value}
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
                rr[side] = quantity(v, lab.unit) if lab.unit else {"value": v}
        obs["referenceRange"] = [rr]
    if lab.specimen:
        obs["specimen"] = {"reference": lab.specimen}
    return obs
