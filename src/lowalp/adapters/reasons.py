"""Reasons a record is not used, and the categories they fall in.

Reasons a row of a long table (a laboratory's extract) is not used, shared by the readers of
``lowalp assess`` and by the screen, so that the same row is set aside for the same reason by
both.

A result without a date or day, in a patient whose other results are dated, cannot be placed
among them (it could be from any year of the extract): it is rejected as
:data:`MISSING_DATE`. A patient none of whose results is dated is a single panel: those
results are taken as drawn with the index ALP, with a warning.
"""

from __future__ import annotations

MISSING_DATE = "missing date"

# ----------------------------------------------------------------------------- categories
#
# Every record an adapter sets aside carries one of these categories (``Rejected.category``),
# so that a summary can say how many records were set aside for each, and which of them asks
# something of the user. Only two do: a code lowalp cannot identify (a code map names it) and
# input that is not valid. The others are what a complete export holds beside what lowalp
# reads, and are not errors.

STANDARD_CODE_NOT_USED = "standard-code-not-used"
CODE_NOT_IDENTIFIED = "code-not-identified"
TEXT_NOT_UNDERSTOOD = "text-not-understood"
TYPE_NOT_USED = "type-not-used"
STATUS_NOT_USED = "status-not-used"
NOT_VALID = "not-valid"
VALUE_NOT_USABLE = "value-not-usable"
REPEATED = "repeated"

CATEGORIES: dict[str, str] = {
    STANDARD_CODE_NOT_USED: "standard code not used by lowalp",
    CODE_NOT_IDENTIFIED: "code lowalp cannot identify (local, unknown or missing)",
    TEXT_NOT_UNDERSTOOD: "named by text lowalp does not read as anything it reasons about",
    TYPE_NOT_USED: "resource type not used",
    STATUS_NOT_USED: "status not used (entered in error, not done, not final …)",
    NOT_VALID: "not valid input",
    VALUE_NOT_USABLE: "value, unit or date not usable",
    REPEATED: "the same result again (the first is kept)",
}
"""Category -> what it means, as a summary prints it."""
NEEDS_ACTION = frozenset({CODE_NOT_IDENTIFIED, NOT_VALID, VALUE_NOT_USABLE})
"""Categories that may ask something of the user (a code map, a corrected export); the
others are expected in a complete export and are not errors."""
LISTED_PER_CATEGORY = 10_000
"""Records kept (with their pointers) per category that is not an error; the others are
counted only (``ReadStats.not_listed``): a bulk export sets aside millions alike, and a list
of them all would grow with the export. Records that may ask something of the user are all
kept."""
STANDARD_CODE_REASON = "standard code not used by lowalp"
"""The reason given with :data:`STANDARD_CODE_NOT_USED`: no code map is asked for, since a
standard code is identified already; lowalp simply has no use for it."""


def is_loinc(code: str) -> bool:
    """Whether ``code`` is a well-formed LOINC code: digits, a hyphen and the check digit of
    the digits by the mod-10 (Luhn) rule of LOINC's Users' Guide (``6768-6``). A code that is
    one names a standard concept lowalp can tell it has no use for; any other is a code it
    cannot identify."""
    body, sep, check = code.strip().partition("-")
    if not (sep and body.isdigit() and check.isdigit() and len(check) == 1 and len(body) <= 7):
        return False
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10 == int(check)


def category_line(category: str, count: int) -> str:
    """``46,000 standard code not used by lowalp (not an error)``."""
    label = CATEGORIES.get(category, category or "other")
    note = "" if category in NEEDS_ACTION else " (not an error)"
    return f"{count:,} {label}{note}"
