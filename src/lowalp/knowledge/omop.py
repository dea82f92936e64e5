"""``omop.yaml``: the OMOP CDM concept ids of the knowledge, as a closed schema.

The one table of OMOP ids in lowalp: the screen maps measurements through it, the synthetic
OMOP data writes its ids and the exported Circe cohort names them. Each id (measurement, unit,
gender, operator, measurement type) maps to an analyte, unit, sex, comparison or record type,
with the sources that give it. :func:`parse_omop` checks the file against the rest of the
knowledge: every analyte, unit, LOINC code and source must exist there. Errors are
:class:`~lowalp.errors.KnowledgeError` naming the file and the key path
(``concepts.3035995.analyte: unknown analyte 'x'``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from lowalp.errors import KnowledgeError
from lowalp.knowledge.schema import Analyte, SourceEntry

FILE = "omop.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConceptEntry(_Strict):
    analyte: str
    loinc: str | None = None
    """The LOINC code of the concept (default: the analyte's primary code)."""
    name: str | None = None
    """The concept's name in the OMOP vocabulary (default: the analyte's name)."""
    source: list[str]


class UnitEntry(_Strict):
    unit: str
    name: str | None = None
    """The unit concept's name in the OMOP vocabulary (UCUM), e.g. 'unit per liter'."""
    source: list[str]


class GenderEntry(_Strict):
    sex: Literal["F", "M"]
    source: list[str]


class OperatorEntry(_Strict):
    operator: Literal["=", "<", ">", "<=", ">="]
    source: list[str]


class TypeEntry(_Strict):
    type: Literal["lab"]
    source: list[str]


class OmopMap(_Strict):
    concepts: dict[int, ConceptEntry]
    units: dict[int, UnitEntry]
    gender: dict[int, GenderEntry]
    operators: dict[int, OperatorEntry]
    measurement_types: dict[int, TypeEntry] = {}

    def concept_of(self, analyte: str) -> int | None:
        """The (lowest) measurement concept id of ``analyte``, or None."""
        return next((i for i, c in sorted(self.concepts.items()) if c.analyte == analyte), None)

    def unit_concepts(self) -> dict[str, int]:
        """Unit as written -> its unit concept id (the lowest id where two name one unit)."""
        out: dict[str, int] = {}
        for i, u in sorted(self.units.items()):
            out.setdefault(u.unit, i)
        return out

    def gender_of(self, sex: str) -> int:
        return next(i for i, g in sorted(self.gender.items()) if g.sex == sex)

    def operator_of(self, operator: str) -> int:
        return next(i for i, o in sorted(self.operators.items()) if o.operator == operator)

    def measurement_type_of(self, kind: str) -> int:
        return next(i for i, t in sorted(self.measurement_types.items()) if t.type == kind)


def parse_omop(
    text: str,
    where: str,
    analytes: Mapping[str, Analyte],
    sources: Mapping[str, SourceEntry],
) -> OmopMap:
    """The OMOP map in ``text`` (named ``where`` in errors), checked against the knowledge."""
    import yaml  # only here: a knowledge snapshot is read without the YAML parser

    try:
        data: Any = yaml.safe_load(text)
        omop = OmopMap.model_validate(data)
    except yaml.YAMLError as exc:
        raise KnowledgeError(where, f"not valid YAML: {exc}") from None
    except ValidationError as exc:
        raise KnowledgeError(
            where, [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        ) from None
    problems = _check(omop, analytes, sources)
    if problems:
        raise KnowledgeError(where, problems)
    return omop


def _check(
    omop: OmopMap, analytes: Mapping[str, Analyte], sources: Mapping[str, SourceEntry]
) -> list[str]:
    """Each way ``omop`` disagrees with the knowledge, as ``key.path: message`` text."""
    problems: list[str] = []
    all_units = {u for a in analytes.values() for u in a.units}
    for cid, c in omop.concepts.items():
        if c.analyte not in analytes:
            problems.append(f"concepts.{cid}.analyte: unknown analyte {c.analyte!r}")
        elif c.loinc and c.loinc not in analytes[c.analyte].loinc:
            problems.append(f"concepts.{cid}.loinc: {c.loinc} is not a LOINC code of {c.analyte}")
    for uid, u in omop.units.items():
        if u.unit not in all_units:
            problems.append(f"units.{uid}.unit: {u.unit!r} is no analyte's unit")
    for sex in ("F", "M"):
        if sex not in {g.sex for g in omop.gender.values()}:
            problems.append(f"gender: no concept for sex {sex}")
    for section in ("concepts", "units", "gender", "operators", "measurement_types"):
        for key, entry in getattr(omop, section).items():
            for s in entry.source:
                if s not in sources:
                    problems.append(f"{section}.{key}.source: unknown source {s!r}")
    return problems
