"""``lowalp synth``: write synthetic OMOP CDM v5.4 data with planted causes of a low ALP."""

from __future__ import annotations

import argparse
from pathlib import Path

from lowalp.cli.common import say
from lowalp.errors import InputError, Problem

EXIT_OK = 0


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    s = sub.add_parser(
        "synth",
        help="write synthetic OMOP data (measurement, person, concept, ground truth)",
        description="Write measurement.parquet, person.parquet, concept.parquet and "
        "ground_truth.csv: synthetic laboratory histories with planted causes of a low ALP.",
    )
    s.add_argument("--persons", type=int, required=True, metavar="N", help="number of persons")
    s.add_argument("--out", required=True, metavar="DIR", help="output folder")
    s.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    s.add_argument("--years", type=float, default=3.0, help="years of history (default 3)")
    s.add_argument(
        "--planted",
        type=float,
        default=0.03,
        metavar="FRACTION",
        help="fraction of persons with a planted cause (default 0.03)",
    )
    s.add_argument(
        "--dirty",
        type=float,
        default=0.005,
        metavar="FRACTION",
        help="fraction of dirty measurement rows (default 0.005)",
    )
    s.add_argument(
        "--chunk-persons",
        type=int,
        default=50_000,
        metavar="N",
        help="persons per Parquet row group (memory use; default 50000)",
    )
    s.add_argument("--quiet", "-q", action="store_true", help="no progress on standard error")


def run(args: argparse.Namespace) -> int:
    try:
        from lowalp.screen.synth import SynthConfig, synthesize
    except ModuleNotFoundError as e:
        raise InputError(
            [
                Problem(
                    "synth",
                    f"a screening dependency is not installed ({e.name})",
                    hint="pip install 'lowalp[screen,parquet]'",
                )
            ]
        ) from None

    problems = []
    if args.persons < 1:
        problems.append(Problem("--persons", "must be at least 1", hint="--persons 1000"))
    if args.years <= 0:
        problems.append(Problem("--years", "must be positive", hint="--years 3"))
    if not 0 <= args.planted <= 1 or not 0 <= args.dirty <= 1:
        problems.append(Problem("--planted/--dirty", "must be fractions between 0 and 1"))
    if args.chunk_persons < 1:
        problems.append(Problem("--chunk-persons", "must be at least 1"))
    if problems:
        raise InputError(problems)
    cfg = SynthConfig(
        persons=args.persons,
        out=Path(args.out),
        seed=args.seed,
        years=args.years,
        planted_fraction=args.planted,
        dirty_fraction=args.dirty,
        chunk_persons=args.chunk_persons,
    )
    r = synthesize(cfg, progress=None if args.quiet else (lambda m: say(f"synth: {m}")))
    if not args.quiet:
        say(
            f"wrote {r.persons:,} persons, {r.measurements:,} measurement rows "
            f"({r.planted:,} planted persons) to {r.out} in {r.seconds:.1f} s "
            f"({r.measurements / max(r.seconds, 1e-9) / 1e6:.2f} M rows/s)"
        )
    return EXIT_OK
