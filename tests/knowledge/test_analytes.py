"""analytes.yaml, alp_intervals.csv and sources/reference.yaml, loaded file by file.

These tests read the files directly with the loader and the schemas, so they run even while
other knowledge files are still being written.
"""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lowalp.errors import UnitError
from lowalp.knowledge import load_knowledge, loader
from lowalp.knowledge.schema import (
    Analyte,
    AnalytesFile,
    FindingsFile,
    LabFinding,
    RatioFinding,
    SourcesFile,
)
from lowalp.units import clean_unit, factor, from_canonical, to_canonical

ROOT = loader.package_root()
DATA = loader.load_yaml_file(ROOT, "analytes.yaml", AnalytesFile)
ANALYTES: dict[str, Analyte] = {a.id: a for a in DATA.analytes}
SYN = DATA.unit_synonyms
SOURCES = {s.id for _, f in loader.load_yaml_dir(ROOT, "sources", SourcesFile) for s in f.sources}
INTERVALS = loader.read_csv(ROOT, "alp_intervals.csv")

DESIGN_IDS = [
    "alp", "bone_alp", "albumin", "total_protein", "prealbumin", "tsh", "free_t4", "b12",
    "folate", "mma", "hemoglobin", "mcv", "zinc", "magnesium", "copper", "ceruloplasmin",
    "urine_copper_24h", "plp", "urine_pea", "calcium", "ionized_calcium", "phosphate",
    "potassium", "sodium", "pth", "vitamin_d_25oh", "bilirubin_total", "ast", "alt", "ggt",
    "ttg_iga", "vitamin_c", "ferritin", "creatinine", "bmi", "crp", "inr",
]  # fmt: skip

ALL_UNITS = sorted({(a.id, u) for a in DATA.analytes for u in a.units})
ALL_UNIT_NAMES = {u for a in DATA.analytes for u in a.units}


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def conv(value: float, analyte: str, unit: str, to: str) -> float:
    a = ANALYTES[analyte]
    return from_canonical(to_canonical(value, a, unit, SYN), a, to, SYN)


# ----------------------------------------------------------------------------- structure


def test_every_design_analyte_is_present() -> None:
    missing = [i for i in DESIGN_IDS if i not in ANALYTES]
    assert not missing
    assert len(ANALYTES) == len(DATA.analytes), "duplicate analyte ids"


@pytest.mark.parametrize("analyte_id", DESIGN_IDS)
def test_analyte_has_loinc_and_canonical_unit(analyte_id: str) -> None:
    a = ANALYTES[analyte_id]
    assert a.loinc
    for code in a.loinc:
        num, _, check = code.partition("-")
        assert num.isdigit(), code
        assert check.isdigit(), code
        assert len(check) == 1, code
    assert a.canonical_unit in a.units
    assert a.units[a.canonical_unit] == 1
    assert a.name


def test_loinc_codes_belong_to_one_analyte() -> None:
    seen: dict[str, str] = {}
    for a in DATA.analytes:
        for code in a.loinc:
            assert code not in seen, f"LOINC {code} under {seen.get(code)} and {a.id}"
            seen[code] = a.id


@pytest.mark.parametrize("analyte_id", DESIGN_IDS)
def test_plausible_range_and_references_are_consistent(analyte_id: str) -> None:
    a = ANALYTES[analyte_id]
    lo, hi = a.plausible
    assert 0 <= lo < hi
    for r in a.reference:
        f = a.units[r.unit]
        # A row without limits says there is none at those ages, and why.
        assert r.low is not None or r.high is not None or r.reasoning
        if r.low is not None and r.high is not None:
            assert r.low < r.high
        for limit in (r.low, r.high):
            if limit is not None:
                assert lo <= limit * f <= hi, f"{a.id}: reference {limit} outside plausible"
        assert 0 <= r.age_min < r.age_max <= 200


@pytest.mark.parametrize("analyte_id", DESIGN_IDS)
def test_reference_ranges_do_not_overlap(analyte_id: str) -> None:
    """For one age and sex, at most one default range applies."""
    refs = ANALYTES[analyte_id].reference
    for sex in ("F", "M"):
        rows = sorted(
            (r for r in refs if r.sex in (None, sex)), key=lambda r: (r.age_min, r.age_max)
        )
        for prev, nxt in itertools.pairwise(rows):
            assert prev.age_max <= nxt.age_min + 1e-12, f"{analyte_id}: overlap for {sex}"


def test_every_cited_source_exists() -> None:
    unknown = []
    for a in DATA.analytes:
        unknown += [(a.id, s) for s in a.factor_sources if s not in SOURCES]
        unknown += [(a.id, r.source) for r in a.reference if r.source and r.source not in SOURCES]
    assert not unknown


