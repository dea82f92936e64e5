"""Coding systems, and what is read from a ``CodeableConcept`` (its codes, its text)."""

from __future__ import annotations

from typing import Any

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
ORIGINAL_TEXT = "http://hl7.org/fhir/StructureDefinition/originalText"
"""The core extension holding an element's text as the source wrote it."""


def codes(concept: Any) -> set[str]:
    """Every ``coding.code`` of a CodeableConcept, whatever its system."""
    if not isinstance(concept, dict):
        return set()
    return {str(c.get("code")) for c in concept.get("coding") or [] if c.get("code")}


def concept_text(concept: Any) -> str | None:
    """``text``, else the first coding's ``display``, else None."""
    if not isinstance(concept, dict):
        return None
    if concept.get("text"):
        return str(concept["text"])
    for c in concept.get("coding") or []:
        if c.get("display"):
            return str(c["display"])
    return None
