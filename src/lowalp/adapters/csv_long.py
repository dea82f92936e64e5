"""Long CSV and Parquet files of many patients: one row per result, one case per patient.

A "long" (tidy) table has one laboratory result a row, keyed by ``patient_id``; patient
columns (``sex``, ``birth_date`` or ``age``) repeat on every row, and rows with a
``medication``, ``finding`` or ``event`` text instead of a result add to the patient's context.
The columns are described in ``docs/input-formats.md``; names are matched case-insensitively,
and ``ReadOptions.columns`` renames them (our name -> the file's name).

The CSV reader follows RFC 4180 (quoted fields, doubled quotes) through Python's :mod:`csv`
module; the delimiter (``,`` ``;`` tab or ``|``) is detected from the header line. A decimal
comma (``4,1``) is accepted only in semicolon files, the convention of spreadsheet exports in
locales that write decimal commas. Parquet files are read with pyarrow in record batches.

Both read the file once, keep a compact packed record per result (about 60 bytes) grouped by
patient, and build the :class:`~lowalp.model.Case` objects one at a time while ``cases`` is
iterated, in the order patients first appear. Every data row is used or listed in ``rejected``
with ``row N (column c)``: N counts data rows from 1 (the header and blank lines are not rows).
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import itertools
import math
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from lowalp.adapters.base import Progress, ReadOptions, ReadResult, ReadStats, Rejected
from lowalp.errors import InputError, Problem
from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.model import Case, Context, EventRecord, LabResult, Patient, Qualifier, Sex

COLUMNS: tuple[str, ...] = (
    "patient_id",
    "sex",
    "birth_date",
    "age",
    "date",
    "day",
    "loinc",
    "analyte",
    "code",
    "system",
    "value",
    "unit",
    "ref_low",
    "ref_high",
    "qualifier",
    "specimen",
    "medication",
    "finding",
    "event",
)
"""Our column names, in the order the writer uses."""

ALIASES = {"age_years": "age"}
"""Other header names accepted for one of ours."""

REQUIRED = ("patient_id", "value", "unit")
CODE_COLUMNS = ("analyte", "loinc", "code")
DELIMITERS = ",;\t|"
_DELIM_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

QUALIFIERS: tuple[Qualifier | None, ...] = (
    None,
    "low",
    "normal",
    "high",
    "positive",
    "negative",
    "<",
    ">",
)
_QUAL_INDEX = {q: i for i, q in enumerate(QUALIFIERS) if q is not None}
_SEX: dict[str, Sex] = {"f": "F", "female": "F", "m": "M", "male": "M"}
_NONE_WORDS = frozenset({"none", "(none)"})
"""A ``medication``/``finding``/``event`` text meaning "none" (an empty list, not unknown)."""

# one result: row, analyte, loinc, value, ref_low, ref_high, time kind, time, qualifier,
# unit, specimen (strings are indexes into an interned table; NaN is "not given")
_PACK = struct.Struct("<IIIdddBdBII")
_NO_TIME, _DATE, _DAY = 0, 1, 2
_NAN = float("nan")


@dataclass(slots=True)
class _Patient:
    pid: str
    sex: Sex | None = None
    sex_row: int = 0
    birth: dt.date | None = None
    birth_row: int = 0
    age: float | None = None
    ages_differ: bool = False
    labs: bytearray = field(default_factory=bytearray)
    medications: list[str] | None = None
    findings: list[str] | None = None
    events: list[EventRecord] | None = None


class RowError(ValueError):
    """A row cannot be used: which column and why (the row is rejected, reading goes on)."""

    def __init__(self, column: str | None, reason: str, value: str | None = None) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason
        self.value = value


# ----------------------------------------------------------------------------- header


def _clean(name: str) -> str:
    return name.strip().strip("\ufeff").strip().lower()


def resolve_columns(header: Sequence[str], mapping: dict[str, str]) -> dict[str, int]:
    """Our column name -> position in ``header``; raises :class:`InputError` listing every
    problem (unknown names in ``mapping``, mapped names not in the header, missing columns)."""
    cleaned = [_clean(h) for h in header]
    position: dict[str, int] = {}
    for i, name in enumerate(cleaned):
        position.setdefault(name, i)
    problems: list[Problem] = []
    out: dict[str, int] = {}
    for ours, theirs in mapping.items():
        key = ALIASES.get(_clean(ours), _clean(ours))
        if key not in COLUMNS:
            close = difflib.get_close_matches(key, COLUMNS, n=1)
            problems.append(
                Problem(
                    f"--column {ours}={theirs}",
                    f"{ours!r} is not one of our column names ({', '.join(COLUMNS)})",
                    hint=f"did you mean {close[0]!r}?" if close else None,
                )
            )
        elif _clean(theirs) not in position:
            close = difflib.get_close_matches(_clean(theirs), cleaned, n=1)
            problems.append(
                Problem(
                    f"--column {ours}={theirs}",
                    f"the file has no column {theirs!r}",
                    value=", ".join(header),
                    hint=f"did you mean {close[0]!r}?" if close else None,
                )
            )
        else:
            out[key] = position[_clean(theirs)]
    for ours in COLUMNS:
        if ours in out:
            continue
        names = [ours, *(alias for alias, target in ALIASES.items() if target == ours)]
        for name in names:
            if name in position and position[name] not in out.values():
                out[ours] = position[name]
                break
    missing = [c for c in REQUIRED if c not in out]
    if not any(c in out for c in CODE_COLUMNS):
        missing.append(" or ".join(CODE_COLUMNS))
    if missing:
        problems.append(
            Problem(
                "header",
                f"missing required column(s): {'; '.join(missing)}",
                value=", ".join(header),
                hint="rename the columns, or map them with --column ours=theirs "
                "(e.g. --column patient_id=MRN)",
            )
        )
    if problems:
        raise InputError(problems)
    return out


def detect_delimiter(header_line: str) -> str:
    """The delimiter of a header line: csv.Sniffer restricted to ``, ; tab |``, checked by
    which candidate splits the header into the most of our column names."""
    try:
        sniffed = csv.Sniffer().sniff(header_line, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = max(DELIMITERS, key=header_line.count)
    known = set(COLUMNS) | set(ALIASES)

    def score(d: str) -> tuple[int, int]:
        fields = next(csv.reader([header_line], delimiter=d), [])
        return (sum(_clean(f) in known for f in fields), d == sniffed)

    return max([sniffed, *(d for d in DELIMITERS if d != sniffed)], key=score)


# ----------------------------------------------------------------------------- values


def parse_number(text: str, *, decimal_comma: bool, column: str) -> float:
    """A finite number; ``4,1`` only when ``decimal_comma`` (semicolon files)."""
    t = text.strip()
    if decimal_comma and "," in t:
        if t.count(",") > 1 or "." in t:
            raise RowError(
                column, "ambiguous number (thousands separator?); write it as 1234.5", text
            )
        t = t.replace(",", ".")
    try:
        value = float(t)
    except ValueError:
        if "," in t:
            raise RowError(
                column,
                "decimal comma in a file that is not semicolon-separated; write 4.1, or save the file with ';' as the delimiter",
                text,
            ) from None
        raise RowError(column, "not a number", text) from None
    if not math.isfinite(value) or "_" in t:
        raise RowError(column, "not a number", text)
    return value


def parse_value(text: str, *, decimal_comma: bool) -> tuple[float | None, Qualifier | None]:
    """``18`` -> (18, None); ``<5`` -> (5, '<'); ``negative`` -> (None, 'negative')."""
    t = text.strip()
    if t[:1] in "<>≤≥":
        sign: Qualifier = "<" if t[0] in "<≤" else ">"
        rest = t[1:].lstrip("=").strip()
        return parse_number(rest, decimal_comma=decimal_comma, column="value"), sign
    word = t.lower()
    if word in _QUAL_INDEX:
        return None, QUALIFIERS[_QUAL_INDEX[word]]
    return parse_number(t, decimal_comma=decimal_comma, column="value"), None


def parse_date(text: str, column: str) -> dt.date:
    """An ISO date (``2024-03-01``) or datetime (the date part is kept, as written)."""
    t = text.strip()
    if len(t) >= 10 and (len(t) == 10 or t[10] in "T "):
        try:
            return dt.date.fromisoformat(t[:10])
        except ValueError:
            pass
    raise RowError(column, "not an ISO date (YYYY-MM-DD)", text)


# ----------------------------------------------------------------------------- reading


class _Table:
    """The state of one read: patients with packed results, rejected rows, counters."""

    def __init__(
        self,
        columns: dict[str, int],
        kb: Knowledge,
        options: ReadOptions,
        *,
        decimal_comma: bool,
        width: int,
        check_width: bool,
        source: str,
    ) -> None:
        self.kb = kb
        self.code_map = options.code_map
        self.decimal_comma = decimal_comma
        self.width = width
        self.check_width = check_width
        self.source = source
        self.stats = ReadStats(unit="rows")
        self.rejected: list[Rejected] = []
        self.warnings: list[str] = []
        self.patients: dict[str, _Patient] = {}
        self.strings: list[str] = [""]
        self.string_index: dict[str, int] = {"": 0}
        self.codes: dict[tuple[str, str, str, str], tuple[int, int, int] | RowError] = {}
        self.bad_sex: dict[str, int] = {}
        self.disagree: list[str] = []
        self.untimed = 0
        self.dates: dict[str, dt.date] = {}
        self.last: tuple[str, str, str, str] | None = None
        self.last_patient: _Patient | None = None
        # the position of each of our columns in a row; an absent one points past the end,
        # where the caller puts an empty string
        self.order = [columns.get(name, width) for name in COLUMNS]

    def intern(self, text: str) -> int:
        i = self.string_index.get(text)
        if i is None:
            i = len(self.strings)
            self.strings.append(text)
            self.string_index[text] = i
        return i

    def reject(self, n: int, column: str | None, reason: str, value: str | None) -> None:
        where = f"row {n} (column {column})" if column else f"row {n}"
        self.rejected.append(Rejected(where, reason, value))
        self.stats.rejected += 1

    # -- one row
    def row(self, n: int, cells: Sequence[str]) -> None:
        """One data row; ``cells`` ends with one extra empty string (absent columns)."""
        self.stats.read += 1
        if self.check_width and len(cells) != self.width + 1:
            hint = (
                "; a delimiter inside a value (a decimal comma?): quote the value"
                if len(cells) > self.width + 1
                else ""
            )
            self.reject(
                n,
                None,
                f"the row has {len(cells) - 1} fields, the header {self.width}{hint}",
                _shorten(cells[:-1]),
            )
            return
        try:
            self._row(n, cells)
        except RowError as err:
            self.reject(n, err.column, err.reason, err.value)
            return
        self.stats.used += 1

    def _row(self, n: int, cells: Sequence[str]) -> None:
        (
            pid,
            sex_text,
            birth_text,
            age_text,
            date_text,
            day_text,
            loinc,
            analyte,
            code,
            system,
            value_text,
            unit,
            ref_low,
            ref_high,
            qual_text,
            specimen,
            med,
            finding,
            event,
        ) = [cells[j].strip() for j in self.order]
        if not pid:
            raise RowError("patient_id", "no patient id")
        when_kind, when = _NO_TIME, 0.0
        date = None
        day = None
        if date_text:
            date = self._date(date_text, "date")
            when_kind, when = _DATE, float(date.toordinal())
        elif day_text:
            day = parse_number(day_text, decimal_comma=self.decimal_comma, column="day")
            when_kind, when = _DAY, day
        lab: bytes | None = None
        if analyte or loinc or code:
            lab = self._lab(
                n,
                (analyte, loinc, code, system),
                value_text,
                qual_text,
                (ref_low, ref_high),
                unit,
                specimen,
                when_kind,
                when,
            )
        elif value_text or qual_text:
            col = "value" if value_text else "qualifier"
            raise RowError(col, "a result but no analyte, loinc or code in the row")

        if lab is None and not (med or finding or event or sex_text or birth_text or age_text):
            raise RowError(None, "nothing in the row besides the patient id")
        # a row with only sex, birth date or age is used: it tells about the patient
        demographics = (pid, sex_text, birth_text, age_text)
        if demographics == self.last and self.last_patient is not None:
            p = self.last_patient
        else:
            p = self._patient(n, demographics)
            self.last, self.last_patient = demographics, p
        if lab is not None:
            p.labs += lab
            if when_kind == _NO_TIME:
                self.untimed += 1
        if med:
            p.medications = _add_text(p.medications, med)
        if finding:
            p.findings = _add_text(p.findings, finding)
        if event:
            if event.lower() in _NONE_WORDS:
                p.events = p.events or []
            else:
                p.events = [*(p.events or []), EventRecord(event=event, date=date, day=day)]

    def _patient(self, n: int, demographics: tuple[str, str, str, str]) -> _Patient:
        """The row's patient, checking and recording sex, birth date and age."""
        pid, sex_text, birth_text, age_text = demographics
        birth = self._date(birth_text, "birth_date") if birth_text else None
        age = None
        if age_text:
            age = parse_number(age_text, decimal_comma=self.decimal_comma, column="age")
            if not 0 <= age <= 130:
                raise RowError("age", "age must be between 0 and 130 years", age_text)
        p = self.patients.get(pid)
        if p is None:
            p = self.patients[pid] = _Patient(pid)
        if sex_text:
            sex = _SEX.get(sex_text.lower())
            if sex is None:
                self.bad_sex[sex_text] = self.bad_sex.get(sex_text, 0) + 1
            elif p.sex is None:
                p.sex, p.sex_row = sex, n
            elif p.sex != sex:
                self.disagree.append(
                    f"patient {pid}: row {n} gives sex {sex}, row {p.sex_row} gave {p.sex}; {p.sex} kept"
                )
        if birth is not None:
            if p.birth is None:
                p.birth, p.birth_row = birth, n
            elif p.birth != birth:
                self.disagree.append(
                    f"patient {pid}: row {n} gives birth date {birth}, row {p.birth_row} gave {p.birth}; {p.birth} kept"
                )
        if age is not None:
            if p.age is not None and p.age != age:
                p.ages_differ = True
            p.age = age if p.age is None else max(p.age, age)
        return p

    def _lab(
        self,
        n: int,
        codes: tuple[str, str, str, str],
        value_text: str,
        qual_text: str,
        refs: tuple[str, str],
        unit: str,
        specimen: str,
        when_kind: int,
        when: float,
    ) -> bytes:
        """One result packed, or :class:`RowError`."""
        key = codes
        resolved = self.codes.get(key)
        if resolved is None:
            resolved = self._resolve(*codes)
            if len(self.codes) < 100_000:
                self.codes[key] = resolved
        if isinstance(resolved, RowError):
            raise resolved
        analyte_i, loinc_i, default_unit = resolved
        dc = self.decimal_comma
        value: float | None = None
        qualifier: Qualifier | None = None
        if value_text:
            value, qualifier = parse_value(value_text, decimal_comma=dc)
            if value is not None and value < 0:
                raise RowError("value", "a result cannot be negative", value_text)
        if qual_text:
            q = qual_text.lower()
            if q not in _QUAL_INDEX:
                raise RowError(
                    "qualifier",
                    "not a qualifier (low, normal, high, positive, negative, <, >)",
                    qual_text,
                )
            if qualifier is None:
                qualifier = QUALIFIERS[_QUAL_INDEX[q]]
        if value is None and qualifier is None:
            raise RowError("value", "no value and no qualifier")
        if value is None and qualifier in ("<", ">"):
            raise RowError("value", f"qualifier {qualifier!r} needs a value (as in '<5')")
        ref = [
            parse_number(text, decimal_comma=dc, column=col) if text else _NAN
            for col, text in zip(("ref_low", "ref_high"), refs, strict=True)
        ]
        return _PACK.pack(
            n,
            analyte_i,
            loinc_i,
            _NAN if value is None else value,
            ref[0],
            ref[1],
            when_kind,
            when,
            _QUAL_INDEX[qualifier] if qualifier else 0,
            self.intern(unit) if unit else default_unit,
            self.intern(specimen),
        )

    def _date(self, text: str, column: str) -> dt.date:
        """A parsed date, cached: the same few thousand dates recur in a long file."""
        date = self.dates.get(text)
        if date is None:
            date = parse_date(text, column)
            if len(self.dates) > 100_000:
                self.dates.clear()
            self.dates[text] = date
        return date

    def _resolve(
        self, analyte: str, loinc: str, code: str, system: str
    ) -> tuple[int, int, int] | RowError:
        """(analyte, loinc, assumed unit) as interned indexes, or why the code is unusable."""
        kb, cmap = self.kb, self.code_map
        if analyte:
            if analyte in kb.analytes:
                return self.intern(analyte), self.intern(loinc), 0
            if analyte in kb.loinc_index:
                return self.intern(kb.loinc_index[analyte]), self.intern(analyte), 0
            entry = cmap.lookup(analyte, system or None) if cmap else None
            if entry:
                return self.intern(entry.analyte), 0, self.intern(entry.unit or "")
            close = difflib.get_close_matches(analyte.lower(), list(kb.analytes), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else "; add it to a --code-map file"
            return RowError("analyte", f"unknown analyte id{hint}", analyte)
        if loinc:
            if loinc in kb.loinc_index:
                return self.intern(kb.loinc_index[loinc]), self.intern(loinc), 0
            entry = cmap.lookup(loinc, system or "http://loinc.org") if cmap else None
            if entry:
                return self.intern(entry.analyte), 0, self.intern(entry.unit or "")
            return RowError("loinc", "unknown code; add it to a --code-map file", loinc)
        entry = cmap.lookup(code, system or None) if cmap else None
        if entry:
            return self.intern(entry.analyte), 0, self.intern(entry.unit or "")
        if code in kb.loinc_index and system.lower() in ("", "loinc", "ln", "http://loinc.org"):
            return self.intern(kb.loinc_index[code]), self.intern(code), 0
        where = f" (system {system})" if system else ""
        return RowError("code", f"unknown code{where}; add it to a --code-map file", code)

    # -- after the last row
    def finish(self) -> None:
        if self.bad_sex:
            shown = ", ".join(f"{k!r} ({v})" for k, v in list(self.bad_sex.items())[:5])
            total = sum(self.bad_sex.values())
            self.warnings.append(
                f"{total} row(s) with a sex other than F/M/female/male ({shown}); taken as unknown"
            )
        for text in self.disagree[:20]:
            self.warnings.append(text)
        if len(self.disagree) > 20:
            self.warnings.append(f"… and {len(self.disagree) - 20} more disagreements")
        differ = [p.pid for p in self.patients.values() if p.ages_differ]
        if differ:
            self.warnings.append(
                f"{len(differ)} patient(s) have different ages on different rows "
                f"({', '.join(differ[:5])}{'…' if len(differ) > 5 else ''}); the highest "
                "(the age at the latest result) is used"
            )
        if self.untimed:
            self.warnings.append(
                f"{self.untimed} result row(s) have no date or day; they are taken as drawn "
                "with the index ALP"
            )
        self.stats.cases = len(self.patients)

    def cases(self) -> Iterator[Case]:
        """Build the cases one at a time; duplicated results are rejected here."""
        strings = self.strings
        for p in self.patients.values():
            labs: list[LabResult] = []
            seen: dict[tuple[int, int, float, int], tuple[int, float, int, int]] = {}
            for row, a, lo, val, rlo, rhi, kind, when, q, unit, spec in _PACK.iter_unpack(p.labs):
                if kind != _NO_TIME:
                    key = (a, kind, when, spec)
                    first = seen.get(key)
                    if first is None:
                        seen[key] = (row, val, q, unit)
                    elif _same(first[1], val) and first[2:] == (q, unit):
                        self.stats.used -= 1
                        self.reject(row, None, f"duplicate of row {first[0]}", None)
                        continue
                    else:
                        self.stats.used -= 1
                        self.reject(
                            row,
                            "value",
                            f"a second {strings[a]} result for patient {p.pid} at the same time "
                            f"as row {first[0]} with a different value; row {first[0]} kept "
                            "(give a specimen id if both are real)",
                            None if math.isnan(val) else f"{val:g}",
                        )
                        continue
                labs.append(
                    LabResult(
                        analyte=strings[a],
                        loinc=strings[lo] or None,
                        value=None if math.isnan(val) else val,
                        unit=strings[unit] or None,
                        qualifier=QUALIFIERS[q],
                        ref_low=None if math.isnan(rlo) else rlo,
                        ref_high=None if math.isnan(rhi) else rhi,
                        date=dt.date.fromordinal(int(when)) if kind == _DATE else None,
                        day=when if kind == _DAY else None,
                        specimen=strings[spec] or None,
                    )
                )
            yield Case(
                id=p.pid,
                patient=Patient(age_years=p.age, birth_date=p.birth, sex=p.sex),
                labs=tuple(labs),
                context=Context(
                    medications=None if p.medications is None else tuple(p.medications),
                    findings=None if p.findings is None else tuple(p.findings),
                    events=None if p.events is None else tuple(p.events),
                ),
            )

    def result(self) -> ReadResult:
        self.finish()
        return ReadResult(
            cases=self.cases(), rejected=self.rejected, stats=self.stats, warnings=self.warnings
        )


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def _add_text(items: list[str] | None, text: str) -> list[str]:
    items = items if items is not None else []
    if text.lower() not in _NONE_WORDS:
        items.append(text)
    return items


def _shorten(cells: Sequence[str]) -> str:
    text = "|".join(cells)
    return text if len(text) <= 120 else text[:117] + "…"


# ----------------------------------------------------------------------------- CSV


def _lines(
    fh: IO[bytes], progress: Progress | None, total: int | None, source: str
) -> Iterator[str]:
    """Decoded lines, reporting progress in bytes about every MiB."""
    done = 0
    report = 0
    for lineno, raw in enumerate(fh, start=1):
        done += len(raw)
        if progress is not None and done >= report:
            progress(done, total)
            report = done + (1 << 20)
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(
                [
                    Problem(
                        f"line {lineno}",
                        "not UTF-8 text",
                        hint="save the file as UTF-8 (in Excel: 'CSV UTF-8')",
                    )
                ],
                source=source,
            ) from None
    if progress is not None:
        progress(done, total)


def _check_rows(header: list[str], delimiter: str, sample: list[str], source: str) -> None:
    """A whole-file check: do the first rows split like the header? If most split into one
    field while another delimiter would give the header's width, the delimiter is wrong."""
    rows = [ln.rstrip("\r\n") for ln in sample if ln.strip()]
    if not rows or len(header) < 2:
        return
    widths = [len(next(csv.reader([r], delimiter=delimiter))) for r in rows]
    if sum(w == 1 for w in widths) * 2 < len(rows):
        return
    for other in DELIMITERS:
        if other == delimiter:
            continue
        other_widths = [len(next(csv.reader([r], delimiter=other))) for r in rows]
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
        first = head.lstrip("\ufeff").lstrip().split("\n", 1)[0].strip()
        if first.startswith(("{", "[", "MSH|", "PAR1")):
            return False
        if path is not None and path.suffix.lower() in (".csv", ".tsv"):
            return True
        for d in DELIMITERS:
            names = {_clean(x) for x in next(csv.reader([first], delimiter=d), [])}
            if "patient_id" in names and names & set(CODE_COLUMNS):
                return True
        return False

    def read(self, path: Path, options: ReadOptions) -> ReadResult:
        source = str(path)
        total = path.stat().st_size
        kb = load_knowledge()
        with path.open("rb") as fh:
            lines = _lines(fh, options.progress, total, source)
            header_line = next((ln for ln in lines if ln.strip()), "").lstrip("\ufeff")
            if not header_line.strip():
                raise InputError([Problem("header", "the file is empty")], source=source)
            delimiter = detect_delimiter(header_line)
            header = next(csv.reader([header_line], delimiter=delimiter))
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
            try:
                for cells in reader:
                    if not cells or (len(cells) == 1 and not cells[0].strip()):
                        continue
                    n += 1
                    cells.append("")
                    table.row(n, cells)
            except csv.Error as exc:
                raise InputError(
                    [Problem(f"line {reader.line_num + 1}", f"not readable as CSV: {exc}")],
                    source=source,
                ) from None
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


# ----------------------------------------------------------------------------- Parquet


def _pyarrow() -> Any:
    try:
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.compute as pc  # type: ignore[import-untyped]
        import pyarrow.parquet as pq  # type: ignore[import-untyped]
    except ImportError:
        raise InputError(
            [
                Problem(
                    "--input-format parquet",
                    "reading Parquet needs pyarrow, which is not installed",
                    hint="pip install 'lowalp[parquet]'",
                )
            ]
        ) from None
    return pa, pc, pq


class ParquetAdapter:
    name = "parquet"
    description = "Parquet table of many patients, same columns as the long CSV"
    batch_size = 8_192

    def sniff(self, head: str, path: Path | None) -> bool:
        return head.startswith("PAR1") or (
            path is not None and path.suffix.lower() in (".parquet", ".pq")
        )

    def read(self, path: Path, options: ReadOptions) -> ReadResult:
        pa, pc, pq = _pyarrow()
        source = str(path)
        try:
            pf = pq.ParquetFile(path, buffer_size=1 << 20, pre_buffer=False)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(
                [Problem(source, f"not a readable Parquet file: {exc}")], source=source
            ) from None
        header = list(pf.schema_arrow.names)
        try:
            columns = resolve_columns(header, options.columns)
        except InputError as exc:
            raise InputError(exc.problems, source=source) from None
        order = sorted(columns, key=columns.__getitem__)
        selected = [header[columns[c]] for c in order]
        table = _Table(
            {c: i for i, c in enumerate(order)},
            load_knowledge(),
            options,
            decimal_comma=False,
            width=len(order),
            check_width=False,
            source=source,
        )
        total = pf.metadata.num_rows
        n = 0
        for batch in pf.iter_batches(batch_size=self.batch_size, columns=selected):
            cols = [_texts(pa, pc, batch.column(i)) for i in range(batch.num_columns)]
            for cells in zip(*cols, itertools.repeat(""), strict=False):
                n += 1
                table.row(n, cells)
            if options.progress is not None:
                options.progress(n, total)
        table.stats.unit = "rows"
        table.warnings.insert(0, f"Parquet; columns: {', '.join(order)}")
        return table.result()


def _texts(pa: Any, pc: Any, array: Any) -> list[str]:
    """A column as text, as a CSV would hold it (dates ISO, numbers in shortest form)."""
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        values: list[str | None] = array.to_pylist()
        return ["" if v is None else v for v in values]
    try:
        texts: list[str | None] = pc.cast(array, pa.string()).to_pylist()
        return ["" if v is None else v for v in texts]
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        return ["" if v is None else str(v) for v in array.to_pylist()]


# ----------------------------------------------------------------------------- writing


def cases_to_rows(cases: Iterable[Case]) -> Iterator[dict[str, str]]:
    """Cases as long-table rows (our column names), the inverse of reading.

    Events given as ``days_before`` are written at the day (or date) that many days before the
    index ALP (the newest one); in a case whose ALPs have neither, they are written untimed.
    ``context.setting`` and ``diagnosis`` are not carried. An empty medication, finding or
    event list is written as a row with the text ``none``.
    """
    for k, case in enumerate(cases, start=1):
        pid = case.id or f"case-{k}"
        p = case.patient
        base = {
            "patient_id": pid,
            "sex": p.sex or "",
            "birth_date": p.birth_date.isoformat() if p.birth_date else "",
            "age": _num(p.age_years),
        }
        for lab in case.labs:
            value = _num(lab.value)
            qualifier = lab.qualifier or ""
            if lab.qualifier in ("<", ">") and lab.value is not None:
                value, qualifier = f"{lab.qualifier}{value}", ""
            yield {
                **base,
                "date": lab.date.isoformat() if lab.date else "",
                "day": _num(lab.day),
                "analyte": lab.analyte or "",
                "loinc": lab.loinc or "",
                "value": value,
                "unit": lab.unit or "",
                "ref_low": _num(lab.ref_low),
                "ref_high": _num(lab.ref_high),
                "qualifier": qualifier,
                "specimen": lab.specimen or "",
            }
        ctx = case.context
        for col, items in (("medication", ctx.medications), ("finding", ctx.findings)):
            if items is not None:
                for text in items or ("none",):
                    yield {**base, col: text}
        if ctx.events is not None:
            index_day, index_date = _index_time(case)
            for ev in ctx.events or (EventRecord(event="none"),):
                row = {**base, "event": ev.event}
                if ev.date is not None:
                    row["date"] = ev.date.isoformat()
                elif ev.day is not None:
                    row["day"] = _num(ev.day)
                elif ev.days_before is not None and index_day is not None:
                    row["day"] = _num(index_day - ev.days_before)
                elif ev.days_before is not None and index_date is not None:
                    row["date"] = (index_date - dt.timedelta(days=ev.days_before)).isoformat()
                yield row


def write_csv(cases: Iterable[Case], path: Path, *, delimiter: str = ",") -> int:
    """Write cases as a long CSV with every column; returns the number of rows."""
    n = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, delimiter=delimiter, restval="")
        writer.writeheader()
        for row in cases_to_rows(cases):
            writer.writerow(row)
            n += 1
    return n


def _num(v: float | None) -> str:
    if v is None:
        return ""
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def _index_time(case: Case) -> tuple[float | None, dt.date | None]:
    alps = [lab for lab in case.labs if lab.analyte == "alp"]
    days = [lab.day for lab in alps if lab.day is not None]
    dates = [lab.date for lab in alps if lab.date is not None]
    return (max(days) if days else None), (max(dates) if dates else None)


ADAPTER = CsvAdapter()
PARQUET_ADAPTER = ParquetAdapter()
