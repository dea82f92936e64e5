"""The persistence rule as an OHDSI Circe cohort definition."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lowalp.knowledge import Knowledge
from lowalp.screen.cohort import (
    ALP_CONCEPT_ID,
    UNIT_U_PER_L,
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
    assert item["concept"]["CONCEPT_ID"] == ALP_CONCEPT_ID == 3035995
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
        assert m["Unit"][0]["CONCEPT_ID"] == UNIT_U_PER_L
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
    assert all(
        c["Criteria"]["Measurement"]["ValueAsNumber"]["Op"] == "gte"
        for c in no_normal["CriteriaList"]
    )


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


def test_write_cohort_writes_json(tmp_path: Path, kb: Knowledge) -> None:
    path = write_cohort(tmp_path / "sub" / "cohort.json", kb)
    assert json.loads(path.read_text(encoding="utf-8")) == cohort_definition(kb)


def test_ids_come_from_the_knowledge_omop_map(kb: Knowledge) -> None:
    ids = omop_ids(kb)
    assert (ids.alp, ids.alp_loinc, ids.unit) == (ALP_CONCEPT_ID, "6768-6", UNIT_U_PER_L)
    assert ids.gender == {"F": 8532, "M": 8507}
