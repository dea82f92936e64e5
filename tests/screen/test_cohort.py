"""The persistence rule as an OHDSI Circe cohort definition."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lowalp.knowledge import Knowledge
from lowalp.screen.cohort import (
    age_bands,
    cohort_definition,
    omop_ids,
    write_cohort,
)

CIRCE_KEYS = {
    "ConceptSets",
    "PrimaryCriteria",
    "QualifiedLimit",
    "ExpressionLimit",
    "InclusionRules",
    "CensoringCriteria",
    "CollapseSettings",
    "CensorWindow",
    "cdmVersionRange",
}


def _alp(kb: Knowledge) -> int:
    cid = kb.omop.concept_of("alp")
    assert cid is not None
    return cid


def _measurements(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Measurement":
                yield value
            else:
                yield from _measurements(value)
    elif isinstance(node, list):
        for item in node:
            yield from _measurements(item)


def test_has_the_circe_keys_and_the_alp_concept(kb: Knowledge) -> None:
    expr = cohort_definition(kb)
    assert set(expr) >= CIRCE_KEYS
    (concept_set,) = expr["ConceptSets"]
    (item,) = concept_set["expression"]["items"]
    assert item["concept"]["CONCEPT_ID"] == _alp(kb)
    assert item["concept"]["CONCEPT_CODE"] == "6768-6"
    assert item["concept"]["VOCABULARY_ID"] == "LOINC"
    assert item["includeDescendants"] is False
    assert all(m["CodesetId"] == concept_set["id"] for m in _measurements(expr))


def test_day_window_is_the_knowledge_span(kb: Knowledge) -> None:
    expr = cohort_definition(kb)
    rule = kb.settings.persistence
    later = expr["InclusionRules"][0]
    starts = {c["StartWindow"]["Start"]["Days"] for c in later["expression"]["CriteriaList"]}
    assert starts == {rule.min_span_days}
    assert all(
        c["StartWindow"]["Start"]["Coeff"] == 1 and "Days" not in c["StartWindow"]["End"]
        for c in later["expression"]["CriteriaList"]
    )
    assert all(
        c["Occurrence"] == {"Type": 2, "Count": 1, "IsDistinct": False}
        for c in later["expression"]["CriteriaList"]
    )
    assert str(int(rule.min_span_days)) in later["name"]


def test_follows_a_changed_rule(kb: Knowledge) -> None:
    from dataclasses import replace

    settings = kb.settings.model_copy(
        update={
            "persistence": kb.settings.persistence.model_copy(
                update={"min_span_days": 90, "min_low_values": 3}
            )
        }
    )
    expr = cohort_definition(replace(kb, settings=settings))
    days = {
        c["StartWindow"]["Start"]["Days"]
        for c in expr["InclusionRules"][0]["expression"]["CriteriaList"]
    }
    assert days == {90}
    counts = {
        c["Occurrence"]["Count"] for c in expr["InclusionRules"][1]["expression"]["CriteriaList"]
    }
    assert counts == {2}
    assert len(expr["InclusionRules"]) == 3


def test_thresholds_come_from_the_interval_table(kb: Knowledge) -> None:
    expr = cohort_definition(kb)
    primary = expr["PrimaryCriteria"]["CriteriaList"]
    assert primary[0]["Measurement"]["RangeLowRatio"] == {"Value": 1, "Op": "lt"}
    lowers = {m["ValueAsNumber"]["Value"] for c in primary[1:] for m in [c["Measurement"]]}
    table = {iv.lower for iv in kb.intervals if iv.age_max > 0.5}
    assert lowers <= {iv.lower for iv in kb.intervals}
    assert lowers == table
    for c in primary[1:]:
        m = c["Measurement"]
        assert m["ValueAsNumber"]["Op"] == "lt"
        # every ALP unit with a concept in the knowledge and the canonical unit's factor
        assert {u["CONCEPT_ID"] for u in m["Unit"]} == {
            i for i, u in kb.omop.units.items() if kb.analytes["alp"].units.get(u.unit) == 1
        }
        assert m["Gender"][0]["CONCEPT_ID"] in (8507, 8532)
    adult_f = next(iv for iv in kb.intervals if iv.sex == "F" and iv.age_max > 150)
    assert any(
        c["Measurement"]["Age"] == {"Value": int(adult_f.age_min), "Op": "gte"}
        and c["Measurement"]["ValueAsNumber"]["Value"] == adult_f.lower
        and c["Measurement"]["Gender"][0]["CONCEPT_ID"] == 8532
        for c in primary[1:]
    )
    no_normal = expr["InclusionRules"][-1]["expression"]
    assert no_normal["Type"] == "ALL"
    assert all(
        c["Occurrence"]["Type"] == 0 and c["Occurrence"]["Count"] == 0
        for c in no_normal["CriteriaList"]
    )
    by_table = [c for c in no_normal["CriteriaList"] if "Unit" in c["Criteria"]["Measurement"]]
    assert all(c["Criteria"]["Measurement"]["ValueAsNumber"]["Op"] == "gte" for c in by_table)
    (printed,) = [c for c in no_normal["CriteriaList"] if c not in by_table]
    assert printed["Criteria"]["Measurement"]["RangeLowRatio"] == {"Value": 1, "Op": "gte"}
    assert printed["Criteria"]["Measurement"]["Age"] == {
        "Value": kb.settings.adult_age_years,
        "Op": "gte",
    }


def test_age_bands_cover_every_year_without_gaps(kb: Knowledge) -> None:
    for sex in ("F", "M"):
        bands = age_bands(kb.intervals, sex)
        assert bands[0].first == 0
        assert bands[-1].last is None
        for a, b in itertools.pairwise(bands):
            assert a.last is not None
            assert b.first == a.last + 1
            assert a.interval.contains(a.first + 0.5, sex)


def test_description_names_the_limits_of_the_export(kb: Knowledge) -> None:
    text = cohort_definition(kb)["Description"]
    assert kb.settings.version in text
    assert "whole calendar years" in text
    assert "range_low" in text
    assert "Whom this cohort misses" in text
    assert "unit_source_value" in text


def test_write_cohort_writes_json(tmp_path: Path, kb: Knowledge) -> None:
    path = write_cohort(tmp_path / "sub" / "cohort.json", kb)
    assert json.loads(path.read_text(encoding="utf-8")) == cohort_definition(kb)


def test_ids_come_from_the_knowledge_omop_map(kb: Knowledge) -> None:
    ids = omop_ids(kb)
    assert (ids.alp, ids.alp_loinc) == (_alp(kb), kb.omop.concepts[_alp(kb)].loinc)
    canonical = ids.units[0]
    assert canonical.factor == 1
    assert {u for _, u, _ in canonical.concepts} >= {kb.analytes["alp"].canonical_unit}
    assert ids.gender == {g.sex: i for i, g in kb.omop.gender.items()}


def test_a_unit_with_another_factor_gets_its_own_converted_limits(kb: Knowledge) -> None:
    from dataclasses import replace

    from lowalp.knowledge.omop import UnitEntry

    local = 2_000_000_099  # a site-local unit concept for µkat/L
    omop = kb.omop.model_copy(
        update={"units": {**kb.omop.units, local: UnitEntry(unit="µkat/L", source=[])}}
    )
    expr = cohort_definition(replace(kb, omop_map=omop))
    kat = [
        m
        for m in _measurements(expr["PrimaryCriteria"])
        if m.get("Unit") and m["Unit"][0]["CONCEPT_ID"] == local
    ]
    factor = kb.analytes["alp"].units["µkat/L"]
    assert kat
    assert {m["ValueAsNumber"]["Value"] for m in kat} == {
        float(f"{iv.lower / factor:.6g}") for iv in kb.intervals if iv.age_max > 0.5
    }
