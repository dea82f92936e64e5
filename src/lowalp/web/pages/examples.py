"""The example cases shipped in ``web/examples``: listing them and loading one."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from lowalp.errors import InputError, Problem


@dataclass(frozen=True)
class Example:
    name: str
    title: str


@lru_cache(maxsize=1)
def list_examples() -> tuple[Example, ...]:
    """The example cases shipped in ``web/examples``, titled from its README table."""
    folder = resources.files("lowalp.web") / "examples"
    titles: dict[str, str] = {}
    readme = folder / "README.md"
    if readme.is_file():
        for line in readme.read_text(encoding="utf-8").splitlines():
            m = re.match(r"^\|\s*`([\w.-]+)\.json`\s*\|\s*(.+?)\s*\|\s*$", line)
            if m:
                titles[m[1]] = m[2][:1].upper() + m[2][1:]
    names = sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))
    return tuple(Example(n, titles.get(n, n.replace("-", " ").capitalize())) for n in names)


def example_case(name: str) -> dict[str, Any]:
    if name not in {e.name for e in list_examples()}:
        raise InputError(
            [Problem("example", "no such example", value=name, hint="see the list on /")]
        )
    text = (resources.files("lowalp.web") / "examples" / f"{name}.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    data.pop("diagnosis", None)  # the label is for evaluation, not for the report
    return data
