"""The command line: ``lowalp assess``, ``evaluate``, ``ranges``, ``knowledge``.

Exit status: 0 when the work was done (warnings included), 1 when the input was rejected (the
message lists every problem), 2 for a usage error. ``--format json`` prints only the JSON
document on standard output; messages go to standard error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

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

    a = sub.add_parser(
        "assess",
        help="assess a case (or every patient in a file) and print the report",
        description="Assess a case JSON, FHIR R4 Bundle/NDJSON, HL7 v2 ORU, or long CSV/Parquet "
        "file; the format is recognised from the content unless --input-format names it.",
    )
    a.add_argument("case", metavar="FILE", help="input file or folder ('-' for standard input)")
    a.add_argument(
        "--input-format", "-i", metavar="NAME", help="input format name (default: sniffed)"
    )
    a.add_argument(
        "--code-map", metavar="CSV", help="map local lab codes to analytes (docs/input-formats.md)"
    )
    a.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="OURS=THEIRS",
        help="CSV/Parquet column name mapping, e.g. --column patient_id=MRN (repeatable)",
    )
    a.add_argument("--format", "-f", choices=("text", "json", "html", "fhir"), default="text")
    a.add_argument("--audience", choices=("clinician", "patient"), default="clinician")
    a.add_argument(
        "--detail",
        choices=("brief", "full"),
        default=None,
        help="the clinician's text report: brief (the default: one screen, warnings first) or "
        "full (every finding weighed, scores, reasons, management, what was not known); the "
        "HTML report is always complete",
    )
    a.add_argument(
        "--output",
        "-o",
        metavar="PATH",
        help="write to PATH instead of standard output (a folder for HTML of several patients)",
    )
    a.add_argument(
        "--rejects", metavar="CSV", help="write every input record not used, with the reason"
    )
    a.add_argument(
        "--strict", action="store_true", help="reject results or text the program cannot use"
    )
    a.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    a.add_argument(
        "--quiet", "-q", action="store_true", help="no progress or summary on standard error"
    )

    e = sub.add_parser("evaluate", help="accuracy of the ranking on labelled cases")
    e.add_argument(
        "cases",
        metavar="CASES",
        nargs="+",
        help="JSON Lines files, vignette YAML files or folders (taken together)",
    )
    e.add_argument("--format", "-f", choices=("text", "json"), default="text")

    r = sub.add_parser("ranges", help="the ALP reference interval for an age and sex")
    r.add_argument("--age", type=float, required=True, help="age in years (fractions allowed)")
    r.add_argument("--sex", choices=("F", "M"), help="F or M (omit to see both)")
    r.add_argument("--format", "-f", choices=("text", "json"), default="text")

    from lowalp.cli import screen, serve, synth

    serve.add_parser(sub)
    screen.add_parser(sub)
    synth.add_parser(sub)

    k = sub.add_parser("knowledge", help="list the causes, their rules and sources")
    k.add_argument("--cause", help="show one cause in full")
    k.add_argument("--format", "-f", choices=("text", "json", "markdown"), default="text")
    k.add_argument(
        "--evidence",
        action="store_true",
        help="the evidence table: every rule's weights and where they come from (published "
        "figures or an estimate); --format markdown writes docs/evidence.md",
    )
    k.add_argument(
        "--sort",
        choices=("cause", "weight", "influence"),
        default="cause",
        help="order of the evidence table: the knowledge's (cause), the largest weight first, "
        "or the rules that change the first cause on --cases most often first",
    )
    k.add_argument(
        "--cases",
        metavar="PATH",
        help="labelled cases (a vignette folder or .jsonl) to measure each rule's influence on",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.version:
            from lowalp import __version__
            from lowalp.cli.common import knowledge_from

            print(f"lowalp {__version__}, knowledge {knowledge_from(args).version}")
            return EXIT_OK
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        from lowalp.cli import assess, evaluate, info, screen, serve, synth

        handler: dict[str, Callable[[argparse.Namespace], int]] = {
            "assess": assess.run,
            "evaluate": evaluate.run,
            "ranges": info.ranges,
            "knowledge": info.knowledge,
            "serve": serve.run,
            "synth": synth.run,
            "screen": screen.run,
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


if __name__ == "__main__":
    raise SystemExit(main())
