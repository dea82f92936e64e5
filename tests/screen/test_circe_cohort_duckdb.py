"""The exported OHDSI cohort finds the screen's patients: ohdsi-circepy's SQL run on DuckDB.

Synthetic OMOP data with mixed ALP units (U/L; IU/L without a printed range; µkat/L, which
has no unit concept, mostly with one) is screened with ``--export-cohort``; the cohort JSON is
compiled by ohdsi-circepy (the Python port of OHDSI's Circe), rendered and translated to
DuckDB by its SqlRender port, and run on the same tables. The persons it finds must match the
screen's persistent lows (Jaccard >= 0.95), and the persons it misses must be the ones the
export counts as unreadable to Circe.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pandas")
pytest.importorskip("ibis")
duckdb = pytest.importorskip("duckdb")
circe_api = pytest.importorskip("circe.api")
sqlrender = pytest.importorskip("circe.sqlrender")

from circe.cohortdefinition import BuildExpressionQueryOptions  # noqa: E402

from lowalp.knowledge import Knowledge  # noqa: E402
from lowalp.screen.inputs import ScreenInput  # noqa: E402
from lowalp.screen.runner import run_screen  # noqa: E402
from lowalp.screen.synth import SynthConfig, synthesize  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings(r"ignore:fetch_arrow_table\(\) is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(r"ignore:The 'future.infer_string' option is deprecated"),
]

PERSONS = 3000


def circe_sql(cohort_json: str) -> list[str]:
    """The cohort's SQL as OHDSI tools build it, translated to DuckDB, one statement each."""
    expr = circe_api.cohort_expression_from_json(cohort_json)
    opts = BuildExpressionQueryOptions()
    opts.cdm_schema = "cdm"
    opts.vocabulary_schema = "cdm"
    opts.result_schema = "results"
    opts.target_table = "results.cohort"
    opts.cohort_id = 1
    sql = sqlrender.render(circe_api.build_cohort_query(expr, opts))
    # translated statement by statement: the same text, and several times faster in this port
    # (each with its ";", which some of the translation patterns match on)
    return [sqlrender.translate(f"{s};", "duckdb") for s in sqlrender.split_sql(sql)]


def cdm_database(omop: Path) -> Any:
    """The synthetic tables as a CDM schema (with the observation_period and the
    visit_occurrence_id column the SQL reads, which the synthetic data does not write)."""
    con = duckdb.connect()
    con.execute("create schema cdm; create schema results")
    con.execute(
        "create table cdm.measurement as select *, cast(null as bigint) as visit_occurrence_id "
        f"from read_parquet('{omop / 'measurement.parquet'}')"
    )
    con.execute(
        f"create table cdm.person as select * from read_parquet('{omop / 'person.parquet'}')"
    )
    con.execute(
        f"create table cdm.concept as select * from read_parquet('{omop / 'concept.parquet'}')"
    )
    con.execute(
        "create table cdm.observation_period as select row_number() over () as "
        "observation_period_id, person_id, min(measurement_date) as "
        "observation_period_start_date, max(measurement_date) as observation_period_end_date, "
        "0 as period_type_concept_id from cdm.measurement group by person_id"
    )
    con.execute(
        "create table results.cohort (cohort_definition_id bigint, subject_id bigint, "
        "cohort_start_date date, cohort_end_date date)"
    )
    return con


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory, kb: Knowledge) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("circe")
    omop = base / "omop"
    synthesize(SynthConfig(persons=PERSONS, out=omop, seed=1), knowledge=kb)
    cohort = base / "cohort.json"
    result = run_screen(ScreenInput("omop", omop), base / "out", knowledge=kb, export_cohort=cohort)
    wl = result.worklist
    con = cdm_database(omop)
    for statement in circe_sql(cohort.read_text(encoding="utf-8")):
        con.execute(statement)
    found = {int(r[0]) for r in con.execute("select subject_id from results.cohort").fetchall()}
    units = con.execute(
        "select distinct unit_concept_id, unit_source_value, range_low is null from "
        f"cdm.measurement where measurement_concept_id = {kb.omop.concept_of('alp')}"
    ).fetchall()
    return {
        "cohort": found,
        "screen": set(wl.loc[wl.persistent.eq(True), "person_id"].astype(int)),
        "counts": result.counts,
        "units": units,
        "json": json.loads(cohort.read_text(encoding="utf-8")),
    }


def test_the_data_mix_alp_units_and_leave_some_unmapped(screened: dict[str, Any]) -> None:
    units = screened["units"]
    assert {(c, u) for c, u, _ in units} >= {(8645, "U/L"), (8923, "IU/L"), (0, "ukat/L")}
    assert (8923, "IU/L", True) in units  # IU/L rows print no range
    assert (0, "ukat/L", True) in units  # a few µkat/L rows print none either


def test_the_cohort_finds_the_screens_persistent_lows(screened: dict[str, Any]) -> None:
    cohort, screen = screened["cohort"], screened["screen"]
    assert len(screen) >= 40
    jaccard = len(cohort & screen) / len(cohort | screen)
    assert jaccard >= 0.95, (len(cohort), len(screen), len(cohort & screen))


def test_whom_the_cohort_misses_is_counted_by_the_export(screened: dict[str, Any]) -> None:
    export = screened["counts"]["cohort_export"]
    missed = screened["screen"] - screened["cohort"]
    assert export["persistent"] == len(screened["screen"])
    # every person the cohort misses for want of a readable unit is among those counted
    assert set(export["unreadable_person_ids"]) <= screened["screen"]
    assert len(missed - set(export["unreadable_person_ids"])) <= max(1, len(missed) // 2)


def test_the_cohort_names_knowledge_ids_only(screened: dict[str, Any], kb: Knowledge) -> None:
    text = json.dumps(screened["json"])
    named = {int(x) for x in _concept_ids(screened["json"])}
    table = set(kb.omop.concepts) | set(kb.omop.units) | set(kb.omop.gender)
    assert named
    assert named <= table
    assert "Whom this cohort misses" in text


def _concept_ids(node: Any) -> list[Any]:
    """Every CONCEPT_ID anywhere in a cohort expression."""
    if isinstance(node, dict):
        own = [node["CONCEPT_ID"]] if "CONCEPT_ID" in node else []
        return own + [i for v in node.values() for i in _concept_ids(v)]
    if isinstance(node, list):
        return [i for v in node for i in _concept_ids(v)]
    return []
