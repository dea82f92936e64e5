"""Benchmark ``lowalp screen``: rows/s, peak memory, the scan floor, planted-case recall.

    .venv/bin/python benchmarks/screen.py DATA_DIR [DATA_DIR ...] [--engine duckdb|spark]

Each DATA_DIR is a ``lowalp synth`` output (measurement.parquet, person.parquet,
concept.parquet, ground_truth.csv). For each, in one child process per measurement (so peak RSS
is that run's): the floor (a DuckDB scan of the columns the screen needs, ALP rows only) and the
whole screen (stage, checks, screening expression, assessment of the short list, outputs).
Prints; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR = """
import duckdb, json, time, sys
p = sys.argv[1]
con = duckdb.connect()
t = time.perf_counter()
n, s, k = con.execute(
    "SELECT count(*), sum(value_as_number), count(DISTINCT person_id) FROM read_parquet(?) "
    "WHERE measurement_concept_id = 3035995",
    [p + '/measurement.parquet'],
).fetchone()
rows = con.execute("SELECT count(*) FROM read_parquet(?)", [p + '/measurement.parquet']).fetchone()[0]
print(json.dumps({"floor_s": time.perf_counter() - t, "alp_rows": n, "rows": rows}))
"""

SCREEN = """
import json, sys, time
from pathlib import Path
from lowalp.screen.inputs import ScreenInput
from lowalp.screen.runner import run_screen
t = time.perf_counter()
r = run_screen(ScreenInput('omop', Path(sys.argv[1])), sys.argv[2], engine=sys.argv[3])
c = r.counts
c["wall_s"] = time.perf_counter() - t
print(json.dumps(c, default=str))
"""


def _run(code: str, *args: str) -> tuple[dict[str, object], float]:
    """Run ``code`` in a child under GNU time; its JSON line and peak RSS in MB."""
    with tempfile.NamedTemporaryFile("w+", suffix=".txt") as tv:
        cmd = ["/usr/bin/time", "-v", "-o", tv.name, sys.executable, "-c", code, *args]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-2000:])
        rss_kb = 0
        for line in Path(tv.name).read_text().splitlines():
            if "Maximum resident set size" in line:
                rss_kb = int(line.split(":")[1])
    last = [x for x in out.stdout.splitlines() if x.startswith("{")][-1]
    return json.loads(last), rss_kb / 1024


def recall(data: Path, out: Path) -> dict[str, object]:
    import pandas as pd

    truth = pd.read_csv(data / "ground_truth.csv")
    wl = pd.read_parquet(out / "worklist.parquet")
    pers = truth[truth.persistent.astype(str).str.lower() == "true"]
    on = pers.person_id.isin(wl.person_id)
    flagged = pers.person_id.isin(wl[wl.persistent == True].person_id)  # noqa: E712
    hpp = truth[truth.planted_cause == "hypophosphatasia"]
    ranks = wl.set_index("person_id").hpp_priority.reindex(hpp.person_id)
    return {
        "planted_persistent": len(pers),
        "on_worklist": int(on.sum()),
        "flagged_persistent": int(flagged.sum()),
        "hpp_planted": len(hpp),
        "hpp_on_worklist": int(ranks.notna().sum()),
        "hpp_rank_median": float(ranks.median()) if ranks.notna().any() else None,
        "hpp_rank_max": float(ranks.max()) if ranks.notna().any() else None,
        "hpp_in_top_100": int((ranks <= 100).sum()),
        "worklist": len(wl),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", nargs="+", type=Path)
    ap.add_argument("--engine", default="duckdb", choices=("duckdb", "spark"))
    args = ap.parse_args()
    for data in args.data:
        floor, floor_rss = _run(FLOOR, str(data))
        out = Path(tempfile.mkdtemp(prefix="lowalp-bench-"))
        t = time.perf_counter()
        c, rss = _run(SCREEN, str(data), str(out), args.engine)
        process_s = time.perf_counter() - t
        rows = int(floor["rows"])  # type: ignore[call-overload]
        screen_s = float(c["wall_s"])  # type: ignore[arg-type]
        timings = c["timings"]
        query_s = sum(float(v) for k, v in timings.items() if k != "assess_s")  # type: ignore[union-attr]
        print(f"== {data} ({rows:,} rows, engine {args.engine})")
        print(
            f"floor: {float(floor['floor_s']):.3f} s ({rows / float(floor['floor_s']) / 1e6:.1f} M rows/s), "
            f"peak RSS {floor_rss:.0f} MB"
        )
        print(
            f"screen: {screen_s:.2f} s in-process ({rows / screen_s / 1e6:.2f} M rows/s), "
            f"process {process_s:.1f} s, peak RSS {rss:.0f} MB; "
            f"queries without assessment {query_s:.2f} s ({query_s / float(floor['floor_s']):.1f}x floor); "
            f"timings {timings}"
        )
        print(
            f"rows read {c['rows_read']:,} = used {c['rows_used']:,} + rejected {c['rows_rejected']:,}; "
            f"work-list {c['persons_on_worklist']:,}; persistent {c['persistent']:,}; "
            f"disagreements {c['screen_assess_disagreements']}"
        )
        print("recall:", json.dumps(recall(data, out)))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
