"""The text of one cell read as a value: numbers (a decimal comma only in semicolon files),
censored values and qualifiers, sex and ISO dates; a cell that cannot be used raises
:class:`RowError`, which rejects its row.
"""

from __future__ import annotations

import datetime as dt
import math

from lowalp.adapters.reasons import CODE_NOT_IDENTIFIED, NOT_VALID, VALUE_NOT_USABLE
from lowalp.model import Qualifier, Sex

QUALIFIERS: tuple[Qualifier | None, ...] = (
    None,
    "low",
    "normal",
    "high",
    "positive",
    "negative",
    "<",
    ">",
    "undetectable",
    "abnormal",
    "indeterminate",
)
_QUAL_INDEX = {q: i for i, q in enumerate(QUALIFIERS) if q is not None}
SEX_WORDS: dict[str, Sex] = {"f": "F", "female": "F", "m": "M", "male": "M"}
"""The words a ``sex`` cell may hold (lower case), read by ``lowalp assess`` and the screen."""
_NONE_WORDS = frozenset({"none", "(none)"})
"""A ``medication``/``finding``/``event`` text meaning "none" (an empty list, not unknown)."""


class RowError(ValueError):
    """A row cannot be used: which column and why (the row is rejected, reading goes on), and
    the category of the reason (:data:`lowalp.adapters.reasons.CATEGORIES`; by default the
    column's: :func:`column_category`)."""

    def __init__(
        self,
        column: str | None,
        reason: str,
        value: str | None = None,
        category: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason
        self.value = value
        self.category = category or column_category(column)


_VALUE_COLUMNS = frozenset(
    {"value", "unit", "ref_low", "ref_high", "qualifier", "flag", "text", "date", "day", "age"}
    | {"birth_date", "sex", "specimen"}
)


def column_category(column: str | None) -> str:
    """What a fault in ``column`` is: a code lowalp cannot identify (``analyte``, ``loinc``,
    ``code``, ``system``), a value, unit or date not usable (a result's own columns and the
    patient's age, sex and birth date), or otherwise input that is not valid (the row's shape,
    a medication, finding or event written wrongly)."""
    if column in ("analyte", "loinc", "code", "system"):
        return CODE_NOT_IDENTIFIED
    if column in _VALUE_COLUMNS:
        return VALUE_NOT_USABLE
    return NOT_VALID


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
