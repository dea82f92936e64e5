"""Telling data of an earlier FHIR version (DSTU2/STU3) from one bad record.

Data written for DSTU2 or STU3 fails R4 validation on every resource; listing each as a bad
record would hide the cause. So a resource counts as "earlier version" evidence when

- its ``resourceType`` exists only in DSTU2/STU3 (``MedicationOrder``, ``ProcedureRequest`` …);
- validation fails on an element that exists only there (``Observation.context``,
  ``MedicationStatement.taken``, ``Condition.assertedDate`` …), or on
  ``Condition.clinicalStatus``/``verificationStatus`` given as a plain code (a CodeableConcept
  in R4);
- or it fails validation and its ``fhirVersion`` is not 4.x or a ``meta.profile`` names an
  earlier version.

Any such evidence makes the whole file an :class:`~lowalp.errors.InputError` listing the
first 20 elements, with the hint to convert the data to R4 first. An NDJSON file stops being
read after 20 of them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lowalp.errors import InputError, Problem

if TYPE_CHECKING:
    from lowalp.adapters.fhir.reader import Reader

# Resource types and elements that exist only in DSTU2/STU3: a failure on them means the wrong
# FHIR version, not one bad record.
OLD_TYPES = frozenset(
    {
        "MedicationOrder",
        "DiagnosticOrder",
        "ProcedureRequest",
        "ReferralRequest",
        "DeviceUseRequest",
        "Order",
        "OrderResponse",
        "ProcessRequest",
        "ProcessResponse",
        "EligibilityRequest",
    }
)
OLD_ELEMENTS = frozenset(
    {
        "context",
        "comment",
        "comments",
        "related",
        "taken",
        "reasonNotTaken",
        "wasNotTaken",
        "reasonForUse",
        "notDone",
        "notDoneReason",
        "definition",
        "assertedDate",
        "abatementBoolean",
        "dateRecorded",
        "patient",
        "animal",
        "notTaken",
    }
)
OLD_VERSION = re.compile(r"stu3|dstu2|dstu|/3\.0|/1\.0|/1\.8|/0\.", re.IGNORECASE)
MAX_PROBLEMS = 20


def old_shape(error: Any) -> bool:
    """Whether a pydantic validation error is on an element of the DSTU2/STU3 shape."""
    loc = error["loc"]
    if not loc:
        return False
    head = loc[0]
    if error["type"] == "extra_forbidden" and head in OLD_ELEMENTS:
        return True
    # STU3 Condition.clinicalStatus / verificationStatus were plain codes.
    return head in ("clinicalStatus", "verificationStatus") and isinstance(error.get("input"), str)


def version_hint(res: dict[str, Any]) -> str | None:
    """What in the resource names an earlier FHIR version (``fhirVersion``, ``meta.profile``)."""
    version = res.get("fhirVersion")
    if isinstance(version, str) and not version.startswith("4."):
        return f"it says fhirVersion {version}"
    meta = res.get("meta")
    profiles = meta.get("profile") if isinstance(meta, dict) else None
    for p in profiles if isinstance(profiles, list) else []:
        if isinstance(p, str) and OLD_VERSION.search(p):
            return f"its meta.profile names an earlier FHIR version ({p})"
    return None


def check_version(reader: Reader, source: str) -> None:
    """Raise the whole-file error when the file read so far looks like DSTU2/STU3."""
    if not reader.version_problems:
        return
    why = f"; {reader.version_hint}" if reader.version_hint else ""
    problems = reader.version_problems[:MAX_PROBLEMS]
    if len(reader.version_problems) > MAX_PROBLEMS:
        problems.append(Problem("", f"… and {len(reader.version_problems) - MAX_PROBLEMS} more"))
    problems.append(
        Problem(
            "",
            f"this looks like an earlier FHIR version (DSTU2/STU3){why}",
            hint="lowalp reads FHIR R4; convert the data to R4 first (for example with the HL7 FHIR version converter)",
        )
    )
    raise InputError(problems, source=source)
