"""Coding systems, UCUM codes and small builders shared by the FHIR writers."""

from __future__ import annotations

import re
import uuid
from typing import Any

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

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
NOT_ID = re.compile(r"[^A-Za-z0-9\-.]")


def urn() -> str:
    """A fresh ``urn:uuid:`` for a Bundle entry's ``fullUrl``."""
    return f"urn:uuid:{uuid.uuid4()}"


def quantity(value: float, unit: str) -> dict[str, Any]:
    """A Quantity with the printed unit, and its UCUM code where the spelling is certain."""
    q: dict[str, Any] = {"value": value, "unit": unit}
    code = UCUM_CODES.get(unit)
    if code:
        q["system"] = UCUM
        q["code"] = code
    return q


def element_id(text: str) -> str:
    """``text`` as a FHIR id (letters, digits, ``-`` and ``.``; at most 64 characters)."""
    return NOT_ID.sub("-", text)[:64] or "x"
