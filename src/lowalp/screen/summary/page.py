"""The summary page itself: the template filled with the counts, chart and work-list rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lowalp.render.templating import template_environment
from lowalp.screen.summary.chart import MAX_POINTS, build_chart, sample_points, usable_points
from lowalp.screen.summary.tables import TOP_ROWS, count_rows, table_rows, todo_items

if TYPE_CHECKING:
    import jinja2
    import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the dev extra

    from lowalp.knowledge import Knowledge

TEMPLATE = "summary.html.j2"
FILENAME = "summary.html"


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
    status``); ``counts`` has the keys of :data:`.tables.COUNT_LABELS` or their
    :data:`.tables.COUNT_ALIASES` (missing ones are derived from the work-list where possible, else
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
        todo=todo_items(worklist, counts, knowledge),
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
    return template_environment("lowalp.screen")
