"""Planted patients: for each cause id of DESIGN.md, rows that show the pattern the cause implies.

There is no medication, event or condition table in this synthetic data: estrogen therapy and
"other medication" show only as a mild, persistent low ALP, and surgery, transfusion and acute
illness only through the laboratory pattern around a transient fall (low albumin and
haemoglobin, high CRP), so a screen can at best rank them, not prove them.

A planted person is "persistent" when the rows meet the knowledge's persistence rule (at least
``min_low_values`` low ALP values, first to last at least ``min_span_days`` apart, the newest
low and nothing normal in between); otherwise the ALP fell from normal, stayed low only days,
or recovered, and ``persistent`` is false.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lowalp.screen.synth.tables import INDEX, Tables

CAUSES: tuple[str, ...] = (
    "hypophosphatasia",
    "wilson_disease",
    "cardiac_surgery",
    "transfusion",
    "acute_illness",
    "edta_contamination",
    "hypothyroidism",
    "b12_deficiency",
    "malnutrition",
    "zinc_deficiency",
    "magnesium_deficiency",
    "estrogen_therapy",
    "other_medication",
    "hypoparathyroidism",
    "milk_alkali_syndrome",
    "scurvy",
    "celiac_disease",
    "severe_anemia",
)
ACUTE = {"wilson_disease", "cardiac_surgery", "transfusion", "acute_illness", "edta_contamination"}

# Abnormal co-analytes per cause, canonical units, drawn uniformly from (low, high).
PATTERN: dict[str, dict[str, tuple[float, float]]] = {
    "hypophosphatasia": {},
    "wilson_disease": {
        "bilirubin_total": (8, 30),
        "ast": (150, 600),
        "ceruloplasmin": (3, 12),
        "hemoglobin": (7, 10),
        "inr": (1.6, 3.5),
        "urine_copper_24h": (150, 800),
    },
    "cardiac_surgery": {"albumin": (2.3, 3.0), "hemoglobin": (8.5, 10.5), "crp": (50, 200)},
    "transfusion": {"hemoglobin": (6.5, 8.5), "albumin": (2.8, 3.4), "crp": (6, 40)},
    "acute_illness": {"crp": (100, 350), "albumin": (2.0, 2.8), "hemoglobin": (9.5, 11.5)},
    "edta_contamination": {
        "potassium": (6.5, 12),
        "calcium": (4, 7.5),
        "zinc": (15, 45),
        "magnesium": (0.8, 1.3),
    },
    "hypothyroidism": {"tsh": (12, 80), "free_t4": (0.3, 0.8)},
    "b12_deficiency": {
        "b12": (60, 170),
        "mcv": (102, 120),
        "mma": (0.6, 2.0),
        "hemoglobin": (9.5, 11.4),
    },
    "malnutrition": {
        "albumin": (2.2, 3.2),
        "total_protein": (4.5, 5.8),
        "prealbumin": (5, 15),
        "bmi": (14, 17.5),
    },
    "zinc_deficiency": {"zinc": (25, 55)},
    "magnesium_deficiency": {"magnesium": (0.7, 1.3)},
    "estrogen_therapy": {},
    "other_medication": {},
    "hypoparathyroidism": {"pth": (2, 10), "calcium": (6.0, 7.8), "phosphate": (5.0, 6.5)},
    "milk_alkali_syndrome": {"calcium": (11.5, 15), "pth": (2, 10), "creatinine": (1.6, 3.5)},
    "scurvy": {"vitamin_c": (0.02, 0.15)},
    "celiac_disease": {"ttg_iga": (20, 200), "ferritin": (3, 12), "hemoglobin": (9.5, 11.4)},
    "severe_anemia": {"hemoglobin": (5.0, 7.8)},
}
ROUTINE = ("alp", "albumin", "calcium", "creatinine", "potassium", "sodium", "hemoglobin")
# (chance of a child, child age range, adult age range) in years at the end of the window.
AGES: dict[str, tuple[float, tuple[float, float], tuple[float, float]]] = {
    "hypophosphatasia": (0.3, (1.5, 16), (20, 75)),
    "wilson_disease": (0.3, (8, 17.5), (18, 35)),
    "celiac_disease": (0.3, (3, 17), (18, 60)),
    "malnutrition": (0.2, (2, 17), (20, 90)),
    "estrogen_therapy": (0.0, (0, 0), (18, 55)),
}
DEFAULT_AGES = (0.05, (5, 17), (20, 90))


@dataclass(frozen=True)
class Plant:
    """One planted person: rows (day, analyte index, canonical value) and the truth."""

    days: list[int]
    analytes: list[int]
    values: list[float]
    persistent: bool


def plant_age(cause: str, rng: np.random.Generator) -> tuple[float, bool | None]:
    """Age at the window's end and a forced sex (True = male, None = keep)."""
    p_child, child, adult = AGES.get(cause, DEFAULT_AGES)
    lo, hi = child if rng.random() < p_child else adult
    return float(rng.uniform(lo, hi)), (False if cause == "estrogen_therapy" else None)


