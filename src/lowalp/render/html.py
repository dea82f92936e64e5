"""The report as one self-contained HTML file, for a clinician or (``audience="patient"``) in
plain language.

Everything is inline: the stylesheet sits in a ``<style>`` element, the ALP chart is inline SVG,
and there is no script and nothing fetched from the network, so the file can be mailed, archived
or printed as it is. Markup lives in ``render/templates/``; this module only prepares the numbers
(chart geometry, anchors, wording shared with the terminal report) and every value reaches the
page through Jinja2 with autoescaping on.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from lowalp.model import (
    AlpStatus,
    Assessment,
    CauseResult,
    Evidence,
    NextTest,
    Status,
)
from lowalp.render.common import (
    PATIENT_TESTS,
    Step,
    Voice,
    alp_line,
    as_reported,
    brief_causes,
    ceiling_note,
    day,
    folded_line,
    folded_tests,
    is_low,
    leading,
    likelihood_word,
    limit_source_words,
    management_pointers,
    next_steps,
    not_low_note,
    num,
    patient_causes,
    patient_questions,
    pct,
    persistence_line,
    plain_answer,
    plain_disclaimer,
    plain_likelihood,
    plain_test,
    pointer_sources,
    shown_tests,
    summary_line,
    urgent_actions,
    urgent_plain,
    voice,
    voiced,
)
from lowalp.render.templating import template_environment

if TYPE_CHECKING:
    import jinja2

Audience = Literal["clinician", "patient"]
Detail = Literal["brief", "full"]

TEMPLATE = "report.html.j2"
MAX_COST = 5
"""Relative cost runs from 1 (£) to 5 (£££££)."""

STATUS_WORD: dict[Status, str] = {
    "low": "low",
    "normal": "within limits",
    "high": "high",
    "unknown": "status unknown",
}
STATUS_PLAIN: dict[Status, str] = {
    "low": "lower than usual",
    "normal": "in the usual range",
    "high": "higher than usual",
    "unknown": "hard to judge",
}


def render_html(
    a: Assessment, *, audience: Audience = "clinician", detail: Detail = "brief"
) -> str:
    """Render ``a`` as one HTML5 document (a ``str``), with no external resources.

    ``audience="patient"`` gives the plain-language version: no weights, no jargon, the same
    chart, and questions to take to the doctor. The clinician's page reads brief (warnings and
    what was not understood, the ALP, artefacts, urgent actions, the leading causes and the
    next steps) with everything else under "Show all evidence", a ``<details>`` that works
    without a script: ``detail="full"`` opens it (and prints it); closed, it is not printed.
    """
    if audience not in ("clinician", "patient"):
        raise ValueError(f"audience must be 'clinician' or 'patient', not {audience!r}")
    if detail not in ("brief", "full"):
        raise ValueError(f"detail must be 'brief' or 'full', not {detail!r}")
    template = _environment().get_template(TEMPLATE)
    return template.render(a=a, audience=audience, detail=detail, v=_view(a))


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = template_environment("lowalp.render")
    env.filters.update(
        pct=pct,
        num=num,
        day=day,
        likelihood=likelihood_word,
        ceiling_note=ceiling_note,
        signed=_signed,
        lr=_lr,
        bar=_bar_width,
        anchor=anchor,
        status_word=lambda s: STATUS_WORD.get(s, str(s)),
        status_plain=lambda s: STATUS_PLAIN.get(s, str(s)),
        plain_likelihood=plain_likelihood,
        plain_test=plain_test,
        voiced=voiced,
    )
    env.tests["web_url"] = is_web_url
    env.globals.update(MAX_COST=MAX_COST)
    return env


# ----------------------------------------------------------------------------- wording


def anchor(source_id: str) -> str:
    """A fragment identifier for a source, safe inside ``href`` and ``id``.

    >>> anchor("Whyte 2016 (HPP)")
    'src-Whyte-2016-HPP'
    """
    return "src-" + (re.sub(r"[^A-Za-z0-9_.:-]+", "-", source_id).strip("-") or "x")


def is_web_url(url: str | None) -> bool:
    """Only ``http(s)`` addresses become links; anything else (``javascript:`` …) stays text."""
    return url is not None and url.lower().startswith(("https://", "http://"))


def _signed(x: float) -> str:
    """A weight with its sign: ``+1.10``, ``−0.51``, ``0.00``."""
    if x == 0:
        return "0.00"
    return f"{'+' if x > 0 else '−'}{abs(x):.2f}"


def _lr(w: float) -> str:
    """The likelihood ratio behind a weight (weights are natural logs of it)."""
    try:
        ratio = math.exp(w)
    except OverflowError:
        return "LR >1000"
    return f"LR {num(ratio)}" if ratio < 1000 else "LR >1000"


def _bar_width(p: float) -> str:
    """A CSS width for a probability bar, clamped to 0–100%."""
    return f"{min(max(p, 0.0), 1.0) * 100:.1f}%"


def _who(a: Assessment) -> str:
    age = f"{a.age_years:.3g} years" if a.age_years is not None else "age not given"
    sex = {"F": "female", "M": "male", None: "sex not given"}[a.patient.sex]
    return f"{age}, {sex}"


def _summary(a: Assessment) -> str:
    if a.causes or a.artifacts or not is_low(a):
        return summary_line(a)
    shown = f"{num(a.alp.value)} U/L" if a.alp.value is not None else a.alp.reported
    return f"ALP {shown} {a.alp.status}; no explanation could be ranked"


# ----------------------------------------------------------------------------- chart


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    status: Status
    marker: str
    """SVG path data for the marker; its shape repeats the status (not colour alone)."""
    value: str
    label: str


@dataclass(frozen=True)
class Segment:
    """The reference limits in force around one measurement."""

    x: float
    width: float
    y_lower: float | None
    y_upper: float | None


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    points: tuple[Point, ...]
    segments: tuple[Segment, ...]
    x_ticks: tuple[tuple[float, str], ...]
    y_ticks: tuple[tuple[float, str], ...]
    index_x: float | None
    omitted: int
    title: str
    desc: str
    statuses: tuple[Status, ...] = field(default=())
    label_points: bool = True
    """Whether each marker carries its value (not when they would crowd the plot)."""


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering ``lo``–``hi``, about ``n`` of them.

    >>> nice_ticks(0, 130)
    [0.0, 50.0, 100.0]
    >>> nice_ticks(-200, 0)
    [-200.0, -150.0, -100.0, -50.0, 0.0]
    """
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks: list[float] = []
    t = first
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 10) + 0.0)
        t += step
    return ticks


