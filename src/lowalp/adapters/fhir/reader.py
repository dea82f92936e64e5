"""The reading of resources, one at a time, into compact records grouped per patient.

One :class:`Reader` serves one ``read`` call, whatever the file layout
(:mod:`lowalp.adapters.fhir.files` feeds it). Each resource is dispatched on its
``resourceType``: a Bundle is read entry by entry (``entry[3].resource`` is the pointer; a
Bundle on an NDJSON line too); a type of an earlier FHIR version is noted as such; a type with
a handler below is handed to it; every other type is rejected with "resource type not used", an
``OperationOutcome`` after its issues have been listed as warnings.

Validation (:mod:`~lowalp.adapters.fhir.validation`) costs far more than the rest of the
reading, and a hospital export is mostly resources lowalp has no use for (vital signs, lipids,
encounters). So each handler decides from the raw JSON first (status, code system and code,
text), and calls :meth:`Reader.valid` only once it knows the resource will be used, or when an
element it decides on is shaped unlike FHIR (then validation rejects it at that element). A
resource naming an earlier FHIR version (``meta.profile``, ``fhirVersion``) is validated
first, whatever it is, so that the version is found out.

Every rejection carries a category (:data:`lowalp.adapters.reasons.CATEGORIES`), counted in
``stats.by_category``. Memory stays bounded on an export of any size: beyond the first
:data:`~lowalp.adapters.reasons.LISTED_PER_CATEGORY` records of a category that is not an
error, records are counted (``stats.not_listed``), not kept.

Bundle types ``collection``, ``searchset``, ``transaction`` and ``batch`` are read; other types
are read the same way, with a warning. An entry without a resource is rejected. A Bundle that
fails R4B validation (entries aside) is a whole-file error.

Counting: ``stats.read`` counts resources (not Bundles); each is used or rejected, so
``read == used + rejected``. Resources are grouped by ``subject``; without one they go to the
patient ``unknown`` (with a warning).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from lowalp.adapters.base import ReadOptions, ReadResult, ReadStats, Rejected
from lowalp.adapters.fhir.conditions import read_condition, read_family_history
from lowalp.adapters.fhir.context import read_list, read_procedure
from lowalp.adapters.fhir.dates import DateCache, fix_naive_times
from lowalp.adapters.fhir.documents import read_composition, read_document_reference
from lowalp.adapters.fhir.medications import read_medication, read_medication_use
from lowalp.adapters.fhir.observations import read_observation
from lowalp.adapters.fhir.patients import PATIENT_REF, PatientData, read_patient
from lowalp.adapters.fhir.pointers import at, pointer
from lowalp.adapters.fhir.ranges import Range
from lowalp.adapters.fhir.validation import models, validate
from lowalp.adapters.fhir.version import OLD_TYPES, version_hint
from lowalp.adapters.fhir.warning_groups import Warnings
from lowalp.adapters.reasons import (
    LISTED_PER_CATEGORY,
    NOT_VALID,
    TYPE_NOT_USED,
    VALUE_NOT_USABLE,
)
from lowalp.errors import InputError, Problem
from lowalp.knowledge import Knowledge

BUNDLE_TYPES = ("collection", "searchset", "transaction", "batch")

Handler = Callable[["Reader", dict[str, Any], str, str | None], None]


class Reader:
    """Reads resources into per-patient compact records. One instance per ``read`` call."""

    listed_per_category = LISTED_PER_CATEGORY

    def __init__(self, options: ReadOptions, kb: Knowledge) -> None:
        self.options = options
        self.kb = kb
        self.model = models()
        self.result = ReadResult(cases=[], stats=ReadStats(unit="resources"))
        self.warn = Warnings()
        self.patients: dict[str, PatientData] = {}
        self.aliases: dict[str, str] = {}
        self.medication_names: dict[str, str] = {}
        self.version_problems: list[Problem] = []
        self.version_hint: str | None = None
        self.source: str | None = None
        """The file being read (for whole-file errors)."""
        self.date = DateCache()
        self.range_cache: dict[tuple[Range, ...], tuple[Range, ...]] = {}
        self.unit_cache: dict[str, str] = {}
        self.strings: dict[str, str] = {}
        self.validations = 0
        """Resources validated so far (each at most once)."""
        self._checked = False
        """The resource being read has been validated already."""

    # ------------------------------------------------------------------ bookkeeping

    def reject(
        self, pointer: str, reason: str, value: object = None, category: str = VALUE_NOT_USABLE
    ) -> None:
        """Set the resource aside, with the reason and its category (beyond
        :attr:`listed_per_category` of a category that is not an error, counted only)."""
        if not self.result.stats.set_aside(category, self.listed_per_category):
            return
        shown = None if value is None else self.intern(str(value))
        self.result.rejected.append(
            Rejected(pointer, self.intern(reason) or reason, shown, category)
        )

    def valid(self, res: dict[str, Any], prefix: str) -> bool:
        """Validate the resource being read (once), now that it is to be used; when it is not
        valid R4 it has been rejected."""
        if self._checked:
            return True
        self._checked = True
        self.validations += 1
        return validate(self, res, str(res["resourceType"]), prefix)

    def used(self) -> None:
        self.result.stats.used += 1

    def intern(self, text: str | None) -> str | None:
        """One shared copy of a short string that recurs (flags): a bulk export repeats them."""
        if text is None or len(self.strings) > 10_000:
            return text
        return self.strings.setdefault(text, text)

    def patient(self, ref: str | None, pointer: str) -> PatientData:
        """The record of the patient a ``subject.reference`` names (made on first sight)."""
        if not ref:
            self.warn.add("no subject: grouped under the patient 'unknown'", pointer)
            ref = "unknown"
        m = PATIENT_REF.search(ref)
        key = f"Patient/{m.group(1)}" if m else ref
        data = self.patients.get(key)
        if data is None:
            ident = m.group(1) if m else ref.removeprefix("urn:uuid:")
            data = self.patients[key] = PatientData(key, ident)
        return data

    # ------------------------------------------------------------------ resources

    def resource(
        self, res: Any, prefix: str, full_url: str | None = None, naive: bool = True
    ) -> None:
        """One resource; ``prefix`` points at it (``entry[3].resource``). ``naive`` False says
        the text holds no time without a zone (a fast check done on the raw line)."""
        if not isinstance(res, dict):
            self.result.stats.read += 1
            self.reject(
                prefix, "not a FHIR resource (a JSON object with resourceType)", None, NOT_VALID
            )
            return
        rtype = res.get("resourceType")
        if not isinstance(rtype, str):
            self.result.stats.read += 1
            shown = None if rtype is None else repr(rtype)[:60]
            self.reject(
                at(prefix, "resourceType"), "resourceType must be a resource name", shown, NOT_VALID
            )
            return
        if rtype == "Bundle":
            self.bundle(res, prefix, naive)
            return
        self.result.stats.read += 1
        if rtype in OLD_TYPES:
            self.version_problems.append(
                Problem(
                    at(prefix, "resourceType"),
                    f"{rtype} exists only in FHIR DSTU2/STU3, not in R4",
                )
            )
            self.reject(prefix, "resource type of an earlier FHIR version", rtype, NOT_VALID)
            return
        handler = self.handlers.get(str(rtype))
        if handler is None:
            if rtype == "OperationOutcome":
                self.outcome(res, prefix)
            self.reject(prefix, "resource type not used", rtype, TYPE_NOT_USED)
            return
        if naive:
            fix_naive_times(res, prefix, self.warn)
        self._checked = False
        if version_hint(res) and not self.valid(res, prefix):
            return
        handler(self, res, prefix, full_url)

    def outcome(self, res: dict[str, Any], prefix: str) -> None:
        """An OperationOutcome's issues, as warnings."""
        for i, issue in enumerate(res.get("issue") or []):
            if not isinstance(issue, dict):
                continue
            text = issue.get("diagnostics") or (issue.get("details") or {}).get("text") or ""
            self.result.warnings.append(
                f"{at(prefix, f'issue[{i}]')}: the server reported {issue.get('severity', '?')} "
                f"{issue.get('code', '')}: {text}".rstrip(": ")
            )

    def bundle(self, res: dict[str, Any], prefix: str, naive: bool = True) -> None:
        hint = version_hint(res)
        if hint:
            self.version_hint = hint
        shell = {k: v for k, v in res.items() if k != "entry"}
        from pydantic import ValidationError

        try:
            self.model("Bundle").model_validate(shell)
        except ValidationError as exc:
            raise InputError(
                [
                    Problem(
                        pointer(prefix, tuple(e["loc"])), f"not a valid FHIR R4 Bundle: {e['msg']}"
                    )
                    for e in exc.errors()
                ],
                source=self.source,
            ) from None
        btype = res.get("type")
        if btype not in BUNDLE_TYPES:
            self.result.warnings.append(
                f"{prefix or 'Bundle'}: Bundle type {btype!r} read like a collection"
            )
        entries = res.get("entry") or []
        inner = f"{prefix} " if prefix else ""
        for i, entry in enumerate(entries):
            where = f"{inner}entry[{i}]"
            if not isinstance(entry, dict) or "resource" not in entry:
                self.result.stats.read += 1
                method = (
                    (entry.get("request") or {}).get("method") if isinstance(entry, dict) else None
                )
                self.reject(where, "entry without a resource", method, NOT_VALID)
                continue
            self.resource(entry["resource"], f"{where}.resource", entry.get("fullUrl"), naive)

    handlers: ClassVar[dict[str, Handler]] = {
        "Patient": read_patient,
        "Observation": read_observation,
        "Medication": read_medication,
        "MedicationStatement": read_medication_use,
        "MedicationRequest": read_medication_use,
        "MedicationAdministration": read_medication_use,
        "Condition": read_condition,
        "FamilyMemberHistory": read_family_history,
        "Procedure": read_procedure,
        "List": read_list,
        "DocumentReference": read_document_reference,
        "Composition": read_composition,
    }