def test_reference_sources_do_not_redefine_core_ids() -> None:
    core = loader.load_yaml_file(ROOT, "sources/core.yaml", SourcesFile)
    ours = loader.load_yaml_file(ROOT, "sources/reference.yaml", SourcesFile)
    core_ids = {s.id for s in core.sources}
    our_ids = [s.id for s in ours.sources]
    assert len(our_ids) == len(set(our_ids))
    assert not core_ids & set(our_ids)


def test_crp_reference_is_a_marked_estimate() -> None:
    (ref,) = ANALYTES["crp"].reference
    assert ref.high == 5
    assert ref.unit == "mg/L"
    assert ref.estimate
    assert ref.reasoning


def test_urine_pea_has_no_reference() -> None:
    assert ANALYTES["urine_pea"].reference == []


# ----------------------------------------------------------------------------- conversions


@pytest.mark.parametrize(("analyte_id", "unit"), ALL_UNITS)
def test_round_trip_every_unit(analyte_id: str, unit: str) -> None:
    a = ANALYTES[analyte_id]
    for value in (0.001, 0.37, 1.0, 4.1, 88.4, 12345.678):
        canonical = to_canonical(value, a, unit, SYN)
        assert close(from_canonical(canonical, a, unit, SYN), value)
        back = from_canonical(to_canonical(canonical, a, a.canonical_unit, SYN), a, unit, SYN)
        assert close(to_canonical(back, a, unit, SYN), canonical)


@given(
    pair=st.sampled_from(ALL_UNITS),
    to=st.integers(min_value=0, max_value=50),
    value=st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False),
)
def test_round_trip_between_any_two_units(pair: tuple[str, str], to: int, value: float) -> None:
    analyte_id, unit = pair
    units = list(ANALYTES[analyte_id].units)
    other = units[to % len(units)]
    there = conv(value, analyte_id, unit, other)
    assert close(conv(there, analyte_id, other, unit), value)


@pytest.mark.parametrize(
    ("analyte", "value", "unit", "to", "expected", "rel"),
    [
        ("alp", 1, "µkat/L", "U/L", 60, 1e-12),
        ("alp", 60, "U/L", "ukat/L", 1, 1e-12),
        ("alp", 100, "IU/L", "U/L", 100, 1e-12),
        ("alp", 1000, "nkat/L", "U/L", 60, 1e-12),
        ("ast", 1, "μkat/L", "U/L", 60, 1e-12),  # Greek mu
        ("albumin", 4.1, "g/dL", "g/L", 41, 1e-12),
        ("calcium", 2.5, "mmol/L", "mg/dL", 10.02, 1e-3),
        ("calcium", 1, "mEq/L", "mmol/L", 0.5, 1e-12),
        ("ionized_calcium", 1.2, "mmol/L", "mg/dL", 4.81, 1e-3),
        ("magnesium", 0.75, "mmol/L", "mg/dL", 1.82, 3e-3),
        ("magnesium", 1, "mEq/L", "mmol/L", 0.5, 1e-12),
        ("potassium", 4.2, "mEq/L", "mmol/L", 4.2, 1e-12),
        ("sodium", 140, "mEq/L", "mmol/L", 140, 1e-12),
        ("b12", 300, "pg/mL", "pmol/L", 221, 3e-3),
        ("b12", 200, "pg/mL", "pmol/L", 148, 5e-3),
        ("folate", 1, "ng/mL", "nmol/L", 2.266, 1e-3),
        ("free_t4", 1, "ng/dL", "pmol/L", 12.87, 1e-3),
        ("vitamin_d_25oh", 1, "ng/mL", "nmol/L", 2.496, 1e-3),
        ("vitamin_c", 1, "mg/dL", "µmol/L", 56.8, 1e-3),
        ("vitamin_c", 100, "µmol/L", "mg/dL", 1.76, 1e-3),
        ("creatinine", 1, "mg/dL", "µmol/L", 88.4, 1e-3),
        ("bilirubin_total", 1, "mg/dL", "µmol/L", 17.1, 1e-9),
        ("phosphate", 1, "mg/dL", "mmol/L", 0.3229, 1e-9),
        ("zinc", 100, "µg/dL", "µmol/L", 15.3, 1e-3),
        ("copper", 100, "µg/dL", "µmol/L", 15.74, 1e-3),
        ("urine_copper_24h", 100, "µg/24h", "µmol/24h", 1.574, 1e-3),
        ("plp", 5, "µg/L", "nmol/L", 20.2, 2e-3),
        ("pth", 100, "pg/mL", "pmol/L", 10.5, 3e-3),
        ("pth", 65, "ng/L", "pg/mL", 65, 1e-12),
        ("ceruloplasmin", 0.2, "g/L", "mg/dL", 20, 1e-12),
        ("prealbumin", 18, "mg/dL", "mg/L", 180, 1e-12),
        ("mma", 0.4, "nmol/mL", "µmol/L", 0.4, 1e-12),
        ("tsh", 2.5, "µIU/mL", "mIU/L", 2.5, 1e-12),
        ("ferritin", 31, "µg/L", "ng/mL", 31, 1e-12),
        ("urine_pea", 1, "µmol/mmol creatinine", "µmol/g creatinine", 1000 / 113.12, 1e-12),
        ("urine_pea", 1, "mmol/mol creatinine", "µmol/mmol creatinine", 1, 1e-12),
        ("hemoglobin", 80, "g/L", "g/dL", 8, 1e-12),
        ("crp", 1, "mg/dL", "mg/L", 10, 1e-12),
    ],
)
def test_known_conversions(
    analyte: str, value: float, unit: str, to: str, expected: float, rel: float
) -> None:
    assert math.isclose(conv(value, analyte, unit, to), expected, rel_tol=rel)


