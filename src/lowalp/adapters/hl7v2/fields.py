"""Readers of single HL7 v2 fields, free of state: OBX-5 values (NM, SN, text and coded),
OBX-8 flags, OBX-7 reference ranges, OBX-11 status codes and DTM dates (PID-7, OBX-14,
OBR-7, OBR-22). Each returns the reading, or the reason it cannot be used.
"""

from __future__ import annotations

import datetime as dt
import re

from lowalp.adapters.hl7v2.encoding import _at, _Enc, _get
from lowalp.model import Qualifier

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_CENSORED = re.compile(r"(<=|>=|<|>)\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))")
_RANGE = re.compile(
    r"([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*[-–]\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:\s+(\S.*))?"
)
_DTM = re.compile(
    r"(\d{4})(\d{2})?(\d{2})?(?:\d{2}(?:\d{2}(?:\d{2}(?:\.\d{1,4})?)?)?)?([+-]\d{4})?"
)
_USED_STATUS = {"F", "C", "A"}
_STATUS_REASON = {
    "P": "preliminary result (OBX-11 = P); only final (F), corrected (C) and amended (A) results are used",
    "X": "cancelled: the result was not obtained (OBX-11 = X)",
    "D": "deleted: entered in error (OBX-11 = D)",
    "W": "wrong: entered in error (OBX-11 = W)",
}
_FLAG_QUALIFIER: dict[str, Qualifier] = {
    "L": "low",
    "LL": "low",
    "H": "high",
    "HH": "high",
    "N": "normal",
    "POS": "positive",
    "NEG": "negative",
}
_WORD_QUALIFIER: dict[str, Qualifier] = {
    "low": "low",
    "high": "high",
    "normal": "normal",
    "within normal limits": "normal",
    "wnl": "normal",
    "positive": "positive",
    "pos": "positive",
    "detected": "positive",
    "reactive": "positive",
    "negative": "negative",
    "neg": "negative",
    "not detected": "negative",
    "non-reactive": "negative",
    "nonreactive": "negative",
}
_TEXT_TYPES = {"ST", "TX", "FT", ""}
_CODED_TYPES = {"CWE", "CE", "CNE"}


def _date(raw: str) -> dt.date | str:
    """A DTM/TS as a date, or why not."""
    m = _DTM.fullmatch(raw)
    if not m:
        return "not an HL7 date/time (YYYYMMDD[HHMM[SS]][+ZZZZ])"
    if m.group(3) is None:
        return "a partial date without a day"
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return "not a valid calendar date"


def _value(
    vtype: str, raw: str, fields: list[str], enc: _Enc
) -> tuple[float | None, Qualifier | None] | str:
    """OBX-5 as (number, qualifier), or the reason it cannot be used."""
    if vtype == "SN":
        parts = enc.comps(raw)
        comparator, num1 = _at(parts, 0).strip(), _at(parts, 1).strip()
        sep2, num2 = _at(parts, 2).strip(), _at(parts, 3).strip()
        if not any((comparator, num1, sep2, num2)):
            return _flags(fields, enc)
        if sep2 or num2:
            kind = "a range" if sep2 in ("-", "") else "a ratio or a categorical value"
            return f"the value is {kind} ({num1}{sep2}{num2}), not a single result"
        if not _NUMBER.fullmatch(num1):
            return "structured numeric value without a number (SN component 2)"
        if comparator in ("", "="):
            return float(num1), None
        if comparator in ("<", "<="):
            return float(num1), "<"
        if comparator in (">", ">="):
            return float(num1), ">"
        return f"SN comparator {comparator!r} cannot be used"
    text = enc.unescape(raw.split(enc.rep, 1)[0]).strip()
    if not text:
        return _flags(fields, enc)
    if vtype in ("NM", *_TEXT_TYPES):
        if _NUMBER.fullmatch(text):
            return float(text), None
        m = _CENSORED.fullmatch(text)
        if m:
            return float(m.group(2)), "<" if m.group(1).startswith("<") else ">"
        if vtype == "NM":
            return "not a number (OBX-2 is NM)"
        word = _WORD_QUALIFIER.get(text.lower())
        if word:
            return None, word
        return "text result, not a number or a qualifier lowalp can use"
    if vtype in _CODED_TYPES:
        comps = text.split(enc.comp)
        for c in comps[:2]:
            word = _WORD_QUALIFIER.get(c.strip().lower()) or _FLAG_QUALIFIER.get(c.strip().upper())
            if word:
                return None, word
        return "coded result that is not a qualifier lowalp can use"
    return f"value type {vtype!r} (OBX-2) is not a lab value lowalp reads"


def _flags(fields: list[str], enc: _Enc) -> tuple[None, Qualifier] | str:
    flags = [f.split(enc.comp)[0].strip().upper() for f in _get(fields, 8).split(enc.rep)]
    for f in flags:
        if f in _FLAG_QUALIFIER:
            return None, _FLAG_QUALIFIER[f]
    shown = enc.rep.join(x for x in flags if x)
    if shown:
        return f"no value (OBX-5 is empty) and the flags ({shown}) do not say low, normal or high"
    return "no value (OBX-5 is empty) and no flag (OBX-8)"


def _range(raw: str, unit: str) -> tuple[float | None, float | None]:
    if not raw:
        return None, None
    m = _RANGE.fullmatch(raw)
    if m:
        if m.group(3) is not None and m.group(3).strip() != unit:
            return None, None
        low, high = float(m.group(1)), float(m.group(2))
        return (low, high) if low <= high else (None, None)
    c = _CENSORED.fullmatch(raw)
    if c:
        return (
            (float(c.group(2)), None) if c.group(1).startswith(">") else (None, float(c.group(2)))
        )
    return None, None
