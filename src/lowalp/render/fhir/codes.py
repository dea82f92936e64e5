"""Coding systems, UCUM codes and small builders shared by the FHIR writers."""

from __future__ import annotations

import html
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


XHTML = "http://www.w3.org/1999/xhtml"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters XML 1.0 cannot hold: dropped from a narrative."""


def xhtml_text(text: str) -> str:
    """``text`` as the content of an XHTML element: ``&``, ``<`` and ``>`` escaped, characters
    XML cannot hold dropped.

    >>> xhtml_text("<b>ALP</b> & 5 > 3")
    '&lt;b&gt;ALP&lt;/b&gt; &amp; 5 &gt; 3'
    """
    return html.escape(_NOT_XML.sub("", text), quote=False)


def paragraph(text: str) -> str:
    """A narrative paragraph of plain text (escaped)."""
    return f"<p>{xhtml_text(text)}</p>"


def listing(heading: str, texts: list[str], *, ordered: bool = False) -> str:
    """A heading paragraph and a list of plain texts (escaped); empty when there are none."""
    if not texts:
        return ""
    tag = "ol" if ordered else "ul"
    rows = "".join(f"<li>{xhtml_text(t)}</li>" for t in texts)
    return f"<p><b>{xhtml_text(heading)}</b></p><{tag}>{rows}</{tag}>"


def narrative(*blocks: str) -> dict[str, str]:
    """A resource's ``text`` (https://hl7.org/fhir/R4/narrative.html): status ``generated``,
    the ``div`` in the XHTML namespace holding ``blocks`` (built by :func:`paragraph` and
    :func:`listing`, so already escaped). It says what the resource's data says, for a
    reader whose system shows only the narrative (R4 invariant dom-6).

    >>> narrative(paragraph("ALP 20 U/L"))["div"]
    '<div xmlns="http://www.w3.org/1999/xhtml"><p>ALP 20 U/L</p></div>'
    """
    return {"status": "generated", "div": f'<div xmlns="{XHTML}">{"".join(blocks)}</div>'}
