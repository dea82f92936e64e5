"""What a result allows its value to be, and whether that settles a threshold.

A number is one point; a censored number ("<5") an interval from 0; a verdict (low, normal,
high, positive, negative, undetectable, abnormal) an interval, or two, against the reference
limits it was judged by. A threshold is decided when every value the result allows lies on one
side of it. Bounds are in the analyte's canonical unit; ``0`` and ``inf`` are real bounds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from lowalp.model import Qualifier, State

Bounds = tuple[float, float]
"""Lowest and highest value a result allows (inclusive; a boundary point is not weighed)."""

INF = math.inf


def number_bounds(value: float, censor: Qualifier | None) -> list[Bounds]:
    """The values a number allows: itself, or up to / from it when censored.

    >>> number_bounds(5, None), number_bounds(5, "<"), number_bounds(5, ">")
    ([(5, 5)], [(0.0, 5)], [(5, inf)])
    """
    if censor == "<":
        return [(0.0, value)]
    if censor == ">":
        return [(value, INF)]
    return [(value, value)]


def verdict_bounds(q: Qualifier, low: float | None, high: float | None) -> list[Bounds] | None:
    """The values a verdict allows against limits ``low``–``high``; ``None`` when it does not
    say (no limits, an indeterminate result, "high" against a range without an upper limit).

    A missing side of a range that has the other is unbounded (0 below, infinity above).
    "Undetectable" is below the lower limit, or at most the upper limit when the lower is 0.

    >>> verdict_bounds("high", 20, 125), verdict_bounds("normal", None, 5)
    ([(125, inf)], [(0.0, 5)])
    >>> verdict_bounds("abnormal", 35, 104), verdict_bounds("undetectable", 0, 4)
    ([(0.0, 35), (104, inf)], [(0.0, 4)])
    """
    if low is None and high is None:
        return None
    lo = low if low is not None else 0.0
    hi = high if high is not None else INF
    has_low = low is not None and low > 0
    has_high = high is not None and math.isfinite(high)
    if q == "low":
        return [(0.0, lo)] if has_low else None
    if q == "normal":
        return [(lo, hi)]
    if q in ("high", "positive"):
        return [(hi, INF)] if has_high else None
    if q == "negative":
        return [(0.0, hi)] if has_high else None
    if q == "undetectable":
        if has_low:
            return [(0.0, lo)]
        return [(0.0, hi)] if has_high else None
    if q == "abnormal":
        parts = ([(0.0, lo)] if has_low else []) + ([(hi, INF)] if has_high else [])
        return parts or None
    return None


def ratio_bounds(num: Sequence[Bounds], den: Sequence[Bounds]) -> list[Bounds] | None:
    """The ratio's bounds for every pair of parts; ``None`` when a denominator can be 0 and
    the numerator too (nothing can be said).

    >>> ratio_bounds([(20, 20)], [(0.0, 0.3)])
    [(66.66666666666667, inf)]
    """
    out: list[Bounds] = []
    for a1, b1 in num:
        for a2, b2 in den:
            if b2 == 0:
                return None
            lo = 0.0 if math.isinf(b2) else a1 / b2
            if a2 == 0:
                if b1 == 0:
                    return None
                hi = INF
            else:
                hi = b1 / a2
            out.append((lo, hi))
    return out


def decide(bounds: Sequence[Bounds], op: str, limit: float) -> State:
    """Present when every allowed value meets ``op limit``, absent when none does.

    >>> decide([(125, INF)], "gt", 180), decide([(200, INF)], "gt", 180), decide([(0, 5)], "lt", 10)
    ('unknown', 'present', 'present')
    """
    states = {_decide_one(b, op, limit) for b in bounds}
    if states == {"present"}:
        return "present"
    if states == {"absent"}:
        return "absent"
    return "unknown"


def _decide_one(b: Bounds, op: str, limit: float) -> State:
    lo, hi = b
    if lo == hi:  # a point: the comparison itself
        hit = {"lt": lo < limit, "le": lo <= limit, "gt": lo > limit, "ge": lo >= limit}[op]
        return "present" if hit else "absent"
    if op in ("lt", "le"):
        if hi <= limit:
            return "present"
        return "absent" if lo >= limit else "unknown"
    if lo >= limit:
        return "present"
    return "absent" if hi <= limit else "unknown"


def describe(bounds: Sequence[Bounds], scale: float, unit: str) -> str:
    """Bounds in words, in ``unit`` (``scale`` multiplies a value in ``unit`` to canonical).

    >>> describe([(125, INF)], 1, "nmol/L"), describe([(0.0, 35), (104, INF)], 1, "U/L")
    ('above 125 nmol/L', 'below 35 U/L or above 104 U/L')
    """

    def one(b: Bounds) -> str:
        lo, hi = b[0] / scale, b[1] / scale
        if lo == hi:
            return f"{lo:.4g} {unit}"
        if math.isinf(hi):
            return f"above {lo:.4g} {unit}"
        if lo == 0:
            return f"below {hi:.4g} {unit}"
        return f"between {lo:.4g} and {hi:.4g} {unit}"

    return " or ".join(one(b) for b in bounds)
