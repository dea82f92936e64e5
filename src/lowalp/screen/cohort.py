"""The persistence rule as an OHDSI Circe/ATLAS cohort definition (``--export-cohort``).

Sites that run OHDSI tools can import the JSON into ATLAS (or compile it with Circe) and find
the same people the screen finds, on their own OMOP CDM. The expression follows the Circe idiom
for "two measurements below X at least N days apart" (field
names checked against ``OHDSI/circe-be`` ``Measurement.java`` and ``CohortExpression.java``):

- primary events: every ALP measurement that is low, either below the lab's own lower limit
  (``RangeLowRatio < 1``, i.e. ``value_as_number / range_low < 1``) or below the age/sex lower
  limit of the knowledge's interval table (``ValueAsNumber < lower`` in U/L, one criterion per
  sex and whole-year age band);
- inclusion rule 1: another low ALP at least ``min_span_days`` after the event;
- inclusion rule 2: no ALP at or above the age/sex lower limit from the event's day on (the
  newest value is low and no normal value interrupts the run);
- the earliest qualifying event per person is the cohort entry: the first low of the final run.

What Circe cannot say exactly is written into the ``Description`` and ``docs/screening.md``:
Circe's ``Age`` is whole calendar years (``YEAR(date) - year_of_birth``), so the bands under one
year collapse into one; it cannot test whether ``range_low`` is missing, so for an adult the
age/sex table and the printed range both count (the screen uses the printed range alone when
there is one); persons of unknown sex match only through the printed range; values in units
other than U/L (unit concept 8645) match only through the printed range.
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

ALP_CONCEPT_ID = 3035995
"""OMOP standard concept for LOINC 6768-6 (knowledge/omop.yaml, with its source). The export takes its ids from
knowledge/omop.yaml (each with a source); these constants are what that file holds today."""
UNIT_U_PER_L = 8645
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


def cohort_definition(knowledge: Knowledge | None = None) -> dict[str, Any]:
    """The Circe cohort expression (a JSON-ready ``dict``) for the knowledge's persistence rule.

    >>> expr = cohort_definition()
    >>> expr["ConceptSets"][0]["expression"]["items"][0]["concept"]["CONCEPT_ID"]
    3035995
    """
    if knowledge is None:
        from lowalp.knowledge import load_knowledge

        knowledge = load_knowledge()
    ids = omop_ids(knowledge)
    rule = knowledge.settings.persistence
    days = math.ceil(rule.min_span_days)
    bands = {sex: age_bands(knowledge.intervals, sex) for sex in ids.gender}

    low = [_printed_low()] + [
        _band(band, sex, "lt", ids) for sex, sex_bands in bands.items() for band in sex_bands
    ]
    at_or_above = [
        _band(band, sex, "gte", ids) for sex, sex_bands in bands.items() for band in sex_bands
    ]

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
            "No ALP at or above the age/sex lower limit on or after the entry day, so the "
            "newest ALP is low and no normal value interrupts the run."
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


def write_cohort(path: Path, knowledge: Knowledge | None = None) -> Path:
    """Write :func:`cohort_definition` as pretty JSON to ``path`` and return ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(cohort_definition(knowledge), indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- OMOP ids


@dataclass(frozen=True)
class OmopIds:
    alp: int
    alp_loinc: str
    unit: int
    unit_code: str
    gender: dict[str, int]


def omop_ids(knowledge: Knowledge) -> OmopIds:
    """The ALP concept, the concept of its canonical unit and the gender concepts, from the
    knowledge's OMOP map (knowledge/omop.yaml, each id with its source)."""
    from lowalp.errors import KnowledgeError
    from lowalp.screen.omop_map import load_omop_map

    omop = load_omop_map(knowledge)
    alp = knowledge.analytes["alp"]
    concept = next(((i, c) for i, c in sorted(omop.concepts.items()) if c.analyte == "alp"), None)
    unit = next((i for i, u in sorted(omop.units.items()) if u.unit == alp.canonical_unit), None)
    gender = {g.sex: i for i, g in sorted(omop.gender.items())}
    problems = []
    if concept is None:
        problems.append("concepts: no concept for analyte 'alp'")
    if unit is None:
        problems.append(f"units: no concept for the ALP unit {alp.canonical_unit!r}")
    if set(gender) != {"F", "M"}:
        problems.append("gender: needs one concept each for F and M")
    if problems or concept is None or unit is None:
        raise KnowledgeError("knowledge/omop.yaml", problems)
    cid, entry = concept
    return OmopIds(
        alp=cid,
        alp_loinc=entry.loinc or alp.loinc[0],
        unit=unit,
        unit_code=alp.canonical_unit,
        gender={sex: gender[sex] for sex in ("F", "M")},
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
        "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma",
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


def _unit(ids: OmopIds) -> dict[str, Any]:
    return _concept(ids.unit, "unit per liter", ids.unit_code, "Unit", "UCUM", "Unit")


def _gender(sex: str, ids: OmopIds) -> dict[str, Any]:
    return _concept(ids.gender[sex], GENDER_NAMES[sex], sex, "Gender", "Gender", "Gender")


def _printed_low() -> dict[str, Any]:
    """Below the lab's own lower limit: ``value_as_number / range_low < 1``."""
    return {
        "Measurement": {
            "CodesetId": ALP_CODESET,
            "MeasurementTypeExclude": False,
            "RangeLowRatio": {"Value": 1, "Op": "lt"},
        }
    }


def _band(band: AgeBand, sex: str, op: str, ids: OmopIds) -> dict[str, Any]:
    """Below (``lt``) or at/above (``gte``) the band's lower limit, in U/L, for one sex."""
    return {
        "Measurement": {
            "CodesetId": ALP_CODESET,
            "MeasurementTypeExclude": False,
            "ValueAsNumber": {"Value": band.interval.lower, "Op": op},
            "Unit": [_unit(ids)],
            "Age": band.circe(),
            "Gender": [_gender(sex, ids)],
        }
    }


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
        f"{sex} age {_years(b)}: < {b.interval.lower:g} U/L ({b.interval.id})"
        for sex, sex_bands in bands.items()
        for b in sex_bands
    )
    return (
        f"lowalp knowledge {settings.version}. {settings.persistence.description} "
        f"Low = below the lab's printed lower limit (range_low) or below the age/sex lower "
        f"limit: {table}. Approximations Circe forces: age is whole calendar years "
        "(YEAR(measurement_date) - year_of_birth), so each whole year takes the limit that "
        "holds at its middle (the first two weeks of life use the limit for the rest of the "
        "first year); Circe cannot test for a missing range_low, so adults count as "
        "low below either limit (the screen uses the printed range alone when there is one); "
        "'normal' is judged against the age/sex table only; unknown sex and units other than "
        f"{ids.unit_code} (concept {ids.unit}) match only through range_low; dates are days. "
        f"Persistence needs the second low at least {days} days after the first."
    )


def _years(band: AgeBand) -> str:
    if band.last is None:
        return f">= {band.first}"
    if band.last == band.first:
        return str(band.first)
    return f"{band.first}-{band.last}"
