"""Cells of the CSV files lowalp writes, safe to open in a spreadsheet.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
spreadsheet programs as a formula; a patient id or a reject's value written so could run one
(formula injection, OWASP "CSV Injection"). Such a text cell is written with a single quote in
front, which spreadsheets show as text. The rule applies to text only: a cell that is a plain
number (``-5``, ``+3.2``, ``-1e3``) stays as it is, and numeric columns are never touched.
Parquet and JSON outputs keep every value unchanged.

>>> [neutralise(x) for x in ("=HYPERLINK(1)", "-5", "-2+3", "@SUM(A1)", "\\tx", "P001")]
["'=HYPERLINK(1)", '-5', "'-2+3", "'@SUM(A1)", "'\\tx", 'P001']
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(text: str) -> str:
    """``text`` with a single quote in front when a spreadsheet would read it as a formula."""
    if text.startswith(TRIGGERS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(cells: Iterable[object]) -> list[object]:
    """A row for :mod:`csv`: text cells neutralised, other values as they are."""
    return [neutralise(c) if isinstance(c, str) else c for c in cells]
