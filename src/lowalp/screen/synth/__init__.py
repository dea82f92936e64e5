"""Synthetic OMOP CDM v5.4 laboratory data with planted causes of a low ALP.

``synthesize(SynthConfig(persons=N, out=DIR))`` writes, streaming in fixed blocks of persons
(memory bounded whatever N; deterministic for a seed, whatever the chunk size):

- ``person.parquet``: person_id, gender_concept_id (8507 male, 8532 female), year/month/day of
  birth, birth_datetime (about 3 % of persons have the year only), race/ethnicity 0;
- ``measurement.parquet``: sorted by person_id then measurement_date (rows without a date
  last), one row group per chunk; about 20 rows a person over ``years`` years of panels, 37
  analytes, four laboratories with their own units (U/L, IU/L, ukat/L, g/L, µmol/L …) and
  printed ranges (one prints the adult range for children, one prints none);
- ``concept.parquet``: every measurement concept used, with its LOINC code (concept_code);
- ``ground_truth.csv``: person_id, planted_cause (a DESIGN.md cause id or ``none``), persistent.

Concept ids (see ``concepts.py`` for each): verified against OHDSI's DataQualityDashboard
concept-level file (id and LOINC long name together): ALP 3035995, albumin 3024561, total
protein 3020630, TSH 3009201 (3016-3; note 3019170 is the 11580-8 "detection limit" TSH),
free T4 3008598, B12 3000593, haemoglobin 3000963, MCV 3023599, magnesium 3001420, calcium
3006906, phosphate 3011904, potassium 3023103, sodium 3019550, creatinine 3016723, bilirubin
3024128, AST 3013721, ALT 3006923, GGT 3026910, CRP 3020460, ferritin 3001122, BMI 3038553,
25-OH vitamin D 40765040. From public OMOP mapping tables, not re-checked: copper 3027126, folate 3036987,
urine PEA 3027241. Not found (site-local ids 2,000,000,001–012, map them by LOINC through
concept.parquet): bone ALP, prealbumin, zinc 5763-8, vitamin C, MMA, ionised calcium, PTH,
PLP 62236-5, caeruloplasmin, 24-h urine copper, INR, tTG-IgA. Units: 8645 U/L, 8713 g/dL,
8840 mg/dL, 8753 mmol/L, 8749 µmol/L, 8751 mg/L; every other unit is 0 with
unit_source_value. Censored results carry operator 4171756 ('<'), value_as_number = the limit.

Dirty rows (about 0.5 %, never in planted persons): text values with no number
('hemolyzed' …), '<5'-style text with no number, unknown unit 'furlongs/L', missing date,
exact duplicates (a new measurement_id), negative values, measurement_concept_id 0.
"""

from __future__ import annotations

from lowalp.screen.synth.concepts import CONCEPTS, Concept
from lowalp.screen.synth.generate import SynthConfig, SynthResult, synthesize
from lowalp.screen.synth.planted import CAUSES

__all__ = ["CAUSES", "CONCEPTS", "Concept", "SynthConfig", "SynthResult", "synthesize"]
