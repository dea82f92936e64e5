"""Measure the reading level of the patient view: Flesch-Kincaid grade and Flesch reading ease
of each example's plain-language report (terminal text, and the HTML page's words).

Run: ``.venv/bin/python benchmarks/reading_level.py``. Prints; asserts nothing. textstat is
pinned below 0.7.4 in the dev extra: later releases fetch a pronouncing dictionary from the
network at first use, these count syllables with the hyphenation dictionaries pyphen ships.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import textstat  # type: ignore[import-untyped,unused-ignore]

import lowalp
from lowalp.knowledge import load_knowledge
from lowalp.render.html import render_html
from lowalp.render.text import render_text

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.json"))


def _words(html: str) -> str:
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def main() -> None:
    kb = load_knowledge()
    print(f"{'example':32} {'text grade':>10} {'ease':>5} {'html grade':>10} {'ease':>5}")
    for path in EXAMPLES:
        a = lowalp.assess(lowalp.load_case(json.loads(path.read_text("utf-8"))), knowledge=kb)
        text = render_text(a, audience="patient", color=False)
        page = _words(render_html(a, audience="patient"))
        print(
            f"{path.stem:32} {textstat.flesch_kincaid_grade(text):>10.1f} "
            f"{textstat.flesch_reading_ease(text):>5.0f} "
            f"{textstat.flesch_kincaid_grade(page):>10.1f} {textstat.flesch_reading_ease(page):>5.0f}"
        )


if __name__ == "__main__":
    main()
