"""The screen's summary page: counts, chart, top of the work-list, escaping, no outside links."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")

from lowalp.knowledge import Knowledge  # noqa: E402
from lowalp.screen.summary import (  # noqa: E402
    MAX_POINTS,
    TOP_ROWS,
    render_summary,
    sample_points,
    write_summary,
)

POINT = re.compile(r'<path class="pt pt-(low|normal|high|unknown)"')


def _worklist(n: int = 3) -> pd.DataFrame:
    rows = []
    for i in range(n):
        rows.append(
            {
                "person_id": 1000 + i,
                "sex": "F" if i % 2 else "M",
                "age_at_index": 30.0 + i,
                "n_alp": 3,
                "n_low": 2,
                "n_low_inside_printed_range": 1 if i == 0 else 0,
                "persistent": True if i == 0 else None,
                "persistence_rule": "first-to-last span >= 28 days",
                "index_alp": 20.0 + i,
                "index_date": dt.date(2024, 3, 1),
                "lowest_alp": 18.0 + i,
                "first_low_date": dt.date(2024, 1, 1),
                "last_low_date": pd.Timestamp("2024-03-01"),
                "cause_1": "hypophosphatasia",
                "cause_1_probability": 0.6,
                "cause_1_supporting": "PLP above 180 nmol/L" if i == 0 else "",
                "sample_artefact": "edta_contamination" if i == 2 else "",
                "index_status": "low",
                "cause_2": "zinc_deficiency",
                "cause_2_probability": 0.2,
                "cause_3": None,
                "cause_3_probability": None,
                "hpp_probability": 0.6,
                "hpp_priority": i + 1,
                "hpp_priority_reasons": "persistent; ALP < 25 U/L",
            }
        )
    return pd.DataFrame(rows)


def _points(n: int, low_every: int = 5) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": range(n),
            "age_years": [(i * 7.3) % 95 for i in range(n)],
            "sex": ["F" if i % 2 else "M" for i in range(n)],
            "value": [20.0 if i % low_every == 0 else 80.0 + i % 50 for i in range(n)],
            "lower_limit": [40.0] * n,
            "status": ["low" if i % low_every == 0 else "normal" for i in range(n)],
        }
    )


COUNTS = {
    "rows_read": 1234,
    "rows_used": 1200,
    "rows_rejected": 34,
    "persons_screened": 300,
    "persons_low": 3,
    "persistent": 1,
    "missed_flags": 1,
    "run_seconds": 2.5,
    "engine": "duckdb",
}


def test_writes_a_page_with_counts_chart_and_worklist(tmp_path: Path, kb: Knowledge) -> None:
    path = write_summary(tmp_path / "out", _worklist(), _points(40), COUNTS)
    assert path == tmp_path / "out" / "summary.html"
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    for text in ("1\u2009234", "Rows rejected", "2.5 s", "duckdb", kb.settings.version):
        assert text in html
    assert kb.settings.persistence.description in html
    assert kb.settings.disclaimer in html
    assert "<svg" in html
    assert len(POINT.findall(html)) == 40
    assert html.count('class="pt pt-low"') == 8
    for pid in (1000, 1001, 1002):
        assert f'<td class="pid">{pid}</td>' in html
    assert "Hypophosphatasia" in html
    assert "60%" in html
    assert "2024-03-01" in html


def test_handles_empty_inputs(tmp_path: Path) -> None:
    empty_points = pd.DataFrame(
        columns=["person_id", "age_years", "sex", "value", "lower_limit", "status"]
    )
    for points in (empty_points, pd.DataFrame()):
        html = write_summary(tmp_path, _worklist(0).iloc[0:0], points, {}).read_text()
        assert "work-list is empty" in html
        assert "No ALP values" in html
        assert POINT.findall(html) == []
        assert "<svg" in html


def test_person_ids_are_escaped(kb: Knowledge) -> None:
    evil = "<script>alert(1)</script>"
    wl = _worklist(1).assign(person_id=evil, hpp_priority_reasons="<b>x</b>")
    points = _points(3).assign(person_id=evil)
    html = render_summary(wl, points, COUNTS | {"engine": "<img src=x>"}, knowledge=kb)
    assert "<script>alert" not in html
    assert html.count("<script") == 1  # the page's own
    assert "<img" not in html
    assert "<b>x</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_page_is_self_contained(kb: Knowledge) -> None:
    html = render_summary(_worklist(), _points(100), COUNTS, knowledge=kb)
    assert re.search(r"(?i)https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html) is None
    assert re.search(r"(?i)<script[^>]*\bsrc\b|<link|<img|@import|url\(", html) is None
    assert html.count("<script>") == 1  # sorting and filtering, inline
    assert "<style>" in html


def test_points_are_sampled_to_the_budget(kb: Knowledge) -> None:
    many = _points(MAX_POINTS * 2)
    sample = sample_points(many)
    assert len(sample) == MAX_POINTS
    assert sample_points(many).equals(sample)  # reproducible
    assert (sample["status"] == "low").sum() == (many["status"] == "low").sum()
    html = render_summary(_worklist(), many, COUNTS, knowledge=kb)
    assert len(POINT.findall(html)) == MAX_POINTS
    assert "chosen at random from 10000" in html


def test_unusable_points_are_counted_not_drawn(kb: Knowledge) -> None:
    points = _points(10)
    points.loc[0, "age_years"] = None
    points.loc[1, "value"] = float("nan")
    html = render_summary(_worklist(), points, COUNTS, knowledge=kb)
    assert len(POINT.findall(html)) == 8
    assert "2 values without an age or a number are not drawn" in html


def test_table_shows_the_top_rows_in_priority_order(kb: Knowledge) -> None:
    wl = _worklist(TOP_ROWS + 5).iloc[::-1]
    html = render_summary(wl, _points(5), {}, knowledge=kb)
    pids = re.findall(r'<td class="pid">(\d+)</td>', html)
    assert len(pids) == TOP_ROWS
    assert pids[:2] == ["1000", "1001"]
    assert f"first {TOP_ROWS} of {TOP_ROWS + 5}" in html


def test_missing_counts_are_derived_from_the_worklist(kb: Knowledge) -> None:
    html = render_summary(_worklist(), _points(5), {}, knowledge=kb)
    row = re.search(r"persistently low</td><td>(\d+)</td>", html)
    assert row is not None
    assert row.group(1) == "1"
    row = re.search(r"missed flags\)</td><td>(\d+)</td>", html)
    assert row is not None
    assert row.group(1) == "1"


def test_reads_the_runner_s_count_names(kb: Knowledge) -> None:
    counts = {
        "rows_read": 10,
        "rows_used": 7,
        "rows_rejected": 3,
        "rejected_by_reason": {"unknown unit": 2, "text value": 1},
        "persons_on_worklist": 3,
        "low_for_age_not_flagged": 2,
        "elapsed_s": 75.0,
        "timings": {"classify_s": 1.25, "screen_s": 3.0},
        "notes": ["a note"],
        "assess_errors": 0,
        "persistence_definition": "my own definition",
    }
    html = render_summary(_worklist(), _points(5), counts, knowledge=kb)
    assert "… unknown unit</td><td>2</td>" in html
    assert "missed flags)</td><td>2</td>" in html
    assert "1 min 15 s" in html
    assert "classify 1.2 s, screen 3.0 s" in html
    assert "a note" in html
    assert "my own definition" in html
    assert "{" not in html.split("<body>")[1].split("<svg")[0]  # no raw dicts on the page


def test_the_page_opens_on_what_to_do(kb: Knowledge) -> None:
    """First the sample to repeat, then the persistent lows to review, the children a printed
    adult range passed, the single lows; a leading cause only where a finding supports it."""
    wl = _worklist(3)
    wl.loc[0, "age_at_index"] = 9.0  # a child inside the printed range, low for age
    html = render_summary(wl, _points(5), COUNTS, knowledge=kb)
    todo = html[html.index('id="todo"') : html.index('id="counts"')]
    spec = kb.causes["edta_contamination"].artifact
    assert spec is not None
    headings = re.findall(r"<strong>(.*?)</strong>", todo)
    assert headings == [
        "Check the sample first: 1 person",
        "Review: 1 person with a persistently low ALP",
        "Children re-flagged: 1",
        "Single lows: 2 persons",
    ]
    assert html.index(spec.heading.replace("'", "&#39;")) < html.index('id="counts"')
    table = html[html.index('id="wl"') :]
    assert "Hypophosphatasia (ALPL-related) (60%)" in table  # supported: shown
    unexplained = kb.causes[kb.settings.link_ceilings.excess_to].name
    assert table.count(unexplained) == 2  # the two rows no finding supports
    assert "no finding present supports Hypophosphatasia" in table
