"""Events and "none known" lists: ``Procedure`` and ``List``.

Medicines are read in :mod:`~lowalp.adapters.fhir.medications`, conditions and family history
in :mod:`~lowalp.adapters.fhir.conditions`, notes in :mod:`~lowalp.adapters.fhir.documents`.

- ``Procedure`` (status ``completed`` or ``in-progress``) -> ``context.events`` with its date
  (``performedDateTime`` / ``performedPeriod.start``) and end (``performedPeriod.end``); an
  ``in-progress`` procedure without an end is ongoing. SNOMED CT codes known for sure:
  232717009 coronary artery bypass grafting -> cardiac_surgery, 63697000 cardiopulmonary bypass
  operation -> cardiopulmonary_bypass, 116859006 transfusion of blood product and 5447007
  transfusion -> transfusion. Otherwise the text is matched against the knowledge's event
  synonyms (plasma exchange, valve replacement …); a procedure that matches nothing is set
  aside (a standard code not used by lowalp, or text not understood) before it is validated.
- ``List`` with ``emptyReason`` ``nilknown`` and a code for medications (LOINC 10160-0 or
  list-example-use-codes ``medications``), problems (11450-4 / ``problems``) or procedures
  (47519-4) says "none known": the case then has an empty list there instead of "not told".
  Any other List is rejected as a resource type not used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lowalp.adapters.fhir.concepts import (
    SNOMED,
    codes,
    codings,
    concept_text,
    concept_texts,
    standard_coding,
    well_formed,
)
from lowalp.adapters.fhir.pointers import at
from lowalp.adapters.reasons import (
    STANDARD_CODE_NOT_USED,
    STATUS_NOT_USED,
    TEXT_NOT_UNDERSTOOD,
    TYPE_NOT_USED,
)
from lowalp.model import EventRecord
from lowalp.text.reader import read_text

if TYPE_CHECKING:
    from lowalp.adapters.fhir.reader import Reader

USED_PROCEDURE_STATUS = ("completed", "in-progress")
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


def read_procedure(reader: Reader, res: dict[str, Any], prefix: str, full_url: str | None) -> None:
    status = res.get("status")
    code = res.get("code") or {}
    if not (isinstance(status, str) and well_formed(code)) and not reader.valid(res, prefix):
        return
    if status not in USED_PROCEDURE_STATUS:
        reader.reject(
            at(prefix, "status"),
            f"status {status!r}: only completed and in-progress procedures are used",
            status,
            STATUS_NOT_USED,
        )
        return
    ids = [
        PROCEDURE_EVENTS[c["code"]]
        for c in codings(code)
        if c.get("system") == SNOMED and c["code"] in PROCEDURE_EVENTS
    ]
    if not ids:
        for text in concept_texts(code):
            found = [
                m.concept
                for m in read_text(text, reader.kb, kinds={"EVENT"}).mentions
                if m.assertion in ("present", "historical")
            ]
            if found:
                ids = found
                break
    if not ids:
        reader.reject(
            at(prefix, "code"),
            "procedure not one lowalp reasons about (surgery, bypass, transfusion, plasma exchange …)",
            concept_text(code),
            STANDARD_CODE_NOT_USED if standard_coding(code) else TEXT_NOT_UNDERSTOOD,
        )
        return
    if not reader.valid(res, prefix):
        return
    period = res.get("performedPeriod") or {}
    raw = res.get("performedDateTime") or period.get("start")
    raw_end = period.get("end")
    ongoing = status == "in-progress" and not raw_end
    date, note = reader.date(raw) if raw else (None, None)
    if note or not (raw or ongoing):
        note = note or "no performed date: its timing is unknown"
        reader.warn.add(f"procedure {note}" if raw else note, at(prefix, "performed[x]"))
    end, end_note = reader.date(raw_end) if raw_end else (None, None)
    if end_note:
        reader.warn.add(f"procedure end {end_note}", at(prefix, "performedPeriod.end"))
    if end is not None and date is not None and end < date:
        reader.warn.add(
            "procedure ends before it starts: its end is not used", at(prefix, "performedPeriod")
        )
        end = None
    data = reader.patient((res.get("subject") or {}).get("reference"), prefix)
    data.events = [
        *(data.events or []),
        *(
            EventRecord(event=i, date=date, end_date=end, ongoing=ongoing)
            for i in dict.fromkeys(ids)
        ),
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
            TYPE_NOT_USED,
        )
        return
    if not reader.valid(res, prefix):
        return
    data = reader.patient((res.get("subject") or {}).get("reference"), prefix)
    kind = kinds.pop()
    if getattr(data, kind) is None:
        setattr(data, kind, [])
    reader.used()
