"""A case as a FHIR R4 Bundle, for round trips and export.

:func:`case_to_bundle` writes a :class:`~lowalp.model.Case` as a Bundle that the ``fhir`` input
adapter reads back to the same case: a Patient; an Observation per result (its flag as
``interpretation``, its text as ``valueString``, the ``text`` of a coded value or the
``originalText`` extension of a quantity, its note as ``note``); a MedicationStatement per
medicine (a record's status, ``effectivePeriod`` and ``boundsDuration``); a Condition per
finding (a record's assertion as ``clinicalStatus``/``verificationStatus``, its date as
``onsetDateTime``), or a FamilyMemberHistory for a family one; a Procedure per event; a
plain-text DocumentReference for the notes; and empty "nil known" Lists for lists given as
empty. Each carries a generated narrative (``text``, R4 invariant dom-6) restating its data. It is used by the round-trip tests and is meant for the web app's "export as FHIR".

Relative days become dates counted from ``anchor`` (2026-01-01 by default); an age becomes a
birth date just over that many years before the index ALP, so the age read back is the same to
within a day (and never younger); a medicine's ``days_since_stopped`` becomes an end date that
many days before the index ALP. What does not come back as given: a free-text medicine comes
back as a record with status active (its status not told: also active); a ``hypothetical``
finding is written as a ``differential`` diagnosis and comes back ``uncertain``; a result
qualifier low, normal or high without a flag comes back with the flag of its interpretation
code (``L``, ``N``, ``H``). The case's ``setting`` and ``diagnosis`` have no place in these
resources and are not written.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import uuid
from typing import Any

from lowalp.adapters.flags import FLAG_QUALIFIER
from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.model import Case, EventRecord, FindingRecord, LabResult, MedicationRecord
from lowalp.render.fhir.codes import (
    LOINC,
    OBSERVATION_CATEGORY,
    SNOMED,
    V3_INTERPRETATION,
    element_id,
    narrative,
    paragraph,
    quantity,
    urn,
)
from lowalp.units import DAYS_PER_YEAR

CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
ORIGINAL_TEXT = "http://hl7.org/fhir/StructureDefinition/originalText"
UCUM_DAY = {"unit": "days", "system": "http://unitsofmeasure.org", "code": "d"}
MEDICATION_STATUS = {
    "active": "active",
    "stopped": "stopped",
    "not-taken": "not-taken",
    "intended": "intended",
    "unknown": "unknown",
}
"""Medicine record status -> MedicationStatement.status (no status given: active)."""
ASSERTION_STATUS = {
    "present": ("clinicalStatus", CONDITION_CLINICAL, "active"),
    "historical": ("clinicalStatus", CONDITION_CLINICAL, "resolved"),
    "absent": ("verificationStatus", CONDITION_VERIFICATION, "refuted"),
    "uncertain": ("verificationStatus", CONDITION_VERIFICATION, "provisional"),
    "hypothetical": ("verificationStatus", CONDITION_VERIFICATION, "differential"),
}
"""Finding assertion -> the Condition element and code that say it (family: see below)."""
V3_FLAGS = frozenset(
    {"L", "LL", "LU", "H", "HH", "HU", "N", "A", "AA", "POS", "NEG", "DET", "ND", "IND"}
)
"""Flags written as v3-ObservationInterpretation codings; any other flag goes as text."""
FLAG_OF_QUALIFIER = {"low": "L", "normal": "N", "high": "H"}
LIST_EMPTY = "http://terminology.hl7.org/CodeSystem/list-empty-reason"
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
    said = [patient.get("gender", "sex not given"), f"born {patient.get('birthDate', '?')}"]
    patient["text"] = narrative(paragraph(f"Patient {case.id or pid}: {', '.join(said)}"))
    entries: list[dict[str, Any]] = [{"fullUrl": patient_url, "resource": patient}]

    def add(resource: dict[str, Any]) -> None:
        entries.append({"fullUrl": urn(), "resource": resource})

    for lab in case.labs:
        add(_observation(lab, kb, subject, date_of(lab.day, lab.date)))
    ctx = case.context
    for med in ctx.medications or ():
        add(_medication(med, subject, index_date))
    for finding in ctx.findings or ():
        add(_finding(finding, subject))
    for raw in ctx.events or ():
        ev = raw if isinstance(raw, EventRecord) else EventRecord(event=raw)
        label = kb.events[ev.event].label if ev.event in kb.events else ev.event
        proc: dict[str, Any] = {
            "resourceType": "Procedure",
            "text": {},  # said below, once the dates are known
            "status": "in-progress" if ev.ongoing else "completed",
            "code": {"text": ev.event.replace("_", " ") if ev.event in kb.events else label},
            "subject": subject,
        }
        start = end = None
        if ev.days_before is not None:
            start = index_date - dt.timedelta(days=ev.days_before)
        else:
            start = date_of(ev.day, ev.date)
        if ev.end_days_before is not None:
            end = index_date - dt.timedelta(days=ev.end_days_before)
        else:
            end = date_of(ev.end_day, ev.end_date)
        if end is not None or ev.ongoing:
            period = {"start": start.isoformat()} if start is not None else {}
            if end is not None:
                period["end"] = end.isoformat()
            if period:
                proc["performedPeriod"] = period
        elif start is not None:
            proc["performedDateTime"] = start.isoformat()
        when = proc.get("performedPeriod") or {"start": proc.get("performedDateTime")}
        shown = " to ".join(d for d in (when.get("start"), when.get("end")) if d)
        ongoing = " (ongoing)" if ev.ongoing else ""
        proc["text"] = narrative(paragraph(f"{label}{ongoing}" + (f": {shown}" if shown else "")))
        add(proc)
    if ctx.notes:
        add(
            {
                "resourceType": "DocumentReference",
                "text": narrative(paragraph(f"Notes (plain text): {ctx.notes}")),
                "status": "current",
                "subject": subject,
                "content": [
                    {
                        "attachment": {
                            "contentType": "text/plain; charset=utf-8",
                            "data": base64.b64encode(ctx.notes.encode()).decode("ascii"),
                        }
                    }
                ],
            }
        )
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
                    "text": narrative(paragraph(f"{display}: none known")),
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
        "text": narrative(paragraph(_lab_words(lab, kb, when))),
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "laboratory"}]}],
        "code": {"coding": [coding]},
        "subject": subject,
    }
    if when is not None:
        obs["effectiveDateTime"] = when.isoformat()
    if lab.value is not None:
        q: dict[str, Any] = quantity(lab.value, lab.unit) if lab.unit else {"value": lab.value}
        comparator = _comparator(lab)
        if comparator:
            q["comparator"] = comparator
        said = f"{comparator}{lab.value:g}" if comparator in ("<=", ">=") else None
        if lab.text and lab.text != said:
            q["extension"] = [{"url": ORIGINAL_TEXT, "valueString": lab.text}]
        obs["valueQuantity"] = q
    elif lab.qualifier in ("positive", "negative"):
        code = "10828004" if lab.qualifier == "positive" else "260385009"
        concept: dict[str, Any] = {"coding": [{"system": SNOMED, "code": code}]}
        if lab.text:
            concept["text"] = lab.text
        obs["valueCodeableConcept"] = concept
    elif lab.text:
        obs["valueString"] = lab.text
    interpretation = []
    if lab.flag:
        interpretation.append(
            {"coding": [{"system": V3_INTERPRETATION, "code": lab.flag}]}
            if lab.flag in V3_FLAGS
            else {"text": lab.flag}
        )
    qualifier_code = FLAG_OF_QUALIFIER.get(lab.qualifier or "") if lab.value is None else None
    # FLAG_QUALIFIER is what the fhir reader takes an interpretation code to say
    if qualifier_code and FLAG_QUALIFIER.get(lab.flag or "") != lab.qualifier:
        # a qualifier the flag does not say is written as its own interpretation code
        interpretation.append({"coding": [{"system": V3_INTERPRETATION, "code": qualifier_code}]})
    if interpretation:
        obs["interpretation"] = interpretation
    if lab.note:
        obs["note"] = [{"text": lab.note}]
    if lab.ref_low is not None or lab.ref_high is not None:
        rr: dict[str, Any] = {}
        for side, v in (("low", lab.ref_low), ("high", lab.ref_high)):
            if v is not None:
                rr[side] = quantity(v, lab.unit) if lab.unit else {"value": v}
        obs["referenceRange"] = [rr]
    if lab.specimen:
        obs["specimen"] = {"reference": lab.specimen}
    return obs


def _lab_words(lab: LabResult, kb: Knowledge, when: dt.date | None) -> str:
    """A result as given: its name, value or words, unit, flag, limits and date."""
    analyte = kb.analytes.get(lab.analyte or "")
    name = analyte.name if analyte else (lab.analyte or f"LOINC {lab.loinc}")
    if lab.value is not None:
        comparator = lab.qualifier if lab.qualifier in ("<", ">") else ""
        value = lab.text or f"{comparator}{lab.value:g}"
        said = f"{value} {lab.unit}" if lab.unit and not value.endswith(lab.unit) else value
    else:
        said = lab.text or lab.qualifier or "no value"
    words = f"{name}: {said}"
    if lab.flag:
        words += f" (flag {lab.flag})"
    if lab.ref_low is not None or lab.ref_high is not None:
        low, high = (f"{v:g}" if v is not None else "?" for v in (lab.ref_low, lab.ref_high))
        words += f"; limits {low}–{high}" + (f" {lab.unit}" if lab.unit else "")
    if when is not None:
        words += f"; {when.isoformat()}"
    return words


def _comparator(lab: LabResult) -> str | None:
    """``<``/``>`` of a censored result; ``<=``/``>=`` when its text says so."""
    if lab.qualifier not in ("<", ">"):
        return None
    text = (lab.text or "").strip()
    return f"{lab.qualifier}=" if text.startswith(f"{lab.qualifier}=") else lab.qualifier


def _medication(
    med: str | MedicationRecord, subject: dict[str, str], index_date: dt.date
) -> dict[str, Any]:
    record = med if isinstance(med, MedicationRecord) else MedicationRecord(name=med)
    status = MEDICATION_STATUS[record.status or "active"]
    statement: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "text": narrative(paragraph(f"{record.name} ({status})")),
        "status": status,
        "medicationCodeableConcept": {"text": record.name},
        "subject": subject,
    }
    end = record.end
    if end is None and record.days_since_stopped is not None:
        end = index_date - dt.timedelta(days=record.days_since_stopped)
    period = {side: day.isoformat() for side, day in (("start", record.start), ("end", end)) if day}
    if period:
        statement["effectivePeriod"] = period
    if record.duration_days is not None:
        bounds = {"value": record.duration_days, **UCUM_DAY}
        statement["dosage"] = [{"timing": {"repeat": {"boundsDuration": bounds}}}]
    return statement


def _finding(finding: str | FindingRecord, subject: dict[str, str]) -> dict[str, Any]:
    if isinstance(finding, str):
        return {
            "resourceType": "Condition",
            "text": narrative(paragraph(finding)),
            "code": {"text": finding},
            "subject": subject,
        }
    said = finding.text + (f" ({finding.assertion})" if finding.assertion else "")
    if finding.date is not None:
        said += f"; {finding.date.isoformat()}"
    if finding.assertion == "family":
        history: dict[str, Any] = {
            "resourceType": "FamilyMemberHistory",
            "text": narrative(paragraph(said)),
            "status": "partial",
            "patient": subject,
            "relationship": {
                "coding": [{"system": ROLE_CODE, "code": "FAMMEMB", "display": "family member"}]
            },
            "condition": [{"code": {"text": _relative_condition(finding.text)}}],
        }
        if finding.date is not None:
            history["date"] = finding.date.isoformat()
        return history
    condition: dict[str, Any] = {
        "resourceType": "Condition",
        "text": narrative(paragraph(said)),
        "code": {"text": finding.text},
        "subject": subject,
    }
    if finding.assertion is not None:
        element, system, code = ASSERTION_STATUS[finding.assertion]
        condition[element] = {"coding": [{"system": system, "code": code}]}
    if finding.date is not None:
        condition["onsetDateTime"] = finding.date.isoformat()
    return condition


def _relative_condition(text: str) -> str:
    """ "family history of hypophosphatasia" -> "hypophosphatasia" (the reader adds it back)."""
    prefix = "family history of "
    return (
        text[len(prefix) :] if text.lower().startswith(prefix) and len(text) > len(prefix) else text
    )
