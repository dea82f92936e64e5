"""The columns of a long table: our names, the header matched to them (case-insensitively,
with aliases and ``--column ours=theirs`` mappings), the required ones, and the delimiter
of a CSV header line.
"""

from __future__ import annotations

import csv
import difflib
from collections.abc import Sequence

from lowalp.errors import InputError, Problem

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
    "flag",
    "text",
    "note",
    "specimen",
    "medication",
    "medication_status",
    "medication_start",
    "medication_end",
    "medication_days_since_stopped",
    "medication_duration_days",
    "finding",
    "finding_assertion",
    "event",
    "event_end",
    "event_ongoing",
    "notes",
)
"""Our column names, in the order the writer uses."""

ALIASES = {
    "age_years": "age",
    "abnormal_flag": "flag",
    "abnormal_flags": "flag",
    "result_flag": "flag",
    "interpretation": "flag",
    "result_text": "text",
    "value_text": "text",
    "comment": "note",
    "comments": "note",
    "result_comment": "note",
    "lab_comment": "note",
    "med_status": "medication_status",
    "assertion": "finding_assertion",
    "clinical_notes": "notes",
}
"""Other header names accepted for one of ours."""

REQUIRED = ("patient_id", "value", "unit")
CODE_COLUMNS = ("analyte", "loinc", "code")
DELIMITERS = ",;\t|"
_DELIM_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


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
        try:
            fields = next(csv.reader([header_line], delimiter=d), [])
        except csv.Error:
            return (0, False)
        return (sum(_clean(f) in known for f in fields), d == sniffed)

    return max([sniffed, *(d for d in DELIMITERS if d != sniffed)], key=score)
