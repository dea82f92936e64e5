"""The case format of the design (JSON object, or JSON Lines for many cases)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from lowalp.adapters import strict_json
from lowalp.adapters.base import ReadOptions, ReadResult, ReadStats, Rejected
from lowalp.adapters.reasons import NOT_VALID
from lowalp.errors import InputError, Problem
from lowalp.knowledge import Knowledge
from lowalp.model import Case

name = "case-json"

_HINTS = {
    "float_parsing": "write the number without text or units, e.g. 18 (the unit goes in `unit`)",
    "missing": "this field is required",
    "extra_forbidden": "not a field of the case format (see docs/case-format.md)",
    "literal_error": None,
    "date_from_datetime_parsing": "use an ISO date such as 2026-03-31",
    "date_parsing": "use an ISO date such as 2026-03-31",
}


def pointer(loc: tuple[int | str, ...]) -> str:
    """``('labs', 3, 'unit')`` -> ``labs[3].unit``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(case)"


def case_from_dict(data: Any, *, source: str | None = None) -> Case:
    """Validate one case object; every structural problem is listed at once."""
    if not isinstance(data, Mapping):
        raise InputError(
            [Problem("(case)", f"a case is a JSON object, not {type(data).__name__}")],
            source=source,
        )
    if "labs" not in data:
        raise InputError(
            [
                Problem(
                    "labs", "missing: a case needs a `labs` list", hint="see docs/case-format.md"
                )
            ],
            source=source,
        )
    if not isinstance(data.get("labs"), list):
        raise InputError(
            [
                Problem(
                    "labs", "`labs` must be a list of results", value=type(data["labs"]).__name__
                )
            ],
            source=source,
        )
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        raise InputError(_problems(exc), source=source) from None
    except RecursionError:
        raise InputError(
            [Problem("(case)", "the case is nested too deeply to read")], source=source
        ) from None


_UNION_TAGS = frozenset({"str", "MedicationRecord", "FindingRecord", "EventRecord"})
"""The names pydantic puts in an error's location for each form a context entry may take."""
_ENTRY_FORMS = {
    "medications": 'text, or an object with "name" (and "status", "start", "end" …)',
    "findings": 'text, or an object with "text" (and "assertion", "date")',
    "events": 'text, or an object with "event" (and "days_before", "day" or "date"; '
    '"end_days_before", "end_day", "end_date" or "ongoing")',
}


def _problems(exc: ValidationError) -> list[Problem]:
    """Every error as a problem with a pointer; a context entry that may be text or an object
    is named by the form it was given in (an object's errors, not "should be a string")."""
    problems = []
    for err in exc.errors():
        loc = tuple(
            p
            for p in err["loc"]
            if not (isinstance(p, str) and p.startswith(("function-", "tagged")))
        )
        value = err.get("input") if err["type"] != "missing" else None
        tag = next((i for i, p in enumerate(loc) if isinstance(p, str) and p in _UNION_TAGS), None)
        if tag is not None:
            given = err.get("input")
            if loc[tag] == "str" and isinstance(given, Mapping):
                continue  # an object: what is wrong in it is said by the object's errors
            if loc[tag] != "str" and tag == len(loc) - 1:
                continue  # neither text nor an object: said once, below
            if loc[tag] == "str":
                kind = str(loc[tag - 2]) if tag >= 2 else ""
                problems.append(
                    Problem(
                        pointer(loc[:tag]),
                        f"must be {_ENTRY_FORMS.get(kind, 'text or an object')}",
                        value=None if isinstance(given, dict | list) else given,
                    )
                )
                continue
            loc = loc[:tag] + loc[tag + 1 :]
        if isinstance(value, dict | list):
            value = None
        problems.append(
            Problem(pointer(loc), err["msg"], value=value, hint=_HINTS.get(err["type"]))
        )
    return problems


def loads(text: str, *, source: str | None = None) -> Case:
    return case_from_dict(strict_json.parse(text, source=source), source=source)


def load(path: str | Path) -> Case:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError([Problem(str(p), "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise _not_utf8(p, exc) from None
    return loads(text, source=str(p))


def _not_utf8(path: Path, exc: UnicodeDecodeError) -> InputError:
    return InputError(
        [
            Problem(
                f"byte {exc.start}",
                "not UTF-8 text",
                hint="save the file as UTF-8 (UTF-16 and Latin-1 are not read)",
            )
        ],
        source=str(path),
    )


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, Case | InputError]]:
    """Each line of a JSON Lines file as a case, or the error that line gave."""
    p = Path(path)
    with p.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
                yield lineno, loads(line, source=f"{p}:{lineno}")
            except UnicodeDecodeError:
                yield lineno, InputError([Problem("(line)", "not UTF-8 text")])
            except InputError as exc:
                yield lineno, exc


class _CaseJsonAdapter:
    name = "case-json"
    description = "lowalp case JSON (one object) or JSON Lines of cases"

    def sniff(self, head: str, path: Path | None) -> bool:
        text = head.lstrip("\ufeff \t\r\n")
        if not text.startswith("{"):
            return False
        first = text.split("\n", 1)[0]
        return '"resourceType"' not in first and ('"labs"' in text or '"patient"' in text)

    def read(self, path: Path, options: ReadOptions, knowledge: Knowledge) -> ReadResult:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _not_utf8(path, exc) from None
        stripped = text.strip()
        stats = ReadStats(unit="cases")
        result = ReadResult(cases=[], stats=stats)
        if "\n" not in stripped or _is_single_object(stripped):
            case = loads(text, source=str(path))
            stats.read = stats.used = stats.cases = 1
            result.cases = [case]
            return result
        cases: list[Case] = []
        for lineno, item in iter_jsonl(path):
            stats.read += 1
            if isinstance(item, InputError):
                stats.set_aside(NOT_VALID)
                for p in item.problems:
                    result.rejected.append(
                        Rejected(f"line {lineno}: {p.pointer}", p.message, None, NOT_VALID)
                    )
            else:
                stats.used += 1
                cases.append(item)
        stats.cases = len(cases)
        result.cases = cases
        return result


def _is_single_object(text: str) -> bool:
    """One JSON document (not JSON Lines)."""
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return False
    except (ValueError, RecursionError):
        return True  # a whole document that :func:`loads` refuses with the reason
    return True


ADAPTER = _CaseJsonAdapter()
