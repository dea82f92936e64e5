"""Readers of single HL7 v2 fields, free of state: OBX-5 values (NM, SN, text and coded),
OBX-8 flags, OBX-7 reference ranges, OBX-11 status codes, DTM dates (PID-7, OBX-14, OBR-7,
OBR-22) and NTE-3 comments. Each returns the reading, or the reason it cannot be used.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from lowalp.adapters.flags import FLAG_QUALIFIER
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
_FLAG_QUALIFIER = FLAG_QUALIFIER
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


_Reading = tuple[float | None, Qualifier | None, str | None]
"""OBX-5 read: (number, qualifier, the result as written when it is not a plain number)."""


def _value(vtype: str, raw: str, fields: list[str], enc: _Enc) -> _Reading | str:
    """OBX-5 read by :func:`_value_as_written`; a number too long to be finite is refused
    (``float`` reads 400 digits as infinity)."""
    reading = _value_as_written(vtype, raw, fields, enc)
    if isinstance(reading, tuple) and reading[0] is not None and not math.isfinite(reading[0]):
        return "the number is too large to be a result"
    return reading


def _value_as_written(vtype: str, raw: str, fields: list[str], enc: _Enc) -> _Reading | str:
    """OBX-5 as (number, qualifier, text), or the reason it cannot be used.

    ``text`` is the value as written for text and coded types (``ST``, ``TX``, ``FT``, ``CE``,
    ``CWE``, ``CNE``; repetitions of ``TX``/``FT`` are lines) and for censored values (``<5``;
    SN ``<=^5`` as ``<=5``); a plain ``NM`` or ``SN`` number has none. When the text is neither
    a number nor a qualifier word, the OBX-8 flags give the qualifier and the text is kept; with
    no flag that says low, normal, high, positive or negative the result cannot be used."""
    if vtype == "SN":
        parts = [enc.unescape(p) for p in enc.comps(raw)]
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
            return float(num1), None, None
        if comparator in ("<", "<="):
            return float(num1), "<", f"{comparator}{num1}"
        if comparator in (">", ">="):
            return float(num1), ">", f"{comparator}{num1}"
        return f"SN comparator {comparator!r} cannot be used"
    if vtype in _CODED_TYPES:
        return _coded(raw, fields, enc)
    reps = raw.split(enc.rep) if vtype in ("TX", "FT") else raw.split(enc.rep, 1)[:1]
    lines = [enc.unescape(r).strip() for r in reps]
    written = "\n".join(line for line in lines if line)
    text = lines[0] if lines else ""
    if not written:
        return _flags(fields, enc)
    if vtype in ("NM", *_TEXT_TYPES):
        keep = None if vtype == "NM" else written
        if _NUMBER.fullmatch(text) and "\n" not in written:
            return float(text), None, keep
        m = _CENSORED.fullmatch(text)
        if m and "\n" not in written:
            return float(m.group(2)), "<" if m.group(1).startswith("<") else ">", written
        if vtype == "NM":
            return "not a number (OBX-2 is NM)"
        word = _WORD_QUALIFIER.get(written.lower())
        if word:
            return None, word, written
        flagged = _flags(fields, enc)
        if isinstance(flagged, tuple):
            return None, flagged[1], written
        return "text result, not a number or a qualifier lowalp can use, and no flag (OBX-8) that gives one"
    return f"value type {vtype!r} (OBX-2) is not a lab value lowalp reads"


def _coded(raw: str, fields: list[str], enc: _Enc) -> _Reading | str:
    """A CWE/CE/CNE OBX-5: its identifier and text (components 1 and 2, each unescaped after
    the components are split, so that ``\\S\\`` in a text is a ``^`` of the text)."""
    comps = [enc.unescape(c).strip() for c in enc.comps(raw)[:2]]
    if not any(comps):
        return _flags(fields, enc)
    shown = _at(comps, 1) or _at(comps, 0)
    for c in comps:
        word = _WORD_QUALIFIER.get(c.lower()) or _FLAG_QUALIFIER.get(c.upper())
        if word:
            return None, word, shown or None
    flagged = _flags(fields, enc)
    if isinstance(flagged, tuple):
        return None, flagged[1], shown or None
    return "coded result that is not a qualifier lowalp can use, and no flag (OBX-8) that gives one"


def _flag(fields: list[str], enc: _Enc) -> str | None:
    """OBX-8 as sent, one code (its first component: the code of a CWE in v2.7 and later): of
    repeated flags, the first that says a direction (``A~H`` gives ``H``), else the first."""
    codes = [enc.unescape(f.split(enc.comp)[0]).strip() for f in _get(fields, 8).split(enc.rep)]
    codes = [c for c in codes if c]
    return next((c for c in codes if c.upper() in _FLAG_QUALIFIER), codes[0] if codes else None)


def _flags(fields: list[str], enc: _Enc) -> tuple[None, Qualifier, None] | str:
    flags = [
        enc.unescape(f.split(enc.comp)[0]).strip().upper() for f in _get(fields, 8).split(enc.rep)
    ]
    for f in flags:
        if f in _FLAG_QUALIFIER:
            return None, _FLAG_QUALIFIER[f], None
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
        ok = math.isfinite(low) and math.isfinite(high) and low <= high
        return (low, high) if ok else (None, None)
    c = _CENSORED.fullmatch(raw)
    if c and math.isfinite(bound := float(c.group(2))):
        return (bound, None) if c.group(1).startswith(">") else (None, bound)
    return None, None


def _comment(fields: list[str], enc: _Enc) -> str:
    """NTE-3 (FT, repeating): the comment's lines as written, formatting removed."""
    lines = (enc.unescape(r).strip() for r in _get(fields, 3).split(enc.rep))
    return "\n".join(line for line in lines if line)
