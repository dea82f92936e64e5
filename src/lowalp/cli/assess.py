"""``lowalp assess``: read one file (any supported format), assess every case in it."""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from lowalp.adapters.base import Rejected, explain_no_alp
from lowalp.adapters.reasons import LISTED_PER_CATEGORY
from lowalp.adapters.spreadsheet import safe_row
from lowalp.cli.common import Progress, column_mapping, knowledge_from, say, use_color
from lowalp.errors import InputError, Problem
from lowalp.knowledge import Knowledge
from lowalp.model import Assessment

EXIT_OK, EXIT_INPUT = 0, 1
MAX_LISTED = 20


def run(args: argparse.Namespace) -> int:
    from lowalp import adapters
    from lowalp.adapters.base import ReadOptions
    from lowalp.adapters.code_map import CodeMap
    from lowalp.engine.assess import assess_case

    kb = knowledge_from(args)
    if args.detail and args.format not in ("text", "html"):
        say(
            f"--detail applies to the text and HTML reports; the {args.format} output is "
            "always complete"
        )
    path = _input_path(args.case)
    progress = Progress("reading", enabled=not args.quiet)
    options = ReadOptions(
        code_map=CodeMap.load(args.code_map, kb) if args.code_map else None,
        progress=progress,
        columns=column_mapping(args.column),
    )
    result = adapters.load(path, format=args.input_format, options=options, knowledge=kb)

    def assessed() -> Iterator[Assessment]:
        for case in result.cases:
            try:
                yield assess_case(case, knowledge=kb, strict=args.strict)
            except InputError as exc:
                alp = kb.analytes["alp"].name
                failures.append((case.id or "(case)", explain_no_alp(exc, result.rejected, alp)))

    failures: list[tuple[str, InputError]] = []
    out = _Writer(args, kb, patient_refs=result.format == "fhir")
    count = 0
    for assessment in assessed():
        progress.done()
        out.write(assessment)
        count += 1
        if args.format != "text" or args.output:
            for n in assessment.not_understood:
                say(
                    f"not understood: {assessment.case_id or ''} {n.pointer} {n.value!r}: {n.reason}"
                )
    progress.done()
    out.close(count)

    if result.rejected and not args.quiet:
        _say_rejected(result.rejected, listed_all=bool(args.rejects))
    if args.rejects:
        _write_rejects(Path(args.rejects), result.rejected)
    if result.stats.not_listed and not args.quiet:
        say(
            f"{result.stats.not_listed:,} more records set aside, none an error, were counted "
            f"but not listed (the first {LISTED_PER_CATEGORY:,} of each category are)"
        )
    for warning in result.warnings:
        say(f"warning: {warning}")
    if not args.quiet and (result.stats.read > 1 or result.rejected):
        say(result.stats.summary() + f"; {count} assessed, {len(failures)} could not be")
        categories = result.stats.category_lines()
        if categories:
            say("set aside, by category:")
            for line in categories:
                say(f"  {line}")
    if len(failures) == 1 and count == 0:
        raise failures[0][1]
    for case_id, exc in failures:
        say(f"case {case_id} could not be assessed — {exc}")
    if count == 0:
        if not failures:
            raise InputError([Problem(str(args.case), "no case found in the input")])
        return EXIT_INPUT
    return EXIT_OK


def _input_path(name: str) -> Path:
    if name != "-":
        return Path(name)
    data = sys.stdin.buffer.read()
    with tempfile.NamedTemporaryFile(prefix="lowalp-stdin-", delete=False) as tmp:
        tmp.write(data)
    return Path(tmp.name)


