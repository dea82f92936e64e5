"""Coding systems, and what is read from a ``CodeableConcept`` (its codes, its text).

The helpers here read raw JSON, before validation (a resource is validated only once it is
known to be used): they never fail on a concept shaped unlike FHIR, and
:func:`well_formed` tells the reader when a concept is so shaped, so that the resource is
validated (and rejected at the element at fault) before anything is decided from it.

:data:`STANDARD_SYSTEMS` are the code systems of the FHIR R4 terminology page
(https://hl7.org/fhir/R4/terminologies-systems.html) that a hospital export codes its
results, problems, medicines and procedures in: a code in one of them is identified, so one
lowalp has no use for is "standard code not used by lowalp", never a code to map.
"""

from __future__ import annotations

from typing import Any

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
STANDARD_SYSTEMS = frozenset(
    {
        LOINC,
        SNOMED,
        RXNORM,
        UCUM,
        "http://hl7.org/fhir/sid/icd-10",
        "http://hl7.org/fhir/sid/icd-10-cm",
        "http://hl7.org/fhir/sid/icd-9-cm",
        "http://id.who.int/icd/release/11/mms",
        "http://www.cms.gov/Medicare/Coding/ICD10",
        "http://hl7.org/fhir/sid/ndc",
        "http://hl7.org/fhir/sid/cvx",
        "http://www.whocc.no/atc",
        "http://www.ama-assn.org/go/cpt",
        "urn:oid:2.16.840.1.113883.6.1",  # LOINC
        "urn:oid:2.16.840.1.113883.6.96",  # SNOMED CT
        "urn:oid:2.16.840.1.113883.6.88",  # RxNorm
        "urn:oid:2.16.840.1.113883.6.90",  # ICD-10-CM
        "urn:oid:2.16.840.1.113883.6.3",  # ICD-10
    }
)
"""Code systems whose codes are identified wherever they come from (see the module's text)."""
HL7_SYSTEMS = "http://terminology.hl7.org/CodeSystem/"
"""The prefix of HL7's own code systems, standard too."""
ORIGINAL_TEXT = "http://hl7.org/fhir/StructureDefinition/originalText"
"""The core extension holding an element's text as the source wrote it."""


def is_standard(system: object) -> bool:
    return isinstance(system, str) and (
        system in STANDARD_SYSTEMS or system.startswith(HL7_SYSTEMS)
    )


def well_formed(concept: Any) -> bool:
    """Whether ``concept`` is absent or shaped like a CodeableConcept as far as lowalp reads
    it (an object; ``coding`` a list of objects whose ``system``, ``code`` and ``display`` are
    text; ``text`` text)."""
    if concept is None:
        return True
    if not isinstance(concept, dict) or not isinstance(concept.get("text", ""), str):
        return False
    coding = concept.get("coding", [])
    if not isinstance(coding, list):
        return False
    return all(
        isinstance(c, dict)
        and all(isinstance(c.get(k, ""), str) for k in ("system", "code", "display"))
        for c in coding
    )


def codings(concept: Any) -> list[dict[str, Any]]:
    """The codings of a concept that carry a code (none when it is not well formed)."""
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return []
    return [c for c in concept["coding"] if isinstance(c, dict) and c.get("code")]


def codes(concept: Any) -> set[str]:
    """Every ``coding.code`` of a CodeableConcept, whatever its system."""
    return {str(c["code"]) for c in codings(concept)}


def concept_text(concept: Any) -> str | None:
    """``text``, else the first coding's ``display``, else None."""
    if not isinstance(concept, dict):
        return None
    if concept.get("text"):
        return str(concept["text"])
    for c in concept.get("coding") or []:
        if isinstance(c, dict) and c.get("display"):
            return str(c["display"])
    return None


def concept_texts(concept: Any) -> list[str]:
    """``text`` and every ``display``, in that order, each once."""
    if not isinstance(concept, dict):
        return []
    out = [concept.get("text")] + [c.get("display") for c in codings(concept)]
    return list(dict.fromkeys(str(t) for t in out if isinstance(t, str) and t.strip()))


def shown_codes(concept: Any) -> str | None:
    """``system|code, …`` of a concept (its text when it has no code), as a rejection shows."""
    found = codings(concept)
    if found:
        return ", ".join(f"{c.get('system', '')}|{c['code']}" for c in found)
    return concept_text(concept)


def standard_coding(concept: Any) -> dict[str, Any] | None:
    """The first coding in a :data:`STANDARD_SYSTEMS` system (or an HL7 one), if any."""
    return next((c for c in codings(concept) if is_standard(c.get("system"))), None)
