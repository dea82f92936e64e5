"""Labelled cases for evaluation: JSON Lines (one case a line) or YAML vignette files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from lowalp.adapters.case_json import case_from_dict, iter_jsonl
from lowalp.errors import InputError, Problem
from lowalp.evaluation import LabelledCase


def iter_labelled(path: str | Path) -> Iterator[LabelledCase]:
    """Cases from a ``.jsonl`` file, a vignette ``.yaml`` file or a folder of them."""
    p = Path(path)
    if p.is_dir():
        files = sorted(p.rglob("*.yaml")) + sorted(p.rglob("*.yml"))
        if not files:
            raise InputError([Problem(str(p), "no .yaml vignette files in this folder")])
        for f in files:
            yield _vignette(f)
        return
    if not p.exists():
        raise InputError([Problem(str(p), "file not found")])
    if p.suffix in (".yaml", ".yml"):
        yield _vignette(p)
        return
    for lineno, item in iter_jsonl(p):
        if isinstance(item, InputError):
            yield LabelledCase(f"{p.name}:{lineno}", None, None, str(item).replace("\n", " "))
        else:
            yield LabelledCase(item.id or f"{p.name}:{lineno}", item, item.diagnosis)


def load_vignette(path: str | Path) -> tuple[LabelledCase, dict[str, Any]]:
    """One vignette file: the labelled case and its ``expect`` block."""
    p = Path(path)
    data = yaml.safe_load(p.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "case" not in data:
        raise InputError([Problem(str(p), "a vignette needs `id`, `diagnosis` and `case`")])
    case_data = dict(data["case"])
    case_data.setdefault("id", data.get("id"))
    case_data.setdefault("diagnosis", data.get("diagnosis"))
    case = case_from_dict(case_data, source=str(p))
    ident = str(data.get("id") or p.stem)
    return LabelledCase(ident, case, data.get("diagnosis")), dict(data.get("expect") or {})


def _vignette(p: Path) -> LabelledCase:
    try:
        return load_vignette(p)[0]
    except InputError as exc:
        return LabelledCase(p.stem, None, None, str(exc).replace("\n", " "))
    except yaml.YAMLError as exc:
        return LabelledCase(p.stem, None, None, f"not valid YAML: {exc}")
