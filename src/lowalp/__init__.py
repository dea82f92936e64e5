"""lowalp: explain a low alkaline phosphatase (ALP) result.

>>> import lowalp
>>> result = lowalp.assess({
...     "patient": {"age_years": 46, "sex": "F"},
...     "labs": [{"analyte": "alp", "value": 19, "unit": "U/L", "day": 0},
...              {"analyte": "alp", "value": 21, "unit": "U/L", "day": -200}],
... })
>>> result.alp.status, result.alp.persistent
('low', True)
>>> abs(sum(c.probability for c in result.causes) - 1) < 1e-9
True
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lowalp.errors import InputError, KnowledgeError, LowAlpError, Problem, UnitError
from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.model import Assessment, Case

__all__ = [
    "Assessment",
    "Case",
    "InputError",
    "Knowledge",
    "KnowledgeError",
    "LowAlpError",
    "Problem",
    "UnitError",
    "assess",
    "load_case",
    "load_knowledge",
]

__version__ = "0.1.0"


def load_case(source: str | Path | Mapping[str, Any]) -> Case:
    """A case from a dict in the case format, or from a case JSON file.

    Raises :class:`InputError` listing every problem found.
    """
    from lowalp.adapters import case_json

    if isinstance(source, Mapping):
        return case_json.case_from_dict(source)
    return case_json.load(source)


def assess(
    case: Case | Mapping[str, Any] | str | Path,
    *,
    knowledge: Knowledge | None = None,
    strict: bool = False,
) -> Assessment:
    """Assess one case: ALP status, artefacts, ranked causes with evidence, next tests.

    ``strict=True`` turns results the program cannot use (unknown analyte or unit, unmatched
    free text) into an :class:`InputError` instead of listing them under ``not_understood``.
    """
    from lowalp.engine.assess import assess_case

    if not isinstance(case, Case):
        case = load_case(case)
    return assess_case(case, knowledge=knowledge, strict=strict)
