"""Per-analyte lookup tables for the generator, built once from the bundled knowledge.

Every table is indexed by analyte position (the order of ``concepts.ANALYTES``), sex (0 = F,
1 = M) and an age bin (breakpoints taken from the knowledge's own age partitions), so a block
of rows is judged with a few array look-ups and no Python loop.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.screen.synth.concepts import ANALYTES, SynthIds, synth_ids

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

INDEX: dict[str, int] = {a: i for i, a in enumerate(ANALYTES)}

# Chance that an analyte is on a panel (a panel is one blood draw's set of tests).
PANEL_P: dict[str, float] = {
    "alp": 0.8,
    "albumin": 0.55,
    "total_protein": 0.35,
    "calcium": 0.45,
    "creatinine": 0.6,
    "sodium": 0.5,
    "potassium": 0.55,
    "bilirubin_total": 0.35,
    "ast": 0.35,
    "alt": 0.4,
    "ggt": 0.15,
    "hemoglobin": 0.45,
    "mcv": 0.35,
    "crp": 0.2,
    "tsh": 0.12,
    "free_t4": 0.05,
    "ferritin": 0.08,
    "b12": 0.05,
    "folate": 0.04,
    "magnesium": 0.1,
    "phosphate": 0.12,
    "vitamin_d_25oh": 0.06,
    "bmi": 0.05,
    "pth": 0.02,
    "zinc": 0.01,
    "copper": 0.005,
    "ceruloplasmin": 0.003,
    "inr": 0.05,
    "ttg_iga": 0.005,
    "vitamin_c": 0.003,
    "mma": 0.005,
    "ionized_calcium": 0.02,
    "prealbumin": 0.005,
    "plp": 0.003,
    "urine_pea": 0.001,
    "bone_alp": 0.005,
    "urine_copper_24h": 0.001,
}
LOGNORMAL = {
    "crp",
    "ttg_iga",
    "folate",
    "bilirubin_total",
    "urine_pea",
    "mma",
    "ferritin",
    "tsh",
    "b12",
    "pth",
    "plp",
    "urine_copper_24h",
    "ggt",
}
# Generation ranges where the knowledge gives none or a one-sided one (canonical units).
GEN_OVERRIDE: dict[str, tuple[float, float]] = {
    "crp": (0.3, 5.0),
    "ttg_iga": (0.3, 3.0),
    "folate": (5.9, 24.0),
    "bilirubin_total": (0.2, 1.2),
    "urine_pea": (4.0, 25.0),
    "inr": (0.9, 1.2),
}
# Values below these (canonical) are printed censored, '<limit', with operator '<'.
CENSOR: dict[str, float] = {"alp": 5.0, "crp": 0.3, "tsh": 0.01, "ttg_iga": 1.0}

# Four laboratories with their own habits. policy: 0 prints the adult range for everyone
# (children included), 1 prints the range for age, 2 prints no range.
LAB_P = (0.35, 0.30, 0.15, 0.20)
LAB_POLICY = (0, 1, 2, 1)
_SI = {
    "albumin": "g/L",
    "total_protein": "g/L",
    "hemoglobin": "g/L",
    "calcium": "mmol/L",
    "phosphate": "mmol/L",
    "magnesium": "mmol/L",
    "creatinine": "µmol/L",
    "bilirubin_total": "µmol/L",
    "b12": "pmol/L",
    "folate": "nmol/L",
    "vitamin_d_25oh": "nmol/L",
    "zinc": "µmol/L",
    "copper": "µmol/L",
    "vitamin_c": "µmol/L",
    "free_t4": "pmol/L",
    "pth": "pmol/L",
    "ceruloplasmin": "g/L",
    "ionized_calcium": "mmol/L",
    "ferritin": "µg/L",
    "urine_pea": "mmol/mol creatinine",
}
_LAB_UNITS: tuple[dict[str, str], ...] = (
    {},  # US conventional
    _SI,
    {"alp": "IU/L"},
    {
        **{k: v.replace("µ", "u") for k, v in _SI.items()},
        "alp": "ukat/L",
        "ast": "ukat/L",
        "alt": "ukat/L",
    },
)
EXTRA_DECIMAL_UNITS = {"ukat/L"}


@dataclass(frozen=True)
class Tables:
    breaks: F64  # age-bin lower edges (years)
    gen_low: F64  # [analyte, sex, bin] canonical
    gen_high: F64
    ref_low: F64  # printed 'range for age' (NaN = not printed)
    ref_high: F64
    adult_low: F64  # [analyte, sex] the adult range a lab prints for everyone
    adult_high: F64
    lognormal: npt.NDArray[np.bool_]
    panel_p: F64
    censor: F64  # [analyte] canonical, NaN = none
    units: tuple[str, ...]  # every printed unit string
    unit_idx: I64  # [analyte, lab] -> units index
    factor: F64  # [analyte, lab] multiply printed -> canonical
    decimals: I64  # [analyte, lab]
    unit_concept: I64  # [units index]
    ids: SynthIds
    min_low_values: int
    min_span_days: float
    breaks_t: tuple[float, ...]

    def bin1(self, age: float) -> int:
        """The age bin of one age (a scalar look-up, for planted persons)."""
        return min(max(bisect.bisect_right(self.breaks_t, age) - 1, 0), len(self.breaks_t) - 1)

    def bins(self, age: F64) -> I64:
        return np.clip(np.searchsorted(self.breaks, age, side="right") - 1, 0, len(self.breaks) - 1)


def build_tables(knowledge: Knowledge | None = None) -> Tables:
    kb = knowledge if knowledge is not None else load_knowledge()
    ids = synth_ids(kb)
    edges: set[float] = {0.0}
    for iv in kb.intervals:
        edges.update((iv.age_min, iv.age_max))
    for a in ANALYTES:
        for r in kb.analytes[a].reference:
            edges.update((r.age_min, r.age_max))
    breaks = np.array(sorted(e for e in edges if e < 150), dtype=np.float64)
    mids = np.append((breaks[:-1] + breaks[1:]) / 2, breaks[-1] + 1)
    na, nb = len(ANALYTES), len(breaks)
    shape = (na, 2, nb)
    rl, rh = np.full(shape, np.nan), np.full(shape, np.nan)
    for i, a in enumerate(ANALYTES):
        an = kb.analytes[a]
        for s, sex in enumerate(("F", "M")):
            for b, age in enumerate(mids):
                if a == "alp":
                    iv = next(
                        x
                        for x in kb.intervals
                        if x.sex in (None, sex) and x.age_min <= age < x.age_max
                    )
                    rl[i, s, b], rh[i, s, b] = iv.lower, iv.upper
                    continue
                rr = [
                    r
                    for r in an.reference
                    if r.sex in (None, sex)
                    and r.age_min <= age < r.age_max
                    and (r.low is not None or r.high is not None)
                ]
                if not rr or rr[0].high is None:
                    # Children: labs print (and we centre on) the adult range; a threshold
                    # without an upper limit (WHO anaemia cut-offs) is not a printed range.
                    rr = [
                        r
                        for r in an.reference
                        if r.sex in (None, sex) and r.age_min <= 40 < r.age_max
                    ]
                if rr:
                    f = an.units[rr[0].unit]
                    lo, hi = rr[0].low, rr[0].high
                    rl[i, s, b] = np.nan if lo is None else lo * f
                    rh[i, s, b] = np.nan if hi is None else hi * f
    gl, gh = rl.copy(), rh.copy()
    for a, (lo, hi) in GEN_OVERRIDE.items():
        gl[INDEX[a]], gh[INDEX[a]] = lo, hi
    gl, gh = np.where(np.isnan(gl), gh * 0.3, gl), np.where(np.isnan(gh), gl * 3, gh)
    if np.isnan(gl).any() or np.isnan(gh).any():
        missing = [ANALYTES[i] for i in np.unique(np.nonzero(np.isnan(gl) | np.isnan(gh))[0])]
        raise ValueError(f"synth: no generation range for {missing}")
    adult_bin = int(np.searchsorted(breaks, 40.0, side="right") - 1)

    units: list[str] = []
    nl = len(_LAB_UNITS)
    unit_idx = np.zeros((na, nl), dtype=np.int64)
    factor = np.ones((na, nl))
    decimals = np.zeros((na, nl), dtype=np.int64)
    for i, a in enumerate(ANALYTES):
        an = kb.analytes[a]
        for lab, pref in enumerate(_LAB_UNITS):
            u = pref.get(a, an.canonical_unit)
            if u not in an.units:
                u = an.canonical_unit
            if u not in units:
                units.append(u)
            unit_idx[i, lab] = units.index(u)
            factor[i, lab] = an.units[u]
            typical = (gl[i, 0, adult_bin] + gh[i, 0, adult_bin]) / 2 / an.units[u]
            d = 1 - math.floor(math.log10(typical)) + (u in EXTRA_DECIMAL_UNITS)
            decimals[i, lab] = min(max(d, 0), 3)
    return Tables(
        breaks=breaks,
        gen_low=gl,
        gen_high=gh,
        ref_low=rl,
        ref_high=rh,
        adult_low=rl[:, :, adult_bin].copy(),
        adult_high=rh[:, :, adult_bin].copy(),
        lognormal=np.array([a in LOGNORMAL for a in ANALYTES]),
        panel_p=np.array([PANEL_P[a] for a in ANALYTES]),
        censor=np.array([CENSOR.get(a, np.nan) for a in ANALYTES]),
        units=tuple(units),
        unit_idx=unit_idx,
        factor=factor,
        decimals=decimals,
        unit_concept=np.array([ids.units.get(u, 0) for u in units], dtype=np.int64),
        ids=ids,
        min_low_values=kb.settings.persistence.min_low_values,
        min_span_days=kb.settings.persistence.min_span_days,
        breaks_t=tuple(float(x) for x in breaks),
    )
