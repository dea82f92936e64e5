"""The screen's summary page: ``OUT/summary.html``.

One self-contained HTML file: inline stylesheet, an inline SVG of ALP by age against the
knowledge's age/sex reference band, no script and no external address, so it can be mailed or
archived as it is. Every value reaches the page through Jinja2 with autoescaping on (person ids
come from the input and are not trusted). This module prepares the numbers (counts, chart
geometry, table rows); the markup lives in ``screen/templates/summary.html.j2``.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the dev extra

if TYPE_CHECKING:
    import jinja2

    from lowalp.knowledge import Knowledge

TEMPLATE = "summary.html.j2"
FILENAME = "summary.html"
MAX_POINTS = 5000
"""At most this many ALP values are drawn; the page says how they were chosen."""
TOP_ROWS = 50
AGE_MAX = 100.0
POINT_COLUMNS = ("person_id", "age_years", "sex", "value", "lower_limit", "status")
STATUSES = ("low", "normal", "high", "unknown")

COUNT_LABELS: dict[str, str] = {
    "rows_read": "Rows read",
    "rows_used": "Rows used",
    "rows_rejected": "Rows rejected (see rejects.parquet)",
    "persons_screened": "Persons with an ALP result",
    "persons_low": "Persons with a low-for-age ALP (on the work-list)",
    "persistent": "… persistently low",
    "missed_flags": "… low for age but inside the printed range (missed flags)",
    "run_seconds": "Run time",
    "engine": "Engine",
    "knowledge_version": "Knowledge version",
}
"""The counts the page expects, in display order; other keys are shown after them."""

COUNT_ALIASES = {
    "persons_on_worklist": "persons_low",
    "low_for_age_not_flagged": "missed_flags",
    "elapsed_s": "run_seconds",
}
"""Other names the runner may use for the same counts."""

EXTRA_LABELS = {
    "assess_errors": "Persons whose assessment failed",
    "screen_assess_disagreements": "Screen and assess disagreed (status or persistence)",
    "timings": "Time by step",
    "notes": "Notes",
}
NOT_COUNTS = ("persistence_definition", "rejected_by_reason")
"""Keys shown elsewhere on the page (the definition box; under the rejected rows)."""


# ----------------------------------------------------------------------------- entry point


def write_summary(
    out_dir: Path,
    worklist: pd.DataFrame,
    alp_points: pd.DataFrame,
    counts: Mapping[str, Any],
    *,
    knowledge: Knowledge | None = None,
) -> Path:
    """Write ``out_dir/summary.html`` and return its path.

    ``worklist`` has the work-list columns (one row per person, in priority order);
    ``alp_points`` has one row per ALP value (``person_id, age_years, sex, value, lower_limit,
    status``); ``counts`` has the keys of :data:`COUNT_LABELS` or their
    :data:`COUNT_ALIASES` (missing ones are derived from the work-list where possible, else
    shown as "—"); optional ``rejected_by_reason`` (reason -> rows), ``timings`` (step ->
    seconds), ``notes`` (list of text) and ``persistence_definition`` (overrides the
    knowledge's wording); any other key is listed as given. ``knowledge`` defaults to the
    bundled knowledge base. Empty frames give a page that says so.
    """
    from lowalp.knowledge import load_knowledge

    kb = knowledge or load_knowledge()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FILENAME
    html = render_summary(worklist, alp_points, counts, knowledge=kb)
    path.write_text(html, encoding="utf-8")
    return path


def render_summary(
    worklist: pd.DataFrame,
    alp_points: pd.DataFrame,
    counts: Mapping[str, Any],
    *,
    knowledge: Knowledge,
) -> str:
    """The page as a string (see :func:`write_summary`)."""
    points = sample_points(alp_points)
    usable = len(usable_points(alp_points))
    chart = build_chart(points, knowledge, total=len(alp_points), usable=usable)
    template = _environment().get_template(TEMPLATE)
    return template.render(
        counts=count_rows(counts, worklist, knowledge),
        definition=str(
            counts.get("persistence_definition") or knowledge.settings.persistence.description
        ),
        disclaimer=knowledge.settings.disclaimer,
        version=knowledge.settings.version,
        chart=chart,
        rows=table_rows(worklist, knowledge),
        n_worklist=len(worklist),
        top=TOP_ROWS,
        max_points=MAX_POINTS,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("lowalp.screen", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


# ----------------------------------------------------------------------------- counts


def count_rows(
    counts: Mapping[str, Any], worklist: pd.DataFrame, kb: Knowledge
) -> list[tuple[str, str]]:
    """(label, text) pairs for the counts table, known keys first."""
    values: dict[str, Any] = {COUNT_ALIASES.get(k, k): v for k, v in counts.items()}
    values.setdefault("persons_low", len(worklist))
    if "persistent" not in values and "persistent" in worklist:
        values["persistent"] = int((worklist["persistent"] == True).sum())  # noqa: E712
    if "missed_flags" not in values and "n_low_inside_printed_range" in worklist:
        missed = pd.to_numeric(worklist["n_low_inside_printed_range"], errors="coerce")
        values["missed_flags"] = int((missed.fillna(0) > 0).sum())
    values.setdefault("knowledge_version", kb.settings.version)
    rows: list[tuple[str, str]] = []
    for key, label in COUNT_LABELS.items():
        rows.append((label, _count_text(key, values.get(key))))
        if key == "rows_rejected" and isinstance(values.get("rejected_by_reason"), Mapping):
            for reason, n in values["rejected_by_reason"].items():
                rows.append((f"… {reason}", _count_text(str(reason), n)))
    extra = [k for k in values if k not in COUNT_LABELS and k not in NOT_COUNTS]
    for key in extra:
        label = EXTRA_LABELS.get(key, key.replace("_", " ").capitalize())
        rows.append((label, _count_text(key, values[key])))
    return rows


def _count_text(key: str, value: Any) -> str:
    if isinstance(value, Mapping):
        if key == "timings":
            return (
                ", ".join(
                    f"{str(k).removesuffix('_s')} {_count_text('run_seconds', v)}"
                    for k, v in value.items()
                )
                or "—"
            )
        return "; ".join(f"{k}: {_count_text(str(k), v)}" for k, v in value.items()) or "—"
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value) or "—"
    if _missing(value):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Real):
        x = float(value)
        if key == "run_seconds":
            return _duration(x)
        if x.is_integer():
            return f"{int(x):,}".replace(",", "\u2009")
        return f"{x:.3g}"
    return str(value)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


# ----------------------------------------------------------------------------- chart


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
        status = str(row.status) if not _missing(row.status) else "unknown"
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
    sex = "" if _missing(row.sex) else f" {row.sex}"
    limit = "" if _missing(row.lower_limit) else f" (lower limit {float(row.lower_limit):g})"
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


# ----------------------------------------------------------------------------- work-list table


@dataclass(frozen=True)
class Row:
    priority: str
    person_id: str
    sex: str
    age: str
    low_of_total: str
    missed: str
    persistent: str
    persistent_class: str
    lowest: str
    first_low: str
    last_low: str
    causes: list[tuple[str, str]]
    hpp_probability: str
    reasons: str


def table_rows(worklist: pd.DataFrame, kb: Knowledge, top: int = TOP_ROWS) -> list[Row]:
    """The first ``top`` rows of the work-list, in hpp_priority order, ready to print."""
    if worklist.empty:
        return []
    df = worklist
    if "hpp_priority" in df:
        order = pd.to_numeric(df["hpp_priority"], errors="coerce")
        df = df.assign(_order=order).sort_values("_order", kind="stable", na_position="last")
    rows = []
    for rec in df.head(top).to_dict(orient="records"):
        persistent = rec.get("persistent")
        p_text, p_class = (
            ("unknown", "unknown")
            if _missing(persistent)
            else ("yes", "yes")
            if bool(persistent)
            else ("no", "no")
        )
        causes = []
        for i in (1, 2, 3):
            cause = rec.get(f"cause_{i}")
            if _missing(cause):
                continue
            name = kb.causes[cause].name if cause in kb.causes else str(cause)
            causes.append((name, _pct(rec.get(f"cause_{i}_probability"))))
        rows.append(
            Row(
                priority=_int_text(rec.get("hpp_priority")),
                person_id=_text(rec.get("person_id")),
                sex=_text(rec.get("sex")),
                age=_num(rec.get("age_at_index"), "{:.1f}"),
                low_of_total=f"{_int_text(rec.get('n_low'))}/{_int_text(rec.get('n_alp'))}",
                missed=_int_text(rec.get("n_low_inside_printed_range")),
                persistent=p_text,
                persistent_class=p_class,
                lowest=_num(rec.get("lowest_alp"), "{:g}"),
                first_low=_date(rec.get("first_low_date")),
                last_low=_date(rec.get("last_low_date")),
                causes=causes,
                hpp_probability=_pct(rec.get("hpp_probability")),
                reasons=_text(rec.get("hpp_priority_reasons"), blank=""),
            )
        )
    return rows


def _missing(x: Any) -> bool:
    if x is None:
        return True
    return bool(pd.api.types.is_scalar(x) and pd.isna(x))


def _text(x: Any, blank: str = "—") -> str:
    return blank if _missing(x) else str(x)


def _int_text(x: Any) -> str:
    if _missing(x):
        return "—"
    try:
        return str(int(x))
    except (TypeError, ValueError):
        return str(x)


def _num(x: Any, fmt: str) -> str:
    if _missing(x):
        return "—"
    try:
        return fmt.format(float(x))
    except (TypeError, ValueError):
        return str(x)


def _pct(x: Any) -> str:
    if _missing(x):
        return "—"
    try:
        p = float(x)
    except (TypeError, ValueError):
        return str(x)
    return "<1%" if 0 < p < 0.01 else f"{p * 100:.0f}%"


def _date(x: Any) -> str:
    if _missing(x):
        return "—"
    if isinstance(x, dt.datetime | dt.date | pd.Timestamp):
        return x.strftime("%Y-%m-%d")
    return str(x)
