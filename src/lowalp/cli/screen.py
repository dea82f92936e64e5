"""``lowalp screen``: find persistently low ALP in a laboratory's history (DuckDB or Spark)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lowalp.cli.common import column_mapping, say
from lowalp.errors import InputError, Problem

if TYPE_CHECKING:
    from lowalp.screen.inputs import ScreenInput

EXIT_OK = 0


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    s = sub.add_parser(
        "screen",
        help="screen a laboratory's measurements for persistently low ALP (work-list, rejects, summary)",
        description="Screen OMOP CDM tables (files, or a PostgreSQL database), a long "
        "measurements file or a DuckDB database for "
        "ALP results low for age and sex; write worklist.parquet/csv, rejects.parquet and "
        "summary.html to OUT.",
    )
    src = s.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--omop", metavar="DIR", help="folder with measurement and person tables (Parquet or CSV)"
    )
    src.add_argument(
        "--measurements", metavar="FILE", help="long Parquet/CSV file (docs/input-formats.md)"
    )
    src.add_argument(
        "--duckdb", metavar="FILE", help="DuckDB database with measurement and person tables"
    )
    src.add_argument(
        "--db",
        metavar="URL",
        help="PostgreSQL database with an OMOP CDM, postgresql://user@host:port/dbname, opened "
        "read-only (a password from PGPASSWORD or ~/.pgpass; never shown)",
    )
    s.add_argument(
        "--cdm-schema",
        metavar="SCHEMA",
        default=None,
        help="with --db: the schema of the CDM tables (default public)",
    )
    s.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="OURS=THEIRS",
        help="with --measurements: column name mapping, e.g. --column patient_id=MRN "
        "(repeatable; as for lowalp assess)",
    )
    s.add_argument("--out", metavar="OUT", help="output folder (required unless --explain)")
    s.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    s.add_argument(
        "--spark-master", metavar="URL", default=None, help="Spark master (default local[*])"
    )
    s.add_argument(
        "--memory-limit",
        metavar="SIZE",
        default=None,
        help="DuckDB's memory limit, e.g. 1GB (default: half the machine's memory, at most "
        "8GB); beyond it DuckDB spills to disk",
    )
    s.add_argument(
        "--export-cohort", metavar="FILE", help="write the persistence rule as OHDSI Circe JSON"
    )
    s.add_argument(
        "--explain",
        action="store_true",
        help="print the engine's physical plan of each query of the screen and stop",
    )
    s.add_argument("--quiet", "-q", action="store_true", help="no progress on standard error")


def cohort_overlap(export: dict[str, Any]) -> str:
    """What ``--export-cohort`` says of the overlap to expect, from the counts of the screen."""
    p, u = int(export["persistent"]), int(export["unreadable_persons"])
    units = ", ".join(str(x) for x in export.get("unreadable_units") or []) or "none"
    share = f"{(p - u) / p:.1%}" if p else "all"
    return (
        f"cohort {export['file']}: run by OHDSI tools on these tables it should find at least "
        f"{p - u:,} of the {p:,} persistent persons ({share}): {u:,} have ALP results with no "
        f"printed range in a unit with no OMOP unit concept in the knowledge ({units}), which "
        "Circe cannot compare with a limit; fewer if the source left a unit it has a concept "
        "for unmapped (concept 0), not counted here (the cohort's description lists whom it "
        "misses)"
    )


def run(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    if args.column and not args.measurements:
        raise InputError(
            [
                Problem(
                    "--column",
                    "maps the columns of a long file: it goes with --measurements",
                    value=" ".join(args.column),
                )
            ]
        )
    src = _input(args)
    try:
        from lowalp.screen.runner import explain_screen, run_screen
    except ModuleNotFoundError as exc:
        raise InputError(
            [
                Problem(
                    "screen",
                    f"the screen extra is not installed ({exc.name})",
                    hint="pip install 'lowalp[screen]'",
                )
            ]
        ) from None
    if args.explain:
        print(
            explain_screen(
                src,
                engine=args.engine,
                spark_master=args.spark_master,
                knowledge_dir=getattr(args, "knowledge", None),
            ),
            end="",
        )
        return EXIT_OK
    if not args.out:
        raise InputError([Problem("--out", "an output folder is needed", hint="--out DIR")])
    progress = None if args.quiet else (lambda text: say(text))
    result = run_screen(
        src,
        args.out,
        engine=args.engine,
        spark_master=args.spark_master,
        knowledge_dir=getattr(args, "knowledge", None),
        export_cohort=args.export_cohort,
        progress=progress,
        memory_limit=args.memory_limit,
    )
    c = result.counts
    for reason, n in c["rejected_by_reason"].items():
        say(f"  rejected {n:,}: {reason}")
    if c.get("screen_assess_disagreements"):
        say(f"warning: {c['screen_assess_disagreements']} persons where screen and assess disagree")
    say(
        f"rows read {c['rows_read']:,} = used {c['rows_used']:,} + rejected {c['rows_rejected']:,}; "
        f"persons screened {c['persons_screened']:,}; on the work-list {c['persons_on_worklist']:,}; "
        f"persistent {c['persistent']:,}; elapsed {time.perf_counter() - t0:.1f} s -> {args.out}"
    )
    if c.get("cohort_export"):
        say(cohort_overlap(c["cohort_export"]))
    return EXIT_OK


def _input(args: argparse.Namespace) -> ScreenInput:
    """The input the options name (``--omop``, ``--measurements``, ``--duckdb`` or ``--db``)."""
    from lowalp.screen.inputs import ScreenInput

    if args.cdm_schema is not None and not args.db:
        raise InputError(
            [Problem("--cdm-schema", "names the schema of a database: it goes with --db")]
        )
    if args.db:
        from lowalp.screen.postgres import check_url

        check_url(args.db)
        return ScreenInput.postgres(args.db, args.cdm_schema)
    if args.omop:
        src = ScreenInput("omop", Path(args.omop))
    elif args.measurements:
        src = ScreenInput(
            "measurements", Path(args.measurements), columns=column_mapping(args.column)
        )
    else:
        src = ScreenInput("duckdb", Path(args.duckdb))
    if not src.path.exists():
        raise InputError([Problem(str(src.path), "no such file or folder")])
    return src
