"""Measure assess: median in-process time for a 30-result case, and cold-start CLI wall time.

Run: ``make bench`` (or ``.venv/bin/python benchmarks/assess.py [--runs N]``). Prints numbers;
asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import lowalp
from lowalp.knowledge import load_knowledge

CASE = {
    "id": "bench-30",
    "patient": {"age_years": 52, "sex": "F"},
    "labs": [
        {"analyte": "alp", "value": 22, "unit": "U/L", "ref_low": 35, "ref_high": 104, "day": 0},
        {"analyte": "alp", "value": 25, "unit": "U/L", "day": -180},
        {"analyte": "alp", "value": 24, "unit": "U/L", "day": -400},
        {"analyte": "alp", "value": 27, "unit": "IU/L", "day": -700},
        {"analyte": "albumin", "value": 4.2, "unit": "g/dL", "day": 0},
        {"analyte": "total_protein", "value": 7.1, "unit": "g/dL", "day": 0},
        {"analyte": "calcium", "value": 2.45, "unit": "mmol/L", "day": 0},
        {"analyte": "phosphate", "value": 4.6, "unit": "mg/dL", "day": 0},
        {"analyte": "magnesium", "value": 0.85, "unit": "mmol/L", "day": 0},
        {"analyte": "potassium", "value": 4.3, "unit": "mmol/L", "day": 0},
        {"analyte": "sodium", "value": 140, "unit": "mmol/L", "day": 0},
        {"analyte": "creatinine", "value": 70, "unit": "µmol/L", "day": 0},
        {"analyte": "tsh", "value": 2.1, "unit": "mIU/L", "day": 0},
        {"analyte": "free_t4", "value": 15, "unit": "pmol/L", "day": 0},
        {"analyte": "hemoglobin", "value": 13.2, "unit": "g/dL", "day": 0},
        {"analyte": "mcv", "value": 90, "unit": "fL", "day": 0},
        {"analyte": "b12", "value": 420, "unit": "pg/mL", "day": 0},
        {"analyte": "folate", "value": 9, "unit": "ng/mL", "day": 0},
        {"analyte": "zinc", "value": 85, "unit": "µg/dL", "day": 0},
        {"analyte": "ferritin", "value": 60, "unit": "ng/mL", "day": 0},
        {"analyte": "pth", "value": 40, "unit": "pg/mL", "day": 0},
        {"analyte": "vitamin_d_25oh", "value": 32, "unit": "ng/mL", "day": 0},
        {"analyte": "bilirubin_total", "value": 0.6, "unit": "mg/dL", "day": 0},
        {"analyte": "ast", "value": 22, "unit": "U/L", "day": 0},
        {"analyte": "alt", "value": 19, "unit": "U/L", "day": 0},
        {"analyte": "ggt", "value": 20, "unit": "U/L", "day": 0},
        {"analyte": "crp", "value": 2, "unit": "mg/L", "day": 0},
        {"analyte": "plp", "value": 240, "unit": "nmol/L", "day": 0},
        {"analyte": "ceruloplasmin", "value": 28, "unit": "mg/dL", "day": 0},
        {"analyte": "ttg_iga", "qualifier": "negative", "day": 0},
    ],
    "context": {
        "medications": ["levothyroxine 50 µg daily"],
        "findings": ["metatarsal stress fracture", "chronic musculoskeletal pain"],
    },
}


def in_process(runs: int) -> list[float]:
    kb = load_knowledge()
    case = lowalp.load_case(CASE)
    for _ in range(20):  # warm caches
        lowalp.assess(case, knowledge=kb)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        lowalp.assess(case, knowledge=kb)
        times.append(time.perf_counter() - t0)
    return times


def cold(runs: int) -> tuple[list[float], list[float]]:
    exe = Path(sys.executable).with_name("lowalp")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "case.json"
        path.write_text(json.dumps(CASE))
        cli, bare = [], []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run([str(exe), "assess", str(path)], check=True, capture_output=True)
            cli.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True, capture_output=True)
            bare.append(time.perf_counter() - t0)
    return cli, bare


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--cold-runs", type=int, default=15)
    args = ap.parse_args()
    n_results = len(CASE["labs"])  # type: ignore[arg-type]
    t = in_process(args.runs)
    print(f"in-process assess, {n_results}-result case, {args.runs} runs:")
    print(
        f"  median {statistics.median(t) * 1e3:.2f} ms, p90 {sorted(t)[int(0.9 * len(t))] * 1e3:.2f} ms"
    )
    cli, bare = cold(args.cold_runs)
    print(f"cold start `lowalp assess CASE.json` (text report), {args.cold_runs} runs:")
    print(
        f"  median {statistics.median(cli) * 1e3:.0f} ms (bare `python -c pass`: {statistics.median(bare) * 1e3:.0f} ms)"
    )


if __name__ == "__main__":
    main()