def test_factors_match_their_molar_mass() -> None:
    """Factors written out in the file agree with the molar mass they rest on."""
    checks = {
        ("free_t4", "pmol/L"): 1e-4,  # 1 pmol/L = M pg/L = M × 1e-4 ng/dL
        ("b12", "pmol/L"): 1e-3,
        ("folate", "nmol/L"): 1e-3,
        ("zinc", "µmol/L"): 0.1,
        ("copper", "µmol/L"): 0.1,
        ("urine_copper_24h", "µmol/24h"): 1,
        ("vitamin_d_25oh", "nmol/L"): 1e-3,
        ("vitamin_c", "µmol/L"): 1e-4,
        ("creatinine", "µmol/L"): 1e-4,
        ("calcium", "mmol/L"): 0.1,
        ("pth", "pmol/L"): 1e-3,
    }
    for (analyte_id, unit), scale in checks.items():
        a = ANALYTES[analyte_id]
        assert a.molar_mass is not None
        assert close(a.units[unit], a.molar_mass * scale), analyte_id
    plp = ANALYTES["plp"]
    assert plp.molar_mass is not None
    assert close(plp.units["µg/L"], 1000 / plp.molar_mass)


def test_enzyme_units_agree() -> None:
    for analyte_id in ("alp", "ast", "alt", "ggt"):
        units = ANALYTES[analyte_id].units
        assert units["U/L"] == units["IU/L"] == 1
        assert units["µkat/L"] == units["ukat/L"] == 60
        assert close(units["nkat/L"], 0.06)


def test_micro_spellings_agree() -> None:
    """Wherever both the µ and the u spelling are accepted they carry the same factor."""
    for a in DATA.analytes:
        for u, f in a.units.items():
            if "µ" in u and u.replace("µ", "u") in a.units:
                assert a.units[u.replace("µ", "u")] == f, (a.id, u)


# ----------------------------------------------------------------------------- synonyms


@pytest.mark.parametrize(
    ("printed", "analyte", "unit"),
    [
        ("U/l", "alp", "U/L"),
        ("iu/L", "alp", "IU/L"),
        ("units/L", "alp", "U/L"),
        ("gm/dL", "albumin", "g/dL"),
        ("ng/ml", "vitamin_d_25oh", "ng/mL"),
        ("mcg/L", "bone_alp", "µg/L"),
        ("µM/L", "mma", "µmol/L"),
        ("μM/L", "mma", "µmol/L"),  # Greek mu
        ("mEq/L", "magnesium", "mEq/L"),
        ("µmol/mmol creatinine", "urine_pea", "µmol/mmol creatinine"),
        ("umol/mmol creatinine", "urine_pea", "µmol/mmol creatinine"),
        ("mU/L", "tsh", "mIU/L"),
        ("uIU/ml", "tsh", "uIU/mL"),
        ("fl", "mcv", "fL"),
        ("kg/m²", "bmi", "kg/m2"),
        ("kg/m^2", "bmi", "kg/m2"),
        ("µg/24 h", "urine_copper_24h", "µg/24h"),
        ("mcg/24h", "urine_copper_24h", "µg/24h"),
        ("INR", "inr", "1"),
        ("ratio", "inr", "1"),
        (" mmol/l ", "potassium", "mmol/L"),
        ("U/ml", "ttg_iga", "U/mL"),
    ],
)
def test_lab_spellings_map_to_accepted_units(printed: str, analyte: str, unit: str) -> None:
    assert clean_unit(printed, SYN) == unit
    assert factor(ANALYTES[analyte], printed, SYN) == ANALYTES[analyte].units[unit]


