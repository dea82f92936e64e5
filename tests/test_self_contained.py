"""No file of the project points to a place outside the repository (research notes, a home
folder): sources cite publications, docs link inside the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = re.compile(r"(?<![\w.])/(?:work|home|root|tmp)/|\bshared/research\b")


def test_no_file_points_outside_the_repository() -> None:
    offenders = []
    for folder in ("src", "tests", "docs", "scripts", "benchmarks", "examples"):
        for path in (ROOT / folder).rglob("*"):
            if not path.is_file() or path.suffix not in {
                ".py",
                ".yaml",
                ".yml",
                ".md",
                ".csv",
                ".json",
                ".j2",
                ".html",
            }:
                continue
            if path == Path(__file__):
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in OUTSIDE.finditer(text)]
    for name in ("README.md", "CHANGELOG.md", "Makefile", "pyproject.toml"):
        text = (ROOT / name).read_text(encoding="utf-8")
        offenders += [f"{name}: {m.group(0)}" for m in OUTSIDE.finditer(text)]
    assert not offenders, offenders
