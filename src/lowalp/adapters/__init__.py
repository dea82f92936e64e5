"""Adapters turn input formats into the core :class:`~lowalp.model.Case`.

Each adapter module exposes ``ADAPTER`` (see :class:`lowalp.adapters.base.Adapter`).
:func:`load` picks one by name or by sniffing the content, and says what it tried.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from pathlib import Path

from lowalp.adapters.base import Adapter, ReadOptions, ReadResult
from lowalp.adapters.sniffing import looks_like_fhir
from lowalp.errors import InputError, Problem
from lowalp.knowledge import Knowledge, load_knowledge

# name -> module, in the order they are tried when sniffing
REGISTRY: dict[str, str] = {
    "fhir": "lowalp.adapters.fhir",
    "case-json": "lowalp.adapters.case_json",
    "hl7v2": "lowalp.adapters.hl7v2",
    "csv": "lowalp.adapters.csv_long",
    "parquet": "lowalp.adapters.csv_long:PARQUET_ADAPTER",
}


def get(name: str) -> Adapter:
    if name not in REGISTRY:
        close = difflib.get_close_matches(name, list(REGISTRY), n=2)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}?" if close else None
        raise InputError(
            [
                Problem(
                    "--input-format",
                    f"unknown input format; known: {', '.join(REGISTRY)}",
                    value=name,
                    hint=hint,
                )
            ]
        )
    module_name, _, attribute = REGISTRY[name].partition(":")
    module = importlib.import_module(module_name)
    adapter: Adapter = getattr(module, attribute or "ADAPTER")
    return adapter


def _head(path: Path, size: int = 8192) -> str:
    if path.is_dir():
        return ""
    with path.open("rb") as fh:
        raw = fh.read(size)
    return raw.decode("utf-8", errors="replace")


QUICK_SNIFF: dict[str, Callable[[str, Path | None], bool]] = {"fhir": looks_like_fhir}
"""The adapters whose own ``sniff`` is this check, tried without importing the adapter."""


def sniff(path: Path) -> Adapter:
    head = _head(path)
    tried = []
    for name in REGISTRY:
        tried.append(name)
        quick = QUICK_SNIFF.get(name)
        if quick is not None and not quick(head, path):
            continue
        adapter = get(name)
        if adapter.sniff(head, path):
            return adapter
    raise InputError(
        [
            Problem(
                str(path),
                f"could not tell the format (tried {', '.join(tried)})",
                hint="name it with --input-format",
            )
        ]
    )


def load(
    path: str | Path,
    *,
    format: str | None = None,
    options: ReadOptions | None = None,
    knowledge: Knowledge | None = None,
) -> ReadResult:
    """Read cases from ``path`` in the named format, or the format its content shows.

    Codes, units and analytes are those of ``knowledge`` (the bundled knowledge when none is
    given: this is a library entry point; the adapters themselves take it explicitly).
    """
    p = Path(path)
    if not p.exists():
        raise InputError([Problem(str(p), "file not found")])
    adapter = get(format) if format else sniff(p)
    try:
        result = adapter.read(p, options or ReadOptions(), knowledge or load_knowledge())
    except RecursionError:
        raise InputError(
            [Problem(str(p), "the input is nested too deeply to read")], source=str(p)
        ) from None
    result.format = adapter.name
    return result
