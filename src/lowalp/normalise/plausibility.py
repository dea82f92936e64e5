"""Is a value, or the range printed with it, plausible in the unit written beside it?

One rule, used by the normaliser and by the web form (:func:`check_value`): a value outside
what the analyte can be is impossible; a value far below the analyte's lowest reference limit
that another accepted unit would make ordinary is doubtful; a printed range that does not fit
the analyte's reference limits in the stated unit points to another unit. When the value and
the printed range both fit one other unit, that unit is assumed and said; when they fit several,
the value is judged against the printed range alone (which needs no unit). The factors are
``settings.unit_check`` in the knowledge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lowalp.knowledge import Knowledge
from lowalp.knowledge.schema import Analyte
from lowalp.units import factor

Verdict = Literal["ok", "impossible", "doubtful", "other_unit", "range_only", "range_ignored"]


@dataclass(frozen=True)
class ValueCheck:
    """The outcome of :func:`check_value`.

    - ``ok``: use the value and range as written.
    - ``impossible`` / ``doubtful``: do not use the value (``likely`` names units that would
      make it ordinary).
    - ``other_unit``: value and range both fit ``unit`` (not the one written): read them in it.
    - ``range_only``: judge the value against the printed range only (no number is used).
    - ``range_ignored``: use the value as written, but not the printed range.
    """

    verdict: Verdict
    message: str = ""
    unit: str | None = None
    likely: tuple[str, ...] = ()


@dataclass(frozen=True)
class Envelope:
    """The smallest and largest lower and upper reference limits of an analyte (canonical)."""

    low_min: float | None
    low_max: float | None
    high_min: float | None
    high_max: float | None


def reference_envelope(kb: Knowledge, a: Analyte) -> Envelope:
    """The smallest and largest reference limits of the analyte over every age and sex."""
    cache: dict[str, Envelope] = kb.cache.setdefault("reference_envelopes", {})
    if a.id not in cache:
        cache[a.id] = _build_envelope(kb, a)
    return cache[a.id]


def _build_envelope(kb: Knowledge, a: Analyte) -> Envelope:
    lows: list[float] = []
    highs: list[float] = []
    for r in a.reference:
        scale = a.units[r.unit]
        if r.low is not None and r.low > 0:
            lows.append(r.low * scale)
        if r.high is not None:
            highs.append(r.high * scale)
    if a.id == "alp":
        lows += [iv.lower for iv in kb.intervals if iv.lower > 0]
        highs += [iv.upper for iv in kb.intervals]
    return Envelope(
        min(lows) if lows else None,
        max(lows) if lows else None,
        min(highs) if highs else None,
        max(highs) if highs else None,
    )


def _scales(a: Analyte, stated: float) -> list[tuple[float, str]]:
    """One unit for each scale other than the stated one (µkat/L and ukat/L are one scale)."""
    out: dict[float, str] = {}
    for unit, f in a.units.items():
        key = round(f, 9)
        if abs(f - stated) / stated < 1e-9 or key in out:
            continue
        out[key] = unit
    return list(out.items())


def check_value(
    kb: Knowledge,
    analyte_id: str,
    value: float,
    unit: str,
    ref_low: float | None = None,
    ref_high: float | None = None,
) -> ValueCheck:
    """Check a value (and the range printed with it, in the same unit) against its unit.

    ``unit`` must be one the analyte accepts (:func:`lowalp.units.factor` raises otherwise).

    >>> from lowalp.knowledge import load_knowledge
    >>> kb = load_knowledge()
    >>> check_value(kb, "alp", 20, "U/L").verdict
    'ok'
    >>> c = check_value(kb, "alp", 0.35, "U/L", 0.58, 1.74)
    >>> c.verdict, c.unit
    ('other_unit', 'µkat/L')
    >>> check_value(kb, "alp", 0.35, "U/L").likely
    ('µkat/L',)
    """
    a = kb.analytes[analyte_id]
    rule = kb.settings.unit_check
    f = factor(a, unit, kb.unit_synonyms)
    env = reference_envelope(kb, a)
    lo_p, hi_p = a.plausible
    canon = a.canonical_unit

    def possible(v: float) -> bool:
        return lo_p <= v <= hi_p

    def not_implausibly_low(v: float) -> bool:
        return env.low_min is None or v >= env.low_min / rule.value_factor

    def near_reference(v: float) -> bool:
        return (env.low_min is None or v >= env.low_min / rule.range_factor) and (
            env.high_max is None or v <= env.high_max * rule.range_factor
        )

    def range_fits(g: float) -> bool:
        if ref_high is not None and env.high_min is not None and env.high_max is not None:
            hi = ref_high * g
            return env.high_min / rule.range_factor <= hi <= env.high_max * rule.range_factor
        if ref_low is not None and ref_low > 0 and env.low_min is not None:
            lo = ref_low * g
            assert env.low_max is not None
            return env.low_min / rule.range_factor <= lo <= env.low_max * rule.range_factor
        return True

    printed = ref_low is not None or ref_high is not None
    v_ok = possible(value * f) and not_implausibly_low(value * f)
    r_ok = range_fits(f) if printed else True
    if v_ok and r_ok:
        return ValueCheck("ok")
    others = _scales(a, f)
    shown_range = f"{_g(ref_low)}–{_g(ref_high)} {unit}"
    if not r_ok:
        both = [
            (g, u)
            for g, u in others
            if possible(value * g) and near_reference(value * g) and range_fits(g)
        ]
        if len(both) == 1:
            ((g, u),) = both
            conv = f"{_g(_mul(ref_low, g))}–{_g(_mul(ref_high, g))} {canon}"
            return ValueCheck(
                "other_unit",
                f"the printed range {shown_range} only makes sense in {u} ({conv}), and so does "
                f"the value: read as {value:g} {u} = {value * g:.4g} {canon}; check the unit",
                unit=u,
                likely=(u,),
            )
        where = f" (it would in {' or '.join(u for _, u in both)})" if both else ""
        if both or not v_ok:
            return ValueCheck(
                "range_only",
                f"the printed range {shown_range} does not fit {a.name} in {unit}{where}: the "
                "result is judged against the printed range only, not as a number",
                likely=tuple(u for _, u in both),
            )
        return ValueCheck(
            "range_ignored",
            f"the printed range {shown_range} does not fit {a.name} in {unit}, although the "
            f"value does: the value was used, the range was not",
        )
    likely = tuple(
        u
        for g, u in others
        if possible(value * g) and not_implausibly_low(value * g) and near_reference(value * g)
    )
    hint = (
        f"; in {' or '.join(likely)} it would be an ordinary value ({_in(value, a, likely[0])})"
        if likely
        else ""
    )
    if not possible(value * f):
        lo, hi = lo_p / f, hi_p / f
        return ValueCheck(
            "impossible",
            f"{value:g} {unit} is not a possible {a.name} (possible: {lo:g}–{hi:g} {unit}){hint}",
            likely=likely,
        )
    if not likely:
        return ValueCheck("ok")
    assert env.low_min is not None
    return ValueCheck(
        "doubtful",
        f"{value:g} {unit} is implausibly low for {a.name} (under a {rule.value_factor:g}th of "
        f"the lowest reference limit, {env.low_min / f:.3g} {unit}){hint}: check the value and its unit",
        likely=likely,
    )


def _in(value: float, a: Analyte, unit: str) -> str:
    return f"{value:g} {unit} = {value * a.units[unit]:.4g} {a.canonical_unit}"


def _mul(x: float | None, g: float) -> float | None:
    return None if x is None else x * g


def _g(x: float | None) -> str:
    return "" if x is None else f"{x:.4g}"
