"""The clinician's pages in a real headless Chromium: form, units, report, chart, upload,
examples, keyboard. Screenshots are kept in tests/browser/artifacts/."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

DATA = Path(__file__).parents[1] / "data"
Shot = Callable[..., Path]


def unit_options(page: Any, row: int) -> list[str]:
    options: list[str] = page.eval_on_selector_all(
        f"#lab-{row}-unit option", "els => els.map(e => e.value)"
    )
    return options


def test_fill_the_form_switch_units_and_read_the_report(page: Any, shot: Shot) -> None:
    page.goto("/")
    assert page.title().startswith("lowalp")
    # the script narrows row 1's unit menu to ALP's units, canonical first
    assert unit_options(page, 0)[0] == "U/L"
    assert "mg/dL" not in unit_options(page, 0)
    page.fill("#age", "46")
    page.check("input[name=sex][value=F]")
    # ALP in µkat/L: 0.37 µkat/L = 22 U/L
    page.select_option("#lab-0-unit", "µkat/L")
    page.fill("#lab-0-value", "0.37")
    page.fill("#lab-0-low", "0.58")
    page.fill("#lab-0-high", "1.74")
    page.select_option("#lab-1-analyte", "alp")
    page.fill("#lab-1-value", "24")
    page.fill("#lab-1-days", "240")
    # PLP: switching the test swaps the unit menu
    page.select_option("#lab-2-analyte", "plp")
    assert unit_options(page, 2)[0] == "nmol/L"
    assert "U/L" not in unit_options(page, 2)
    page.select_option("#lab-2-unit", "µg/L")
    page.select_option("#lab-2-unit", "nmol/L")
    page.fill("#lab-2-value", "310")
    page.fill("#findings", "metatarsal stress fracture")
    shot(page, "form-filled")
    page.click("#assess-button")
    page.wait_for_selector("#brief-h")
    assert page.title().startswith("Low ALP assessment")
    lead = page.locator("#view-clinician .brief-causes > li").first
    assert "Hypophosphatasia" in lead.inner_text()
    assert not page.locator("#causes-h").is_visible()  # the rest folded under "Show all evidence"
    page.locator("#view-clinician #all-evidence > summary").click()
    page.wait_for_selector("#causes-h", state="visible")
    top = page.locator("#view-clinician table.causes tbody tr").first.locator("th")
    assert top.is_visible()
    assert "Hypophosphatasia" in top.inner_text()
    # the chart: an SVG with one marker per plotted ALP
    clinician = page.locator("#view-clinician")
    chart = clinician.locator("figure svg:visible").first
    assert chart.is_visible()
    assert clinician.locator("figure svg:visible .point").count() == 2
    shot(page, "report-clinician")
    shot(page, "report-clinician-top", full_page=False)
    page.get_by_role("link", name="Patient version (plain language)").click()
    patient = page.locator("#view-patient")
    assert patient.get_by_text("Your alkaline phosphatase (ALP) result").first.is_visible()
    assert not page.locator("#causes-h").is_visible()
    assert patient.locator("figure svg").count() >= 1
    shot(page, "report-patient", full_page=False)
    # the switch was a move within the page: Back shows the clinician report again, with
    # no form posted again (a post would ask "Confirm Form Resubmission")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(f"{r.method} {r.url}"))
    page.go_back()
    page.wait_for_selector("#brief-h", state="visible")
    assert not patient.is_visible()
    assert not [r for r in requests if r.startswith("POST")], requests


def test_an_impossible_value_is_questioned_in_the_browser(page: Any, shot: Shot) -> None:
    page.goto("/")
    page.fill("#lab-0-value", "22")
    page.select_option("#lab-1-analyte", "albumin")
    page.fill("#lab-1-value", "35")  # g/L typed with g/dL chosen
    valid = page.eval_on_selector("#lab-1-value", "e => e.checkValidity()")
    message = page.eval_on_selector("#lab-1-value", "e => e.validationMessage")
    assert valid is False
    assert "outside what is possible for Albumin" in message
    page.select_option("#lab-1-unit", "g/L")
    assert page.eval_on_selector("#lab-1-value", "e => e.checkValidity()") is True


def test_questioned_on_the_server_without_script(browser: Any, server: str, shot: Shot) -> None:
    context = browser.new_context(base_url=server, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/")
        page.fill("#age", "46")
        page.fill("#lab-0-value", "22000")
        page.click("#assess-button")
        page.wait_for_selector("#questions")
        assert "outside what is possible" in page.inner_text("#questions")
        shot(page, "form-questioned-no-js", full_page=False)
        page.fill("#lab-0-value", "22")
        page.click("#assess-button")
        page.wait_for_selector("#brief-h")
        # add a row without script: the server re-renders the form with more rows
        page.goto("/")
        page.click("text=Add 3 more rows")
        page.wait_for_selector("#lab-8-value")  # the re-rendered form (a page load)
        assert page.locator("#lab-8-value").count() == 1
    finally:
        context.close()


def test_upload_a_fhir_bundle(page: Any, shot: Shot) -> None:
    page.goto("/")
    page.set_input_files("#upload-file", str(DATA / "fhir" / "bundle.json"))
    page.click("text=Read the file")
    page.wait_for_selector("#brief-h")
    assert "Read as FHIR" in page.inner_text(".site-notes")
    assert page.locator("figure svg").count() >= 1
    shot(page, "upload-fhir", full_page=False)


def test_open_an_example(page: Any, shot: Shot) -> None:
    page.goto("/")
    page.click("#examples a >> nth=0")
    page.wait_for_selector("#brief-h")
    page.locator("#all-evidence > summary").first.click()
    page.wait_for_selector("#causes-h", state="visible")
    assert page.locator("table.causes tbody tr").count() >= 1
    shot(page, "example")
    page.get_by_role("button", name="Edit this case").click()
    page.wait_for_selector("#case-form")
    assert page.input_value("#lab-0-value") != ""
    shot(page, "example-in-form")


def test_keyboard_reaches_the_submit_button(page: Any, shot: Shot) -> None:
    page.goto("/")
    page.locator("body").focus()
    seen = []
    for _ in range(250):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement && document.activeElement.id")
        seen.append(focused)
        if focused == "assess-button":
            break
    assert seen[-1] == "assess-button", seen[-10:]
    # the focus is visible: an outline is drawn around the focused button
    outline = page.eval_on_selector("#assess-button", "e => getComputedStyle(e).outlineStyle")
    assert outline not in ("", "none")
    shot(page, "keyboard-focus", full_page=False)
    # every input, select and textarea has a label
    unlabelled = page.evaluate(
        """() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
             .filter(e => !e.labels || e.labels.length === 0).map(e => e.name)"""
    )
    assert unlabelled == []


def test_skip_link_and_no_console_errors(page: Any) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    assert re.search("Skip", page.evaluate("() => document.activeElement.textContent"))