def plant(
    cause: str,
    *,
    male: bool,
    birth_day: int,
    window: tuple[int, int],
    tables: Tables,
    rng: np.random.Generator,
) -> Plant:
    t = tables
    s = int(male)
    first, end = window
    days: list[int] = []
    ans: list[int] = []
    vals: list[float] = []

    def age(day: int) -> float:
        return (day - birth_day) / 365.25

    def limits(a: str, day: int) -> tuple[float, float]:
        b = t.bin1(age(day))
        return float(t.gen_low[INDEX[a], s, b]), float(t.gen_high[INDEX[a], s, b])

    def normal(a: str, day: int) -> float:
        lo, hi = limits(a, day)
        return lo + (hi - lo) * float(rng.uniform(0.35, 0.65))

    def panel(day: int, alp: Callable[[float], float] | None, abnormal: bool) -> None:
        day = min(max(day, first, birth_day + 1), end)
        extra = PATTERN[cause] if abnormal else {}
        for a in dict.fromkeys((*ROUTINE, *extra)):
            if a == "alp":
                if alp is None:
                    continue
                lo, _ = limits("alp", day)
                v = alp(lo)
            elif a in extra:
                v = float(rng.uniform(*extra[a]))
            else:
                v = normal(a, day)
            days.append(day)
            ans.append(INDEX[a])
            vals.append(v)

    def normal_alp(lo: float) -> float:
        hi = limits("alp", day_now[0])[1]
        return lo + (hi - lo) * float(rng.uniform(0.3, 0.6))

    day_now = [end]
    index_day = end - int(rng.integers(0, 45))
    child = age(index_day) < 18

    if cause == "hypophosphatasia":
        when = _series(
            index_day,
            max(first, birth_day + 1),
            int(rng.integers(t.min_low_values, 6)),
            (40, 200),
            t,
            rng,
        )
        for w in when:
            day_now[0] = w
            if child:
                panel(w, lambda lo: lo * float(rng.uniform(0.3, 0.6)), False)
            else:
                panel(w, lambda lo: min(float(rng.uniform(8, 25)), 0.75 * lo), False)
        if rng.random() < 0.6:
            _add(days, ans, vals, when[-1], "plp", float(rng.uniform(190, 600)))
        if rng.random() < 0.4:
            _add(days, ans, vals, when[-1], "urine_pea", float(rng.uniform(40, 200)))
        return Plant(days, ans, vals, True)

    if cause in ACUTE:
        # Normal before; the event; for EDTA a normal repeat, otherwise recovery in half.
        base = index_day - int(rng.integers(60, 300))
        if cause != "wilson_disease" or rng.random() < 0.5:
            day_now[0] = base
            panel(base, normal_alp, False)
        event = index_day - (int(rng.integers(25, 60)) if rng.random() < 0.5 else 0)
        n_low = 1 if cause == "edta_contamination" else int(rng.integers(1, 4))
        for j in range(n_low):
            day_now[0] = event + 2 * j
            if cause == "wilson_disease":
                wil = float(rng.uniform(10, 30))
                panel(event + 2 * j, functools.partial(_capped, wil, 0.6), True)
                # keep ALP (U/L) / bilirubin (mg/dL) below 4
                bi = INDEX["bilirubin_total"]
                for i in range(len(ans) - 1, -1, -1):
                    if ans[i] == bi and days[i] == days[-1]:
                        vals[i] = max(vals[i], wil / 3.0)
                        break
                _ratio_ast_alt(days, ans, vals, rng)
            else:
                panel(event + 2 * j, lambda lo: lo * float(rng.uniform(0.35, 0.7)), True)
        if cause == "edta_contamination" or event < index_day:
            rep = event + (
                int(rng.integers(1, 8))
                if cause == "edta_contamination"
                else int(rng.integers(20, 45))
            )
            day_now[0] = rep
            if rep <= end:
                panel(rep, normal_alp, False)
        return Plant(days, ans, vals, False)

    # Chronic causes: persistent (several lows over months) or one low after normal values.
    lower = 0.75 if cause in ("estrogen_therapy", "other_medication") else 0.55
    if rng.random() < 0.75:
        when = _series(
            index_day,
            max(first, birth_day + 1),
            int(rng.integers(t.min_low_values, 5)),
            (35, 150),
            t,
            rng,
        )
        for w in when:
            day_now[0] = w
            panel(w, lambda lo: lo * float(rng.uniform(lower, 0.85)), True)
        return Plant(days, ans, vals, True)
    for j in range(int(rng.integers(1, 3))):
        w = index_day - int(rng.integers(90, 400)) - 200 * j
        day_now[0] = w
        panel(w, normal_alp, False)
    day_now[0] = index_day
    panel(index_day, lambda lo: lo * float(rng.uniform(lower, 0.85)), True)
    return Plant(days, ans, vals, False)


def _add(days: list[int], ans: list[int], vals: list[float], day: int, a: str, v: float) -> None:
    days.append(day)
    ans.append(INDEX[a])
    vals.append(v)


def _ratio_ast_alt(
    days: list[int], ans: list[int], vals: list[float], rng: np.random.Generator
) -> None:
    """Wilson's acute liver failure: AST well above ALT (ratio > 2.2)."""
    ast = next(i for i in range(len(ans) - 1, -1, -1) if ans[i] == INDEX["ast"])
    _add(days, ans, vals, days[ast], "alt", vals[ast] / float(rng.uniform(2.6, 5.0)))


def _series(
    last: int, start: int, k: int, gap: tuple[int, int], t: Tables, rng: np.random.Generator
) -> list[int]:
    """k days ending at ``last``, no earlier than ``start``, first to last >= the rule's span."""
    gaps = rng.integers(gap[0], gap[1], size=k - 1).astype(np.float64)
    room = last - start
    need = t.min_span_days + 2
    if gaps.sum() > room:
        gaps *= room / gaps.sum()
    if gaps.sum() < need:
        gaps *= need / max(gaps.sum(), 1.0)
    offsets = np.concatenate(([0.0], np.cumsum(gaps[::-1])))
    return [last - round(o) for o in offsets[::-1]]


def _capped(value: float, fraction: float, lower_limit: float) -> float:
    return min(value, fraction * lower_limit)
