"""``lowalp evaluate``: top-1 / top-3 accuracy of the ranking on labelled cases."""

from __future__ import annotations

import argparse
import json

from lowalp.cli.common import knowledge_from

EXIT_OK = 0


def run(args: argparse.Namespace) -> int:
    from lowalp.adapters.vignettes import iter_labelled
    from lowalp.evaluation import evaluate

    items = (item for path in args.cases for item in iter_labelled(path))
    report = evaluate(items, knowledge=knowledge_from(args))
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2))
        return EXIT_OK
    o = report.overall.rates()
    print(f"{o['n']} cases: top-1 {o['top1']:.0%}, top-3 {o['top3']:.0%}")
    print()
    print(f"{'cause':<24}{'n':>4}{'top-1':>8}{'top-3':>8}")
    for cause, tally in sorted(report.per_cause.items()):
        r = tally.rates()
        print(f"{cause:<24}{r['n']:>4}{r['top1']:>8.0%}{r['top3']:>8.0%}")
    print()
    print("Calibration: share right among first answers given at each probability")
    print(f"{'band':<12}{'n':>4}{'right':>7}{'share':>8}{'mean p':>8}")
    for row in report.calibration:
        share = f"{row.right / row.n:.0%}" if row.n else "-"
        mean = f"{row.mean_probability:.0%}" if row.mean_probability is not None else "-"
        band = f"{row.low:.0%}-{row.high:.0%}"
        print(f"{band:<12}{row.n:>4}{row.right:>7}{share:>8}{mean:>8}")
    misses = report.misses
    if misses:
        print()
        print(f"Misses ({len(misses)}):")
        for m in misses:
            if m.error:
                print(f"  {m.id} ({m.diagnosis}): could not be assessed — {m.error}")
            else:
                rank = m.ranked.index(m.diagnosis) + 1 if m.diagnosis in m.ranked else None
                print(f"  {m.id} ({m.diagnosis}, rank {rank}): {', '.join(m.ranked[:3])}")
    return EXIT_OK
