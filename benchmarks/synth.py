"""Generation speed of ``lowalp synth``: rows per second and peak memory (prints, asserts nothing).

Run: .venv/bin/python benchmarks/synth.py [--persons 500000]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from lowalp.screen.synth import SynthConfig, synthesize


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=500_000)
    ap.add_argument("--chunk-persons", type=int, default=50_000)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        r = synthesize(SynthConfig(persons=a.persons, out=Path(d), chunk_persons=a.chunk_persons))
        el = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in Path(d).iterdir())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"persons            {r.persons:,}")
    print(f"measurement rows   {r.measurements:,}")
    print(f"seconds            {el:.2f}")
    print(f"rows/s             {r.measurements / el / 1e6:.2f} M")
    print(f"peak RSS           {rss:.0f} MiB")
    print(f"output size        {size / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
