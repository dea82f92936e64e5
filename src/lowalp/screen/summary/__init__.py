"""The screen's summary page: ``OUT/summary.html``.

One self-contained HTML file: inline stylesheet, an inline SVG of ALP by age against the
knowledge's age/sex reference band, no script and no external address, so it can be mailed or
archived as it is. Every value reaches the page through Jinja2 with autoescaping on (person ids
come from the input and are not trusted). This package prepares the numbers (counts, chart
geometry, table rows); the markup lives in ``screen/templates/summary.html.j2``.

Modules: :mod:`.page` (:func:`write_summary`, :func:`render_summary`), :mod:`.chart` (the SVG
chart and the choice of points), :mod:`.tables` (the counts and work-list tables) and
:mod:`.cells` (how one value is written).
"""

from lowalp.screen.summary.chart import (
    AGE_MAX,
    MAX_POINTS,
    POINT_COLUMNS,
    STATUSES,
    BandRect,
    Chart,
    Point,
    build_chart,
    sample_points,
    usable_points,
)
from lowalp.screen.summary.page import FILENAME, TEMPLATE, render_summary, write_summary
from lowalp.screen.summary.tables import (
    COUNT_ALIASES,
    COUNT_LABELS,
    EXTRA_LABELS,
    NOT_COUNTS,
    TOP_ROWS,
    Row,
    count_rows,
    table_rows,
)

__all__ = [
    "AGE_MAX",
    "COUNT_ALIASES",
    "COUNT_LABELS",
    "EXTRA_LABELS",
    "FILENAME",
    "MAX_POINTS",
    "NOT_COUNTS",
    "POINT_COLUMNS",
    "STATUSES",
    "TEMPLATE",
    "TOP_ROWS",
    "BandRect",
    "Chart",
    "Point",
    "Row",
    "build_chart",
    "count_rows",
    "render_summary",
    "sample_points",
    "table_rows",
    "usable_points",
    "write_summary",
]
