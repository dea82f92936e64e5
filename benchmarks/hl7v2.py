"""Measure the HL7 v2 ORU^R01 adapter on a generated file of many messages.

Run: ``.venv/bin/python benchmarks/hl7v2.py [--messages 200000] [--patients 20000] [--spm]``.
Writes ~200,000 messages with five OBX each (~1,000,000 OBX, about 250 MB) to a temporary
file, reads it with the adapter, builds every Case, and prints OBX/s and peak RSS. With
``--spm`` each message also carries an SPM (specimen id and collection time) after its
results and an NTE with escape sequences (highlighting, a delimiter, a line break) after the
first OBX, as a hospital laboratory writes them. Asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from lowalp.adapters import hl7v2
from lowalp.adapters.base import ReadOptions
from lowalp.knowledge import load_knowledge

PANEL = [
    ("6768-6", "Alkaline phosphatase", "U/L", "35-104", 15, 140),
    ("17861-6", "Calcium", "mg/dL", "8.6-10.3", 7.5, 11.0),
    ("19123-9", "Magnesium", "mg/dL", "1.6 - 2.6", 1.2, 2.8),
    ("2823-3", "Potassium", "mmol/L", "3.5-5.1", 3.0, 6.5),
    ("1751-7", "Albumin", "g/dL^^UCUM", "3.5-5.2", 2.5, 5.0),
]


def message(i: int, rng: random.Random, patients: int, start: dt.date, spm: bool = False) -> str:
    pid = f"P{rng.randrange(patients):06d}"
    birth = (start - dt.timedelta(days=rng.randrange(365 * 5, 365 * 90))).strftime("%Y%m%d")
    when = (start + dt.timedelta(days=rng.randrange(0, 1000))).strftime("%Y%m%d") + "0730"
    sex = "F" if rng.random() < 0.5 else "M"
    segs = [
        f"MSH|^~\\&|GHH LAB|ELAB-3|GHH OE|BLDG4|{when}||ORU^R01^ORU_R01|B-{i}|P|2.5.1",
        f"PID|1||{pid}^^^GHH^MR||DOE^PAT||{birth}|{sex}",
        f"OBR|1|{i}^GHH OE|{i}^GHH LAB|24323-8^CMP^LN|||{when}",
    ]
    for k, (code, text, unit, ref, lo, hi) in enumerate(PANEL, start=1):
        value = round(rng.uniform(lo, hi), 1)
        segs.append(f"OBX|{k}|NM|{code}^{text}^LN||{value:g}|{unit}|{ref}||||F|||{when}")
        if spm and k == 1:
            segs.append("NTE|1|L|Sample \\H\\haemolysed\\N\\ \\T\\ lipaemic.\\.br\\Repeat advised.")
    if spm:
        segs.append(f"SPM|1|S{i}&GHH OE^F{i}&GHH LAB||119297000^Blood^SCT|||||||||||||{when}")
    return "\r".join(segs) + "\r"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--patients", type=int, default=20_000)
    ap.add_argument("--spm", action="store_true", help="add an SPM and an escaped NTE")
    args = ap.parse_args()

    kb = load_knowledge()
    rng = random.Random(1)
    start = dt.date(2023, 1, 1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.hl7"
        t0 = time.perf_counter()
        with path.open("w", encoding="utf-8", newline="") as fh:
            for i in range(args.messages):
                fh.write(message(i, rng, args.patients, start, args.spm))
        size = path.stat().st_size
        print(
            f"wrote {args.messages:,} messages, {size / 1e6:.0f} MB in {time.perf_counter() - t0:.1f} s"
        )

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        result = hl7v2.read(path, ReadOptions(), knowledge=kb)
        t_read = time.perf_counter() - t0
        n_cases = 0
        n_labs = 0
        for case in result.cases:
            n_cases += 1
            n_labs += len(case.labs)
        t_all = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    stats = result.stats
    print(stats.summary())
    print(
        f"parse: {t_read:.1f} s = {stats.read / t_read:,.0f} OBX/s ({size / 1e6 / t_read:.1f} MB/s)"
    )
    print(
        f"parse + build {n_cases:,} Cases ({n_labs:,} labs): {t_all:.1f} s = {stats.read / t_all:,.0f} OBX/s"
    )
    print(
        f"peak RSS {rss * scale / 1e6:.0f} MB (before reading: {rss_before * scale / 1e6:.0f} MB)"
    )


if __name__ == "__main__":
    main()
