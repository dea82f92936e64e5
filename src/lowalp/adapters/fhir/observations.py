"""``Observation`` [observation.html]: one laboratory result.

- Only ``status`` final / amended / corrected is used; every other status is rejected with it.
- ``code.coding`` with system ``http://loinc.org`` gives the analyte through the knowledge's
  LOINC index; other codings go through ``options.code_map`` (matched with their system).
  A result none of whose codes does is set aside, before it is validated: as "standard code
  not used by lowalp" when one of its codes is in a standard system (a LOINC code of a lipid,
  a vital sign: identified, simply not used; no code map is asked for), else as a code lowalp
  cannot identify, which a ``--code-map`` entry names. A LOINC code lowalp does not list whose
  text names ALP is the exception: it may be an ALP under a code the knowledge lacks, so a
  code map is suggested.
- ``valueQuantity`` gives value and unit (``unit`` as printed, else ``code``; not converted:
  the core normaliser converts). A unit the knowledge does not accept for the analyte is
  rejected here, with the pointer to ``valueQuantity.unit`` and a "did you mean". Without a
  unit the code map's unit is used, or none when the analyte has a single unit.
- ``comparator`` ``<``/``<=`` gives the censored qualifier ``<``, ``>``/``>=`` gives ``>``;
  ``<=1`` and ``>=1`` are also kept as ``text`` (the qualifier alone loses the ``=``). The
  value's ``originalText`` extension, when it carries one, is the ``text``.
- ``valueString`` is kept as ``text`` as written; ``valueCodeableConcept`` gives ``text`` from
  its ``text`` or first ``display``. Either gives a qualifier when it reads as one (``<5``,
  ``positive``, ``low``; SNOMED 10828004 positive / 260385009 negative; a v3 interpretation
  code).
- ``interpretation`` is kept as ``flag``: the first coding's code (``L``, ``HH``, ``POS``,
  ``A`` … as sent; the core maps it), else the concept's text. Where the value gives no
  qualifier (no value, or a text that is not one), the flag gives it: v3-ObservationInterpretation
  ``L``/``LL`` low, ``N`` normal, ``H``/``HH`` high, ``POS``/``NEG``, ``DET``/``ND``.
- ``note[].text`` is kept as ``note`` (several joined by a blank line).
- Other ``value[x]`` types are rejected, and so is a result whose value, text and flag give no
  number and no qualifier: a text alone (``see comment``) is rejected with the text shown, a
  result with nothing at all with its ``dataAbsentReason``.
- The date is chosen as :mod:`lowalp.adapters.fhir.dates` says; ``referenceRange`` as
  :mod:`lowalp.adapters.fhir.ranges` says; ``specimen.reference`` is kept for the same-sample
  checks.

Each usable result is kept as an :class:`Obs` tuple: a bulk export may hold millions.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any, NamedTuple

from lowalp.adapters.base import Rejected, finite
from lowalp.adapters.fhir.concepts import (
    LOINC,
    ORIGINAL_TEXT,
    SNOMED,
    V3_INTERPRETATION,
    codings,
    concept_text,
    concept_texts,
    shown_codes,
    standard_coding,
    well_formed,
)
from lowalp.adapters.fhir.dates import effective_date
from lowalp.adapters.fhir.pointers import at
from lowalp.adapters.fhir.ranges import Range, read_ranges
from lowalp.adapters.flags import FLAG_QUALIFIER
from lowalp.adapters.reasons import (
    CODE_NOT_IDENTIFIED,
    STANDARD_CODE_NOT_USED,
    STANDARD_CODE_REASON,
    STATUS_NOT_USED,
)
from lowalp.model import Qualifier
from lowalp.units import clean_unit, unit_can_be_assumed, unknown_unit_text

if TYPE_CHECKING:
    from lowalp.adapters.fhir.reader import Reader

USED_OBSERVATION_STATUS = ("final", "amended", "corrected")
INTERPRETATION = FLAG_QUALIFIER
"""v3-ObservationInterpretation code -> qualifier (the codes shared with HL7 v2 table 0078)."""
SNOMED_QUALIFIER: dict[str, Qualifier] = {"10828004": "positive", "260385009": "negative"}
WORD_QUALIFIER: dict[str, Qualifier] = {
    "low": "low",
    "normal": "normal",
    "high": "high",
    "positive": "positive",
    "negative": "negative",
    "detected": "positive",
    "not detected": "negative",
    "pos": "positive",
    "neg": "negative",
}
COMPARATOR: dict[str, Qualifier] = {"<": "<", "<=": "<", ">": ">", ">=": ">"}
CENSORED = re.compile(r"^\s*(<=?|>=?)\s*(\d+(?:\.\d+)?)\s*(\S.*)?$")
NAMES_ALP = re.compile(r"alkaline phosphatase|\balk\.? ?phos|\bALP\b", re.IGNORECASE)
UNKNOWN_CODE = "unknown code; add it to a --code-map file"
NO_CODE = "no code: lowalp identifies a result by its LOINC code or a --code-map entry"


class Obs(NamedTuple):
    """One usable Observation, compact (millions may be held)."""

    analyte: str
    value: float | None
    unit: str | None
    qualifier: Qualifier | None
    ranges: tuple[Range, ...]
    date: dt.date | None
    specimen: str | None
    text: str | None = None
    flag: str | None = None
    note: str | None = None


def read_observation(
    reader: Reader, res: dict[str, Any], prefix: str, full_url: str | None
) -> None:
    status = res.get("status")
    code = res.get("code")
    undecided = not isinstance(status, str) or code is None or not well_formed(code)
    if undecided and not reader.valid(res, prefix):  # the element at fault is named
        return
    if status not in USED_OBSERVATION_STATUS:
        reader.reject(
            at(prefix, "status"),
            f"status {status!r}: only final, amended and corrected results are used",
            status,
            STATUS_NOT_USED,
        )
        return
    found = find_analyte(reader, code or {})
    if isinstance(found, Rejected):
        reader.reject(at(prefix, found.pointer), found.reason, found.value, found.category)
        return
    if not reader.valid(res, prefix):
        return
    analyte, map_unit = found
    value: float | None = None
    unit: str | None = None
    qualifier: Qualifier | None = None
    text: str | None = None
    flag, flag_qualifier = interpretation_flag(res.get("interpretation") or [])
    q = res.get("valueQuantity")
    if q is not None:
        if q.get("value") is None:
            reader.reject(at(prefix, "valueQuantity.value"), "valueQuantity without a value")
            return
        value = finite(q["value"])
        if value is None:
            reader.reject(
                at(prefix, "valueQuantity.value"), "not a finite number", str(q["value"])[:40]
            )
            return
        comparator = q.get("comparator")
        if comparator:
            qualifier = COMPARATOR[comparator]
        if comparator in ("<=", ">="):
            text = f"{comparator}{value:g}"  # the qualifier alone would lose the '='
        text = original_text(q) or text
        unit_or_reject = quantity_unit(reader, analyte, q, map_unit, prefix)
        if isinstance(unit_or_reject, Rejected):
            reader.reject(unit_or_reject.pointer, unit_or_reject.reason, unit_or_reject.value)
            return
        unit = unit_or_reject
    elif "valueCodeableConcept" in res:
        concept = res["valueCodeableConcept"]
        text = concept_text(concept)
        qualifier = concept_qualifier(concept) or flag_qualifier
        if qualifier is None:
            reader.reject(
                at(prefix, "valueCodeableConcept"),
                "coded value not understood (expected positive/negative/low/normal/high)",
                text,
            )
            return
    elif "valueString" in res:
        text = str(res["valueString"]).strip()
        m = CENSORED.match(text)
        if m:
            qualifier = COMPARATOR[m.group(1)]
            value = finite(m.group(2))
            if value is None:
                reader.reject(at(prefix, "valueString"), "not a finite number", text[:40])
                return
            unit = m.group(3) or map_unit
        else:
            qualifier = WORD_QUALIFIER.get(text.lower()) or flag_qualifier
        if qualifier is None:
            reader.reject(
                at(prefix, "valueString"),
                "text value not understood (expected e.g. '<5', 'positive', 'low')",
                text,
            )
            return
    elif any(k.startswith("value") for k in res):
        kind = next(k for k in res if k.startswith("value"))
        reader.reject(
            at(prefix, kind), f"{kind} is not used (only Quantity, CodeableConcept, String)"
        )
        return
    else:
        qualifier = flag_qualifier
        if qualifier is None:
            absent = concept_text(res.get("dataAbsentReason") or {})
            if absent:
                reader.reject(at(prefix, "dataAbsentReason"), "no value", absent)
            else:
                reader.reject(at(prefix, "value[x]"), "no value and no interpretation")
            return
    when, date_note, where = effective_date(res, reader.date)
    if date_note:
        reader.warn.add(date_note, at(prefix, where))
    ranges = read_ranges(reader, res.get("referenceRange") or [], analyte, unit, prefix)
    specimen = (res.get("specimen") or {}).get("reference")
    subject = (res.get("subject") or {}).get("reference")
    reader.patient(subject, prefix).labs.append(
        Obs(
            analyte,
            value,
            unit,
            qualifier,
            ranges,
            when,
            specimen,
            text,
            reader.intern(flag),
            note_text(res.get("note")),
        )
    )
    reader.used()


def find_analyte(reader: Reader, code: dict[str, Any]) -> tuple[str, str | None] | Rejected:
    """The analyte id and the code map's unit (or None), or why the code is not used, with
    the category: a standard code not used, or a code lowalp cannot identify."""
    found = codings(code)
    for c in found:
        if c.get("system") == LOINC and c["code"] in reader.kb.loinc_index:
            return reader.kb.loinc_index[c["code"]], None
    cmap = reader.options.code_map
    if cmap is not None:
        for c in found:
            hit = cmap.lookup(c["code"], c.get("system"))
            if hit:
                return hit.analyte, hit.unit
    shown = shown_codes(code)
    standard = standard_coding(code)
    if standard is None:
        reason = UNKNOWN_CODE if found else NO_CODE
        return Rejected("code", reason, shown, CODE_NOT_IDENTIFIED)
    loinc = next((c for c in found if c.get("system") == LOINC), None)
    if loinc is not None and any(NAMES_ALP.search(t) for t in concept_texts(code)):
        alp = reader.kb.analytes["alp"].name
        return Rejected(
            "code",
            f"LOINC {loinc['code']} names {alp} but is not a code lowalp lists for it; "
            "if it is serum or plasma ALP, add it to a --code-map file",
            shown,
            CODE_NOT_IDENTIFIED,
        )
    return Rejected("code", STANDARD_CODE_REASON, shown, STANDARD_CODE_NOT_USED)


def quantity_unit(
    reader: Reader, analyte_id: str, q: dict[str, Any], map_unit: str | None, prefix: str
) -> str | Rejected | None:
    """The unit of a valueQuantity as the knowledge accepts it for the analyte."""
    analyte = reader.kb.analytes[analyte_id]
    syn = reader.kb.unit_synonyms
    printed, code = q.get("unit"), q.get("code")
    for candidate, path in ((printed, "unit"), (code, "code")):
        if candidate and clean_unit(candidate, syn) in analyte.units:
            if path == "code":
                reader.warn.add(
                    f"printed unit {printed!r} not known; the UCUM code was used",
                    at(prefix, "valueQuantity.unit"),
                )
            return reader.unit_cache.setdefault(candidate, candidate)
    if printed or code:
        bad = printed or code
        return Rejected(
            at(prefix, "valueQuantity.unit" if printed else "valueQuantity.code"),
            unknown_unit_text(str(bad), analyte, syn),
            bad,
        )
    if map_unit:
        return map_unit
    if unit_can_be_assumed(analyte):
        return None
    return Rejected(
        at(prefix, "valueQuantity.unit"),
        f"no unit: {analyte.name} is reported in several units ({', '.join(analyte.units)})",
    )


def interpretation_flag(concepts: list[Any]) -> tuple[str | None, Qualifier | None]:
    """The lab's flag (the first coding's code, else the concept's text) and the qualifier
    the first v3 interpretation code that has one gives (any system, by code)."""
    flag: str | None = None
    qualifier: Qualifier | None = None
    for concept in concepts:
        if not isinstance(concept, dict):
            continue
        for c in concept.get("coding") or []:
            code = c.get("code")
            if code and flag is None:
                flag = str(code)
            if qualifier is None:
                qualifier = INTERPRETATION.get(str(code))
        if flag is None:
            flag = concept_text(concept)
    return flag, qualifier


def note_text(notes: Any) -> str | None:
    """``note[].text`` (Annotation), several joined by a blank line."""
    texts = [str(n["text"]).strip() for n in notes or [] if isinstance(n, dict) and n.get("text")]
    return "\n\n".join(t for t in texts if t) or None


def original_text(element: dict[str, Any]) -> str | None:
    """The value of a core ``originalText`` extension on an element, if it has one."""
    for ext in element.get("extension") or []:
        if ext.get("url") == ORIGINAL_TEXT and ext.get("valueString"):
            return str(ext["valueString"])
    return None


def concept_qualifier(concept: dict[str, Any]) -> Qualifier | None:
    """The qualifier of a ``valueCodeableConcept``: SNOMED, v3 interpretation, else its text."""
    for c in concept.get("coding") or []:
        code = str(c.get("code"))
        if c.get("system") == SNOMED and code in SNOMED_QUALIFIER:
            return SNOMED_QUALIFIER[code]
        if c.get("system") == V3_INTERPRETATION and code in INTERPRETATION:
            return INTERPRETATION[code]
    text = (concept_text(concept) or "").strip().lower()
    return WORD_QUALIFIER.get(text)
