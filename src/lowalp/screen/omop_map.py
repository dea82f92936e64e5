"""``knowledge/omop.yaml``: the OMOP concept ids the screen maps, as a closed schema.

Each OMOP concept id (measurement, unit, gender, operator) maps to an analyte, unit, sex or
comparison, with the sources that give it. :func:`load_omop_map` checks the file against the
knowledge: every analyte, unit, LOINC code and source must exist there. Errors are
:class:`~lowalp.errors.KnowledgeError` naming the file and the key path
(``concepts.3035995.analyte: unknown analyte 'x'``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from lowalp.errors import KnowledgeError
from lowalp.knowledge import Knowledge

DEFAULT = "knowledge/omop.yaml"
"""How the bundled file is named in errors."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConceptEntry(_Strict):
    analyte: str
    loinc: str | None = None
    source: list[str]


class UnitEntry(_Strict):
    unit: str
    source: list[str]


class GenderEntry(_Strict):
    sex: Literal["F", "M"]
    source: list[str]


class OperatorEntry(_Strict):
    operator: Literal["=", "<", ">", "<=", ">="]
    source: list[str]


class OmopMap(_Strict):
    concepts: dict[int, ConceptEntry]
    units: dict[int, UnitEntry]
    gender: dict[int, GenderEntry]
    operators: dict[int, OperatorEntry]


def load_omop_map(kb: Knowledge, path: str | Path | None = None) -> OmopMap:
    """knowledge/omop.yaml (or the file at ``path``), validated against the knowledge ``kb``.

    Raises :class:`~lowalp.errors.KnowledgeError` naming the file and, for each problem, the
    key path (``concepts.3.analyte: unknown analyte 'x'``).
    """
    where = str(path) if path else DEFAULT
    text = (
        Path(path).read_text(encoding="utf-8")
        if path
        else resources.files("lowalp.knowledge").joinpath("omop.yaml").read_text(encoding="utf-8")
    )
    try:
        data = yaml.safe_load(text)
        omop = OmopMap.model_validate(data)
    except yaml.YAMLError as exc:
        raise KnowledgeError(where, f"not valid YAML: {exc}") from None
    except ValidationError as exc:
        raise KnowledgeError(
            where, [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        ) from None
    problems = _check(omop, kb)
    if problems:
        raise KnowledgeError(where, problems)
    return omop


def _check(omop: OmopMap, kb: Knowledge) -> list[str]:
    """Each way ``omop`` disagrees with the knowledge, as ``key.path: message`` text."""
    problems: list[str] = []
    all_units = {u for a in kb.analytes.values() for u in a.units}
    for cid, c in omop.concepts.items():
        if c.analyte not in kb.analytes:
            problems.append(f"concepts.{cid}.analyte: unknown analyte {c.analyte!r}")
        elif c.loinc and c.loinc not in kb.analytes[c.analyte].loinc:
            problems.append(f"concepts.{cid}.loinc: {c.loinc} is not a LOINC code of {c.analyte}")
    for uid, u in omop.units.items():
        if u.unit not in all_units:
            problems.append(f"units.{uid}.unit: {u.unit!r} is no analyte's unit")
    for section in ("concepts", "units", "gender", "operators"):
        for key, entry in getattr(omop, section).items():
            for s in entry.source:
                if s not in kb.sources:
                    problems.append(f"{section}.{key}.source: unknown source {s!r}")
    return problems
