"""Every page at a phone's width (375 px) and a desktop's (1280 px), in a real headless Chromium:
no axe-core violation (none serious or critical at /docs), no sideways scrolling on a phone,
chart text large enough to read, and the API explorer at /docs rendering the API.

axe-core comes from the npm registry, pinned in package.json/package-lock.json and installed
into node_modules/ by ``npm ci`` (``make test`` runs it); its axe.min.js is evaluated in each
page. Each page's results are written to tests/browser/artifacts/axe-<page>-<width>.json."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest

from lowalp.web.errors import CLI_FLAG

pytestmark = pytest.mark.browser

ROOT = Path(__file__).parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
DATA = ROOT / "tests" / "data"
ARTIFACTS = Path(__file__).parent / "artifacts"
PHONE, DESKTOP = 375, 1280
WIDTHS = (PHONE, DESKTOP)
BLOCKING = ("serious", "critical")
SMALLEST_TEXT_PX = 10.0
EXAMPLE = "hpp-adult"


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.skip("axe-core is not installed: run `npm ci` (make test does)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def screen(request: pytest.FixtureRequest, browser: Any, server: str) -> Iterator[Any]:
    """A page at one of the two widths, failing the test on any console error."""
    width: int = request.param
    context = browser.new_context(base_url=server, viewport={"width": width, "height": 800})
    pg = context.new_page()
    errors: list[str] = []
    statuses: list[int] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on(
        "response",
        lambda r: statuses.append(r.status) if r.request.is_navigation_request() else None,
    )
    try:
        yield pg
    finally:
        context.close()
    # Chromium logs a page answered 422 (the form sent back with its problems) as an error
    refused = f"the server responded with a status of {HTTPStatus.UNPROCESSABLE_ENTITY.value}"
    if HTTPStatus.UNPROCESSABLE_ENTITY in statuses:
        errors = [e for e in errors if refused not in e]
    assert errors == [], f"errors in the browser console: {errors}"


def _form(pg: Any) -> None:
    pg.goto("/")
    pg.wait_for_selector("#case-form")


def _clinician(pg: Any) -> None:
    """The clinician's report with "Show all evidence" opened (a click, as a reader would), so
    that every part of it is checked."""
    pg.goto(f"/examples/{EXAMPLE}")
    pg.wait_for_selector("#brief-h", state="visible")
    assert not pg.locator("#causes-h").is_visible()  # brief first: the rest is folded
    pg.locator("#all-evidence > summary").first.click()
    pg.wait_for_selector("#causes-h", state="visible")


def _patient(pg: Any) -> None:
    pg.goto(f"/examples/{EXAMPLE}")
    pg.get_by_role("link", name="Patient version (plain language)").click()
    pg.wait_for_selector("#view-patient", state="visible")


def _form_errors(pg: Any) -> None:
    """The form sent back with a problem on a row (the browser's own check turned off, as
    without script or in an older browser)."""
    pg.goto("/")
    pg.fill("#lab-0-value", "twenty")
    pg.eval_on_selector("#case-form", "f => { f.noValidate = true; }")
    pg.click("#assess-button")
    pg.wait_for_selector("#errors")


def _upload_error(pg: Any) -> None:
    pg.goto("/")
    pg.set_input_files(
        "#upload-file",
        files=[{"name": "results.dat", "mimeType": "text/plain", "buffer": b"ALP 22 U/L\n"}],
    )
    pg.click("text=Read the file")
    said = pg.inner_text("#upload-errors")
    assert "format was not recognised" in said
    assert not CLI_FLAG.search(said), said  # what to do with the file, not a command's option


def _cases(pg: Any) -> None:
    pg.goto("/")
    pg.set_input_files("#upload-file", str(DATA / "csv" / "clean.csv"))
    pg.click("text=Read the file")
    pg.wait_for_selector("table.case-list")


def _docs(pg: Any) -> None:
    pg.goto("/docs")
    pg.wait_for_selector(".opblock-summary-path")


PAGES: dict[str, Callable[[Any], None]] = {
    "form": _form,
    "clinician-report": _clinician,
    "patient-report": _patient,
    "form-errors": _form_errors,
    "upload-error": _upload_error,
    "case-list": _cases,
    "docs": _docs,
}
REPORTS = ("clinician-report", "patient-report")


def _axe(pg: Any, source: str, name: str, width: int) -> list[dict[str, Any]]:
    """The page's axe violations (every rule axe runs by default), kept as an artefact."""
    if not pg.evaluate("() => typeof window.axe === 'object'"):
        pg.evaluate(source)  # evaluated by the driver, so the page's CSP does not apply
    violations: list[dict[str, Any]] = pg.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-{name}-{width}.json").write_text(json.dumps(violations, indent=1))
    return violations


