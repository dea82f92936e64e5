"""``--knowledge DIR`` reaches every reader: a LOINC code that only the folder DIR defines is
read through ``assess`` (case JSON, long CSV, Parquet) and ``screen`` (long CSV, Parquet), and
is not understood without it."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from lowalp.cli import main
from lowalp.knowledge import load_knowledge
from lowalp.knowledge.loader import package_root

LOCAL_CODE = "99990-6"
"""Not a LOINC code of the bundled knowledge: the copy below adds it to ALP."""

ROWS = [
    ("P1", "F", "1970-05-01", "2023-01-10", LOCAL_CODE, "21", "U/L"),
    ("P1", "F", "1970-05-01", "2023-03-15", LOCAL_CODE, "20", "U/L"),
]
HEADER = ("patient_id", "sex", "birth_date", "date", "loinc", "value", "unit")


@pytest.fixture(scope="module")
def knowledge_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kb") / "knowledge"
    shutil.copytree(str(package_root()), root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    analytes = root / "analytes.yaml"
    text = analytes.read_text(encoding="utf-8")
    old = 'loinc: ["6768-6", '
    assert text.count(old) == 1
    analytes.write_text(text.replace(old, f'loinc: ["6768-6", "{LOCAL_CODE}", '), encoding="utf-8")
    assert load_knowledge(root).loinc_index[LOCAL_CODE] == "alp"
    assert LOCAL_CODE not in load_knowledge().loinc_index
    return root


def _csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(ROWS)
    return path


def _parquet(path: Path) -> Path:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")

    columns = {name: [row[i] for row in ROWS] for i, name in enumerate(HEADER)}
    pq.write_table(pa.table(columns), path)
    return path


def _json(path: Path) -> Path:
    case = {
        "id": "P1",
        "patient": {"age_years": 52, "sex": "F"},
        "labs": [
            {"loinc": LOCAL_CODE, "value": 21, "unit": "U/L", "day": -64},
            {"loinc": LOCAL_CODE, "value": 20, "unit": "U/L", "day": 0},
        ],
    }
    path.write_text(json.dumps(case), encoding="utf-8")
    return path


WRITERS = {"json": _json, "csv": _csv, "parquet": _parquet}


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_assess_reads_a_code_only_the_knowledge_dir_defines(
    kind: str, knowledge_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = WRITERS[kind](tmp_path / f"case.{kind}")
    code = main(["--knowledge", str(knowledge_dir), "assess", str(path), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert doc["alp"]["value"] == 20
    assert doc["alp"]["status"] == "low"
    assert doc["alp"]["persistent"] is True


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_without_the_knowledge_dir_the_code_is_not_read(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = WRITERS[kind](tmp_path / f"case.{kind}")
    code = main(["assess", str(path), "--format", "json"])
    captured = capsys.readouterr()
    assert code != 0
    assert captured.out.strip() == ""


# Ibis 12 calls DuckDB 2.0's deprecated fetch_arrow_table() and pandas 3's deprecated
# future.infer_string option; neither is ours to fix.
@pytest.mark.filterwarnings(r"ignore:fetch_arrow_table\(\) is deprecated:DeprecationWarning")
@pytest.mark.filterwarnings(r"ignore:The 'future.infer_string' option is deprecated")
@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_screen_reads_a_code_only_the_knowledge_dir_defines(
    kind: str, knowledge_dir: Path, tmp_path: Path
) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("ibis")

    path = WRITERS[kind](tmp_path / f"long.{kind}")
    with_dir, without = tmp_path / "with", tmp_path / "without"
    argv = ["screen", "--measurements", str(path), "--quiet"]
    assert main(["--knowledge", str(knowledge_dir), *argv, "--out", str(with_dir)]) == 0
    wl = pd.read_parquet(with_dir / "worklist.parquet")
    assert wl.patient_id.tolist() == ["P1"]
    assert wl.n_low.iloc[0] == 2
    assert bool(wl.persistent.iloc[0])

    assert main([*argv, "--out", str(without)]) == 0
    assert len(pd.read_parquet(without / "worklist.parquet")) == 0
    rejects = pd.read_parquet(without / "rejects.parquet")
    assert len(rejects) == len(ROWS)
