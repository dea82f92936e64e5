"""Which result of an analyte counts as drawn with the index ALP: the one rule, written once.

A result counts when it lies within ``settings.concurrent_window_days`` of the index ALP
(either side, the bounds included; an undated result counts as half a day away). Among those,
the first by :data:`CHOICE` is taken: a number before a result reported in words, then the
nearest, then the later of two equally near (after the index before before it), then the one
listed first.

The per-case engine applies it with :func:`choose`; the screen compiles :data:`CHOICE` into
one integer key a row (``lowalp.screen.expression.concurrent_key``) and takes the smallest, so
the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from lowalp.knowledge import Knowledge
from lowalp.model import Measurement

Term = Literal["in_words", "distance", "days_after", "position"]
"""What a result is ordered by: reported in words (False first), its distance in days from the
index, its signed days from the index (negative before it), and its place in the input."""

CHOICE: tuple[tuple[Term, bool], ...] = (
    ("in_words", False),
    ("distance", False),
    ("days_after", True),
    ("position", False),
)
"""The ordering terms, each with ``descending``; the first result in this order is chosen."""

UNDATED_DISTANCE = 0.5
"""How far from the index an undated result is taken to be (nearer than any other day)."""


def window_days(kb: Knowledge) -> float:
    """The half-width of the window around the index ALP, in days."""
    return kb.settings.concurrent_window_days


def within(t: float | None, window: float) -> bool:
    """True when a result ``t`` days from the index (None: undated) is inside the window."""
    return t is None or abs(t) <= window


def _terms(m: Measurement, position: int) -> dict[Term, float]:
    t = m.t
    return {
        "in_words": float(m.reported_in_words is not None),
        "distance": abs(t) if t is not None else UNDATED_DISTANCE,
        "days_after": t if t is not None else 0.0,
        "position": float(position),
    }


def sort_key(m: Measurement, position: int) -> tuple[float, ...]:
    """The result's place in :data:`CHOICE` order (smaller first)."""
    terms = _terms(m, position)
    return tuple(-terms[name] if descending else terms[name] for name, descending in CHOICE)


def choose(results: Iterable[Measurement], window: float) -> Measurement | None:
    """The result that counts as drawn with the index, among ``results`` in input order.

    >>> from lowalp.model import Measurement
    >>> def m(t): return Measurement(analyte="plp", value=t, unit="nmol/L", t=t,
    ...                              pointer=str(t), original=str(t))
    >>> choose([m(-40.0), m(20.0), m(-20.0), m(25.0)], 30.0).t
    20.0
    >>> choose([m(-40.0), m(60.0)], 30.0) is None
    True
    """
    inside = [(position, m) for position, m in enumerate(results) if within(m.t, window)]
    if len(inside) < 2:
        return inside[0][1] if inside else None
    best: Measurement | None = None
    best_key: tuple[float, ...] | None = None
    for position, m in inside:
        key = sort_key(m, position)
        if best_key is None or key < best_key:
            best, best_key = m, key
    return best
