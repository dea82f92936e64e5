"""Clinical facts: ``Condition`` and ``FamilyMemberHistory``, as findings with their assertion.

- ``Condition`` -> a :class:`~lowalp.model.FindingRecord` with the words of ``code`` and the
  date of ``onsetDateTime`` (or ``onsetPeriod.start``). No condition code is mapped to a
  finding: the words are read by the clinical-text reader (:func:`lowalp.text.reader.read_text`,
  as a free-text finding is), ``code.text`` first, then each coding's ``display``; the first
  that names a finding lowalp knows ("Celiac disease", "Wilson's disease") is the finding's
  text. A Condition coded in a standard system (SNOMED CT, ICD-10 …) none of whose words does
  is set aside before it is validated, as "standard code not used by lowalp"; one without a
  standard code keeps its words, which the assessment lists as not understood, with the
  findings they come closest to.
- The assertion comes from ``verificationStatus`` first: ``refuted`` → absent (never
  present, whatever the clinical status says); ``unconfirmed``, ``provisional``,
  ``differential`` → uncertain; ``entered-in-error`` is rejected. Otherwise from
  ``clinicalStatus``: ``active``, ``recurrence``, ``relapse`` → present; ``inactive``,
  ``remission``, ``resolved`` → historical. Words that qualify the finding ("ruled out",
  "possible") still win over a status of present when the case is normalised. A Condition that says nothing but its words (no
  status, no onset date) is kept as plain text, read as free text is.
- ``FamilyMemberHistory`` -> one finding per ``condition``, text "family history of
  <condition>" (kept as it is when it already starts "family history"), assertion family, date
  ``date``. A history ``entered-in-error`` or ``health-unknown``, or without a condition, is
  rejected. Its patient is ``patient`` (not ``subject``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lowalp.adapters.fhir.concepts import (
    codes,
    concept_text,
    concept_texts,
    shown_codes,
    standard_coding,
    well_formed,
)
from lowalp.adapters.fhir.pointers import at
from lowalp.adapters.reasons import (
    STANDARD_CODE_NOT_USED,
    STANDARD_CODE_REASON,
    STATUS_NOT_USED,
    TEXT_NOT_UNDERSTOOD,
)
from lowalp.model import Assertion, FindingRecord
from lowalp.text.reader import read_text

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
FINDING_KINDS = frozenset({"FINDING", "RELATIVE", "PANEL"})
"""What the words of a Condition are read for: what a free-text finding is read for
(:func:`lowalp.normalise.context._finding_entry`)."""


def understood(reader: Reader, concept: Any) -> str | None:
    """The first of the concept's words (``text``, then each ``display``) in which the
    clinical-text reader finds something lowalp reasons about."""
    for text in concept_texts(concept):
        if read_text(text, reader.kb, kinds=FINDING_KINDS).mentions:
            return text
    return None


def read_condition(reader: Reader, res: dict[str, Any], prefix: str, full_url: str | None) -> None:
    code = res.get("code")
    if not all(
        well_formed(res.get(k)) for k in ("clinicalStatus", "verificationStatus", "code")
    ) and not reader.valid(res, prefix):
        return
    clinical = codes(res.get("clinicalStatus"))
    verification = codes(res.get("verificationStatus"))
    if "entered-in-error" in verification:
        reader.reject(at(prefix, "verificationStatus"), "entered in error", None, STATUS_NOT_USED)
        return
    if not concept_text(code):
        reader.reject(
            at(prefix, "code"), "condition without text or display", None, TEXT_NOT_UNDERSTOOD
        )
        return
    text = understood(reader, code)
    if text is None:
        if standard_coding(code) is not None:
            reader.reject(
                at(prefix, "code"), STANDARD_CODE_REASON, shown_codes(code), STANDARD_CODE_NOT_USED
            )
            return
        text = str(concept_text(code))  # words only: the assessment says it did not read them
    if not reader.valid(res, prefix):
        return
    assertion: Assertion | None = next(
        (VERIFICATION_ASSERTION[c] for c in sorted(verification) if c in VERIFICATION_ASSERTION),
        None,
    )
    if "refuted" in verification:  # whatever else it says
        assertion = "absent"
    elif assertion is None:
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
        reader.reject(at(prefix, "status"), reason, status, STATUS_NOT_USED)
        return
    if not reader.valid(res, prefix):
        return
    texts = [concept_text(c.get("code") or {}) for c in res.get("condition") or []]
    named = [t for t in texts if t]
    if not named:
        reader.reject(
            at(prefix, "condition"),
            "family history without a named condition",
            None,
            TEXT_NOT_UNDERSTOOD,
        )
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
