"""Clinical facts: ``Condition`` and ``FamilyMemberHistory``, as findings with their assertion.

- ``Condition`` -> a :class:`~lowalp.model.FindingRecord` with the text of ``code`` (its
  ``text``, else the first ``display``) and the date of ``onsetDateTime`` (or
  ``onsetPeriod.start``). The assertion comes from ``verificationStatus`` first: ``refuted`` →
  absent; ``unconfirmed``, ``provisional``, ``differential`` → uncertain; ``entered-in-error``
  is rejected. Otherwise from ``clinicalStatus``: ``active``, ``recurrence``, ``relapse`` →
  present; ``inactive``, ``remission``, ``resolved`` → historical. A Condition that says
  nothing but its words (no status, no onset date) is kept as plain text, read as free text is.
- ``FamilyMemberHistory`` -> one finding per ``condition``, text "family history of
  <condition>" (kept as it is when it already starts "family history"), assertion family, date
  ``date``. A history ``entered-in-error`` or ``health-unknown``, or without a condition, is
  rejected. Its patient is ``patient`` (not ``subject``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lowalp.adapters.fhir.concepts import codes, concept_text
from lowalp.adapters.fhir.pointers import at
from lowalp.model import Assertion, FindingRecord

if TYPE_CHECKING:
    from lowalp.adapters.fhir.reader import Reader

ACTIVE_CONDITION = ("active", "recurrence", "relapse")
PAST_CONDITION = ("inactive", "remission", "resolved")
VERIFICATION_ASSERTION: dict[str, Assertion] = {
    "refuted": "absent",
    "unconfirmed": "uncertain",
    "provisional": "uncertain",
    "differential": "uncertain",
}
"""``verificationStatus`` codes that set the assertion (``confirmed`` leaves it to the
clinical status)."""
FAMILY_PREFIX = "family history of "


def read_condition(reader: Reader, res: dict[str, Any], prefix: str, full_url: str | None) -> None:
    clinical = codes(res.get("clinicalStatus"))
    verification = codes(res.get("verificationStatus"))
    if "entered-in-error" in verification:
        reader.reject(at(prefix, "verificationStatus"), "entered in error")
        return
    text = concept_text(res.get("code") or {})
    if not text:
        reader.reject(at(prefix, "code"), "condition without text or display")
        return
    assertion: Assertion | None = next(
        (VERIFICATION_ASSERTION[c] for c in sorted(verification) if c in VERIFICATION_ASSERTION),
        None,
    )
    if assertion is None:
        if clinical & set(ACTIVE_CONDITION):
            assertion = "present"
        elif clinical & set(PAST_CONDITION):
            assertion = "historical"
        elif "confirmed" in verification:
            assertion = "present"
    raw = res.get("onsetDateTime") or (res.get("onsetPeriod") or {}).get("start")
    date, note = reader.date(raw) if raw else (None, None)
    if note:
        reader.warn.add(f"condition onset {note}", at(prefix, "onset[x]"))
    data = reader.patient((res.get("subject") or {}).get("reference"), prefix)
    finding: str | FindingRecord = (
        text
        if assertion is None and date is None
        else FindingRecord(text=text, assertion=assertion, date=date)
    )
    data.findings = [*(data.findings or []), finding]
    reader.used()


def read_family_history(
    reader: Reader, res: dict[str, Any], prefix: str, full_url: str | None
) -> None:
    status = res.get("status")
    if status in ("entered-in-error", "health-unknown"):
        reason = (
            "entered in error"
            if status == "entered-in-error"
            else "the relative's health is not known (status health-unknown)"
        )
        reader.reject(at(prefix, "status"), reason, status)
        return
    texts = [concept_text(c.get("code") or {}) for c in res.get("condition") or []]
    named = [t for t in texts if t]
    if not named:
        reader.reject(at(prefix, "condition"), "family history without a named condition")
        return
    raw = res.get("date")
    date, note = reader.date(raw) if raw else (None, None)
    if note:
        reader.warn.add(f"family history {note}", at(prefix, "date"))
    data = reader.patient((res.get("patient") or {}).get("reference"), prefix)
    data.findings = [
        *(data.findings or []),
        *(FindingRecord(text=family_text(t), assertion="family", date=date) for t in named),
    ]
    reader.used()


def family_text(condition: str) -> str:
    """ "hypophosphatasia" -> "family history of hypophosphatasia"."""
    if condition.lower().startswith("family history"):
        return condition
    return FAMILY_PREFIX + condition
