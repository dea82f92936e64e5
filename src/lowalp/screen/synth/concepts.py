"""OMOP concept ids used by the synthetic generator, with where each id was checked.

``verified``: the id and its LOINC long name were read together in OHDSI's own public data,
``OHDSI/DataQualityDashboard`` file ``inst/csv/OMOP_CDMv5.4_Concept_Level.csv`` (the
MEASUREMENT concept-level checks list concept id, concept name and plausible unit ids); the
LOINC code is the one whose long name that row carries. ``mapping table``: from
public OMOP mapping tables (sources/omop.yaml), not re-checked here.
``local``: no public source was found in the time given; the id is a site-local concept id
above 2,000,000,000 (the OMOP convention for local concepts), so it can never collide with a
real concept. A screen should map those through ``concept.parquet`` (concept_code = LOINC).
"""

from __future__ import annotations

from typing import Final, NamedTuple


class Concept(NamedTuple):
    analyte: str
    concept_id: int
    loinc: str
    name: str
    checked: str  # "verified" | "mapping table" | "local"


_DQD = "verified"
_LOCAL_BASE = 2_000_000_000

CONCEPTS: Final[tuple[Concept, ...]] = (
    Concept(
        "alp",
        3035995,
        "6768-6",
        "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma",
        _DQD,
    ),
    Concept("albumin", 3024561, "1751-7", "Albumin [Mass/volume] in Serum or Plasma", _DQD),
    Concept("total_protein", 3020630, "2885-2", "Protein [Mass/volume] in Serum or Plasma", _DQD),
    Concept("tsh", 3009201, "3016-3", "Thyrotropin [Units/volume] in Serum or Plasma", _DQD),
    Concept(
        "free_t4", 3008598, "3024-7", "Thyroxine (T4) free [Mass/volume] in Serum or Plasma", _DQD
    ),
    Concept(
        "b12", 3000593, "2132-9", "Cobalamin (Vitamin B12) [Mass/volume] in Serum or Plasma", _DQD
    ),
    Concept("hemoglobin", 3000963, "718-7", "Hemoglobin [Mass/volume] in Blood", _DQD),
    Concept("mcv", 3023599, "787-2", "MCV [Entitic volume] by Automated count", _DQD),
    Concept("magnesium", 3001420, "19123-9", "Magnesium [Mass/volume] in Serum or Plasma", _DQD),
    Concept("calcium", 3006906, "17861-6", "Calcium [Mass/volume] in Serum or Plasma", _DQD),
    Concept("phosphate", 3011904, "2777-1", "Phosphate [Mass/volume] in Serum or Plasma", _DQD),
    Concept("potassium", 3023103, "2823-3", "Potassium [Moles/volume] in Serum or Plasma", _DQD),
    Concept("sodium", 3019550, "2951-2", "Sodium [Moles/volume] in Serum or Plasma", _DQD),
    Concept("creatinine", 3016723, "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", _DQD),
    Concept(
        "bilirubin_total",
        3024128,
        "1975-2",
        "Bilirubin.total [Mass/volume] in Serum or Plasma",
        _DQD,
    ),
    Concept(
        "ast",
        3013721,
        "1920-8",
        "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
        _DQD,
    ),
    Concept(
        "alt",
        3006923,
        "1742-6",
        "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
        _DQD,
    ),
    Concept(
        "ggt",
        3026910,
        "2324-2",
        "Gamma glutamyl transferase [Enzymatic activity/volume] in Serum or Plasma",
        _DQD,
    ),
    Concept("crp", 3020460, "1988-5", "C reactive protein [Mass/volume] in Serum or Plasma", _DQD),
    Concept("ferritin", 3001122, "2276-4", "Ferritin [Mass/volume] in Serum or Plasma", _DQD),
    Concept("bmi", 3038553, "39156-5", "Body mass index (BMI) [Ratio]", _DQD),
    Concept(
        "vitamin_d_25oh",
        40765040,
        "62292-8",
        "25-Hydroxyvitamin D3+25-Hydroxyvitamin D2 [Mass/volume] in Serum or Plasma",
        _DQD,
    ),
    Concept(
        "copper", 3027126, "5631-7", "Copper [Mass/volume] in Serum or Plasma", "mapping table"
    ),
    Concept(
        "folate", 3036987, "2284-8", "Folate [Mass/volume] in Serum or Plasma", "mapping table"
    ),
    Concept("urine_pea", 3027241, "28604-7", "Phosphoethanolamine in Urine", "mapping table"),
    Concept(
        "bone_alp",
        _LOCAL_BASE + 1,
        "17838-4",
        "Alkaline phosphatase.bone [Mass/volume] in Serum or Plasma",
        "local",
    ),
    Concept(
        "prealbumin",
        _LOCAL_BASE + 2,
        "14338-8",
        "Prealbumin [Mass/volume] in Serum or Plasma",
        "local",
    ),
    Concept("zinc", _LOCAL_BASE + 3, "5763-8", "Zinc [Mass/volume] in Serum or Plasma", "local"),
    Concept(
        "vitamin_c",
        _LOCAL_BASE + 4,
        "1903-4",
        "Ascorbate [Mass/volume] in Serum or Plasma",
        "local",
    ),
    Concept(
        "mma",
        _LOCAL_BASE + 5,
        "13964-2",
        "Methylmalonate [Moles/volume] in Serum or Plasma",
        "local",
    ),
    Concept(
        "ionized_calcium",
        _LOCAL_BASE + 6,
        "1995-0",
        "Calcium.ionized [Moles/volume] in Serum or Plasma",
        "local",
    ),
    Concept(
        "pth",
        _LOCAL_BASE + 7,
        "2731-8",
        "Parathyrin.intact [Mass/volume] in Serum or Plasma",
        "local",
    ),
    Concept(
        "plp",
        _LOCAL_BASE + 8,
        "62236-5",
        "Pyridoxal phosphate [Moles/volume] in Serum or Plasma",
        "local",
    ),
    Concept(
        "ceruloplasmin",
        _LOCAL_BASE + 9,
        "2064-4",
        "Ceruloplasmin [Mass/volume] in Serum or Plasma",
        "local",
    ),
    Concept(
        "urine_copper_24h",
        _LOCAL_BASE + 10,
        "5633-3",
        "Copper [Mass/time] in 24 hour Urine",
        "local",
    ),
    Concept(
        "inr",
        _LOCAL_BASE + 11,
        "6301-6",
        "INR in Platelet poor plasma by Coagulation assay",
        "local",
    ),
    Concept(
        "ttg_iga",
        _LOCAL_BASE + 12,
        "46128-5",
        "Tissue transglutaminase IgA Ab [Units/volume] in Serum",
        "local",
    ),
)

# Unit concepts whose name was read beside the id: 8645 U/L and 8713 g/dL (the
# OHDSI-Korea sample list), 8840 mg/dL, 8753 mmol/L, 8749 µmol/L, 8751 mg/L (named rows of the
# DataQualityDashboard concept-level file). Every other unit is written as 0 (unmapped) with
# unit_source_value set, as the CDM convention asks.
UNIT_CONCEPTS: Final[dict[str, int]] = {
    "U/L": 8645,
    "g/dL": 8713,
    "mg/dL": 8840,
    "mmol/L": 8753,
    "µmol/L": 8749,
    "umol/L": 8749,
    "mg/L": 8751,
}

# Meas Value Operator concepts: 4171756 '<' and 4172704 '>' (named in the MIMIC-IV OMOP ETL's
# comments and in a public Circe cohort JSON: {"Id": 4171756, "Name": "<"}).
OPERATOR_LT: Final = 4171756
OPERATOR_GT: Final = 4172704
LAB_TYPE_CONCEPT: Final = 32856  # measurement_type_concept_id "Lab"
MALE: Final = 8507
FEMALE: Final = 8532