def _marker(status: Status, x: float, y: float, r: float = 5.5) -> str:
    if status == "low":  # triangle pointing down
        return f"M{x - r:.1f},{y - r * 0.8:.1f}L{x + r:.1f},{y - r * 0.8:.1f}L{x:.1f},{y + r:.1f}Z"
    if status == "high":  # triangle pointing up
        return f"M{x - r:.1f},{y + r * 0.8:.1f}L{x + r:.1f},{y + r * 0.8:.1f}L{x:.1f},{y - r:.1f}Z"
    if status == "unknown":  # square
        s = r * 0.85
        return f"M{x - s:.1f},{y - s:.1f}h{2 * s:.1f}v{2 * s:.1f}h{-2 * s:.1f}Z"
    arc = f"a{r:.1f},{r:.1f} 0 1,0"  # a circle, as two half arcs
    return f"M{x - r:.1f},{y:.1f}{arc} {2 * r:.1f},0{arc} {-2 * r:.1f},0Z"


WIDE, NARROW = (640, 260), (340, 240)
"""The chart's drawing size (SVG user units), for wide screens and for phones. The SVG scales
to the width it is given, its text with it: drawn 340 wide, it is shown at about its own size
on a 375 px phone, where the 640 one would shrink its 11-unit labels to 6 px."""


