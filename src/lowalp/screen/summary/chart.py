"""The summary page's chart: ALP by age against the knowledge's age/sex reference bands.

:func:`sample_points` picks at most :data:`MAX_POINTS` values to draw (low values first);
:func:`build_chart` turns them into SVG geometry (bands, markers, ticks) for the template.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the dev extra

from lowalp.screen.summary.cells import missing

if TYPE_CHECKING:
    from lowalp.knowledge import Knowledge

MAX_POINTS = 5000
"""At most this many ALP values are drawn; the page says how they were chosen."""
AGE_MAX = 100.0
POINT_COLUMNS = ("person_id", "age_years", "sex", "value", "lower_limit", "status")
STATUSES = ("low", "normal", "high", "unknown")


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    status: str
    marker: str
    label: str
    clipped: bool


@dataclass(frozen=True)
class BandRect:
    sex: str
    x: float
    width: float
    y_lower: float
    y_upper: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    y_max: float
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    bands: list[BandRect]
    points: list[Point]
    total: int
    usable: int
    drawn: int
    n_low_drawn: int
    clipped: int
    skipped: int
    sampled: bool
    desc: str

    @property
    def plot_bottom(self) -> int:
        return self.height - self.bottom

    @property
    def plot_right(self) -> int:
        return self.width - self.right


def sample_points(
    alp_points: pd.DataFrame, max_points: int = MAX_POINTS, seed: int = 0
) -> pd.DataFrame:
    """At most ``max_points`` rows with a usable age and value, chosen reproducibly.

    Low values are what the page is about, so they keep up to half the budget; the rest is a
    random sample of the other values. Below the budget every usable row is kept.
    """
    df = usable_points(alp_points)
    if len(df) <= max_points:
        return df
    is_low = df["status"].astype("string").fillna("unknown") == "low"
    low, other = df[is_low], df[~is_low]
    n_low = min(len(low), max(max_points // 2, max_points - len(other)))
    n_other = min(len(other), max_points - n_low)
    return pd.concat(
        [low.sample(n=n_low, random_state=seed), other.sample(n=n_other, random_state=seed)]
    )


def usable_points(alp_points: pd.DataFrame) -> pd.DataFrame:
    """The rows that can be drawn: numeric age and value (other columns as given)."""
    if alp_points.empty:
        return pd.DataFrame(columns=list(POINT_COLUMNS))
    missing = [c for c in POINT_COLUMNS if c not in alp_points]
    if missing:
        raise ValueError(f"alp_points lacks column(s) {', '.join(missing)}")
    df = alp_points.loc[:, list(POINT_COLUMNS)].copy()
    df["age_years"] = pd.to_numeric(df["age_years"], errors="coerce")
    df["value"] = pd.to_numeric(df["value"], errors="coerce")
    return df[df["age_years"].notna() & df["value"].notna()]


def build_chart(points: pd.DataFrame, kb: Knowledge, *, total: int, usable: int) -> Chart:
    """Geometry for ALP (y, U/L) by age (x, 0–100 years) with the F and M reference bands."""
    width, height, left, right, top, bottom = 900, 440, 64, 20, 20, 48
    plot_w, plot_h = width - left - right, height - top - bottom

    values = [float(v) for v in points["value"]] if not points.empty else []
    band_top = max((iv.upper for iv in kb.intervals if iv.age_min < AGE_MAX), default=500.0)
    high_q = float(pd.Series(values).quantile(0.99)) if values else 0.0
    y_max = _nice_ceiling(min(max(band_top, high_q) * 1.05, 2000.0))

    def sx(age: float) -> float:
        return left + min(max(age, 0.0), AGE_MAX) / AGE_MAX * plot_w

    def sy(value: float) -> float:
        return top + (1 - min(max(value, 0.0), y_max) / y_max) * plot_h

    bands = []
    for sex in ("F", "M"):
        for iv in kb.intervals:
            if iv.sex not in (None, sex) or iv.age_min >= AGE_MAX:
                continue
            x0, x1 = sx(iv.age_min), sx(min(iv.age_max, AGE_MAX))
            who = {"F": "females", "M": "males"}[sex]
            bands.append(
                BandRect(
                    sex=sex,
                    x=x0,
                    width=max(x1 - x0, 0.5),
                    y_lower=sy(iv.lower),
                    y_upper=sy(iv.upper),
                    label=f"{who}: {iv.describe()}",
                )
            )

    drawn: list[Point] = []
    clipped = 0
    for row in points.itertuples(index=False):
        age, value = float(row.age_years), float(row.value)
        status = str(row.status) if not missing(row.status) else "unknown"
        status = status if status in STATUSES else "unknown"
        over = value > y_max
        clipped += over
        x, y = sx(age), sy(value)
        drawn.append(
            Point(
                x=x,
                y=y,
                status=status,
                marker=_marker(status, x, y),
                label=_point_label(row, age, value, status),
                clipped=over,
            )
        )
    drawn.sort(key=lambda p: p.status == "low")  # low values drawn last, on top
    n_low = sum(p.status == "low" for p in drawn)
    skipped = max(total - usable, 0)
    sampled = usable > len(drawn)
    desc = (
        f"{len(drawn)} ALP values by age ({n_low} low) against the age/sex reference intervals"
        + (f"; a sample of {usable} values" if sampled else "")
    )
    y_step = _nice_step(y_max / 6)
    y_ticks = [(sy(v), f"{v:g}") for v in _frange(0, y_max, y_step)]
    x_ticks = [(sx(a), f"{a:g}") for a in range(0, 101, 10)]
    return Chart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        y_max=y_max,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        bands=bands,
        points=drawn,
        total=total,
        usable=usable,
        drawn=len(drawn),
        n_low_drawn=n_low,
        clipped=clipped,
        skipped=skipped,
        sampled=sampled,
        desc=desc,
    )


def _point_label(row: Any, age: float, value: float, status: str) -> str:
    sex = "" if missing(row.sex) else f" {row.sex}"
    limit = "" if missing(row.lower_limit) else f" (lower limit {float(row.lower_limit):g})"
    return f"person {row.person_id}{sex}, {age:.1f} y: {value:g} U/L{limit}, {status}"


def _marker(status: str, x: float, y: float, r: float = 3.2) -> str:
    """Status by shape too: low ▼, high ▲, unknown ■, normal ●."""
    if status == "low":
        return f"M{x - r:.1f},{y - r * 0.8:.1f}L{x + r:.1f},{y - r * 0.8:.1f}L{x:.1f},{y + r:.1f}Z"
    if status == "high":
        return f"M{x - r:.1f},{y + r * 0.8:.1f}L{x + r:.1f},{y + r * 0.8:.1f}L{x:.1f},{y - r:.1f}Z"
    if status == "unknown":
        s = r * 0.8
        return f"M{x - s:.1f},{y - s:.1f}h{2 * s:.1f}v{2 * s:.1f}h{-2 * s:.1f}Z"
    c = r * 0.85
    return f"M{x - c:.1f},{y:.1f}a{c:.1f},{c:.1f} 0 1,0 {2 * c:.1f},0a{c:.1f},{c:.1f} 0 1,0 {-2 * c:.1f},0Z"


def _nice_step(raw: float) -> float:
    if raw <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def _nice_ceiling(x: float) -> float:
    step = _nice_step(x / 6)
    return math.ceil(x / step) * step


def _frange(start: float, stop: float, step: float) -> Iterable[float]:
    n = math.floor((stop - start) / step + 1e-9)
    return [start + i * step for i in range(n + 1)]