def _say_rejected(rejected: list[Rejected], *, listed_all: bool) -> None:
    """The first records not used, those that may ask something of the user (a code to map,
    a record to correct) before those an export holds beside what lowalp reads (a standard
    code lowalp has no use for, a resource type it does not read), which are not errors."""
    from lowalp.adapters.reasons import NEEDS_ACTION

    ranked = [r for r in rejected if not r.category or r.category in NEEDS_ACTION]
    if len(ranked) < MAX_LISTED:
        ranked += [r for r in rejected if r.category and r.category not in NEEDS_ACTION][
            : MAX_LISTED - len(ranked)
        ]
    for r in ranked[:MAX_LISTED]:
        say(f"not used: {r}")
    if len(rejected) > MAX_LISTED:
        more = len(rejected) - MAX_LISTED
        say(
            f"… and {more} more not used"
            + ("" if listed_all else " (--rejects FILE lists them all)")
        )


def _write_rejects(path: Path, rejected: list[Rejected]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["pointer", "reason", "value", "category"])
        for r in rejected:  # every cell is text here: each made safe for a spreadsheet
            w.writerow(safe_row([r.pointer, r.reason, r.value or "", r.category]))
    say(f"wrote {len(rejected)} rejected record(s) to {path}")


class _Writer:
    """Writes assessments as they come: one document for one case, a stream for many.

    The first assessment is held back until a second arrives (or the input ends), so that a
    single case gives one indented JSON document and several give JSON Lines.
    """

    def __init__(
        self, args: argparse.Namespace, kb: Knowledge, *, patient_refs: bool = False
    ) -> None:
        self.args = args
        self.kb = kb
        self.patient_refs = patient_refs
        """Input came from FHIR: refer to its Patient resources in FHIR output."""
        self.held: Assessment | None = None
        self.seen = 0
        self.written = 0
        to_file = bool(args.output) and args.format != "html"
        self.file = Path(args.output).open("w", encoding="utf-8") if to_file else None  # noqa: SIM115 (closed in close())

    def write(self, a: Assessment) -> None:
        self.seen += 1
        if self.seen == 1:
            self.held = a
            return
        if self.held is not None:
            self._write_one(self.held, many=True)
            self.held = None
        self._write_one(a, many=True)

    def close(self, count: int) -> None:
        if self.held is not None:
            self._write_one(self.held, many=False)
            self.held = None
        if self.file:
            self.file.close()
            say(f"wrote {self.args.output}")

    def _emit(self, text: str) -> None:
        (self.file or sys.stdout).write(text)

    def _write_one(self, a: Assessment, *, many: bool) -> None:
        fmt = self.args.format
        self.written += 1
        if fmt in ("json", "fhir"):
            indent = None if many else 2
            if fmt == "json":  # pydantic's own writer: about 7x faster than json.dumps here
                self._emit(a.model_dump_json(indent=indent) + "\n")
                return
            from lowalp.render.fhir import render_fhir

            ref = f"Patient/{a.case_id}" if self.patient_refs and a.case_id else None
            doc = render_fhir(a, patient_ref=ref, knowledge=self.kb)
            self._emit(json.dumps(doc, indent=indent, ensure_ascii=False) + "\n")
        elif fmt == "html":
            self._write_html(a, many=many)
        else:
            from lowalp.render.text import Detail, render_text

            color = self.file is None and use_color(self.args.color, sys.stdout)
            if self.written > 1:
                self._emit("\n" + "═" * 96 + "\n\n")
            detail: Detail = "full" if self.args.detail == "full" else "brief"
            self._emit(render_text(a, audience=self.args.audience, color=color, detail=detail))

    def _write_html(self, a: Assessment, *, many: bool) -> None:
        from lowalp.render.html import render_html

        page = render_html(
            a, audience=self.args.audience, detail="full" if self.args.detail == "full" else "brief"
        )
        default = "stdin" if self.args.case == "-" else Path(self.args.case).with_suffix("").name
        if many:
            folder = Path(self.args.output or f"{default}-reports")
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"{_safe(a.case_id or f'case-{self.written}')}.html"
        else:
            target = Path(self.args.output or f"{default}.html")
            if target.is_dir():
                target = target / f"{_safe(a.case_id or default)}.html"
        target.write_text(page, encoding="utf-8")
        say(f"wrote {target}")


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:100] or "case"