def _overflow(pg: Any) -> dict[str, Any]:
    """How far the page scrolls sideways, and the widest elements that stick out."""
    out: dict[str, Any] = pg.evaluate(
        """() => {
            const w = window.innerWidth;
            const wide = [];
            const clipped = e => {
                for (let p = e.parentElement; p; p = p.parentElement) {
                    if (getComputedStyle(p).overflowX !== 'visible') { return true; }
                }
                return false;
            };
            for (const e of document.body.querySelectorAll('*')) {
                const r = e.getBoundingClientRect();
                if (r.width && r.right > w + 1 && !clipped(e)) {
                    wide.push(`${e.tagName.toLowerCase()}.${e.className} ${Math.round(r.right)}`);
                }
            }
            return {scroll: document.scrollingElement.scrollWidth, inner: w,
                    wide: wide.slice(0, 8)};
        }"""
    )
    return out


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_violation(screen: Any, axe_source: str, name: str) -> None:
    PAGES[name](screen)
    width = screen.viewport_size["width"]
    violations = _axe(screen, axe_source, name, width)
    # the site's own pages have none at all; Swagger UI's markup at /docs keeps a few moderate
    # ones (its heading levels, its info block outside its <main>)
    allowed = BLOCKING if name == "docs" else ("minor", "moderate", *BLOCKING)
    found = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in violations
        if v["impact"] in allowed
    ]
    assert found == [], found
    if width == PHONE:
        overflow = _overflow(screen)
        assert overflow["scroll"] <= overflow["inner"], overflow


@pytest.mark.parametrize("example", sorted(p.stem for p in (ROOT / "examples").glob("*.json")))
def test_every_table_reflows_on_a_phone(browser: Any, server: str, example: str) -> None:
    """At 375 px each table of the full report (every evidence section opened) fits its frame:
    rows become blocks, cells are named, and nothing is left to scroll sideways."""
    context = browser.new_context(base_url=server, viewport={"width": PHONE, "height": 800})
    pg = context.new_page()
    try:
        pg.goto(f"/examples/{example}")
        pg.wait_for_selector("#brief-h", state="visible")
        pg.eval_on_selector_all("details", "ds => ds.forEach(d => { d.open = true; })")
        frames: list[list[Any]] = pg.evaluate(
            """() => Array.from(document.querySelectorAll('.table-wrap'))
                 .filter(e => e.getClientRects().length)
                 .map(e => [e.getAttribute('aria-label'), e.scrollWidth, e.clientWidth])"""
        )
    finally:
        context.close()
    assert frames, "no table was shown"
    wide = [(label, scroll, client) for label, scroll, client in frames if scroll > client + 1]
    assert wide == [], wide


@pytest.mark.parametrize("name", REPORTS)
def test_chart_text_is_legible(screen: Any, name: str) -> None:
    PAGES[name](screen)
    sizes: list[tuple[str, float]] = screen.evaluate(
        """() => Array.from(document.querySelectorAll('figure.chart svg text'))
             .filter(t => t.getClientRects().length && t.getBBox().width)
             .map(t => [t.textContent,
                        parseFloat(getComputedStyle(t).fontSize) *
                        Math.hypot(t.getScreenCTM().a, t.getScreenCTM().b)])"""
    )
    assert sizes, "no chart text is shown"
    small = [(text, round(px, 1)) for text, px in sizes if px < SMALLEST_TEXT_PX]
    assert small == [], small


def test_the_api_explorer_renders_the_api(screen: Any) -> None:
    _docs(screen)
    assert "Unable to render" not in screen.inner_text("body")
    assess = screen.locator(".opblock-post", has_text="/api/assess").first
    assert assess.locator(".opblock-summary-path").inner_text().strip() == "/api/assess"
    assert "Assess a case" in assess.locator(".opblock-summary-description").inner_text()
    # an operation opens and shows its request body
    assess.locator(".opblock-summary").click()
    screen.wait_for_selector(".opblock-body .opblock-section-request-body")


def test_switching_versions_is_a_link_and_back_returns(screen: Any) -> None:
    posts: list[str] = []
    screen.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    _clinician(screen)
    start, length = screen.url, screen.evaluate("() => history.length")
    tab = screen.get_by_role("link", name="Patient version (plain language)")
    assert tab.get_attribute("href") == "#view-patient"
    tab.click()
    screen.wait_for_selector("#view-patient", state="visible")
    assert screen.url == start + "#view-patient"
    assert screen.evaluate("() => history.length") == length + 1
    assert not screen.locator("#causes-h").is_visible()
    screen.go_back()
    screen.wait_for_selector("#causes-h", state="visible")
    assert screen.url == start
    assert not screen.locator("#view-patient").is_visible()
    screen.go_forward()
    screen.wait_for_selector("#view-patient", state="visible")
    assert posts == []
