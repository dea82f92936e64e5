"""Which rules matter, and which estimates' uncertainty matters: a sensitivity run.

On the labelled cases (the vignettes and hard cases under tests/cases by default):

1. influence — each rule taken away (its likelihood ratios set to 1): how many cases change the
   cause ranked first;
2. sensitivity — each *estimated* rule made stronger and weaker by ``--spread`` (default 2, one
   band of the estimates' "weak / moderate / strong" scale): how many cases change their first
   cause either way. The rules first in this list are the next ones to research.

Run: ``.venv/bin/python benchmarks/evidence_sensitivity.py [--cases PATH] [--spread 2]
[--top 30] [--json OUT]``. Prints tables; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from lowalp.adapters.vignettes import iter_labelled
from lowalp.evidence import DEFAULT_SPREAD, Influence, Labelled, influence, rule_table, sensitivity
from lowalp.knowledge import load_knowledge

ROOT = Path(__file__).parents[1]


def _progress(label: str):  # type: ignore[no-untyped-def]
    def show(done: int, total: int) -> None:
        if done == total or done % 20 == 0:
            print(f"\r{label}: {done}/{total} rules", end="", file=sys.stderr, flush=True)
        if done == total:
            print(file=sys.stderr)

    return show


def _table(
    title: str, found: list[Influence], provenance: dict[tuple[str, str], str], top: int
) -> None:
    print(f"\n{title}")
    print(f"{'rank':>4} {'flips':>5} {'of':>4}  {'cause':<32} {'finding':<34} provenance")
    for i, f in enumerate(found[:top], 1):
        print(
            f"{i:>4} {f.flips:>5} {f.bears_on:>4}  {f.cause:<32} {f.finding:<34} "
            f"{provenance[(f.cause, f.finding)]}"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=str(ROOT / "tests" / "cases"))
    ap.add_argument("--spread", type=float, default=DEFAULT_SPREAD)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--json", metavar="OUT", help="also write every rule's counts as JSON")
    args = ap.parse_args()

    kb = load_knowledge()
    cases = [Labelled(c.id, c.case) for c in iter_labelled(args.cases) if c.case is not None]
    rows = rule_table(kb)
    provenance = {r.key: r.provenance for r in rows}
    print(f"{len(cases)} cases, {len(rows)} rules ({kb.version})")

    t = time.perf_counter()
    knocked = influence(kb, cases, progress=_progress("influence"))
    knocked.sort(key=lambda x: (-x.flips, -x.bears_on, x.cause, x.finding))
    t_inf = time.perf_counter() - t
    t = time.perf_counter()
    moved = sensitivity(kb, cases, spread=args.spread, progress=_progress("sensitivity"))
    t_sens = time.perf_counter() - t

    _table(
        "Influence: first cause changes when the rule is taken away", knocked, provenance, args.top
    )
    _table(
        f"Sensitivity: estimated rules moved ×/÷ {args.spread:g}, first cause changes",
        moved,
        provenance,
        args.top,
    )
    any_flip = sum(1 for f in knocked if f.flips)
    moving = sum(1 for f in moved if f.flips)
    flipped_cases = {c for f in moved for c in f.flipped}
    print(
        f"\n{any_flip} of {len(rows)} rules change a first cause when taken away; "
        f"{moving} of {len(moved)} estimated rules do when moved ×/÷ {args.spread:g}, "
        f"on {len(flipped_cases)} of {len(cases)} cases. "
        f"({t_inf:.0f} s and {t_sens:.0f} s)"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "version": kb.version,
                    "cases": len(cases),
                    "spread": args.spread,
                    "influence": [_as_dict(f) for f in knocked],
                    "sensitivity": [_as_dict(f) for f in moved],
                },
                indent=1,
            )
        )
    return 0


def _as_dict(f: Influence) -> dict[str, object]:
    return {
        "cause": f.cause,
        "finding": f.finding,
        "bears_on": f.bears_on,
        "flips": f.flips,
        "flipped": list(f.flipped),
    }


if __name__ == "__main__":
    raise SystemExit(main())
