"""The command line: ``lowalp assess``, ``evaluate``, ``ranges``, ``knowledge``.

Exit status: 0 when the work was done (warnings included), 1 when the input was rejected (the
message lists every problem), 2 for a usage error. ``--format json`` prints only the JSON
document on standard output; messages go to standard error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from lowalp.errors import InputError, KnowledgeError, LowAlpError

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="lowalp",
        description="Explain a low alkaline phosphatase (ALP) result: decision support, not a diagnosis.",
    )
    p.add_argument(
        "--version", action="store_true", help="print the program and knowledge versions"
    )
    p.add_argument(
        "--knowledge", metavar="DIR", help="use the knowledge folder DIR instead of the bundled one"
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    a = sub.add_parser("assess", help="assess one case and print the report")
    a.add_argument("case", metavar="CASE", help="case JSON file ('-' for standard input)")
    a.add_argument("--format", "-f", choices=("text", "json", "html"), default="text")
    a.add_argument("--audience", choices=("clinician", "patient"), default="clinician")
    a.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write the report to FILE (html defaults to CASE.html)",
    )
    a.add_argument(
        "--strict", action="store_true", help="reject results or text the program cannot use"
    )
    a.add_argument("--color", choices=("auto", "always", "never"), default="auto")

    e = sub.add_parser("evaluate", help="accuracy of the ranking on labelled cases")
    e.add_argument("cases", metavar="CASES", help="JSON Lines file, vignette YAML file or folder")
    e.add_argument("--format", "-f", choices=("text", "json"), default="text")

    r = sub.add_parser("ranges", help="the ALP reference interval for an age and sex")
    r.add_argument("--age", type=float, required=True, help="age in years (fractions allowed)")
    r.add_argument("--sex", choices=("F", "M"), help="F or M (omit to see both)")
    r.add_argument("--format", "-f", choices=("text", "json"), default="text")

    k = sub.add_parser("knowledge", help="list the causes, their rules and sources")
    k.add_argument("--cause", help="show one cause in full")
    k.add_argument("--format", "-f", choices=("text", "json"), default="text")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.version:
            from lowalp import __version__

            print(f"lowalp {__version__}, knowledge {_kb(args).version}")
            return EXIT_OK
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        handler = {
            "assess": _assess,
            "evaluate": _evaluate,
            "ranges": _ranges,
            "knowledge": _knowledge,
        }
        return handler[args.command](args)
    except InputError as exc:
        print(f"lowalp: input rejected — {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KnowledgeError as exc:
        print(f"lowalp: knowledge error — {exc}", file=sys.stderr)
        return EXIT_INPUT
    except LowAlpError as exc:
        print(f"lowalp: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        return EXIT_OK


def _kb(args: argparse.Namespace) -> Any:
    from lowalp.knowledge import load_knowledge

    return load_knowledge(args.knowledge)


def _use_color(choice: str, stream: TextIO) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def _assess(args: argparse.Namespace) -> int:
    from lowalp.adapters import case_json
    from lowalp.engine.assess import assess_case

    case = (
        case_json.loads(sys.stdin.read(), source="<stdin>")
        if args.case == "-"
        else case_json.load(args.case)
    )
    result = assess_case(case, knowledge=_kb(args), strict=args.strict)
    if args.format != "text" or args.output:
        for n in result.not_understood:
            print(f"lowalp: not understood: {n.pointer} {n.value!r}: {n.reason}", file=sys.stderr)
    if args.format == "json":
        text = json.dumps(result.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
    elif args.format == "html":
        from lowalp.render.html import render_html

        text = render_html(result, audience=args.audience)
        if not args.output:
            stem = "stdin" if args.case == "-" else Path(args.case).with_suffix("").name
            args.output = f"{stem}.html"
    else:
        from lowalp.render.text import render_text

        stream = sys.stdout
        text = render_text(
            result, audience=args.audience, color=not args.output and _use_color(args.color, stream)
        )
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"lowalp: wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _evaluate(args: argparse.Namespace) -> int:
    from lowalp.adapters.vignettes import iter_labelled
    from lowalp.evaluation import evaluate

    report = evaluate(iter_labelled(args.cases), knowledge=_kb(args))
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


def _ranges(args: argparse.Namespace) -> int:
    from lowalp.intervals import candidate_intervals

    kb = _kb(args)
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


def _knowledge(args: argparse.Namespace) -> int:
    kb = _kb(args)
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
        if args.cause:
            print(f"   summary: {c.summary}")
            print(f"   sources: {', '.join(c.sources)}")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
