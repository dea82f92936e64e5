"""Measure the reading level of the patient view: Flesch-Kincaid grade and Flesch reading ease
of each example's plain-language report (terminal text, and the HTML page's words).

Run: ``.venv/bin/python benchmarks/reading_level.py``. Prints; asserts nothing. "text grade"
is the terminal text as printed; "itemised" ends each heading and list item as a sentence,
as a reader takes them (the HTML words are counted that way too). textstat is
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
    body = re.sub(r"</(li|h[1-6]|p|dt|dd|th|td)>", ". ", body)  # an item or heading ends
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def _itemised(text: str) -> str:
    """The terminal text with each heading and list item ended as a sentence: the formulas
    count sentences by their final stop, and a list without stops reads to them as one
    sentence of a hundred words, which it is not to a reader."""
    lines = []
    for line in text.splitlines():
        line = line.strip().lstrip("•*-").strip()
        if line and not line.endswith((".", "?", "!", ":")):
            line += "."
        lines.append(line)
    return " ".join(lines)


def main() -> None:
    kb = load_knowledge()
    print(
        f"{'example':32} {'text grade':>10} {'itemised':>8} {'ease':>5} {'html grade':>10} {'ease':>5}"
    )
    for path in EXAMPLES:
        a = lowalp.assess(lowalp.load_case(json.loads(path.read_text("utf-8"))), knowledge=kb)
        text = render_text(a, audience="patient", color=False)
        page = _words(render_html(a, audience="patient"))
        items = _itemised(text)
        print(
            f"{path.stem:32} {textstat.flesch_kincaid_grade(text):>10.1f} "
            f"{textstat.flesch_kincaid_grade(items):>8.1f} {textstat.flesch_reading_ease(items):>5.0f} "
            f"{textstat.flesch_kincaid_grade(page):>10.1f} {textstat.flesch_reading_ease(page):>5.0f}"
        )


if __name__ == "__main__":
    main()
