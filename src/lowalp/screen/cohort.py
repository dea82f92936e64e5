"""The persistence rule as an OHDSI Circe/ATLAS cohort definition (``--export-cohort``).

Sites that run OHDSI tools can import the JSON into ATLAS (or compile it with Circe) and find
the same people the screen finds, on their own OMOP CDM. The expression follows the Circe idiom
for "two measurements below X at least N days apart" (field
names checked against ``OHDSI/circe-be`` ``Measurement.java`` and ``CohortExpression.java``):

- primary events: every ALP measurement that is low, either below the lab's own lower limit
  (``RangeLowRatio < 1``, i.e. ``value_as_number / range_low < 1``) or below the age/sex lower
  limit of the knowledge's interval table (``ValueAsNumber < lower``, one criterion per unit
  group, sex and whole-year age band). A unit group is the ALP units that have an OMOP unit
  concept in the knowledge (``knowledge.omop``) and share a conversion factor (U/L and IU/L:
  1); the limit is divided by the factor;
- inclusion rule 1: another low ALP at least ``min_span_days`` after the event;
- inclusion rule 2: no ALP at or above the age/sex lower limit, and for adults none at or above
  the printed lower limit (``RangeLowRatio >= 1``), from the event's day on (the newest value
  is low and no normal value interrupts the run);
- the earliest qualifying event per person is the cohort entry: the first low of the final run.

What Circe cannot say exactly, and so whom the cohort misses, is written into the
``Description`` and ``docs/screening.md``: Circe reads ``unit_concept_id`` and never
``unit_source_value``, so a result with no ``range_low`` whose unit concept is 0 (unmapped) or
a unit with no concept in the knowledge is invisible; it cannot test whether ``range_low`` is
missing, so for an adult the age/sex table and the printed range both count (the screen uses
the printed range alone when there is one); ``Age`` is whole calendar years
(``YEAR(date) - year_of_birth``), so the bands under one year collapse into one; persons of
unknown sex match only through the printed range. :func:`unreadable_persons` counts, on data
the screen has judged, the persistent persons with results of the first kind.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lowalp.intervals import Interval
    from lowalp.knowledge import Knowledge

GENDER_NAMES = {"F": "FEMALE", "M": "MALE"}
ALP_CODESET = 0
OPEN_ENDED_YEARS = 150.0
"""An interval whose ``age_max`` reaches this is open-ended (the table writes 200)."""

OCCURRENCE_EXACTLY, OCCURRENCE_AT_LEAST = 0, 2


@dataclass(frozen=True)
class AgeBand:
    """Whole-year ages ``first``..``last`` (``last`` None = and older) that share one interval."""

    first: int
    last: int | None
    interval: Interval

    def circe(self) -> dict[str, Any]:
        if self.last is None:
            return {"Value": self.first, "Op": "gte"}
        if self.last == self.first:
            return {"Value": self.first, "Op": "eq"}
        return {"Value": self.first, "Op": "bt", "Extent": self.last}


def age_bands(intervals: tuple[Interval, ...], sex: str) -> list[AgeBand]:
    """The interval table as Circe can see it: whole years, each year given the interval that
    holds its middle (year 0 -> the interval at 0.5 y)."""
    mine = [iv for iv in intervals if iv.sex in (None, sex)]
    bands: list[AgeBand] = []
    year = 0
    while True:
        mid = year + 0.5
        iv = next((i for i in mine if i.age_min <= mid < i.age_max), None)
        if iv is None:
            break
        if iv.age_max >= OPEN_ENDED_YEARS:
            bands.append(AgeBand(year, None, iv))
            break
        if bands and bands[-1].interval.id == iv.id:
            bands[-1] = AgeBand(bands[-1].first, year, iv)
        else:
            bands.append(AgeBand(year, year, iv))
        year += 1
    return bands


def cohort_definition(knowledge: Knowledge) -> dict[str, Any]:
    """The Circe cohort expression (a JSON-ready ``dict``) for the knowledge's persistence rule.

    >>> from lowalp.knowledge import load_knowledge
    >>> kb = load_knowledge()
    >>> expr = cohort_definition(kb)
    >>> concept = expr["ConceptSets"][0]["expression"]["items"][0]["concept"]
    >>> concept["CONCEPT_ID"] == kb.omop.concept_of("alp")
    True
    """
    ids = omop_ids(knowledge)
    rule = knowledge.settings.persistence
    days = math.ceil(rule.min_span_days)
    bands = {sex: age_bands(knowledge.intervals, sex) for sex in ids.gender}

    low = [_printed("lt")] + [
        _band(band, sex, "lt", group, ids)
        for group in ids.units
        for sex, sex_bands in bands.items()
        for band in sex_bands
    ]
    adult = math.ceil(knowledge.settings.adult_age_years)
    at_or_above = [
        _band(band, sex, "gte", group, ids)
        for group in ids.units
        for sex, sex_bands in bands.items()
        for band in sex_bands
    ] + [_printed("gte", adult)]

    later_low = {
        "name": f"another low ALP at least {days} days later",
        "description": (
            f"At least one more low ALP (same definition as the entry event) {days} or more "
            "days after it: the first-to-last span of the low run reaches "
            f"{rule.min_span_days:g} days."
        ),
        "expression": _group(
            "ANY",
            [_windowed(c, start_days=days, occurrence=(OCCURRENCE_AT_LEAST, 1)) for c in low],
        ),
    }
    no_normal_after = {
        "name": "no normal ALP from the entry day on",
        "description": (
            "No ALP at or above the age/sex lower limit, and for adults (age "
            f">= {adult}) none at or above the lab's printed lower limit, on or after the "
            "entry day, so the newest ALP is low and no normal value interrupts the run."
        ),
        "expression": _group(
            "ALL",
            [_windowed(c, start_days=0, occurrence=(OCCURRENCE_EXACTLY, 0)) for c in at_or_above],
        ),
    }
    rules = [later_low, no_normal_after]
    if rule.min_low_values > 2:
        rules.insert(
            1,
            {
                "name": f"at least {rule.min_low_values} low ALP values on distinct days",
                "description": (
                    f"At least {rule.min_low_values - 1} more low ALP values on distinct later "
                    "days (counted within one age/sex criterion: Circe does not add counts "
                    "across criteria)."
                ),
                "expression": _group(
                    "ANY",
                    [
                        _windowed(
                            c,
                            start_days=1,
                            occurrence=(OCCURRENCE_AT_LEAST, rule.min_low_values - 1),
                            distinct_dates=True,
                        )
                        for c in low
                    ],
                ),
            },
        )

    return {
        "Title": "Persistently low alkaline phosphatase (lowalp)",
        "Description": _description(knowledge, days, bands, ids),
        "cdmVersionRange": ">=5.0.0",
        "PrimaryCriteria": {
            "CriteriaList": low,
            "ObservationWindow": {"PriorDays": 0, "PostDays": 0},
            "PrimaryCriteriaLimit": {"Type": "All"},
        },
        "ConceptSets": [_alp_concept_set(ids)],
        "QualifiedLimit": {"Type": "First"},
        "ExpressionLimit": {"Type": "First"},
        "InclusionRules": rules,
        "CensoringCriteria": [],
        "CollapseSettings": {"CollapseType": "ERA", "EraPad": 0},
        "CensorWindow": {},
    }


def write_cohort(path: Path, knowledge: Knowledge) -> Path:
    """Write :func:`cohort_definition` as pretty JSON to ``path`` and return ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(cohort_definition(knowledge), indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def readable_units(knowledge: Knowledge) -> set[str]:
    """The ALP units the cohort compares with the age/sex limits: those with an OMOP unit
    concept in the knowledge."""
    return {c[1] for g in omop_ids(knowledge).units for c in g.concepts}


def unreadable(staged: Any, knowledge: Knowledge) -> Any:
    """Of staged ALP rows with no printed range (an Ibis table with ``person_id`` and
    ``unit``), the persons with a result in a unit the cohort cannot read (no OMOP unit
    concept in the knowledge, or none given), with those units: one row per person and unit.

    Circe reads ``unit_concept_id`` and never ``unit_source_value``, so without a
    ``range_low`` such a result is compared with no limit. (A result whose source left its
    unit concept at 0 although the knowledge has one for it cannot be told apart here, and is
    not counted.)"""
    units = sorted(readable_units(knowledge))
    bad = staged.filter(staged.unit.isnull() | ~staged.unit.isin(units))
    return bad.select("person_id", "unit").distinct()


# ----------------------------------------------------------------------------- OMOP ids


@dataclass(frozen=True)
class UnitGroup:
    """ALP unit concepts that share one conversion factor to the canonical unit: one Circe
    criterion lists them all, with the limit divided by ``factor``."""

    factor: float
    concepts: tuple[tuple[int, str, str], ...]  # (concept id, unit as written, concept name)

    @property
    def units(self) -> str:
        return ", ".join(f"{u} (concept {i})" for i, u, _ in self.concepts)


@dataclass(frozen=True)
class OmopIds:
    alp: int
    alp_loinc: str
    alp_name: str
    unit_code: str
    units: tuple[UnitGroup, ...]
    gender: dict[str, int]


def omop_ids(knowledge: Knowledge) -> OmopIds:
    """The ALP concept, the concepts of every ALP unit (grouped by conversion factor, the
    canonical unit's group first) and the gender concepts, from the knowledge's one OMOP
    table (``knowledge.omop``: knowledge/omop.yaml, each id with its source)."""
    from lowalp.errors import KnowledgeError

    omop = knowledge.omop
    alp = knowledge.analytes["alp"]
    cid = omop.concept_of("alp")
    by_factor: dict[float, list[tuple[int, str, str]]] = {}
    for uid, u in sorted(omop.units.items()):
        if u.unit in alp.units:
            by_factor.setdefault(alp.units[u.unit], []).append((uid, u.unit, u.name or u.unit))
    if cid is None or 1 not in by_factor:
        raise KnowledgeError(
            "omop.yaml",
            [
                *(["concepts: no concept for analyte 'alp'"] if cid is None else []),
                *(
                    [f"units: no concept for the ALP unit {alp.canonical_unit!r}"]
                    if 1 not in by_factor
                    else []
                ),
            ],
        )
    groups = sorted(by_factor.items(), key=lambda kv: (kv[0] != 1, kv[0]))
    entry = omop.concepts[cid]
    return OmopIds(
        alp=cid,
        alp_loinc=entry.loinc or alp.loinc[0],
        alp_name=entry.name or alp.name,
        unit_code=alp.canonical_unit,
        units=tuple(UnitGroup(f, tuple(c)) for f, c in groups),
        gender={sex: omop.gender_of(sex) for sex in ("F", "M")},
    )


# ----------------------------------------------------------------------------- pieces


def _concept(
    concept_id: int, name: str, code: str, domain: str, vocabulary: str, concept_class: str
) -> dict[str, Any]:
    return {
        "CONCEPT_ID": concept_id,
        "CONCEPT_NAME": name,
        "STANDARD_CONCEPT": "S",
        "STANDARD_CONCEPT_CAPTION": "Standard",
        "INVALID_REASON": "V",
        "INVALID_REASON_CAPTION": "Valid",
        "CONCEPT_CODE": code,
        "DOMAIN_ID": domain,
        "VOCABULARY_ID": vocabulary,
        "CONCEPT_CLASS_ID": concept_class,
    }


def _alp_concept_set(ids: OmopIds) -> dict[str, Any]:
    alp = _concept(
        ids.alp,
        ids.alp_name,
        ids.alp_loinc,
        "Measurement",
        "LOINC",
        "Lab Test",
    )
    return {
        "id": ALP_CODESET,
        "name": "Alkaline phosphatase in serum or plasma",
        "expression": {
            "items": [
                {
                    "concept": alp,
                    "isExcluded": False,
                    "includeDescendants": False,
                    "includeMapped": False,
                }
            ]
        },
    }


def _units(group: UnitGroup) -> list[dict[str, Any]]:
    return [_concept(i, name, unit, "Unit", "UCUM", "Unit") for i, unit, name in group.concepts]


def _gender(sex: str, ids: OmopIds) -> dict[str, Any]:
    return _concept(ids.gender[sex], GENDER_NAMES[sex], sex, "Gender", "Gender", "Gender")


def _printed(op: str, min_age: int | None = None) -> dict[str, Any]:
    """Below (``lt``) or at/above (``gte``) the lab's own lower limit: ``value_as_number /
    range_low`` against 1, in whatever unit (from age ``min_age`` on, when given)."""
    m: dict[str, Any] = {
        "CodesetId": ALP_CODESET,
        "MeasurementTypeExclude": False,
        "RangeLowRatio": {"Value": 1, "Op": op},
    }
    if min_age is not None:
        m["Age"] = {"Value": min_age, "Op": "gte"}
    return {"Measurement": m}


def _band(band: AgeBand, sex: str, op: str, group: UnitGroup, ids: OmopIds) -> dict[str, Any]:
    """Below (``lt``) or at/above (``gte``) the band's lower limit, converted to the units of
    ``group``, for one sex."""
    return {
        "Measurement": {
            "CodesetId": ALP_CODESET,
            "MeasurementTypeExclude": False,
            "ValueAsNumber": {"Value": _limit(band.interval.lower, group.factor), "Op": op},
            "Unit": _units(group),
            "Age": band.circe(),
            "Gender": [_gender(sex, ids)],
        }
    }


def _limit(lower: float, factor: float) -> float:
    """A canonical-unit limit in a unit whose values are multiplied by ``factor`` to give the
    canonical unit (analytes.yaml), to 6 significant digits."""
    return float(f"{lower / factor:.6g}")


def _windowed(
    criteria: dict[str, Any],
    *,
    start_days: int,
    occurrence: tuple[int, int],
    distinct_dates: bool = False,
) -> dict[str, Any]:
    """A correlated criterion starting ``start_days`` or more days after the index, unbounded."""
    kind, count = occurrence
    occ: dict[str, Any] = {"Type": kind, "Count": count, "IsDistinct": distinct_dates}
    if distinct_dates:
        occ["CountColumn"] = "START_DATE"
    return {
        "Criteria": criteria,
        "StartWindow": {
            "Start": {"Days": start_days, "Coeff": 1},
            "End": {"Coeff": 1},
            "UseIndexEnd": False,
            "UseEventEnd": False,
        },
        "RestrictVisit": False,
        "IgnoreObservationPeriod": True,
        "Occurrence": occ,
    }


def _group(kind: str, criteria: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Type": kind, "CriteriaList": criteria, "DemographicCriteriaList": [], "Groups": []}


def _description(
    knowledge: Knowledge, days: int, bands: dict[str, list[AgeBand]], ids: OmopIds
) -> str:
    settings = knowledge.settings
    table = "; ".join(
        f"{sex} age {_years(b)}: < {b.interval.lower:g} {ids.unit_code} ({b.interval.id})"
        for sex, sex_bands in bands.items()
        for b in sex_bands
    )
    units = "; ".join(
        f"{g.units}" + ("" if g.factor == 1 else f", limits divided by {g.factor:g}")
        for g in ids.units
    )
    adult = math.ceil(settings.adult_age_years)
    return (
        f"lowalp knowledge {settings.version}. {settings.persistence.description} "
        f"Low = below the lab's printed lower limit (range_low) or below the age/sex lower "
        f"limit: {table}. The age/sex limits are tested in every ALP unit with an OMOP unit "
        f"concept in the knowledge: {units}. 'Normal' = at or above the age/sex limit, or for "
        f"ages {adult} and over at or above range_low. Approximations Circe forces: age is "
        "whole calendar years (YEAR(measurement_date) - year_of_birth), so each whole year "
        "takes the limit that holds at its middle (the first two weeks of life use the limit "
        "for the rest of the first year); dates are days. "
        f"Persistence needs the second low at least {days} days after the first. "
        "Whom this cohort misses, and why (Circe reads unit_concept_id, never "
        "unit_source_value, and cannot test whether range_low is missing): "
        "(1) persons whose low results have no range_low and a unit_concept_id other than "
        "those above (0 = unmapped, or a unit such as µkat/L with no concept in the "
        "knowledge): their values cannot be compared with any limit; lowalp screen reads "
        "their unit from unit_source_value and finds them; "
        "(2) persons with unknown sex whose results have no range_low; "
        "(3) an adult whose result is below range_low but at or above the age/sex limit "
        "counts as not persistent here if that result is the one that should keep the run "
        "going (the screen uses the printed range alone when there is one); "
        "(4) a child whose lab prints the adult range: the screen judges such a result by "
        "the age/sex limit, this cohort by both; "
        "(5) a child whose later normal results are normal only by range_low, in a unit "
        "other than those above, stays in the cohort: 'normal by range_low' is tested from "
        f"age {adult} only, since a lab may print the adult range for children; "
        "(6) near a change of age band, whole calendar years can put a result in the "
        "neighbouring band. "
        "lowalp screen --export-cohort counts, on the data it screened, the persistent "
        "persons with results of kind (1)."
    )


def _years(band: AgeBand) -> str:
    if band.last is None:
        return f">= {band.first}"
    if band.last == band.first:
        return str(band.first)
    return f"{band.first}-{band.last}"
