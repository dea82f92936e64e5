"""A laboratory's own flag on a result, and the qualifier it says.

The codes are those HL7 v2 table 0078 (Interpretation codes, OBX-8) and the FHIR
v3-ObservationInterpretation code system share for the direction of a result: ``L``/``LL``
low (``LL`` critically), ``H``/``HH`` high, ``N`` normal, ``POS``/``DET`` positive or detected,
``NEG``/``ND`` negative or not detected. Other flags (``A`` abnormal, ``AA``, ``<``, ``>``,
susceptibility codes …) say no direction. Every adapter keeps the flag as sent
(:attr:`lowalp.model.LabResult.flag`); this table is used only where a result has no number
and no qualifier of its own, so that it is not lost.
"""

from __future__ import annotations

from lowalp.model import Qualifier

FLAG_QUALIFIER: dict[str, Qualifier] = {
    "L": "low",
    "LL": "low",
    "H": "high",
    "HH": "high",
    "N": "normal",
    "POS": "positive",
    "NEG": "negative",
    "DET": "positive",
    "ND": "negative",
}
FLAG_WORDS: dict[str, Qualifier] = {
    "low": "low",
    "high": "high",
    "normal": "normal",
    "positive": "positive",
    "negative": "negative",
}
"""Flags written as words (a spreadsheet's "Flag" column)."""


def flag_qualifier(flag: str | None) -> Qualifier | None:
    """The qualifier a flag says (``"LL"`` -> low, ``"high"`` -> high), or None.

    >>> flag_qualifier("ll"), flag_qualifier("A"), flag_qualifier(" Positive ")
    ('low', None, 'positive')
    """
    if not flag:
        return None
    text = flag.strip()
    return FLAG_QUALIFIER.get(text.upper()) or FLAG_WORDS.get(text.lower())
