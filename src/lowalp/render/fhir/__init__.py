"""FHIR R4 output: an assessment as a Bundle, and a case as a Bundle (for round trips and export).

- :func:`render_fhir` (:mod:`~lowalp.render.fhir.guidance`): the assessment as a Bundle of a
  GuidanceResponse (causes and next tests in a contained Parameters, next tests also as
  ``dataRequirement``) and the ALP Observation with its interpretation
  (:func:`interpretation_code`).
- :func:`case_to_bundle` (:mod:`~lowalp.render.fhir.case_bundle`): a case as a Bundle that the
  ``fhir`` input adapter reads back to the same case.
- :mod:`~lowalp.render.fhir.codes`: coding systems, UCUM codes, and the builders both share.

fhir.resources is not imported here; tests validate the output with the R4B models, with HL7's R4
JSON Schema and with the R4 invariants (tests/render/test_fhir_validated.py). Every resource
written carries a generated narrative (:func:`~lowalp.render.fhir.codes.narrative`).
"""

from __future__ import annotations

from lowalp.render.fhir.case_bundle import case_to_bundle
from lowalp.render.fhir.guidance import interpretation_code, render_fhir

__all__ = ["case_to_bundle", "interpretation_code", "render_fhir"]
