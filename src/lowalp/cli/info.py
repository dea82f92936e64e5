"""``lowalp ranges`` and ``lowalp knowledge``: what the program knows."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from lowalp.cli.common import knowledge_from

if TYPE_CHECKING:
    from lowalp.knowledge import Knowledge
    from lowalp.knowledge.schema import RulePopulation

EXIT_OK, EXIT_USAGE = 0, 2


def ranges(args: argparse.Namespace) -> int:
    from lowalp.intervals import candidate_intervals

    kb = knowledge_from(args)
    if not 0 <= args.age <= 130:
        print("lowalp: --age must be between 0 and 130 years", file=sys.stderr)
        return EXIT_USAGE
    found = candidate_intervals(kb.intervals, args.age, args.sex)
    if args.format == "json":
        rows = [
            {
                "id": iv.id,
                "sex": iv.sex,
                "age_min_years": iv.age_min,
                "age_max_years": iv.age_max,
                "lower": iv.lower,
                "upper": iv.upper,
                "unit": iv.unit,
                "source": iv.source,
                "citation": kb.sources[iv.source].citation,
            }
            for iv in found
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not found:
        print(f"No ALP interval for age {args.age:g}.")
        return EXIT_OK
    for iv in found:
        print(f"ALP reference interval, {iv.describe()}  [{iv.id}]")
        print(f"  source: {kb.sources[iv.source].citation}")
        if iv.note:
            print(f"  note: {iv.note}")
    return EXIT_OK


def knowledge(args: argparse.Namespace) -> int:
    kb = knowledge_from(args)
    if args.evidence or args.sort != "cause" or args.cases:
        return _evidence(args, kb)
    if args.format == "markdown":
        print(
            "lowalp: --format markdown is for the evidence table (add --evidence)", file=sys.stderr
        )
        return EXIT_USAGE
    if args.cause and args.cause not in kb.causes:
        import difflib

        close = difflib.get_close_matches(args.cause, list(kb.causes), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        print(f"lowalp: unknown cause {args.cause!r}{hint}", file=sys.stderr)
        return EXIT_USAGE
    causes = [kb.causes[args.cause]] if args.cause else list(kb.causes.values())
    if args.format == "json":
        print(
            json.dumps(
                {"version": kb.version, "causes": [c.model_dump(mode="json") for c in causes]},
                indent=2,
                ensure_ascii=False,
            )
        )
        return EXIT_OK
    print(
        f"lowalp knowledge {kb.version}: {len(kb.causes)} causes, {len(kb.findings)} findings, "
        f"{len(kb.analytes)} analytes, {len(kb.tests)} tests, {len(kb.scores)} scores, {len(kb.sources)} sources"
    )
    for c in causes:
        print()
        print(
            f"{c.id} — {c.name} ({'transient' if c.transient else 'persistent'}; prior adult {c.prior.adult:g}, child {c.prior.child:g})"
        )
        for r in c.evidence:
            prov = r.source or "estimate"
            absent = f", LR− {r.lr_absent:g}" if r.lr_absent is not None else ""
            print(f"   {r.finding:<32} LR+ {r.lr_present:g}{absent}  [{prov}]")
            if args.cause and r.population is not None:
                print(f"      population: {_population(r.population)}")
        if args.cause:
            print(f"   summary: {c.summary}")
            print(f"   sources: {', '.join(c.sources)}")
    return EXIT_OK


def _population(pop: RulePopulation) -> str:
    """A rule's population in one line: its conditions, then its reasoning."""
    parts = []
    if pop.age_min is not None:
        parts.append(f"age {pop.age_min:g}+")
    if pop.age_max is not None:
        parts.append(f"age below {pop.age_max:g}")
    if pop.sex:
        parts.append(f"sex {pop.sex}")
    if pop.when:
        parts.append("with " + ", ".join(pop.when))
    if pop.unless:
        parts.append("without " + ", ".join(pop.unless))
    return "; ".join(parts) + f" — {pop.reasoning}"


def _evidence(args: argparse.Namespace, kb: Knowledge) -> int:
    """``lowalp knowledge --evidence``: every rule and where its weights come from."""
    from lowalp.evidence import Influence, Labelled, influence, rule_table
    from lowalp.render.evidence import markdown, text_table

    rows = rule_table(kb)
    if args.cause:
        rows = [r for r in rows if r.cause == args.cause]
    measured: dict[tuple[str, str], Influence] | None = None
    if args.sort == "influence" and not args.cases:
        print(
            "lowalp: --sort influence needs --cases PATH (the cases to measure it on)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.cases:
        from lowalp.adapters.vignettes import iter_labelled

        cases = [Labelled(c.id, c.case) for c in iter_labelled(args.cases) if c.case is not None]
        if not cases:
            print(f"lowalp: no case could be read from {args.cases}", file=sys.stderr)
            return EXIT_USAGE

        def progress(done: int, total: int) -> None:
            if sys.stderr.isatty() or done == total or done % 25 == 0:
                print(f"\rinfluence: {done}/{total} rules", end="", file=sys.stderr, flush=True)
            if done == total:
                print(file=sys.stderr)

        found = influence(kb, cases, rules=[r.key for r in rows], progress=progress)
        measured = {(i.cause, i.finding): i for i in found}
    if args.sort == "weight":
        rows = sorted(rows, key=lambda r: -abs(r.weight))
    elif args.sort == "influence" and measured is not None:
        m = measured
        rows = sorted(rows, key=lambda r: (-m[r.key].flips, -m[r.key].bears_on))
    if args.format == "markdown":
        sys.stdout.write(markdown(rows, kb.version))
    elif args.format == "json":
        out = []
        for r in rows:
            d = {k: getattr(r, k) for k in r.__dataclass_fields__}
            d["weight"] = round(r.weight, 4)
            d["grade"] = r.grade
            if measured is not None:
                d["bears_on"] = measured[r.key].bears_on
                d["flips"] = measured[r.key].flips
                d["flipped"] = list(measured[r.key].flipped)
            out.append(d)
        print(json.dumps({"version": kb.version, "rules": out}, indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(text_table(rows, measured))
    return EXIT_OK
