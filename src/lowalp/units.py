"""Units as labs print them -> the canonical unit of each analyte.

Conversion is a per-analyte table (knowledge/analytes.yaml), never a general unit parser: the
same spelling can mean different things for different analytes, and a unit that is not in the
table is reported, not guessed.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from lowalp.errors import UnitError
from lowalp.knowledge.schema import Analyte

_MICRO_SIGNS = {"\u03bc": "\u00b5"}  # Greek small mu -> micro sign


def clean_unit(unit: str, synonyms: Mapping[str, str]) -> str:
    """Tidy a unit string (spaces, micro sign) and map it through the reviewed synonyms.

    >>> clean_unit(" μmol/L ", {})
    'µmol/L'
    >>> clean_unit("U/l", {"U/l": "U/L"})
    'U/L'
    """
    text = unit.strip()
    for a, b in _MICRO_SIGNS.items():
        text = text.replace(a, b)
    text = " ".join(text.split())
    return synonyms.get(text, text)


def accepted_units(analyte: Analyte) -> list[str]:
    return list(analyte.units)


def suggest_unit(unit: str, analyte: Analyte, synonyms: Mapping[str, str]) -> str | None:
    choices = list(analyte.units) + [s for s, t in synonyms.items() if t in analyte.units]
    match = difflib.get_close_matches(unit, choices, n=1, cutoff=0.5)
    if not match:
        lowered = {c.lower(): c for c in choices}
        hit = lowered.get(unit.lower())
        return synonyms.get(hit, hit) if hit else None
    return synonyms.get(match[0], match[0])


def factor(analyte: Analyte, unit: str, synonyms: Mapping[str, str]) -> float:
    """The factor that turns a value in ``unit`` into the analyte's canonical unit.

    Raises :class:`UnitError` for a unit the table does not hold.
    """
    key = clean_unit(unit, synonyms)
    try:
        return analyte.units[key]
    except KeyError:
        raise UnitError(
            analyte.id, unit, accepted_units(analyte), suggest_unit(key, analyte, synonyms)
        ) from None


def to_canonical(value: float, analyte: Analyte, unit: str, synonyms: Mapping[str, str]) -> float:
    return value * factor(analyte, unit, synonyms)


def from_canonical(value: float, analyte: Analyte, unit: str, synonyms: Mapping[str, str]) -> float:
    return value / factor(analyte, unit, synonyms)


def unit_can_be_assumed(analyte: Analyte) -> bool:
    """True when every accepted unit has the same scale, so a missing unit changes nothing."""
    return all(abs(f - 1.0) < 1e-12 for f in analyte.units.values())