def chart(alp: AlpStatus, size: tuple[int, int] = WIDE) -> Chart | None:
    """Geometry of the ALP-over-time chart drawn ``size`` (width, height) in SVG units, or
    ``None`` when there is nothing to plot."""
    plotted = sorted(
        (m for m in alp.measurements if m.t is not None and m.value is not None),
        key=lambda m: m.t or 0.0,
    )
    if not plotted:
        return None
    width, height = size
    narrow = width < WIDE[0]
    left, right, top, bottom = (52 if narrow else 60), 20, 18, 48

    ts = [m.t for m in plotted if m.t is not None]
    t_lo, t_hi = min(ts), max(ts)
    pad = 7.0 if t_hi == t_lo else max((t_hi - t_lo) * 0.06, 1.0)
    t_lo, t_hi = t_lo - pad, t_hi + pad
    x_ticks = nice_ticks(t_lo, t_hi, 4 if narrow else 5)

    ys = [v for m in plotted for v in (m.value, m.lower_limit, m.upper_limit) if v is not None]
    y_top = max(ys) * 1.15 if max(ys) > 0 else 100.0
    y_ticks = nice_ticks(0.0, y_top)
    step = y_ticks[1] - y_ticks[0] if len(y_ticks) > 1 else y_top
    if y_ticks[-1] < y_top:
        y_ticks.append(y_ticks[-1] + step)
    y_hi = y_ticks[-1]

    plot_w, plot_h = width - left - right, height - top - bottom

    def sx(t: float) -> float:
        return left + (t - t_lo) / (t_hi - t_lo) * plot_w

    def sy(v: float) -> float:
        return top + plot_h - (v / y_hi) * plot_h

    points: list[Point] = []
    segments: list[Segment] = []
    xs = [sx(t) for t in ts]
    for i, m in enumerate(plotted):
        x, y = xs[i], sy(m.value or 0.0)
        limits = f"limits {num(m.lower_limit)}–{num(m.upper_limit)} U/L"
        label = f"{day(m.t)}: ALP {num(m.value)} U/L, {STATUS_WORD[m.status]} ({limits})"
        points.append(Point(x, y, m.status, _marker(m.status, x, y), num(m.value), label))
        x0 = left if i == 0 else (xs[i - 1] + x) / 2
        x1 = left + plot_w if i == len(plotted) - 1 else (x + xs[i + 1]) / 2
        segments.append(
            Segment(
                x0,
                x1 - x0,
                None if m.lower_limit is None else sy(m.lower_limit),
                None if m.upper_limit is None else sy(m.upper_limit),
            )
        )

    lows = sum(m.status == "low" for m in plotted)
    span = f"from {day(ts[0])} to {day(ts[-1])}" if len(ts) > 1 else f"at {day(ts[0])}"
    desc = (
        f"{len(plotted)} ALP measurement{'s' if len(plotted) != 1 else ''} {span}, "
        f"{lows} below the lower limit. "
        + "; ".join(p.label for p in points)
        + ". The shaded band is the reference range in force at each measurement."
    )
    return Chart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        points=tuple(points),
        segments=tuple(segments),
        x_ticks=tuple((sx(t), f"{t:g}".replace("-", "−")) for t in x_ticks),
        y_ticks=tuple((sy(v), f"{v:g}") for v in y_ticks),
        index_x=sx(0.0) if t_lo <= 0.0 <= t_hi else None,
        omitted=len(alp.measurements) - len(plotted),
        title="ALP over time",
        desc=desc,
        statuses=tuple(dict.fromkeys(m.status for m in plotted)),
        label_points=len(plotted) <= (6 if narrow else 12),
    )


# ----------------------------------------------------------------------------- view


@dataclass(frozen=True)
class View:
    """What the template needs beyond the assessment itself."""

    who: str
    summary: str
    alp_line: str
    persistence_line: str
    limit_source: str
    chart: Chart | None
    chart_narrow: Chart | None
    """The same chart drawn for a phone's width (shown there in place of ``chart``)."""
    leading: tuple[CauseResult, ...]
    management: tuple[tuple[CauseResult, str, tuple[str, ...]], ...]
    """Each pointer with its cause and source ids."""
    shown_tests: tuple[NextTest, ...]
    folded_tests: tuple[NextTest, ...]
    folded_line: str
    patient_tests: tuple[NextTest, ...]
    urgent: tuple[tuple[str, tuple[str, ...]], ...]
    urgent_plain: str
    patient_causes: tuple[CauseResult, ...]
    questions: tuple[str, ...]
    source_ids: frozenset[str]
    measurement_sources: tuple[str, ...]
    is_low: bool
    plain_answer: str
    not_low_note: str
    voice: Voice
    disclaimer_plain: str
    """The patient view's disclaimer (to a parent for a child)."""
    brief_causes: tuple[tuple[CauseResult, list[Evidence]], ...] = ()
    """The causes the brief names, each with the findings that carry it."""
    steps: tuple[Step, ...] = ()
    """The brief's next steps."""
    reported: str = ""
    """The lab's own value and unit when they differ from the canonical ones."""
    """The framing words of the patient view (to a parent when the patient is a child)."""


def _view(a: Assessment) -> View:
    mgmt = tuple((c, m, pointer_sources(c, m)) for c, m in management_pointers(a))
    questions = patient_questions(a)
    return View(
        who=_who(a),
        summary=_summary(a),
        alp_line=alp_line(a.alp),
        persistence_line=persistence_line(a.alp),
        limit_source=limit_source_words(a.alp),
        chart=chart(a.alp),
        chart_narrow=chart(a.alp, NARROW),
        leading=tuple(leading(a)),
        management=mgmt,
        shown_tests=tuple(shown_tests(a)),
        folded_tests=tuple(folded_tests(a)),
        folded_line=folded_line(a),
        patient_tests=tuple(shown_tests(a)[:PATIENT_TESTS]),
        urgent=tuple(urgent_actions(a)),
        urgent_plain=urgent_plain(a),
        patient_causes=tuple(patient_causes(a)),
        questions=tuple(questions),
        source_ids=frozenset(s.id for s in a.sources),
        measurement_sources=tuple(limit_source_words(m) for m in a.alp.measurements),
        is_low=is_low(a),
        not_low_note=not_low_note(a) if not is_low(a) else "",
        plain_answer=plain_answer(a),
        voice=voice(a),
        disclaimer_plain=plain_disclaimer(a),
        brief_causes=tuple(brief_causes(a)),
        steps=tuple(next_steps(a)),
        reported=as_reported(a.alp.value, a.alp.reported),
    )
