"""The OMOP ids the synthetic generator writes, all read from the knowledge's table.

Nothing here is an id: every measurement, unit, gender, operator and record-type concept comes
from ``knowledge/omop.yaml`` (``kb.omop``, each id with its source), so the synthetic data, the
screen and the exported cohort read one table. An analyte the table gives no concept for gets
a site-local id above 2,000,000,000 (the OMOP convention for local concepts, so it can never
collide with a real one), numbered in the order of :data:`ANALYTES`; ``concept.parquet``
carries its LOINC code, through which the screen maps it. A unit the table gives no concept
for is written as 0 (unmapped) with ``unit_source_value`` set, as the CDM convention asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, NamedTuple

if TYPE_CHECKING:
    from lowalp.knowledge import Knowledge

LOCAL_BASE: Final = 2_000_000_000
"""Site-local concept ids start above this (OMOP convention)."""

ANALYTES: Final[tuple[str, ...]] = (
    "alp", "albumin", "total_protein", "tsh", "free_t4", "b12", "hemoglobin", "mcv",
    "magnesium", "calcium", "phosphate", "potassium", "sodium", "creatinine",
    "bilirubin_total", "ast", "alt", "ggt", "crp", "ferritin", "bmi", "vitamin_d_25oh",
    "copper", "folate", "urine_pea", "bone_alp", "prealbumin", "zinc", "vitamin_c", "mma",
    "ionized_calcium", "pth", "plp", "ceruloplasmin", "urine_copper_24h", "inr", "ttg_iga",
)  # fmt: skip
"""The analytes the generator writes, in the order its tables index them."""


class Concept(NamedTuple):
    analyte: str
    concept_id: int
    loinc: str
    name: str
    checked: str  # "knowledge" (an id of knowledge/omop.yaml) | "local"


@dataclass(frozen=True)
class SynthIds:
    """Every OMOP id the generator writes, from one knowledge."""

    concepts: tuple[Concept, ...]
    units: dict[str, int]
    male: int
    female: int
    operator_lt: int
    lab_type: int


def synth_ids(kb: Knowledge) -> SynthIds:
    """The ids of :data:`ANALYTES`, their units, the sexes, '<' and the Lab record type, from
    ``kb.omop`` (a local id where the table has none)."""
    omop = kb.omop
    concepts: list[Concept] = []
    local = 0
    for a in ANALYTES:
        an = kb.analytes[a]
        cid = omop.concept_of(a)
        if cid is None:
            local += 1
            concepts.append(Concept(a, LOCAL_BASE + local, an.loinc[0], an.name, "local"))
            continue
        entry = omop.concepts[cid]
        concepts.append(
            Concept(a, cid, entry.loinc or an.loinc[0], entry.name or an.name, "knowledge")
        )
    return SynthIds(
        concepts=tuple(concepts),
        units=omop.unit_concepts(),
        male=omop.gender_of("M"),
        female=omop.gender_of("F"),
        operator_lt=omop.operator_of("<"),
        lab_type=omop.measurement_type_of("lab"),
    )
