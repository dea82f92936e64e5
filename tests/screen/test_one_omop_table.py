"""One table of OMOP ids: the synthetic data, the screen and the cohort export all read
``knowledge/omop.yaml`` through the loaded knowledge (``kb.omop``), and screen/ holds no id."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("ibis")
pytest.importorskip("duckdb")

from lowalp.knowledge import Knowledge  # noqa: E402
from lowalp.screen.cohort import cohort_definition  # noqa: E402
from lowalp.screen.inputs import ScreenInput  # noqa: E402
from lowalp.screen.omop_map import load_omop_map  # noqa: E402
from lowalp.screen.runner import run_screen  # noqa: E402
from lowalp.screen.synth import SynthConfig, synthesize  # noqa: E402
from lowalp.screen.synth.concepts import LOCAL_BASE, synth_ids  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings(r"ignore:fetch_arrow_table\(\) is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(r"ignore:The 'future.infer_string' option is deprecated"),
]


def _ids(node: Any) -> set[int]:
    if isinstance(node, dict):
        own = {int(node["CONCEPT_ID"])} if "CONCEPT_ID" in node else set()
        return own.union(*(_ids(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_ids(v) for v in node))
    return set()


def _table(kb: Knowledge) -> set[int]:
    o = kb.omop
    return {*o.concepts, *o.units, *o.gender, *o.operators, *o.measurement_types}


def test_every_id_the_synthetic_data_writes_is_in_the_knowledge(
    tmp_path: Path, kb: Knowledge
) -> None:
    synthesize(SynthConfig(persons=300, out=tmp_path, seed=2), knowledge=kb)
    m = pq.read_table(tmp_path / "measurement.parquet").to_pandas()
    p = pq.read_table(tmp_path / "person.parquet").to_pandas()
    c = pq.read_table(tmp_path / "concept.parquet").to_pandas().set_index("concept_id")
    o = kb.omop
    written = set(m.measurement_concept_id) - {0}
    assert written - set(o.concepts)
    assert all(i > LOCAL_BASE for i in written - set(o.concepts))
    for cid in written:  # each concept carries a LOINC code of its analyte
        analyte = o.concepts[cid].analyte if cid in o.concepts else None
        if analyte is not None:
            assert c.loc[cid, "concept_code"] in kb.analytes[analyte].loinc
    for uid, unit in set(zip(m.unit_concept_id, m.unit_source_value, strict=True)):
        if uid:
            assert o.units[uid].unit == unit
    assert set(p.gender_concept_id) == set(o.gender)
    assert set(m.operator_concept_id.dropna()) <= set(o.operators)
    assert set(m.measurement_type_concept_id) <= set(o.measurement_types)


def test_every_id_the_cohort_names_is_in_the_knowledge(kb: Knowledge) -> None:
    named = _ids(cohort_definition(kb))
    assert named
    assert named <= _table(kb)


def test_the_screen_reads_the_knowledges_table(kb: Knowledge) -> None:
    assert load_omop_map(kb) is kb.omop


def test_one_edit_to_the_table_moves_synth_screen_and_cohort_together(
    tmp_path: Path, kb: Knowledge
) -> None:
    old = kb.omop.concept_of("alp")
    assert old is not None
    new = LOCAL_BASE - 12345  # any id the knowledge does not use
    concepts = {(new if i == old else i): c for i, c in kb.omop.concepts.items()}
    kb2 = replace(kb, omop_map=kb.omop.model_copy(update={"concepts": concepts}))
    assert synth_ids(kb2).concepts[0].concept_id == new
    assert new in _ids(cohort_definition(kb2))
    assert old not in _ids(cohort_definition(kb2))
    synthesize(SynthConfig(persons=200, out=tmp_path / "omop", seed=4), knowledge=kb2)
    m = pq.read_table(tmp_path / "omop" / "measurement.parquet").to_pandas()
    assert new in set(m.measurement_concept_id)
    assert old not in set(m.measurement_concept_id)
    cohort = tmp_path / "cohort.json"
    got = run_screen(
        ScreenInput("omop", tmp_path / "omop"),
        tmp_path / "out",
        knowledge=kb2,
        export_cohort=cohort,
    )
    assert got.counts["persons_on_worklist"] > 0  # the new ALP id was read as ALP
    assert new in _ids(json.loads(cohort.read_text(encoding="utf-8")))


def test_no_omop_id_is_written_in_the_screen_code(kb: Knowledge) -> None:
    ids = _table(kb)
    root = Path(str(resources.files("lowalp.screen")))
    found = [
        (str(path.relative_to(root)), int(n))
        for path in sorted(root.rglob("*.py"))
        for n in re.findall(r"(?<![\w.])\d[\d_]{3,}(?![\w.])", path.read_text(encoding="utf-8"))
        if int(n) in ids
    ]
    assert found == []


def test_the_cli_prints_the_overlap_to_expect(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A person whose ALP is in µkat/L (a unit with no concept in the knowledge) with no
    printed range is one the cohort cannot see: the screen counts and says so."""
    from lowalp.cli import main

    synthesize(SynthConfig(persons=1500, out=tmp_path / "omop", seed=9))
    cohort = tmp_path / "cohort.json"
    argv = ["screen", "--omop", str(tmp_path / "omop"), "--out", str(tmp_path / "out")]
    assert main([*argv, "--export-cohort", str(cohort)]) == 0
    err = capsys.readouterr().err
    wl = pq.read_table(tmp_path / "out" / "worklist.parquet").to_pandas()
    p = int(wl.persistent.eq(True).sum())
    said = re.search(r"should find at least ([\d,]+) of the ([\d,]+) persistent persons", err)
    assert said is not None
    assert int(said.group(2).replace(",", "")) == p > 0
    assert int(said.group(1).replace(",", "")) <= p
    assert str(cohort) in err
