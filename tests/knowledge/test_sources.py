"""Every source names a publication, and no knowledge file points at notes or at paths outside
the package.

A source is a publication when its citation gives authors (or the organisation), a title and a
journal or site, a year, and it has a DOI, URL or PubMed id (which becomes a URL). The sources
listed in :data:`INCOMPLETE` do not yet say all of that; the test keeps the list exact, so that
a source completed must leave it and a new source must be complete.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = ROOT / "src" / "lowalp" / "knowledge"
SOURCES = sorted((KNOWLEDGE / "sources").glob("*.yaml"))
DATA = sorted(p for p in KNOWLEDGE.rglob("*") if p.suffix in (".yaml", ".csv"))
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")

NOTES = [
    (re.compile(r"[\w.-]+\.md\b"), "a Markdown file (a note, not a publication)"),
    (re.compile(r"(?:^|[\s\"'(`])(?:shared|research|reviews)/"), "a folder of notes"),
    (re.compile(r"\bresearch notes?\b|\bour notes\b", re.IGNORECASE), "research notes"),
    (
        re.compile(r"(?<![\w:/.])/(?:work|home|root|tmp|Users|mnt|opt|var|etc|usr|srv)/"),
        "an absolute path",
    ),
    (re.compile(r"~/|\.\./|\b[A-Za-z]:\\"), "a path outside the package"),
]
"""What points at notes or at files outside the package, with what it is."""

INCOMPLETE = frozenset(
    {
        "hepatology2010_wilson_children",
        "ohdsi_athena",
        "singh2018",
        "aasld_alf_2011",
        "aou_snippets_hemoglobin",
        "arup_0020408",
        "arup_b12",
        "arup_bone_alp",
        "arup_copper",
        "arup_dat",
        "arup_folate",
        "arup_glucose",
        "arup_haptoglobin",
        "arup_plp",
        "arup_prealbumin",
        "arup_retic",
        "arup_vitc",
        "atm2019_wilson",
        "bilezikian2011",
        "biochemmed2014_edta",
        "bjh_retic",
        "bmj_bp_b12",
        "bozeman_iga",
        "camarata2020",
        "carobene2017",
        "cleveland_cbil",
        "clinsci1998_plp",
        "csmu_si",
        "davidson2012",
        "davis_lab_tests",
        "deeb2018",
        "drug_ner_dictionary",
        "easl2012",
        "eastern_health_tft",
        "edta_reappraisal2019",
        "edta_routine_study",
        "edta_selective_reporting",
        "elephantcare_si",
        "ferenci2003",
        "fraser2001",
        "gandhi2014",
        "garnero1995",
        "gluten_challenge_alp",
        "health3_app",
        "hepp2021",
        "hl7_fhir_bmi",
        "hl7_v2_0078",
        "hl7_v3_interpretation",
        "holland_hospital_cbc",
        "hrt_scand1995",
        "ijg2022_wilson_alf",
        "iowa_handbook_alp",
        "jain_zinc",
        "jbmm2008_glucocorticoid",
        "jbmm2022_anorexia",
        "koppikar2005",
        "kucukalic2011",
        "labcorp_322755",
        "labcorp_ok_ldh",
        "labcorp_pt",
        "labtests_co_in",
        "labtests_lactate",
        "leeds_lft",
        "loinc_17849_1",
        "loinc_1963_8",
        "loinc_1968_7",
        "loinc_26464_8",
        "loinc_777_3",
        "loinc_derived_catalog",
        "loinc_lg7967_5",
        "lum1989",
        "lum_va",
        "malinowska2023",
        "mayo_25hdn",
        "mayo_alb",
        "mayo_alt",
        "mayo_ast",
        "mayo_b6pro",
        "mayo_bilid",
        "mayo_bun",
        "mayo_ca",
        "mayo_cai",
        "mayo_cers",
        "mayo_cl",
        "mayo_crts1",
        "mayo_cuu",
        "mayo_dctr",
        "mayo_ferr1",
        "mayo_frt4",
        "mayo_ggt",
        "mayo_hapt",
        "mayo_hco3",
        "mayo_hpp_update",
        "mayo_lactate",
        "mayo_ld",
        "mayo_phos",
        "mayo_potassium",
        "mayo_pth2",
        "mayo_pttp",
        "mayo_stsh",
        "mayo_tbil",
        "mayo_ttga",
        "mayo_vitc",
        "mayo_zn_s",
        "mchs_iga",
        "mckiernan2014_acute",
        "medicalalgorithms_copper",
        "medicalalgorithms_low_alp_causes",
        "medichecks_fbc",
        "medscape_scurvy",
        "merck_cbc",
        "mercyone_dat",
        "mg_reference_pmc6316205",
        "nakamura2017",
        "nbt_tft",
        "nhs_scotland_ttg",
        "pathology_centre_bone",
        "pathology_centre_lft",
        "pathology_centre_ue",
        "pch2023_low_alp",
        "quest_10165_bmp",
        "quest_total_protein",
        "ray2017",
        "rea_gfd_alp",
        "rochester_general_cbc",
        "rubin2008_asme",
        "saraff2016",
        "savage1994_mma",
        "sbgh_urea",
        "semler2021",
        "soc_bdr_units",
        "statpearls_alp",
        "statpearls_hypomg",
        "ucsf_lab_manual",
        "ucum_essence",
        "uhn_mma",
        "umich_mlabs",
        "va_vista_loinc",
        "who_bmi",
        "wikipedia_bodansky",
        "wikipedia_iron_tests",
        "wilson_cutoffs_pmc8239488",
        "wjh2021_wilson",
        "wjh2023",
        "zinc_repletion_record",
        "zuo2019",
    }
)
"""Sources whose citation does not yet give all of authors, title, journal or site and year, or
that have no DOI, URL or PubMed id: mostly laboratory catalogue pages (undated) and articles
cited without an identifier."""


def sources() -> list[dict[str, str]]:
    return [
        s for path in SOURCES for s in yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]
    ]


def publication_problems(source: dict[str, str]) -> list[str]:
    """What a source lacks to name a publication (empty when nothing)."""
    citation = source["citation"]
    problems = []
    if not (source.get("doi") or source.get("url") or source.get("pmid")):
        problems.append("no DOI, URL or PubMed id")
    if not YEAR.search(citation):
        problems.append("no year")
    if len([p for p in re.split(r"\.\s+", citation) if p.strip()]) < 3:
        problems.append("not authors. title. journal or site")
    problems += [f"mentions {what}" for pattern, what in NOTES if pattern.search(citation)]
    return problems


def notes_in(text: str) -> list[str]:
    return [f"{what}: {m[0]!r}" for pattern, what in NOTES for m in pattern.finditer(text)]


def test_the_checks_catch_what_they_should() -> None:
    good = {
        "id": "x",
        "citation": "Tornero C, et al. Hypophosphatasia in adults. Orphanet J Rare Dis 2020;15:51.",
        "doi": "10.1186/s13023-020-1315-y",
    }
    assert publication_problems(good) == []
    assert publication_problems({**good, "doi": ""}) == ["no DOI, URL or PubMed id"]
    assert publication_problems({**good, "citation": "Mayo Clinic, test ALB, albumin."}) == [
        "no year",
        "not authors. title. journal or site",
    ]
    for said in (
        "see clinical.md",
        "in reviews/x",
        "/srv/notes/a",
        "../outside",
        "our research notes",
        "C:\\notes\\a.txt",
    ):
        assert notes_in(said), said
    assert notes_in("URL https://doi.org/10.1/x and 5 mg/dL; 24/7") == []


def test_every_source_names_a_publication() -> None:
    found = {s["id"]: publication_problems(s) for s in sources()}
    assert not INCOMPLETE - set(found), "listed as incomplete but not a source"
    wrong = {sid: p for sid, p in found.items() if p and sid not in INCOMPLETE}
    assert wrong == {}
    done = sorted(sid for sid in INCOMPLETE if not found[sid])
    assert done == [], "complete now: take these out of INCOMPLETE"


def test_no_source_cites_notes() -> None:
    for s in sources():
        said = " ".join(str(v) for v in s.values())
        assert notes_in(said) == [], s["id"]


@pytest.mark.parametrize("path", DATA, ids=lambda p: str(p.relative_to(KNOWLEDGE)))
def test_no_knowledge_file_points_at_notes_or_outside_paths(path: Path) -> None:
    assert notes_in(path.read_text(encoding="utf-8")) == []
