"""Throughput and peak memory of the FHIR bulk NDJSON reader on a generated export.

Generates Patient.ndjson and Observation.ndjson (about 1 million Observation lines, a few
hundred MB) in a temporary folder outside the repository, reads it with the ``fhir`` adapter,
and prints records/s and peak RSS. Asserts nothing.

    python benchmarks/fhir_ndjson.py [--observations 1000000] [--patients 20000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from lowalp.adapters.base import ReadOptions
from lowalp.adapters.fhir import ADAPTER
from lowalp.knowledge import load_knowledge

ANALYTES = [
    ("6768-6", "U/L", 10, 140, (35, 104)),
    ("1751-7", "g/dL", 2.0, 5.2, (3.5, 5.2)),
    ("19123-9", "mg/dL", 0.8, 2.6, (1.7, 2.2)),
    ("2823-3", "mmol/L", 3.0, 6.5, (3.5, 5.1)),
    ("5763-8", "ug/dL", 40, 130, (60, 120)),
]


def generate(folder: Path, n_obs: int, n_patients: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    with (folder / "Patient.ndjson").open("w") as fh:
        for i in range(n_patients):
            year = rnd.randint(1930, 2015)
            patient = {
                "resourceType": "Patient",
                "id": f"p{i}",
                "gender": rnd.choice(("female", "male")),
                "birthDate": f"{year}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
            }
            fh.write(json.dumps(patient, separators=(",", ":")) + "\n")
    with (folder / "Observation.ndjson").open("w") as fh:
        for i in range(n_obs):
            loinc, unit, lo, hi, (rlo, rhi) = ANALYTES[i % len(ANALYTES)]
            obs = {
                "resourceType": "Observation",
                "id": f"o{i}",
                "meta": {"lastUpdated": "2024-06-01T12:00:00Z"},
                "status": "final" if i % 50 else "cancelled",
                "category": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                "code": "laboratory",
                            }
                        ]
                    }
                ],
                "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
                "subject": {"reference": f"Patient/p{rnd.randrange(n_patients)}"},
                "effectiveDateTime": f"2024-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}T08:15:00+01:00",
                "issued": "2024-06-01T12:00:00Z",
                "valueQuantity": {
                    "value": round(rnd.uniform(lo, hi), 1),
                    "unit": unit,
                    "system": "http://unitsofmeasure.org",
                    "code": unit,
                },
                "referenceRange": [
                    {
                        "low": {"value": rlo, "unit": unit},
                        "high": {"value": rhi, "unit": unit},
                    }
                ],
            }
            fh.write(json.dumps(obs, separators=(",", ":")) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--observations", type=int, default=1_000_000)
    ap.add_argument("--patients", type=int, default=20_000)
    ap.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = ap.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="lowalp-fhir-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        generate(folder, args.observations, args.patients)
        size = sum(p.stat().st_size for p in folder.glob("*.ndjson"))
        print(f"generated {size / 1e6:.0f} MB in {time.perf_counter() - t0:.0f} s in {folder}")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        last = [0.0]

        def progress(done: int, total: int | None) -> None:
            now = time.perf_counter()
            if now - last[0] > 5:
                last[0] = now
                print(f"  {done / (total or 1):5.1%}", file=sys.stderr)

        t0 = time.perf_counter()
        result = ADAPTER.read(folder, ReadOptions(progress=progress), load_knowledge())
        t_read = time.perf_counter() - t0
        t1 = time.perf_counter()
        n_labs = sum(len(c.labs) for c in result.cases)
        t_cases = time.perf_counter() - t1
        elapsed = t_read + t_cases
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        stats = result.stats
        print(stats.summary())
        print(f"lab results in cases: {n_labs}")
        print(f"read: {t_read:.1f} s, building cases: {t_cases:.1f} s")
        print(
            f"throughput: {stats.read / elapsed:,.0f} resources/s, {size / 1e6 / elapsed:.1f} MB/s"
        )
        print(f"peak RSS: {peak / 1024:.0f} MiB (before reading: {rss_before / 1024:.0f} MiB)")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