def test_synonym_targets_are_units_and_keys_are_not() -> None:
    for printed, target in SYN.items():
        assert target in ALL_UNIT_NAMES, f"{printed!r} -> {target!r} is not a unit"
        # A key that were itself a unit would make that unit unreachable.
        assert printed not in ALL_UNIT_NAMES, printed
        assert printed, repr(printed)
        assert printed == printed.strip(), repr(printed)
        assert "\u03bc" not in printed, "write the micro sign µ, not the Greek mu"


def test_risky_spellings_are_not_guessed() -> None:
    for risky in ("u/L", "mIU/mL", "%", ""):
        assert risky not in SYN
    with pytest.raises(UnitError):
        factor(ANALYTES["tsh"], "mIU/mL", SYN)


def test_unknown_unit_raises_with_suggestion() -> None:
    with pytest.raises(UnitError) as exc:
        factor(ANALYTES["alp"], "U/dL", SYN)
    assert exc.value.suggestion in ANALYTES["alp"].units
    assert "closest: 'U/L'" in str(exc.value)
    with pytest.raises(UnitError) as exc2:
        factor(ANALYTES["magnesium"], "mg/dLL", SYN)
    assert exc2.value.suggestion == "mg/dL"


def test_unit_of_another_analyte_is_rejected() -> None:
    with pytest.raises(UnitError):
        factor(ANALYTES["alp"], "g/dL", SYN)
    with pytest.raises(UnitError):
        factor(ANALYTES["ttg_iga"], "U/L", SYN)


# ----------------------------------------------------------------------------- ALP intervals


@pytest.mark.parametrize("sex", ["F", "M"])
def test_intervals_cover_0_to_200_without_gaps_or_overlaps(sex: str) -> None:
    rows = sorted(
        (r for r in INTERVALS if r["sex"].strip() in (sex, "both")),
        key=lambda r: float(r["age_min_years"]),
    )
    assert float(rows[0]["age_min_years"]) == 0
    assert float(rows[-1]["age_max_years"]) == 200
    for prev, nxt in itertools.pairwise(rows):
        assert math.isclose(
            float(prev["age_max_years"]), float(nxt["age_min_years"]), abs_tol=1e-12
        ), (prev["id"], nxt["id"])
    for r in rows:
        assert float(r["age_min_years"]) < float(r["age_max_years"])


def test_interval_rows_are_well_formed() -> None:
    ids = [r["id"] for r in INTERVALS]
    assert len(ids) == len(set(ids))
    for r in INTERVALS:
        assert r["sex"] in ("F", "M", "both")
        assert r["unit"] == "U/L"
        assert r["source"] in SOURCES, r["source"]
        assert 0 < float(r["lower"]) < float(r["upper"])


def test_adult_intervals_match_analyte_reference() -> None:
    alp = ANALYTES["alp"]
    for r in INTERVALS:
        if float(r["age_max_years"]) == 200:
            (ref,) = [x for x in alp.reference if x.sex == r["sex"]]
            assert (ref.low, ref.high, ref.age_min) == (
                float(r["lower"]),
                float(r["upper"]),
                float(r["age_min_years"]),
            )


# ----------------------------------------------------------------------------- findings


def _finding_units() -> list[tuple[str, str, str, str]]:
    out = []
    for name in ("findings/labs.yaml", "findings/alp.yaml"):
        for f in loader.load_yaml_file(ROOT, name, FindingsFile).findings:
            if isinstance(f, LabFinding):
                out.append((name, f.id, f.analyte, f.unit or ""))
            elif isinstance(f, RatioFinding):
                out.append((name, f.id, f.numerator, f.numerator_unit))
                out.append((name, f.id, f.denominator, f.denominator_unit))
    return out


def test_findings_use_known_analytes_and_accepted_units() -> None:
    problems = []
    for name, fid, analyte_id, unit in _finding_units():
        a = ANALYTES.get(analyte_id)
        if a is None:
            problems.append(f"{name} {fid}: unknown analyte {analyte_id!r}")
            continue
        if not unit:
            continue
        try:
            factor(a, unit, SYN)
        except UnitError as exc:
            problems.append(f"{name} {fid}: {exc}")
    assert not problems, "\n".join(problems)


def test_every_source_of_the_omop_table_is_a_publication_or_site() -> None:
    kb = load_knowledge()
    o = kb.omop
    cited = {
        s
        for section in (o.concepts, o.units, o.gender, o.operators, o.measurement_types)
        for entry in section.values()
        for s in entry.source
    }
    assert cited
    for s in sorted(cited):
        src = kb.sources[s]
        assert src.url or src.doi, s
        text = f"{src.citation} {src.note or ''}".lower()
        assert not any(w in text for w in ("code search", "research notes", "not shown")), s
