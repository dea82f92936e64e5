"""FHIR R4 input: a Bundle (JSON) or bulk-export NDJSON (one file, or a folder of them).

What is read, and how (FHIR R4 4.0.1, https://hl7.org/fhir/R4/ , resource pages named in
brackets). Each module below says the details of its part.

- **Files** (:mod:`~lowalp.adapters.fhir.files`): a Bundle [bundle.html] of type
  ``collection``, ``searchset``, ``transaction`` or ``batch`` (other types are read the same
  way, with a warning), each ``entry.resource`` one record with pointers such as
  ``entry[3].resource.valueQuantity.unit``; or bulk NDJSON (Bulk Data Access IG), one resource
  a line, in a file or a folder of files per resource type with a ``manifest.json``, streamed.
  Search entries of mode ``outcome`` and every ``OperationOutcome`` have their issues listed
  as warnings.
- **Validation** (:mod:`~lowalp.adapters.fhir.validation`): each resource that will be used
  is validated with the ``fhir.resources.R4B`` models (R4 JSON reads with R4B for every element
  used here; the top-level ``fhir.resources`` classes are R5), then our own checks. Whether it
  will be used is decided first from the raw JSON (type, status, code system and code, text),
  so that the resources an export holds beside what lowalp reads cost no validation.
- **Set aside**: every resource not used is listed with its reason and a category
  (:data:`lowalp.adapters.reasons.CATEGORIES`, counted in ``stats.by_category``). A standard
  code lowalp has no use for (a LOINC vital sign, a SNOMED CT problem it does not reason about)
  is "standard code not used by lowalp": not an error, and no code map is asked for; only a
  code lowalp cannot identify (a local or unknown system, or no code) asks for a ``--code-map``.
- **Resources**: ``Observation`` (:mod:`~lowalp.adapters.fhir.observations`: status, LOINC or
  local code, value, unit, qualifiers, the text, flag and note of the result), its date
  (:mod:`~lowalp.adapters.fhir.dates`: the calendar date written in it, in its own offset;
  partial dates; times without a zone) and its ``referenceRange``
  (:mod:`~lowalp.adapters.fhir.ranges`: chosen by ``appliesTo`` and ``age``); ``Patient``
  (:mod:`~lowalp.adapters.fhir.patients`); ``MedicationStatement``, ``MedicationRequest``,
  ``MedicationAdministration`` and ``Medication`` (:mod:`~lowalp.adapters.fhir.medications`:
  medicine records with status and dates); ``Condition`` (its words read by the clinical-text
  reader) and ``FamilyMemberHistory`` (:mod:`~lowalp.adapters.fhir.conditions`:
  findings with their assertion); ``Procedure`` and "nil known" ``List``
  (:mod:`~lowalp.adapters.fhir.context`); plain-text ``DocumentReference`` and ``Composition``
  sections (:mod:`~lowalp.adapters.fhir.documents`: clinical notes). Every other resource type
  is rejected with "resource type not used".
- **Grouping** (:mod:`~lowalp.adapters.fhir.reader`, :mod:`~lowalp.adapters.fhir.cases`):
  observations, and the other resources, are grouped by ``subject`` (``Patient/123``, an
  absolute URL ending so, or a ``urn:uuid:`` that a Patient entry's ``fullUrl`` carries): one
  case per patient, ``Case.id`` the Patient id, built only when ``result.cases`` is iterated.
  Resources without a subject go to the patient ``unknown``.

A whole-file problem raises :class:`~lowalp.errors.InputError`: JSON that does not parse (with
line and column), a Bundle that fails R4B validation, or a resource shaped like an earlier FHIR
version (DSTU2/STU3-only elements or resource types, or ``meta.profile``/``fhirVersion`` naming
one) that fails R4B validation (:mod:`~lowalp.adapters.fhir.version`).

Modules: ``files`` (the adapter, file layouts, streaming, manifest), ``reader`` (dispatch per
resource, Bundles, counting), ``validation``, ``version``, ``observations``, ``dates``,
``ranges``, ``patients``, ``medications``, ``conditions``, ``context``, ``documents``,
``cases`` (records -> cases), ``concepts`` (coding systems, CodeableConcept text),
``pointers``, ``warning_groups``.
"""

from __future__ import annotations

from lowalp.adapters.fhir.cases import CaseIterable
from lowalp.adapters.fhir.concepts import LOINC, SNOMED, UCUM, V3_INTERPRETATION
from lowalp.adapters.fhir.conditions import (
    ACTIVE_CONDITION,
    PAST_CONDITION,
    VERIFICATION_ASSERTION,
)
from lowalp.adapters.fhir.context import LIST_KINDS, PROCEDURE_EVENTS, USED_PROCEDURE_STATUS
from lowalp.adapters.fhir.dates import parse_date as _parse_date
from lowalp.adapters.fhir.files import ADAPTER, FhirAdapter
from lowalp.adapters.fhir.medications import MEDICATION_STATUS
from lowalp.adapters.fhir.observations import (
    COMPARATOR,
    INTERPRETATION,
    SNOMED_QUALIFIER,
    USED_OBSERVATION_STATUS,
    WORD_QUALIFIER,
    Obs,
)
from lowalp.adapters.fhir.patients import GENDER, PatientData
from lowalp.adapters.fhir.ranges import AGE_UNITS, SEX_BY_SNOMED, Range
from lowalp.adapters.fhir.ranges import choose_range as _choose_range
from lowalp.adapters.fhir.reader import BUNDLE_TYPES, Reader
from lowalp.adapters.fhir.validation import INSTALL
from lowalp.adapters.fhir.version import OLD_ELEMENTS, OLD_TYPES, OLD_VERSION
from lowalp.adapters.fhir.warning_groups import Warnings

name = "fhir"

__all__ = [
    "ACTIVE_CONDITION",
    "ADAPTER",
    "AGE_UNITS",
    "BUNDLE_TYPES",
    "COMPARATOR",
    "GENDER",
    "INSTALL",
    "INTERPRETATION",
    "LIST_KINDS",
    "LOINC",
    "MEDICATION_STATUS",
    "OLD_ELEMENTS",
    "OLD_TYPES",
    "OLD_VERSION",
    "PAST_CONDITION",
    "PROCEDURE_EVENTS",
    "SEX_BY_SNOMED",
    "SNOMED",
    "SNOMED_QUALIFIER",
    "UCUM",
    "USED_OBSERVATION_STATUS",
    "USED_PROCEDURE_STATUS",
    "V3_INTERPRETATION",
    "VERIFICATION_ASSERTION",
    "WORD_QUALIFIER",
    "CaseIterable",
    "FhirAdapter",
    "Obs",
    "PatientData",
    "Range",
    "Reader",
    "Warnings",
    "_choose_range",
    "_parse_date",
    "name",
]
