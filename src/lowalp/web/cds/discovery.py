"""The services lowalp offers over CDS Hooks 2.0 and their prefetch templates.

``GET /cds-services`` lists them. Every service asks for the same data: the Patient (age and
sex), the ALP history, the other analytes the knowledge reasons with, and the medicines (with
their status and dates), conditions (with their clinical and verification status), family
history and procedures on record. Each is a separate prefetch key so an EHR can serve the ones
it can and leave the rest to the service (see :mod:`lowalp.web.cds.prefetch`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lowalp.knowledge import Knowledge

LOINC = "http://loinc.org"
PATIENT_VIEW = "lowalp-patient-view"
ORDER_SELECT = "lowalp-order-select"

ALP_COUNT = 50
"""Newest ALP results asked for (enough for persistence over several years)."""
LABS_COUNT = 200
"""Newest results of the other analytes, all codes together."""
RECORD_COUNT = 100
"""Medicines, conditions, family history and procedures asked for, per resource type."""

REQUIRED_KEYS = ("patient", "alp")
"""Without these the service cannot judge the ALP: it answers 412 when it cannot get them."""


@dataclass(frozen=True)
class Service:
    id: str
    hook: str
    title: str
    description: str


def services() -> dict[str, Service]:
    return {
        PATIENT_VIEW: Service(
            id=PATIENT_VIEW,
            hook="patient-view",
            title="lowalp: explain a low alkaline phosphatase",
            description=(
                "When the chart opens and the newest ALP is low for the patient's age and sex, "
                "one card ranks the likely causes (pre-analytical artefact first), explains why "
                "and suggests the next tests. No card when the ALP is not low. Decision support, "
                "not a diagnosis."
            ),
        ),
        ORDER_SELECT: Service(
            id=ORDER_SELECT,
            hook="order-select",
            title="lowalp: low ALP before an antiresorptive",
            description=(
                "When a bisphosphonate or denosumab is selected for a patient whose ALP is low, "
                "a warning card asks to exclude hypophosphatasia first and suggests the tests "
                "that would. No card otherwise."
            ),
        ),
    }


def _codes(kb: Knowledge, *, alp: bool) -> str:
    codes = [
        f"{LOINC}|{code}"
        for analyte in kb.analytes.values()
        if (analyte.id == "alp") == alp
        for code in analyte.loinc
    ]
    return ",".join(codes)


def prefetch_templates(kb: Knowledge) -> dict[str, str]:
    """Prefetch key -> template, within the query subset CDS Hooks 2.0 allows."""
    pid = "{{context.patientId}}"
    return {
        "patient": f"Patient/{pid}",
        "alp": (
            f"Observation?patient={pid}&code={_codes(kb, alp=True)}&_sort=-date&_count={ALP_COUNT}"
        ),
        "labs": (
            f"Observation?patient={pid}&code={_codes(kb, alp=False)}"
            f"&_sort=-date&_count={LABS_COUNT}"
        ),
        "medicationRequests": f"MedicationRequest?patient={pid}&_count={RECORD_COUNT}",
        "medicationStatements": f"MedicationStatement?patient={pid}&_count={RECORD_COUNT}",
        "conditions": f"Condition?patient={pid}&_count={RECORD_COUNT}",
        "familyHistory": f"FamilyMemberHistory?patient={pid}&_count={RECORD_COUNT}",
        "procedures": f"Procedure?patient={pid}&_count={RECORD_COUNT}",
    }


def discovery_document(kb: Knowledge) -> dict[str, Any]:
    templates = prefetch_templates(kb)
    return {
        "services": [
            {
                "hook": s.hook,
                "id": s.id,
                "title": s.title,
                "description": s.description,
                "prefetch": dict(templates),
            }
            for s in services().values()
        ]
    }
