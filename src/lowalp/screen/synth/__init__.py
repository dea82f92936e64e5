"""Synthetic OMOP CDM v5.4 laboratory data with planted causes of a low ALP.

``synthesize(SynthConfig(persons=N, out=DIR))`` writes, streaming in fixed blocks of persons
(memory bounded whatever N; deterministic for a seed, whatever the chunk size):

- ``person.parquet``: person_id, gender_concept_id, year/month/day of birth, birth_datetime
  (about 3 % of persons have the year only), race/ethnicity 0;
- ``measurement.parquet``: sorted by person_id then measurement_date (rows without a date
  last), one row group per chunk; about 20 rows a person over ``years`` years of panels, 37
  analytes, four laboratories with their own units (U/L, IU/L, ukat/L, g/L, µmol/L …) and
  printed ranges (one prints the adult range for children, one prints none);
- ``concept.parquet``: every measurement concept used, with its LOINC code (concept_code);
- ``ground_truth.csv``: person_id, planted_cause (a DESIGN.md cause id or ``none``), persistent.

Every OMOP id written (measurement, unit, gender, operator, record type) is read from the
knowledge's one table, ``knowledge/omop.yaml`` (see ``concepts.py``): an analyte it has no
concept for gets a site-local id above 2,000,000,000, mapped by its LOINC code through
``concept.parquet``; a unit it has no concept for is written as 0 with unit_source_value.
Censored results carry the '<' operator, value_as_number = the limit.

Dirty rows (about 0.5 %, never in planted persons): text values with no number
('hemolyzed' …), '<5'-style text with no number, unknown unit 'furlongs/L', missing date,
exact duplicates (a new measurement_id), negative values, measurement_concept_id 0.
"""

from __future__ import annotations

from lowalp.screen.synth.concepts import ANALYTES, Concept, SynthIds, synth_ids
from lowalp.screen.synth.generate import SynthConfig, SynthResult, synthesize
from lowalp.screen.synth.planted import CAUSES

__all__ = [
    "ANALYTES",
    "CAUSES",
    "Concept",
    "SynthConfig",
    "SynthIds",
    "SynthResult",
    "synth_ids",
    "synthesize",
]
