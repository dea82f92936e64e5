"""Pointers into the input, as shown with rejected records and warnings.

In a Bundle they follow the JSON path (``entry[3].resource.valueQuantity.unit``); in NDJSON
they name the file and line, then the path (``Observation.ndjson line 5, status``).
"""

from __future__ import annotations


def pointer(prefix: str, loc: tuple[int | str, ...]) -> str:
    """A pydantic error location appended to ``prefix`` (``[0]`` for indexes, ``.x`` for keys)."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def sep(prefix: str) -> str:
    """``entry[3].resource`` + ``.status``; ``Observation.ndjson line 5`` + ``, status``."""
    if not prefix:
        return ""
    if " line " in prefix and not prefix.endswith("resource"):
        return prefix + ", "
    return prefix + "."


def at(prefix: str, path: str) -> str:
    """The element ``path`` inside the resource that ``prefix`` points at."""
    return sep(prefix) + path
