"""Units as labs print them -> the canonical unit of each analyte.

Conversion is a per-analyte table (knowledge/analytes.yaml), never a general unit parser: the
same spelling can mean different things for different analytes, and a unit that is not in the
table is reported, not guessed.
"""

from __future__ import annotations

from collections.abc import Mapping

from lowalp.errors import UnitError
from lowalp.knowledge.schema import Analyte

DAYS_PER_YEAR = 365.25
"""Days in a year of age (the Julian year): ages and days between results convert by it."""

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


def suggest_unit(unit: str, analyte: Analyte, synonyms: Mapping[str, str]) -> str | None:
    """The accepted unit of ``analyte`` closest in spelling to ``unit`` (its reviewed
    synonyms count as spellings of their unit), or None when it has no units. It is only a
    pointer for the message: a close spelling can be another scale (U/mL is 1000 U/L).

    >>> from lowalp.knowledge import load_knowledge
    >>> alp = load_knowledge().analytes["alp"]
    >>> suggest_unit("u/l", alp, {}), suggest_unit("U/ml", alp, {}), suggest_unit("ukat", alp, {})
    ('U/L', 'U/L', 'ukat/L')
    """
    from rapidfuzz import fuzz, process  # only for a message: not imported to read a case

    spellings = {u: u for u in analyte.units}
    spellings.update({s: t for s, t in synonyms.items() if t in analyte.units})
    if not spellings:
        return None
    best = process.extractOne(
        unit.strip(), list(spellings), scorer=fuzz.ratio, processor=lambda x: x.lower()
    )
    return spellings[best[0]] if best else None


def accepted_units(analyte: Analyte) -> list[str]:
    """The analyte's units as a reader is told them: a spelling with "u" for "µ" (ug/dL) is
    left out where the "µ" one (µg/dL) is listed too: both are accepted, one is enough to say."""
    units = list(analyte.units)
    listed = set(units)
    return [u for u in units if not (u.startswith("u") and "µ" + u[1:] in listed)]


def _shown(unit: str, analyte: Analyte) -> str:
    return "µ" + unit[1:] if unit.startswith("u") and "µ" + unit[1:] in analyte.units else unit


def unknown_unit_text(unit: str, analyte: Analyte, synonyms: Mapping[str, str]) -> str:
    """What is said of a unit the table does not hold for ``analyte``: the unit as given,
    the accepted ones and the closest of them, with the reminder that it may be another scale."""
    accepted = ", ".join(accepted_units(analyte))
    text = f"unit {unit!r} is not known for {analyte.name}; accepted: {accepted}"
    closest = suggest_unit(clean_unit(unit, synonyms), analyte, synonyms)
    if closest:
        closest = _shown(closest, analyte)
        text += f"; closest: {closest!r} (use it only if the lab's report says so)"
    return text


def factor(analyte: Analyte, unit: str, synonyms: Mapping[str, str]) -> float:
    """The factor that turns a value in ``unit`` into the analyte's canonical unit.

    Raises :class:`UnitError` for a unit the table does not hold.
    """
    key = clean_unit(unit, synonyms)
    try:
        return analyte.units[key]
    except KeyError:
        closest = suggest_unit(key, analyte, synonyms)
        raise UnitError(
            analyte.id, unit, accepted_units(analyte), closest and _shown(closest, analyte)
        ) from None


def to_canonical(value: float, analyte: Analyte, unit: str, synonyms: Mapping[str, str]) -> float:
    return value * factor(analyte, unit, synonyms)


def from_canonical(value: float, analyte: Analyte, unit: str, synonyms: Mapping[str, str]) -> float:
    return value / factor(analyte, unit, synonyms)


def unit_can_be_assumed(analyte: Analyte) -> bool:
    """True when every accepted unit has the same scale, so a missing unit changes nothing."""
    return all(abs(f - 1.0) < 1e-12 for f in analyte.units.values())
