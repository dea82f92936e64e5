"""What reading free text costs: cold start with and without text, time per phrase, install size.

- Cold start: ``lowalp assess CASE`` as a new process (median of ``--runs``), for a case whose
  context has no free text (labs only, events as ids) and for the same case with a clinical
  note, medicines and findings as text (the NLP pipeline loads on first use), once with every
  medicine in lowalp's own lexicon and once with a brand it must look up in the drug dictionary
  (loaded on first need, about two seconds).
- In-process: every phrase of the assertion suite (tests/text/assertions) through the context
  reader, after one warm-up pass, and the first read in a fresh process (pipeline build).
- Install: the size on disk of the packages the text reader brings in.

Run: ``.venv/bin/python benchmarks/text.py [--runs 7]``. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LABS = [
    {"analyte": "alp", "value": 22, "unit": "U/L", "date": "2026-06-01"},
    {"analyte": "alp", "value": 24, "unit": "U/L", "date": "2025-11-20"},
    {"analyte": "calcium", "value": 2.45, "unit": "mmol/L", "date": "2026-06-01"},
    {"analyte": "phosphate", "value": 1.5, "unit": "mmol/L", "date": "2026-06-01"},
    {"analyte": "plp", "value": 250, "unit": "nmol/L", "date": "2026-06-01"},
]
PLAIN = {"patient": {"age_years": 54, "sex": "F"}, "labs": LABS, "context": {"events": []}}
TEXT = {
    "patient": {"age_years": 54, "sex": "F"},
    "labs": LABS,
    "context": {
        "notes": (
            "54F referred with persistently low ALP. h/o bilateral AFF 2023 on Fosamax x9y, "
            "stopped after the fractures. Stress # R 2nd metatarsal 2017. Lost several adult "
            "teeth in her 40s. No FHx of bone disease. Denies diarrhoea or weight loss."
        ),
        "medications": ["levothyroxine 50 mcg", "Evista — stopped last spring"],
        "findings": ["ALPL sequencing: no pathogenic variant found", "LFTs normal"],
    },
}

KNOWN_MEDICINES = {
    **TEXT,
    "context": {
        **TEXT["context"],
        "medications": ["levothyroxine 50 mcg", "Fosamax — stopped 2023"],
    },  # type: ignore[dict-item]
}

PACKAGES = [
    "medspacy", "spacy", "thinc", "blis", "srsly", "cymem", "preshed", "murmurhash", "wasabi",
    "weasel", "catalogue", "confection", "langcodes", "spacy-legacy", "spacy-loggers", "typer",
    "PyRuSH", "PyFastNER", "pysbd", "quicksectx", "medspacy_quickumls", "medspacy_unqlite",
    "pysimstring", "loguru", "jsonschema", "nltk", "lemminflect", "rapidfuzz",
    "drug-named-entity-recognition", "regex", "cloudpathlib", "smart-open",
]  # fmt: skip


def cold(case: dict[str, object], runs: int) -> list[float]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(case, fh)
    out = []
    exe = str(Path(sys.executable).parent / "lowalp")
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([exe, "assess", fh.name], check=True, capture_output=True)
        out.append(time.perf_counter() - t)
    Path(fh.name).unlink()
    return out


def size(dist: str) -> int:
    try:
        files = md.distribution(dist).files or []
    except md.PackageNotFoundError:
        return 0
    total = 0
    for f in files:
        p = Path(str(f.locate()))
        if p.is_file():
            total += p.stat().st_size
    return total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    for name, case in (
        ("no free text", PLAIN),
        ("with free text, every medicine in lowalp's lexicon", KNOWN_MEDICINES),
        ("with free text and a medicine looked up in the drug dictionary", TEXT),
    ):
        ts = cold(case, args.runs)
        print(
            f"cold start, {name}: median {statistics.median(ts) * 1000:.0f} ms "
            f"(min {min(ts) * 1000:.0f}, max {max(ts) * 1000:.0f}, {args.runs} runs)"
        )

    t = time.perf_counter()
    from lowalp.knowledge import load_knowledge
    from lowalp.text.reader import read_text

    kb = load_knowledge()
    read_text("no tooth loss", kb)
    print(
        f"first read in this process (pipeline and lexicon built): {(time.perf_counter() - t) * 1000:.0f} ms"
    )

    import importlib.util

    spec = importlib.util.spec_from_file_location("suite", ROOT / "tests" / "text" / "suite.py")
    assert spec is not None
    assert spec.loader is not None
    suite = importlib.util.module_from_spec(spec)
    sys.modules["suite"] = suite
    spec.loader.exec_module(suite)
    entries, run_entry = suite.entries, suite.run_entry

    items = entries()
    for f, item in items:
        run_entry(kb, f, item)
    kb.cache.pop("text_reads", None)  # time reading, not the cache of readings
    t = time.perf_counter()
    for f, item in items:
        run_entry(kb, f, item)
    per = (time.perf_counter() - t) / len(items)
    words = sum(len(item["text"].split()) for _, item in items) / len(items)
    print(
        f"assertion suite, pipeline warm, readings not cached: {per * 1000:.2f} ms a phrase "
        f"({len(items)} phrases, {words:.1f} words on average)"
    )
    t = time.perf_counter()
    for f, item in items:
        run_entry(kb, f, item)
    cached = (time.perf_counter() - t) / len(items)
    print(f"the same phrases again (readings cached): {cached * 1000:.2f} ms a phrase")

    sizes = sorted(((size(p), p) for p in PACKAGES), reverse=True)
    total = sum(s for s, _ in sizes)
    print(f"installed size of the text reader's packages: {total / 2**20:.0f} MiB")
    for s, p in sizes[:8]:
        print(f"  {p}: {s / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
