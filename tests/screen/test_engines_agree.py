"""The same Ibis expression on DuckDB and on Spark gives the same work-list (generated data)."""

from __future__ import annotations

from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("ibis")
pytest.importorskip("pyspark")

from lowalp.screen.inputs import ScreenInput  # noqa: E402
from lowalp.screen.runner import run_screen  # noqa: E402

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    # Third-party deprecations raised inside Ibis/PySpark with pandas 3 and DuckDB 2.0.
    pytest.mark.filterwarnings(r"ignore:fetch_arrow_table\(\) is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(r"ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:pyspark"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


def _data(tmp: Path) -> Path:
    from lowalp.screen.synth.generate import SynthConfig, synthesize

    synthesize(SynthConfig(persons=400, out=tmp / "omop", seed=7))
    return tmp / "omop"


def test_duckdb_and_spark_give_identical_worklists(tmp_path: Path) -> None:
    data = _data(tmp_path)
    d = run_screen(ScreenInput("omop", data), tmp_path / "duck", engine="duckdb")
    s = run_screen(ScreenInput("omop", data), tmp_path / "spark", engine="spark")
    assert d.counts["rows_read"] == s.counts["rows_read"]
    assert d.counts["rejected_by_reason"] == s.counts["rejected_by_reason"]
    assert len(d.worklist) > 0
    a = d.worklist.reset_index(drop=True)
    b = s.worklist.reset_index(drop=True)
    for col in ("index_date", "first_low_date", "last_low_date"):
        a[col] = pd.to_datetime(a[col])
        b[col] = pd.to_datetime(b[col])
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    ra = d.rejects.sort_values("source_row").reset_index(drop=True)
    rb = s.rejects.sort_values("source_row").reset_index(drop=True)
    assert ra.source_row.tolist() == rb.source_row.tolist()
    assert ra.reason.tolist() == rb.reason.tolist()


def test_explain_prints_the_spark_plan_of_each_query(tmp_path: Path) -> None:
    from lowalp.screen.runner import explain_screen

    text = explain_screen(ScreenInput("omop", _data(tmp_path)), engine="spark")
    assert text.count("== Physical Plan ==") >= 4
    assert "== 5. in memory" in text
