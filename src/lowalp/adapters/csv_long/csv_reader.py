"""The CSV adapter: the file decoded as UTF-8 line by line, the delimiter detected from the
header and checked against the first rows, and every row parsed with :mod:`csv`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from lowalp.adapters.base import Progress, ReadOptions, ReadResult
from lowalp.adapters.csv_long.columns import (
    _DELIM_NAMES,
    ALIASES,
    CODE_COLUMNS,
    COLUMNS,
    DELIMITERS,
    _clean,
    detect_delimiter,
    resolve_columns,
)
from lowalp.adapters.csv_long.rows import _Table
from lowalp.errors import InputError, Problem
from lowalp.knowledge import Knowledge


def _lines(
    fh: IO[bytes], progress: Progress | None, total: int | None, source: str
) -> Iterator[str]:
    """Decoded lines, reporting progress in bytes about every MiB."""
    done = 0
    report = 0
    lineno = 0
    for chunk in fh:
        done += len(chunk)
        if progress is not None and done >= report:
            progress(done, total)
            report = done + (1 << 20)
        # a file split by CR alone (old Mac, some exports) comes as one chunk without LF:
        # split it there (a CR inside a quoted cell of an LF file is left to the CSV parser)
        bare_cr = b"\r" in chunk[:-1] and not chunk.endswith(b"\n")
        parts = chunk.splitlines(keepends=True) if bare_cr else (chunk,)
        for raw in parts:
            lineno += 1
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                raise _not_utf8(lineno, raw, source) from None
    if progress is not None:
        progress(done, total)


def _not_utf8(lineno: int, raw: bytes, source: str) -> InputError:
    utf16 = raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw
    return InputError(
        [
            Problem(
                f"line {lineno}",
                "not UTF-8 text",
                hint="save the file as UTF-8 (in Excel: 'CSV UTF-8')"
                + ("; it looks like UTF-16" if utf16 else ""),
            )
        ],
        source=source,
    )


def _split(line: str, delimiter: str, where: str, source: str) -> list[str]:
    """One line split into fields; a field longer than the csv module reads is refused."""
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error as exc:
        hint = _LIMIT_HINT if "field limit" in str(exc) else None
        raise InputError(
            [Problem(where, f"not readable as CSV: {exc}", hint=hint)], source=source
        ) from None


_LIMIT = csv.field_size_limit()
_LIMIT_HINT = f"no cell of a lab file needs more than {_LIMIT:,} characters"


def _width(line: str, delimiter: str) -> int | None:
    """The number of fields of one line, None when it does not split on its own."""
    try:
        return len(next(csv.reader([line], delimiter=delimiter), []))
    except csv.Error:
        return None


def _check_rows(header: list[str], delimiter: str, sample: list[str], source: str) -> None:
    """A whole-file check: do the first rows split like the header? If most split into one
    field while another delimiter would give the header's width, the delimiter is wrong."""
    rows = [ln.rstrip("\r\n") for ln in sample if ln.strip() and len(ln) < _LIMIT]
    if not rows or len(header) < 2:
        return
    rows = [r for r in rows if _width(r, delimiter) is not None]  # a line break inside quotes
    if not rows:
        return
    widths = [_width(r, delimiter) for r in rows]
    if sum(w == 1 for w in widths) * 2 < len(rows):
        return
    for other in DELIMITERS:
        if other == delimiter:
            continue
        other_widths = [_width(r, other) for r in rows]
        if sum(w == len(header) for w in other_widths) * 2 >= len(rows):
            raise InputError(
                [
                    Problem(
                        "row 1",
                        f"the header is split by {_DELIM_NAMES[delimiter]}s but the rows by "
                        f"{_DELIM_NAMES[other]}s",
                        value=rows[0][:120],
                        hint="wrong delimiter? save the file with one delimiter throughout",
                    )
                ],
                source=source,
            )


class CsvAdapter:
    name = "csv"
    description = "long CSV/TSV of many patients: one result a row (patient_id, analyte or loinc, value, unit, …)"

    def sniff(self, head: str, path: Path | None) -> bool:
        lines = head.lstrip("\ufeff").lstrip().splitlines()
        first = lines[0].strip() if lines else ""
        if first.startswith(("{", "[", "MSH|", "PAR1")):
            return False
        if path is not None and path.suffix.lower() in (".csv", ".tsv"):
            return True
        for d in DELIMITERS:
            try:
                names = {_clean(x) for x in next(csv.reader([first], delimiter=d), [])}
            except csv.Error:
                return False
            if "patient_id" in names and names & set(CODE_COLUMNS):
                return True
        return False

    def read(self, path: Path, options: ReadOptions, knowledge: Knowledge) -> ReadResult:
        source = str(path)
        total = path.stat().st_size
        kb = knowledge
        with path.open("rb") as fh:
            lines = _lines(fh, options.progress, total, source)
            header_line = next((ln for ln in lines if ln.strip()), "").lstrip("\ufeff")
            if not header_line.strip():
                raise InputError([Problem("header", "the file is empty")], source=source)
            delimiter = detect_delimiter(header_line)
            header = _split(header_line, delimiter, "header", source)
            try:
                columns = resolve_columns(header, options.columns)
            except InputError as exc:
                raise _with_delimiter_hint(exc, header, header_line, source) from None
            sample = [ln for _, ln in zip(range(20), lines, strict=False)]
            _check_rows(header, delimiter, sample, source)
            table = _Table(
                columns,
                kb,
                options,
                decimal_comma=delimiter == ";",
                width=len(header),
                check_width=True,
                source=source,
            )
            reader = csv.reader(_chain(sample, lines), delimiter=delimiter)
            n = 0
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:  # this row only (a cell past the limit): go on
                    n += 1
                    table.unreadable(n, f"line {reader.line_num}: not readable as CSV: {exc}")
                    continue
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                n += 1
                cells.append("")
                table.row(n, cells)
        used = [c for c in COLUMNS if c in columns]
        ignored = [h for i, h in enumerate(header) if i not in columns.values() and h.strip()]
        if ignored:
            table.warnings.append(f"column(s) not used: {', '.join(ignored)}")
        table.warnings.insert(0, f"{_DELIM_NAMES[delimiter]}-separated; columns: {', '.join(used)}")
        return table.result()


def _chain(first: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from first
    yield from rest


def _with_delimiter_hint(
    exc: InputError, header: list[str], header_line: str, source: str
) -> InputError:
    """Add "wrong delimiter?" when the header did not split into known columns."""
    known = set(COLUMNS) | set(ALIASES)
    recognised = sum(_clean(h) in known for h in header)
    problems = list(exc.problems)
    if len(header) == 1 and recognised == 0:
        problems.append(
            Problem(
                "header",
                f"the header did not split into known columns (found {len(header)} column(s))",
                value=header_line.strip()[:200],
                hint="wrong delimiter? use one of , ; tab | throughout, with names such as "
                "patient_id, analyte, value, unit",
            )
        )
    return InputError(problems, source=source)


ADAPTER = CsvAdapter()
