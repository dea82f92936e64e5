"""The clinical context of a case: medicines, conditions, procedures and "none known" lists.

- ``MedicationStatement`` (status ``active`` or ``completed``: taken now or recently) and
  ``MedicationRequest`` (status ``active`` or ``completed``); every other status is rejected
  with the reason. They give ``context.medications`` as free text:
  ``medicationCodeableConcept.text``, else its first coding's ``display``, else a referenced
  or contained ``Medication``'s code. ``Medication`` resources are used as the lookup for
  those references (resolved when the case is built, so their order does not matter).
- ``Condition`` -> ``context.findings`` free text (``code.text`` or display). Used when
  ``clinicalStatus`` is active / recurrence / relapse (or absent); ``verificationStatus``
  ``refuted`` is read as an absent finding ("no …"), ``entered-in-error`` is rejected.
- ``Procedure`` (status ``completed`` or ``in-progress``) -> ``context.events`` with its date
  (``performedDateTime`` / ``performedPeriod.start``). SNOMED CT codes known for sure:
  232717009 coronary artery bypass grafting -> cardiac_surgery, 63697000 cardiopulmonary bypass
  operation -> cardiopulmonary_bypass, 116859006 transfusion of blood product and 5447007
  transfusion -> transfusion. Otherwise the text is matched against the knowledge's event
  synonyms (plasma exchange, valve replacement …); a procedure that matches nothing is rejected.
- ``List`` with ``emptyReason`` ``nilknown`` and a code for medications (LOINC 10160-0 or
  list-example-use-codes ``medications``), problems (11450-4 / ``problems``) or procedures
  (47519-4) says "none known": the case then has an empty list there instead of "not told".
  Any other List is rejected as a resource type not used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lowalp.adapters.fhir.concepts import SNOMED, codes, concept_text
from lowalp.adapters.fhir.pointers import at
from lowalp.model import EventRecord

if TYPE_CHECKING:
    from lowalp.adapters.fhir.reader import Reader

USED_MEDICATION_STATUS = ("active", "completed")
USED_PROCEDURE_STATUS = ("completed", "in-progress")
ACTIVE_CONDITION = ("active", "recurrence", "relapse")
PROCEDURE_EVENTS: dict[str, str] = {
    "232717009": "cardiac_surgery",  # Coronary artery bypass grafting (procedure)
    "63697000": "cardiopulmonary_bypass",  # Cardiopulmonary bypass operation (procedure)
    "116859006": "transfusion",  # Transfusion of blood product (procedure)
    "5447007": "transfusion",  # Transfusion (procedure)
}
LIST_KINDS = {
    "10160-0": "medications",
    "medications": "medications",
    "11450-4": "findings",
    "problems": "findings",
    "47519-4": "events",
}


def read_medication(reader: Reader, res: dict[str, Any], prefix: str, full_url: str | None) -> None:
    text = concept_text(res.get("code") or {})
    if text:
        for key in (f"Medication/{res.get('id')}", full_url):
            if key:
                reader.medication_names[key] = text
    reader.used()


def read_medication_use(
    reader: Reader, res: dict[str, Any], prefix: str, full_url: str | None
) -> None:
    status = res.get("status")
    if status not in USED_MEDICATION_STATUS:
        reader.reject(
            at(prefix, "status"),
            f"status {status!r}: only active and completed medicines are used",
            status,
        )
        return
    text: str | tuple[str, str] | None = concept_text(res.get("medicationCodeableConcept") or {})
    if not text:
        ref = res.get("medicationReference") or {}
        target = ref.get("reference") or ""
        if target.startswith("#"):
            contained: dict[str, Any] = next(
                (c for c in res.get("contained") or [] if c.get("id") == target[1:]), {}
            )
            text = concept_text(contained.get("code") or {}) or ref.get("display")
        elif target:
            text = ("ref", target) if not ref.get("display") else ref["display"]
        else:
            text = ref.get("display")
    if not text:
        reader.reject(at(prefix, "medication[x]"), "medicine without a name or code text")
        return
    data = reader.patient((res.get("subject") or {}).get("reference"), prefix)
    data.medications = [*(data.medications or []), text]
    reader.used()


def read_condition(reader: Reader, res: dict[str, Any], prefix: str, full_url: str | None) -> None:
    clinical = codes(res.get("clinicalStatus"))
    verification = codes(res.get("verificationStatus"))
    if "entered-in-error" in verification:
        reader.reject(at(prefix, "verificationStatus"), "entered in error")
        return
    if clinical and not clinical & set(ACTIVE_CONDITION):
        reader.reject(
            at(prefix, "clinicalStatus"),
            "condition not active (only active, recurrence and relapse are used)",
            ", ".join(sorted(clinical)),
        )
        return
    text = concept_text(res.get("code") or {})
    if not text:
        reader.reject(at(prefix, "code"), "condition without text or display")
        return
    if "refuted" in verification:
        text = f"no {text}"
    data = reader.patient((res.get("subject") or {}).get("reference"), prefix)
    data.findings = [*(data.findings or []), text]
    reader.used()


def read_procedure(reader: Reader, res: dict[str, Any], prefix: str, full_url: str | None) -> None:
    status = res.get("status")
    if status not in USED_PROCEDURE_STATUS:
        reader.reject(
            at(prefix, "status"),
            f"status {status!r}: only completed and in-progress procedures are used",
            status,
        )
        return
    code = res.get("code") or {}
    ids = [
        PROCEDURE_EVENTS[c["code"]]
        for c in code.get("coding") or []
        if c.get("system") == SNOMED and c.get("code") in PROCEDURE_EVENTS
    ]
    if not ids:
        for text in [code.get("text"), *(c.get("display") for c in code.get("coding") or [])]:
            if text:
                m = reader.event_index.find(text)
                if m.ids and not m.negated:
                    ids = list(m.ids)
                    break
    if not ids:
        reader.reject(
            at(prefix, "code"),
            "procedure not one lowalp reasons about (surgery, bypass, transfusion, plasma exchange …)",
            concept_text(code),
        )
        return
    raw = res.get("performedDateTime") or (res.get("performedPeriod") or {}).get("start")
    date, note = reader.date(raw) if raw else (None, "no performed date: its timing is unknown")
    if note:
        reader.warn.add(f"procedure {note}" if raw else note, at(prefix, "performed[x]"))
    data = reader.patient((res.get("subject") or {}).get("reference"), prefix)
    data.events = [
        *(data.events or []),
        *(EventRecord(event=i, date=date) for i in dict.fromkeys(ids)),
    ]
    reader.used()


def read_list(reader: Reader, res: dict[str, Any], prefix: str, full_url: str | None) -> None:
    kinds = {LIST_KINDS[c] for c in codes(res.get("code")) if c in LIST_KINDS}
    empty = "nilknown" in codes(res.get("emptyReason"))
    if len(kinds) != 1 or not empty or res.get("entry"):
        reader.reject(
            prefix,
            "resource type not used (only an empty 'nil known' List of medications, problems or procedures is read)",
            "List",
        )
        return
    data = reader.patient((res.get("subject") or {}).get("reference"), prefix)
    kind = kinds.pop()
    if getattr(data, kind) is None:
        setattr(data, kind, [])
    reader.used()
