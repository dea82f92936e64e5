"""The printed report: the brief one fits two pages, on A4 and on US Letter, for every example;
the full one prints every piece of evidence (the "Show all evidence" part open)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import lowalp
from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.model import Assessment
from lowalp.render.html import render_html
from lowalp.render.pdf import find_chromium, html_to_pdf

pytestmark = pytest.mark.skipif(find_chromium() is None, reason="no Chromium to print with")

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.json"))
PAGE = re.compile(rb"/Type\s*/Page[^s]")


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return load_knowledge()


def _assess(path: Path, kb: Knowledge) -> Assessment:
    return lowalp.assess(lowalp.load_case(json.loads(path.read_text("utf-8"))), knowledge=kb)


def _pages(html: str, size: str) -> int:
    sized = html.replace("</head>", f"<style>@page {{ size: {size}; }}</style></head>", 1)
    return len(PAGE.findall(html_to_pdf(sized)))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_brief_report_prints_on_two_pages(path: Path, kb: Knowledge) -> None:
    html = render_html(_assess(path, kb))
    for size in ("A4", "letter"):
        assert 1 <= _pages(html, size) <= 2, (path.stem, size)


def test_the_full_report_prints_everything(kb: Knowledge) -> None:
    a = _assess(EXAMPLES[0], kb)
    brief = _pages(render_html(a), "A4")
    full_html = render_html(a, detail="full")
    assert '<details id="all-evidence" class="all-evidence" open>' in full_html
    assert _pages(full_html, "A4") > brief + 3
