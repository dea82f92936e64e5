"""What every input adapter returns, and the options it takes.

An adapter reads one format into core :class:`~lowalp.model.Case` objects. Nothing is dropped
silently: every record it reads is either used or listed in ``rejected`` with a pointer into the
input and the reason, and the counts reconcile (``read == used + rejected``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from lowalp.adapters.code_map import CodeMap
from lowalp.errors import InputError, Problem
from lowalp.knowledge import Knowledge
from lowalp.model import Case

NO_ALP = "no ALP result"
"""How the message that a case holds no usable ALP begins (see :func:`lowalp.normalise.normalise`)."""


def finite(value: object) -> float | None:
    """``value`` as a finite float, or None when it is not one (text, NaN, infinity, or an
    integer beyond the range of a float): an adapter rejects the record then, with the field.

    >>> finite(19), finite("4.5"), finite(float("nan")), finite(10**400)
    (19.0, 4.5, None, None)
    """
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


@dataclass(frozen=True, slots=True)
class Rejected:
    """One input record that was not used."""

    pointer: str
    """Where it is: ``entry[3].resource.valueQuantity.unit``, ``OBX[5]-6``, ``row 17``."""
    reason: str
    value: str | None = None
    category: str = ""
    """One of :data:`lowalp.adapters.reasons.CATEGORIES` (empty where an adapter does not say)."""

    def __str__(self) -> str:
        shown = f" ({self.value!r})" if self.value is not None else ""
        return f"{self.pointer}: {self.reason}{shown}"


def explain_no_alp(exc: InputError, rejected: Iterable[Rejected], alp_name: str) -> InputError:
    """``exc`` with its "no ALP result" hint replaced by the ALP records the adapter read but
    could not use (an unknown unit, say), when there are any: the file had an ALP, so "add
    one" would point the wrong way. ``alp_name`` is the knowledge's name of the analyte, which
    the adapters' reasons quote."""
    unused = [r for r in rejected if alp_name in r.reason]
    if not unused:
        return exc
    why = "; ".join(str(r) for r in unused[:3]) + ("; …" if len(unused) > 3 else "")
    problems = [
        Problem(p.pointer, "no usable ALP result", p.value, f"the input's ALP was not used: {why}")
        if p.message.startswith(NO_ALP)
        else p
        for p in exc.problems
    ]
    return InputError(problems, source=exc.source)


@dataclass
class ReadStats:
    """Record counts; ``read == used + rejected`` once reading is finished."""

    unit: str = "records"
    """What a record is for this format: resources, OBX segments, rows …"""
    read: int = 0
    used: int = 0
    rejected: int = 0
    cases: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    """Rejected records per category (:data:`lowalp.adapters.reasons.CATEGORIES`), for the
    adapters that say one; they add up to ``rejected`` then."""
    not_listed: int = 0
    """Rejected records counted but not kept in ``ReadResult.rejected``: beyond the first
    :data:`lowalp.adapters.reasons.LISTED_PER_CATEGORY` of a category that is not an error,
    so that memory stays bounded on a large export (``rejected == len(result.rejected) +
    not_listed``; ``by_category`` counts them all)."""

    def reconciles(self) -> bool:
        return self.read == self.used + self.rejected

    def set_aside(self, category: str, listed: int | None = None) -> bool:
        """Count one rejected record of ``category``; whether to keep it in the list
        (``False`` beyond the first ``listed``, default
        :data:`lowalp.adapters.reasons.LISTED_PER_CATEGORY`, of a category that is not an
        error: then it is counted in :attr:`not_listed` only)."""
        from lowalp.adapters.reasons import LISTED_PER_CATEGORY, NEEDS_ACTION

        self.rejected += 1
        count = self.by_category[category] = self.by_category.get(category, 0) + 1
        limit = LISTED_PER_CATEGORY if listed is None else listed
        if count > limit and category not in NEEDS_ACTION:
            self.not_listed += 1
            return False
        return True

    def category_lines(self) -> list[str]:
        """One line per category, commonest first: ``46,000 standard code not used by lowalp
        (not an error)``."""
        from lowalp.adapters.reasons import category_line

        ranked = sorted(self.by_category.items(), key=lambda kv: (-kv[1], kv[0]))
        return [category_line(c, n) for c, n in ranked]

    def summary(self) -> str:
        return (
            f"{self.read} {self.unit} read = {self.used} used + {self.rejected} rejected; "
            f"{self.cases} case{'s' if self.cases != 1 else ''}"
        )


@dataclass
class ReadResult:
    """Cases read from one source. ``rejected`` and ``stats`` are complete once ``cases`` is
    exhausted (adapters may stream)."""

    cases: Iterable[Case]
    rejected: list[Rejected] = field(default_factory=list)
    stats: ReadStats = field(default_factory=ReadStats)
    warnings: list[str] = field(default_factory=list)
    format: str = ""
    """The name of the adapter that read the source."""


Progress = Callable[[int, int | None], None]
"""Called as ``progress(done, total)`` in bytes (``total`` None when unknown)."""


@dataclass(frozen=True)
class ReadOptions:
    code_map: CodeMap | None = None
    progress: Progress | None = None
    columns: dict[str, str] = field(default_factory=dict)
    """CSV/Parquet: our column name -> the file's column name."""


class Adapter(Protocol):
    name: str
    """The ``--input-format`` name."""
    description: str

    def sniff(self, head: str, path: Path | None) -> bool:
        """True when the first few KiB of text (``head``) look like this format."""
        ...

    def read(self, path: Path, options: ReadOptions, knowledge: Knowledge) -> ReadResult:
        """Read the file (or folder, where the format has several files); codes, units and
        analytes are looked up in ``knowledge``."""
        ...


def chunks(
    stream: Iterator[bytes], progress: Progress | None, total: int | None
) -> Iterator[bytes]:
    """Pass chunks through, reporting progress."""
    done = 0
    for chunk in stream:
        done += len(chunk)
        if progress:
            progress(done, total)
        yield chunk
