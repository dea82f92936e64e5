"""The screen's summary page in a real headless Chromium, opened from disk as a lab would: it
opens on what to do, its work-list table filters and sorts without a network, and axe-core
finds nothing serious or critical at a phone's and a desktop's width."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.browser,
    # Ibis 12 calls DuckDB 2.0's deprecated fetch_arrow_table() and pandas 3's deprecated
    # future.infer_string option; neither is ours to fix.
    pytest.mark.filterwarnings(r"ignore:fetch_arrow_table\(\) is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(r"ignore:The 'future.infer_string' option is deprecated"),
]

ROOT = Path(__file__).parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("duckdb")
    from lowalp.screen.inputs import ScreenInput
    from lowalp.screen.runner import run_screen
    from lowalp.screen.synth.generate import SynthConfig, synthesize

    tmp = tmp_path_factory.mktemp("summary")
    synthesize(SynthConfig(persons=600, out=tmp / "omop", seed=7))
    run_screen(ScreenInput("omop", tmp / "omop"), tmp / "out")
    return tmp / "out" / "summary.html"


@pytest.mark.parametrize("width", [375, 1280])
def test_the_summary_filters_sorts_and_passes_axe(browser: Any, summary: Path, width: int) -> None:
    if not AXE.is_file():
        pytest.skip("axe-core is not installed: run `npm ci` (make test does)")
    context = browser.new_context(viewport={"width": width, "height": 800})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        pg.goto(summary.as_uri())
        first = pg.locator("section").first
        assert first.get_attribute("id") == "todo"
        assert "Review:" in first.inner_text()
        rows = pg.locator("#wl tbody tr")
        total = rows.count()
        assert total > 5
        assert pg.locator("#wl-shown").inner_text() == f"{total} of {total} rows shown"
        pg.get_by_label("persistent only").check()
        persistent = pg.locator("#wl tbody tr:not([hidden])").count()
        assert 0 < persistent < total
        pg.get_by_label("persistent only").uncheck()
        pg.get_by_label("Filter rows").fill("Hypophosphatasia")
        hits = pg.locator("#wl tbody tr:not([hidden])")
        assert 0 < hits.count() < total
        assert all("Hypophosphatasia" in t for t in hits.all_inner_texts())
        pg.get_by_label("Filter rows").fill("")
        pg.get_by_role("button", name="Lowest ALP (U/L)").click()
        lowest = [
            float(t)
            for t in pg.locator("#wl tbody tr td:nth-child(8)").all_inner_texts()
            if t.strip() not in ("", "—")
        ]
        assert lowest == sorted(lowest)
        header = pg.locator("#wl th", has_text="Lowest ALP")
        assert header.get_attribute("aria-sort") == "ascending"
        pg.evaluate(AXE.read_text(encoding="utf-8"))
        violations = pg.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        )
        blocking = [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
        assert blocking == [], blocking
    finally:
        context.close()
    assert errors == []
