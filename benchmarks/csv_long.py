"""Measure the long CSV and Parquet readers on a generated file: rows/s and peak memory.

Run: ``.venv/bin/python benchmarks/csv_long.py [--rows 1000000] [--patients 100000]``. Writes
the files to a temporary folder, reads each fully (every case built), and prints numbers;
asserts nothing. The files are generated, and each format measured, in fresh child processes
of a small parent, so the peak resident set size (``ru_maxrss``) belongs to that reader alone.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ANALYTES = [
    ("6768-6", "U/L", 35, 105, 15, 140),
    ("1751-7", "g/dL", 3.5, 5.2, 2.5, 5.5),
    ("2823-3", "mmol/L", 3.5, 5.1, 3.0, 6.5),
    ("17861-6", "mg/dL", 8.6, 10.3, 7.5, 11),
    ("5763-8", "µg/dL", 60, 106, 30, 130),
    ("19123-9", "mg/dL", 1.7, 2.4, 1.0, 2.8),
    ("3016-3", "mIU/L", 0.4, 4.0, 0.1, 9),
    ("718-7", "g/dL", 12, 16, 7, 17),
    ("62236-5", "nmol/L", 20, 120, 10, 400),
    ("2777-1", "mg/dL", 2.5, 4.5, 2, 6),
]


def generate(path: Path, rows: int, patients: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    per = rows // patients
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "patient_id",
                "sex",
                "birth_date",
                "date",
                "loinc",
                "value",
                "unit",
                "ref_low",
                "ref_high",
                "medication",
            ]
        )
        n = 0
        for p in range(patients):
            pid = f"P{p:07d}"
            sex = "F" if p % 2 else "M"
            birth = f"{rng.randint(1930, 2015)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            count = per if p < patients - 1 else rows - n
            for k in range(count):
                n += 1
                if k == count - 1 and p % 10 == 0:
                    w.writerow([pid, sex, birth, "", "", "", "", "", "", "estradiol"])
                    continue
                loinc, unit, lo, hi, vmin, vmax = ANALYTES[k % len(ANALYTES)]
                day = 1 + (k // len(ANALYTES)) * 37 % 28
                month = 1 + (k // len(ANALYTES)) % 12
                value = round(rng.uniform(vmin, vmax), 2)
                w.writerow(
                    [pid, sex, birth, f"2024-{month:02d}-{day:02d}", loinc, value, unit, lo, hi, ""]
                )


ROW_GROUP = 100_000
"""Rows per Parquet row group (pyarrow decodes a row group at a time; 1M is its default)."""


def to_parquet(src: Path, dst: Path) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    pq.write_table(pacsv.read_csv(src), dst, row_group_size=ROW_GROUP)


def measure(fmt: str, path: Path) -> dict[str, float]:
    """Run in a child process: read everything, return counts, time and peak memory."""
    from lowalp.adapters.base import ReadOptions
    from lowalp.adapters.csv_long import ADAPTER, PARQUET_ADAPTER
    from lowalp.knowledge import load_knowledge

    load_knowledge()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    adapter = ADAPTER if fmt == "csv" else PARQUET_ADAPTER
    start = time.perf_counter()
    result = adapter.read(path, ReadOptions(), load_knowledge())
    read_done = time.perf_counter()
    cases = labs = 0
    for case in result.cases:
        cases += 1
        labs += len(case.labs)
    end = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "rows": result.stats.read,
        "used": result.stats.used,
        "rejected": result.stats.rejected,
        "cases": cases,
        "labs": labs,
        "read_s": read_done - start,
        "build_s": end - read_done,
        "total_s": end - start,
        "rows_per_s": result.stats.read / (end - start),
        "peak_rss_mib": peak / 1024,
        "baseline_rss_mib": base / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--child", nargs=2, metavar=("FORMAT", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--generate", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], Path(args.child[1]))))
        return
    if args.generate:
        generate(Path(args.generate) / "long.csv", args.rows, args.patients)
        to_parquet(Path(args.generate) / "long.csv", Path(args.generate) / "long.parquet")
        return
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "long.csv"
        pq_path = Path(tmp) / "long.parquet"
        t = time.perf_counter()
        # generated in a child too: on Linux a child inherits its parent's peak RSS
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--generate",
                tmp,
                "--rows",
                str(args.rows),
                "--patients",
                str(args.patients),
            ],
            check=True,
        )
        print(
            f"generated {args.rows:,} rows, {args.patients:,} patients in "
            f"{time.perf_counter() - t:.1f} s: CSV {csv_path.stat().st_size / 2**20:.0f} MiB, "
            f"Parquet {pq_path.stat().st_size / 2**20:.0f} MiB"
        )
        for fmt, path in (("csv", csv_path), ("parquet", pq_path)):
            out = subprocess.run(
                [sys.executable, __file__, "--child", fmt, str(path)],
                check=True,
                capture_output=True,
                text=True,
            )
            m = json.loads(out.stdout)
            print(
                f"{fmt:8s} {m['rows']:,.0f} rows ({m['used']:,.0f} used, {m['rejected']:,.0f} "
                f"rejected) -> {m['cases']:,.0f} cases, {m['labs']:,.0f} labs | read "
                f"{m['read_s']:.1f} s + build cases {m['build_s']:.1f} s = {m['total_s']:.1f} s"
                f" | {m['rows_per_s']:,.0f} rows/s | peak RSS {m['peak_rss_mib']:.0f} MiB "
                f"(after imports and knowledge: {m['baseline_rss_mib']:.0f} MiB)"
            )


if __name__ == "__main__":
    main()
