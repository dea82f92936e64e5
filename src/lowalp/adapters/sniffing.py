"""Content checks that tell an input format without importing its adapter.

:func:`lowalp.adapters.sniff` tries the adapters in order; the FHIR adapter is tried first and
is large (FHIR models, the free-text reader for its documents), so its check lives here, where
trying it costs nothing for a case JSON file.
"""

from __future__ import annotations

from pathlib import Path


def looks_like_fhir(head: str, path: Path | None) -> bool:
    """A FHIR Bundle or resource (JSON with a ``resourceType``), or a folder of NDJSON files."""
    if path is not None and path.is_dir():
        return any(path.glob("*.ndjson"))
    text = head.lstrip("\ufeff \t\r\n")
    return text.startswith("{") and '"resourceType"' in text
