"""Medicines: ``MedicationStatement``, ``MedicationRequest``, ``MedicationAdministration`` and
the ``Medication`` they name.

Each statement, request or administration gives one :class:`~lowalp.model.MedicationRecord`
(every medicine is kept, known to lowalp or not: an entry lowalp does not know tells it that a
medicine list is not complete as far as it can read it):

- **name**: ``medicationCodeableConcept.text``, else its first coding's ``display``, else a
  referenced or contained ``Medication``'s code (``Medication`` resources are the lookup for
  those references, resolved when the case is built, so their order does not matter), else the
  reference's ``display``. Without any, the resource is rejected.
- **status** (R4 ``medication-statement-status`` / ``medicationrequest-status``): ``active`` →
  active; ``completed``, ``stopped`` and ``on-hold`` → stopped; ``not-taken``, and a request
  ``cancelled`` before any administration → not-taken; ``intended``, and a ``draft`` request →
  intended; ``unknown`` → unknown. ``entered-in-error`` is rejected. An administration
  (R4 ``medication-admin-status``, an inpatient medicine given): ``in-progress`` → active;
  ``completed`` and ``stopped`` → stopped (given, and over), ``on-hold`` → stopped;
  ``unknown`` → unknown; ``not-done`` (not given) and ``entered-in-error`` are rejected.
- **start, end**: a statement's ``effectivePeriod`` (``effectiveDateTime`` is the start); a
  request's first ``dosageInstruction.timing.repeat.boundsPeriod``, else
  ``dispenseRequest.validityPeriod``, else ``authoredOn`` as the start; an administration's
  ``effectivePeriod``, or its ``effectiveDateTime`` as both start and end (one dose, one
  day). The same medicine given on the same day several times is one record.
- **duration_days**: ``timing.repeat.boundsDuration`` of the first dosage, in days (UCUM
  ``d``, ``wk``, ``mo``, ``a``).

A request's ``completed`` means the whole prescription was supplied, which the record reads
as stopped like a statement's ``completed``; its end date, when the request has one, says when.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from lowalp.adapters.base import finite
from lowalp.adapters.fhir.concepts import concept_text, well_formed
from lowalp.adapters.fhir.pointers import at
from lowalp.adapters.reasons import STATUS_NOT_USED, TEXT_NOT_UNDERSTOOD

if TYPE_CHECKING:
    from lowalp.adapters.fhir.reader import Reader

UseStatus = Literal["active", "stopped", "not-taken", "intended", "unknown"]
MEDICATION_STATUS: dict[str, UseStatus] = {
    "active": "active",
    "completed": "stopped",
    "stopped": "stopped",
    "on-hold": "stopped",
    "not-taken": "not-taken",
    "cancelled": "not-taken",
    "intended": "intended",
    "draft": "intended",
    "unknown": "unknown",
}
"""FHIR medication status -> :attr:`lowalp.model.MedicationRecord.status`."""
ADMINISTRATION_STATUS: dict[str, UseStatus] = {
    "in-progress": "active",
    "completed": "stopped",
    "stopped": "stopped",
    "on-hold": "stopped",
    "unknown": "unknown",
}
"""FHIR ``medication-admin-status`` -> :attr:`lowalp.model.MedicationRecord.status`
(``not-done`` and ``entered-in-error`` are rejected)."""
DURATION_DAYS = {"d": 1.0, "wk": 7.0, "mo": 365.25 / 12, "a": 365.25}
"""UCUM units of a ``Duration`` in days (a month and a year as their mean lengths)."""


class MedicationUse(NamedTuple):
    """One statement or request, compact; ``name`` is a reference to resolve when ``ref``."""

    name: str
    ref: bool
    status: UseStatus
    start: dt.date | None
    end: dt.date | None
    duration_days: float | None


def read_medication(reader: Reader, res: dict[str, Any], prefix: str, full_url: str | None) -> None:
    if not reader.valid(res, prefix):
        return
    text = concept_text(res.get("code") or {})
    if text:
        for key in (f"Medication/{res.get('id')}", full_url):
            if key:
                reader.medication_names[key] = text
    reader.used()


def read_medication_use(
    reader: Reader, res: dict[str, Any], prefix: str, full_url: str | None
) -> None:
    raw_status = res.get("status")
    given = res.get("resourceType") == "MedicationAdministration"
    status = (ADMINISTRATION_STATUS if given else MEDICATION_STATUS).get(str(raw_status))
    if status is None:
        if not isinstance(raw_status, str) and not reader.valid(res, prefix):
            return
        reason = (
            "entered in error"
            if raw_status == "entered-in-error"
            else "not given (status not-done)"
            if given and raw_status == "not-done"
            else f"status {raw_status!r} is not a medication status lowalp reads"
        )
        reader.reject(at(prefix, "status"), reason, raw_status, STATUS_NOT_USED)
        return
    if not well_formed(res.get("medicationCodeableConcept")) and not reader.valid(res, prefix):
        return
    name = medication_name(res)
    if name is None:
        if not reader.valid(res, prefix):
            return
        reader.reject(
            at(prefix, "medication[x]"),
            "medicine without a name or code text",
            None,
            TEXT_NOT_UNDERSTOOD,
        )
        return
    if not reader.valid(res, prefix):
        return
    start, end = use_period(reader, res, prefix)
    dosages = res.get("dosage") or res.get("dosageInstruction") or []
    if isinstance(dosages, dict):  # an administration has one dosage, not a list
        dosages = [dosages]
    repeat = ((dosages[0] if dosages else {}).get("timing") or {}).get("repeat") or {}
    data = reader.patient((res.get("subject") or {}).get("reference"), prefix)
    use = MedicationUse(
        name[0], name[1], status, start, end, duration(repeat.get("boundsDuration"))
    )
    if given and data.medications and use in data.medications[-8:]:
        reader.used()  # the same medicine given again that day: one record
        return
    data.medications = [*(data.medications or []), use]
    reader.used()


def medication_name(res: dict[str, Any]) -> tuple[str, bool] | None:
    """(name, False), or (the reference to resolve, True), or None."""
    text = concept_text(res.get("medicationCodeableConcept") or {})
    if text:
        return text, False
    ref = res.get("medicationReference") or {}
    target = ref.get("reference") or ""
    if target.startswith("#"):
        contained: dict[str, Any] = next(
            (c for c in res.get("contained") or [] if c.get("id") == target[1:]), {}
        )
        text = concept_text(contained.get("code") or {}) or ref.get("display")
    elif target and not ref.get("display"):
        return target, True
    else:
        text = ref.get("display")
    return (str(text), False) if text else None


def use_period(
    reader: Reader, res: dict[str, Any], prefix: str
) -> tuple[dt.date | None, dt.date | None]:
    """When the medicine was (or is to be) taken: start and end dates, either may be None."""
    candidates: list[tuple[str, Any]] = []
    rtype = res.get("resourceType")
    if rtype in ("MedicationStatement", "MedicationAdministration"):
        candidates = [("effectivePeriod", res.get("effectivePeriod"))]
        when = res.get("effectiveDateTime")
        if when:
            one_day = rtype == "MedicationAdministration"
            candidates.append(
                ("effectiveDateTime", {"start": when, "end": when} if one_day else {"start": when})
            )
    else:
        for i, dosage in enumerate(res.get("dosageInstruction") or []):
            bounds = ((dosage.get("timing") or {}).get("repeat") or {}).get("boundsPeriod")
            candidates.append((f"dosageInstruction[{i}].timing.repeat.boundsPeriod", bounds))
        validity = (res.get("dispenseRequest") or {}).get("validityPeriod")
        candidates.append(("dispenseRequest.validityPeriod", validity))
        if res.get("authoredOn"):
            candidates.append(("authoredOn", {"start": res["authoredOn"]}))
    for where, period in candidates:
        if not isinstance(period, dict) or not (period.get("start") or period.get("end")):
            continue
        out: list[dt.date | None] = []
        for side in ("start", "end"):
            raw = period.get(side)
            date, note = reader.date(raw) if raw else (None, None)
            if note:
                reader.warn.add(f"medication {note}", at(prefix, where))
            out.append(date)
        return out[0], out[1]
    return None, None


def duration(value: Any) -> float | None:
    """A ``Duration`` in days, when its unit is one of :data:`DURATION_DAYS`."""
    if not isinstance(value, dict) or value.get("value") is None:
        return None
    factor = DURATION_DAYS.get(str(value.get("code") or value.get("unit") or ""))
    number = finite(value["value"])
    if factor is None or number is None or number < 0:
        return None
    return finite(number * factor)
