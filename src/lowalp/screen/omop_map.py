"""The OMOP concept ids the screen maps: the knowledge's own table (``knowledge/omop.yaml``).

The table is part of the loaded :class:`~lowalp.knowledge.Knowledge` (``kb.omop``, see
:mod:`lowalp.knowledge.omop`); this module gives the screen its old names for it and reads an
edited copy of the file, checked against the same knowledge, for tests and local variants.
"""

from __future__ import annotations

from pathlib import Path

from lowalp.knowledge import Knowledge
from lowalp.knowledge.omop import ConceptEntry, GenderEntry, OmopMap, OperatorEntry, UnitEntry
from lowalp.knowledge.omop import parse_omop as _parse

__all__ = [
    "ConceptEntry",
    "GenderEntry",
    "OmopMap",
    "OperatorEntry",
    "UnitEntry",
    "load_omop_map",
]

DEFAULT = "knowledge/omop.yaml"
"""How the bundled file is named in errors."""


def load_omop_map(kb: Knowledge, path: str | Path | None = None) -> OmopMap:
    """The knowledge's OMOP map (``kb.omop``), or the file at ``path`` checked against ``kb``.

    Raises :class:`~lowalp.errors.KnowledgeError` naming the file and, for each problem, the
    key path (``concepts.3.analyte: unknown analyte 'x'``).
    """
    if path is None:
        return kb.omop
    text = Path(path).read_text(encoding="utf-8")
    return _parse(text, str(path), kb.analytes, kb.sources)
