"""The synthetic OMOP generator: schema, ids, planted causes, dirty rows, determinism."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from lowalp.knowledge import load_knowledge
from lowalp.screen.synth import ANALYTES, CAUSES, SynthConfig, synthesize

N = 2000


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("synth")
    synthesize(SynthConfig(persons=N, out=d, seed=7))
    return d


def test_files_and_schema(out: Path) -> None:
    m = pq.read_table(out / "measurement.parquet")
    assert {
        "measurement_id",
        "person_id",
        "measurement_concept_id",
        "measurement_date",
        "measurement_datetime",
        "measurement_type_concept_id",
        "operator_concept_id",
        "value_as_number",
        "value_source_value",
        "unit_concept_id",
        "unit_source_value",
        "range_low",
        "range_high",
    } <= set(m.column_names)
    p = pq.read_table(out / "person.parquet").to_pandas()
    assert len(p) == N
    assert p.person_id.is_unique
    assert set(p.gender_concept_id) == {8507, 8532}
    assert (p.race_concept_id == 0).all()
    c = pq.read_table(out / "concept.parquet").to_pandas()
    assert set(m.column("measurement_concept_id").to_pylist()) - {0} <= set(c.concept_id)
    assert (c.vocabulary_id == "LOINC").all()
    assert c.concept_id.is_unique
    assert c.set_index("concept_id").loc[3035995, "concept_code"] == "6768-6"
    assert len(ANALYTES) >= 35


def test_ids_unique_and_sorted(out: Path) -> None:
    m = pq.read_table(out / "measurement.parquet").to_pandas()
    assert m.measurement_id.is_unique
    assert 10 * N < len(m) < 30 * N
    assert m.person_id.is_monotonic_increasing
    dated = m.dropna(subset=["measurement_date"])
    key = (
        dated.person_id.astype("int64") * 10**6
        + (pd.to_datetime(dated.measurement_date) - pd.Timestamp("1970-01-01")).dt.days
    )
    assert key.is_monotonic_increasing


def test_every_cause_planted(out: Path) -> None:
    g = pd.read_csv(out / "ground_truth.csv")
    assert list(g.columns) == ["person_id", "planted_cause", "persistent"]
    assert set(CAUSES) <= set(g.planted_cause)
    assert set(g.planted_cause) <= {*CAUSES, "none"}
    assert 0.02 < (g.planted_cause != "none").mean() < 0.04
    assert g.persistent[g.planted_cause == "hypophosphatasia"].all()
    assert not g.persistent[g.planted_cause == "edta_contamination"].any()


def _alp_low_for_age(out: Path) -> pd.DataFrame:
    kb = load_knowledge()
    m = pq.read_table(out / "measurement.parquet").to_pandas()
    p = pq.read_table(out / "person.parquet").to_pandas()
    alp = m[(m.measurement_concept_id == 3035995) & m.value_as_number.notna()].merge(
        p[["person_id", "gender_concept_id", "birth_datetime"]], on="person_id"
    )
    alp = alp.dropna(subset=["measurement_date", "birth_datetime"])
    factor = alp.unit_source_value.map(dict(kb.analytes["alp"].units))
    alp["u_l"] = alp.value_as_number * factor
    age = (pd.to_datetime(alp.measurement_date) - alp.birth_datetime).dt.days / 365.25
    sex = np.where(alp.gender_concept_id == 8507, "M", "F")
    lower = [
        next(i.lower for i in kb.intervals if i.sex in (None, s) and i.age_min <= a < i.age_max)
        for s, a in zip(sex, age, strict=True)
    ]
    alp["low"] = alp.u_l < np.array(lower)
    return alp


def test_planted_hpp_persistently_low(out: Path) -> None:
    kb = load_knowledge()
    rule = kb.settings.persistence
    g = pd.read_csv(out / "ground_truth.csv")
    hpp = set(g.person_id[g.planted_cause == "hypophosphatasia"])
    alp = _alp_low_for_age(out)
    for pid in hpp:
        rows = alp[alp.person_id == pid].sort_values("measurement_date")
        assert len(rows) >= rule.min_low_values
        assert rows.low.all(), rows
        span = (
            pd.to_datetime(rows.measurement_date).iloc[-1]
            - pd.to_datetime(rows.measurement_date).iloc[0]
        ).days
        assert span >= rule.min_span_days


def test_dirty_rows_present(out: Path) -> None:
    m = pq.read_table(out / "measurement.parquet").to_pandas()
    assert m.measurement_date.isna().any()
    assert (m.unit_source_value == "furlongs/L").any()
    assert (m.measurement_concept_id == 0).any()
    assert (m.value_as_number < 0).any()
    text = m.value_as_number.isna()
    assert (
        m.value_source_value[text]
        .isin(["hemolyzed", "see comment", "QNS", "specimen clotted"])
        .any()
    )
    assert m.value_source_value[text].str.startswith("<").any()
    cols = [c for c in m.columns if c != "measurement_id"]
    assert m.duplicated(subset=cols).any()
    assert (m.operator_concept_id == 4171756).any()  # clean censored results


def test_children_get_adult_ranges_sometimes(out: Path) -> None:
    alp = _alp_low_for_age(out)
    missed = alp[alp.low & alp.range_low.notna() & (alp.value_as_number >= alp.range_low)]
    assert len(missed) > 0  # low for age but inside the printed (adult) range


def test_deterministic_and_chunking_does_not_matter(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    synthesize(SynthConfig(persons=2500, out=a, seed=3))
    synthesize(SynthConfig(persons=2500, out=b, seed=3, chunk_persons=1000))
    synthesize(SynthConfig(persons=2500, out=c, seed=4))
    for name in ("measurement.parquet", "person.parquet"):
        ta, tb = pq.read_table(a / name), pq.read_table(b / name)
        assert ta.equals(tb)
    assert pq.ParquetFile(b / "measurement.parquet").num_row_groups == 3
    assert pq.ParquetFile(a / "measurement.parquet").num_row_groups == 1
    assert (a / "ground_truth.csv").read_text() == (b / "ground_truth.csv").read_text()
    assert not pq.read_table(a / "measurement.parquet").equals(
        pq.read_table(c / "measurement.parquet")
    )


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from lowalp.cli import synth

    p = argparse.ArgumentParser()
    synth.add_parser(p.add_subparsers(dest="command"))
    args = p.parse_args(["synth", "--persons", "300", "--out", str(tmp_path), "--seed", "1"])
    assert synth.run(args) == 0
    assert (tmp_path / "measurement.parquet").exists()
    assert "measurement rows" in capsys.readouterr().err


def test_planted_persistence_matches_the_rule(out: Path) -> None:
    """Persistent planted persons end in a low run spanning the rule; the others do not."""
    rule = load_knowledge().settings.persistence
    g = pd.read_csv(out / "ground_truth.csv")
    alp = _alp_low_for_age(out)
    alp["d"] = pd.to_datetime(alp.measurement_date)
    for pid, persistent in zip(
        g.person_id[g.planted_cause != "none"], g.persistent[g.planted_cause != "none"], strict=True
    ):
        rows = alp[alp.person_id == pid].sort_values("d")
        lows = rows.low.to_numpy()
        run = len(lows) - (np.nonzero(~lows)[0].max() + 1 if (~lows).any() else 0)
        tail = rows.iloc[len(rows) - run :]
        ok = (
            run >= rule.min_low_values
            and (tail.d.iloc[-1] - tail.d.iloc[0]).days >= rule.min_span_days
        )
        assert ok == persistent, (pid, rows[["d", "u_l", "low"]])
