"""The analyte and unit menus of the form, from the knowledge."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lowalp.knowledge import Knowledge
from lowalp.knowledge.schema import Analyte


@dataclass(frozen=True)
class UnitChoice:
    unit: str
    factor: float


@dataclass(frozen=True)
class AnalyteChoice:
    id: str
    name: str
    canonical: str
    units: tuple[UnitChoice, ...]
    plausible: tuple[float, float]


def menu_units(a: Analyte) -> tuple[UnitChoice, ...]:
    """The analyte's accepted units, canonical first; ASCII ``u`` spellings (``ug/L``) are
    left out of the menu when the ``µ`` one is there (both are accepted when typed in a file)."""
    out = [UnitChoice(a.canonical_unit, 1.0)]
    for unit, f in a.units.items():
        alt = re.sub(r"(?<![A-Za-z])u(?=[A-Za-z])", "µ", unit)
        if unit == a.canonical_unit or (alt != unit and alt in a.units):
            continue
        out.append(UnitChoice(unit, f))
    return tuple(out)


def analyte_choices(kb: Knowledge) -> tuple[AnalyteChoice, ...]:
    """Every analyte for the pickers, ALP first, then in the knowledge's order."""
    ordered = sorted(kb.analytes.values(), key=lambda a: a.id != "alp")
    return tuple(
        AnalyteChoice(
            a.id, a.name, a.canonical_unit, menu_units(a), (a.plausible[0], a.plausible[1])
        )
        for a in ordered
    )
