"""The code of a row (``analyte``, ``loinc``, or ``code`` with ``system``) resolved to one of
the knowledge's analytes, directly, through its LOINC index or through the code map.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from lowalp.adapters.code_map import CodeMap
from lowalp.adapters.csv_long.values import RowError
from lowalp.adapters.reasons import STANDARD_CODE_NOT_USED, STANDARD_CODE_REASON, is_loinc
from lowalp.knowledge import Knowledge


def resolve_code(
    kb: Knowledge,
    cmap: CodeMap | None,
    intern: Callable[[str], int],
    analyte: str,
    loinc: str,
    code: str,
    system: str,
) -> tuple[int, int, int] | RowError:
    """(analyte, loinc, assumed unit) as indexes given by ``intern``, or why the code is
    unusable."""
    if analyte:
        if analyte in kb.analytes:
            return intern(analyte), intern(loinc), 0
        if analyte in kb.loinc_index:
            return intern(kb.loinc_index[analyte]), intern(analyte), 0
        entry = cmap.lookup(analyte, system or None) if cmap else None
        if entry:
            return intern(entry.analyte), 0, intern(entry.unit or "")
        close = difflib.get_close_matches(analyte.lower(), list(kb.analytes), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else "; add it to a --code-map file"
        return RowError("analyte", f"unknown analyte id{hint}", analyte)
    if loinc:
        if loinc in kb.loinc_index:
            return intern(kb.loinc_index[loinc]), intern(loinc), 0
        entry = cmap.lookup(loinc, system or "http://loinc.org") if cmap else None
        if entry:
            return intern(entry.analyte), 0, intern(entry.unit or "")
        return _not_used("loinc", loinc)
    entry = cmap.lookup(code, system or None) if cmap else None
    if entry:
        return intern(entry.analyte), 0, intern(entry.unit or "")
    if code in kb.loinc_index and system.lower() in ("", "loinc", "ln", "http://loinc.org"):
        return intern(kb.loinc_index[code]), intern(code), 0
    if system.lower() in ("loinc", "ln", "http://loinc.org"):
        return _not_used("code", code)
    where = f" (system {system})" if system else ""
    return RowError("code", f"unknown code{where}; add it to a --code-map file", code)


def _not_used(column: str, loinc: str) -> RowError:
    """A LOINC code lowalp has no analyte for: a standard code it has no use for when it is
    well formed (no code map is asked for), otherwise a code it cannot identify."""
    if is_loinc(loinc):
        return RowError(column, STANDARD_CODE_REASON, loinc, STANDARD_CODE_NOT_USED)
    return RowError(column, "not a LOINC code; add it to a --code-map file", loinc)
