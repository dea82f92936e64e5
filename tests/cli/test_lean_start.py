"""Assessing a case JSON without free text imports none of the heavy optional stacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = (
    "spacy",
    "medspacy",
    "pandas",
    "pyarrow",
    "ibis",
    "duckdb",
    "jinja2",
    "fastapi",
    "starlette",
    "uvicorn",
    "numpy",
    "rapidfuzz",
    "lowalp.text.reader",
    "lowalp.adapters.fhir",
    "lowalp.screen",
    "lowalp.web.app",
)

PROBE = """
import json, sys
from lowalp.cli import main
code = main(["assess", sys.argv[1], "--format", "json", "--output", sys.argv[2], "--quiet"])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

CASE = {
    "id": "lean",
    "patient": {"age_years": 52, "sex": "F"},
    "labs": [
        {"analyte": "alp", "value": 22, "unit": "U/L", "ref_low": 35, "ref_high": 104, "day": 0},
        {"analyte": "alp", "value": 25, "unit": "U/L", "day": -180},
        {"analyte": "albumin", "value": 4.2, "unit": "g/dL", "day": 0},
        {"analyte": "tsh", "value": 2.1, "unit": "mIU/L", "day": 0},
        {"analyte": "zinc", "value": 85, "unit": "µg/dL", "day": 0},
        {"analyte": "ttg_iga", "qualifier": "negative", "day": 0},
    ],
    "context": {"medications": [], "events": []},
}


def _probe(tmp_path: Path, cache: Path) -> set[str]:
    case = tmp_path / "case.json"
    case.write_text(json.dumps(CASE), encoding="utf-8")
    out = tmp_path / "out.json"
    env = {**os.environ, "LOWALP_CACHE_DIR": str(cache)}
    run = subprocess.run(
        [sys.executable, "-c", PROBE, str(case), str(out)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    result = json.loads(run.stdout)
    assert result["code"] == 0
    assert json.loads(out.read_text(encoding="utf-8"))["alp"]["status"] == "low"
    return set(result["modules"])


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(f"{h}.") for h in HEAVY))


def test_a_case_without_free_text_imports_no_heavy_stack(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _probe(tmp_path, cache)  # builds the knowledge from its files (and the snapshot)
    assert _heavy(first) == []
    second = _probe(tmp_path, cache)  # from the snapshot: not even the YAML parser
    assert _heavy(second) == []
    assert "yaml" not in second
    assert "lowalp.knowledge.loader" not in second
