"""The knowledge compiled into one program of typed definitions, evaluated per case and per table.

``lowalp assess`` evaluates it one case at a time (:mod:`lowalp.engine.findings` walks the
nodes, :mod:`lowalp.engine.score` adds the rules), keeping the words of each detail from the
knowledge; a screen evaluates the same program for every person of a table at once
(:mod:`lowalp.screen.program_eval`). The program, compiled once from the knowledge, holds:

- each finding as a typed node in dependency order (a node refers only to nodes before it): a
  lab threshold (fixed, by age band, or against a reference range, in canonical units, with the
  adjustment and the gates that set a result aside), a ratio, a pattern of other findings, a
  property of the ALP series, or a finding decided only by what is reported (symptoms,
  medicines, events, care setting), which a table of results cannot hold;
- each cause as its priors (with their logarithms, computed here once so that every evaluator
  adds the same numbers), its rules (the weight of the finding present and absent, rounded as the
  evidence shows it; the population the rule was measured in; the evidence group it counts in)
  and the ceiling of its link grade.

The program's weights are the likelihood ratios' logarithms
(:func:`lowalp.engine.likelihood.rule_weights`) rounded as the evidence shows them, and both
evaluators add them in the same order (:func:`lowalp.engine.likelihood.added`): a threshold,
window, weight or id is written in the knowledge only and compiled here once. A definition that
the columnar form cannot express raises :class:`ProgramError` naming the file and key, at
compile time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from lowalp.engine.likelihood import rule_weights
from lowalp.errors import KnowledgeError, UnitError
from lowalp.knowledge import Knowledge
from lowalp.knowledge.schema import (
    AlpFinding,
    Applies,
    ClinicalFinding,
    EventFinding,
    Finding,
    GrowthIndicator,
    LabFinding,
    MedicationFinding,
    PatternFinding,
    RatioFinding,
    SettingFinding,
)
from lowalp.units import factor

Op = Literal["lt", "le", "gt", "ge"]


class ProgramError(KnowledgeError):
    """A definition of the knowledge that cannot be compiled (file, key and why)."""

    def __init__(self, file: str, key: str, why: str) -> None:
        self.key, self.why = key, why
        super().__init__(file, f"{key}: {why}")


@dataclass(frozen=True, slots=True)
class Scope:
    """Who a finding or a rule applies to: an age range (years, ``age_max`` exclusive), a sex,
    and findings that must be present. An unknown age or sex is outside a bound that needs it."""

    age_min: float | None = None
    age_max: float | None = None
    sex: str | None = None
    when: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Band:
    """One age band (and sex) of a banded threshold: ``limit`` in the canonical unit, or a
    z-score limit of the WHO growth indicator ``growth``."""

    age_min: float
    age_max: float
    sex: str | None
    limit: float
    growth: GrowthIndicator | None = None
    growth_scale: float = 1.0
    """Divides a canonical value into the growth indicator's unit."""


@dataclass(frozen=True, slots=True)
class ReferenceRow:
    """A reference interval of an analyte for an age range and sex, in the canonical unit
    (``low``/``high`` None: no limit on that side at these ages)."""

    age_min: float
    age_max: float
    sex: str | None
    low: float | None
    high: float | None


@dataclass(frozen=True, slots=True)
class Adjust:
    """``value + per_unit × (centre − other)`` with the other analyte of the same sample."""

    analyte: str
    scale: float
    """Multiplies a value in the result unit into the canonical unit."""
    other_scale: float
    """Multiplies a value of the other analyte in its ``unit`` into its canonical unit."""
    centre: float
    per_unit: float


@dataclass(frozen=True, slots=True)
class Gate:
    finding: str
    hides: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LabNode:
    id: str
    analyte: str
    op: Op
    limit: float | None
    """A fixed threshold in the canonical unit; None for bands or a reference range."""
    reference: Literal["below", "above"] | None
    """Against the lab's printed range, else the knowledge's reference rows."""
    bands: tuple[Band, ...]
    applies: Scope | None
    adjust: Adjust | None
    gates: tuple[Gate, ...]


@dataclass(frozen=True, slots=True)
class RatioNode:
    id: str
    numerator: str
    denominator: str
    numerator_scale: float
    denominator_scale: float
    op: Op
    value: float
    applies: Scope | None
    gates: tuple[Gate, ...]


@dataclass(frozen=True, slots=True)
class PatternNode:
    id: str
    all_of: tuple[str, ...]
    any_of: tuple[str, ...]
    same_specimen: bool
    applies: Scope | None
    gates: tuple[Gate, ...]


@dataclass(frozen=True, slots=True)
class AlpNode:
    id: str
    property: str
    gates: tuple[Gate, ...]


@dataclass(frozen=True, slots=True)
class ReportedNode:
    """A finding decided only by what is reported (a symptom, a medicine, an event, the care
    setting): unknown for a person of whom only results are known."""

    id: str
    kind: str
    gates: tuple[Gate, ...]


Node = LabNode | RatioNode | PatternNode | AlpNode | ReportedNode


@dataclass(frozen=True, slots=True)
class Rule:
    finding: str
    w_present: float
    w_absent: float
    population: Scope | None
    unless: tuple[str, ...]
    group: str | None


@dataclass(frozen=True, slots=True)
class CauseProgram:
    id: str
    child: float
    adult: float
    sex: tuple[tuple[str, float], ...]
    setting: tuple[tuple[str, float], ...]
    rules: tuple[Rule, ...]
    ceiling: float | None
    artifact: tuple[str, float] | None = None
    """For a pre-analytical artefact: the finding whose presence, with the cause's probability
    at least the given one, raises the warning before any cause."""

    def prior(self, child: bool, sex: str | None, setting: str | None) -> float:
        """The prior for a child or an adult, times the sex and care-setting factors when known."""
        p = self.child if child else self.adult
        if sex in ("F", "M"):
            p *= dict(self.sex).get(sex, 1.0)
        if setting in ("outpatient", "inpatient", "icu"):
            p *= dict(self.setting).get(setting, 1.0)
        return p

    def log_prior(self, child: bool, sex: str | None, setting: str | None = None) -> float:
        return math.log(self.prior(child, sex, setting))


@dataclass(frozen=True, slots=True)
class Program:
    nodes: tuple[Node, ...]
    """Every finding of the knowledge, each after the findings it refers to."""
    causes: tuple[CauseProgram, ...]
    excess_to: str
    adult_age_years: float
    unknown_age_years: float
    """The age a person of unknown age is judged at (``settings.unknown_age``)."""
    references: dict[str, tuple[ReferenceRow, ...]]
    """Each analyte's reference rows in the canonical unit, in file order."""
    specimen_analytes: frozenset[str]
    """Analytes read from the index ALP's own sample (same-specimen patterns, adjustments)."""
    by_id: dict[str, Node] = field(default_factory=dict, compare=False, repr=False)
    """Each node by its finding id."""
    cause_by_id: dict[str, CauseProgram] = field(default_factory=dict, compare=False, repr=False)

    @property
    def analytes(self) -> frozenset[str]:
        """Every analyte a node reads."""
        out: set[str] = set()
        for n in self.nodes:
            if isinstance(n, LabNode):
                out.add(n.analyte)
                if n.adjust:
                    out.add(n.adjust.analyte)
            elif isinstance(n, RatioNode):
                out.update((n.numerator, n.denominator))
        return frozenset(out)

    def node(self, fid: str) -> Node:
        return self.by_id[fid]

    def cause(self, cid: str) -> CauseProgram:
        return self.cause_by_id[cid]


def compile_program(kb: Knowledge) -> Program:
    """The program of ``kb`` (cached on it)."""
    cached = kb.cache.get("program")
    if cached is None:
        cached = _compile(kb)
        kb.cache["program"] = cached
    program: Program = cached
    return program


def _compile(kb: Knowledge) -> Program:
    compiled: dict[str, Node] = {}
    order: list[Node] = []
    visiting: list[str] = []

    def visit(fid: str, via: str) -> None:
        if fid in compiled:
            return
        if fid not in kb.findings:
            raise ProgramError(_file(kb, via), via, f"refers to {fid!r}, which is not a finding")
        if fid in visiting:
            cycle = " -> ".join([*visiting[visiting.index(fid) :], fid])
            raise ProgramError(_file(kb, fid), fid, f"refers to itself: {cycle}")
        visiting.append(fid)
        f = kb.findings[fid]
        for ref in _references(f):
            visit(ref, fid)
        visiting.pop()
        node = _node(kb, f)
        compiled[fid] = node
        order.append(node)

    for fid in kb.findings:
        visit(fid, fid)
    causes = tuple(_cause(kb, cid) for cid in kb.causes)
    for c in causes:
        for r in c.rules:
            for ref in (*(r.population.when if r.population else ()), *r.unless):
                if ref not in compiled:
                    raise ProgramError(
                        f"causes/{c.id}.yaml",
                        f"evidence.{r.finding}.population",
                        f"refers to {ref!r}, which is not a finding",
                    )
    specimen: set[str] = set()
    for n in order:
        if isinstance(n, PatternNode) and n.same_specimen:
            for part in (*n.all_of, *n.any_of):
                specimen |= _analytes_of(compiled, part)
        if isinstance(n, LabNode) and n.adjust:
            specimen.add(n.adjust.analyte)
    references = {
        a.id: tuple(
            ReferenceRow(
                r.age_min,
                r.age_max,
                r.sex,
                r.low * a.units[r.unit] if r.low is not None else None,
                r.high * a.units[r.unit] if r.high is not None else None,
            )
            for r in a.reference
        )
        for a in kb.analytes.values()
    }
    return Program(
        nodes=tuple(order),
        causes=causes,
        excess_to=kb.settings.link_ceilings.excess_to,
        adult_age_years=kb.settings.adult_age_years,
        unknown_age_years=kb.settings.unknown_age.years,
        references=references,
        specimen_analytes=frozenset(specimen),
        by_id=compiled,
        cause_by_id={c.id: c for c in causes},
    )


def _file(kb: Knowledge, fid: str) -> str:
    return kb.finding_files.get(fid, "findings/")


def _references(f: Finding) -> list[str]:
    out = [g.finding for g in f.uninformative_when]
    applies = getattr(f, "applies", None)
    if isinstance(applies, Applies) and applies.when:
        out.append(applies.when)
    if isinstance(f, PatternFinding):
        out += [*f.all_of, *f.any_of]
    return out


def _analytes_of(nodes: dict[str, Node], fid: str) -> set[str]:
    n = nodes[fid]
    if isinstance(n, LabNode):
        return {n.analyte} | ({n.adjust.analyte} if n.adjust else set())
    if isinstance(n, RatioNode):
        return {n.numerator, n.denominator}
    if isinstance(n, PatternNode):
        return set().union(*(_analytes_of(nodes, p) for p in (*n.all_of, *n.any_of)))
    return set()


def scope_of(applies: Applies | None) -> Scope | None:
    """The scope of a knowledge ``applies`` (None: everyone)."""
    if applies is None:
        return None
    return Scope(
        applies.age_min, applies.age_max, applies.sex, (applies.when,) if applies.when else ()
    )


def _gates(f: Finding) -> tuple[Gate, ...]:
    return tuple(Gate(g.finding, tuple(g.hides)) for g in f.uninformative_when)


def _scale(
    kb: Knowledge, fid: str, key: str, analyte: str, unit: str, synonyms: bool = True
) -> float:
    if analyte not in kb.analytes:
        raise ProgramError(_file(kb, fid), f"{fid}.{key}", f"unknown analyte {analyte!r}")
    try:
        return factor(kb.analytes[analyte], unit, kb.unit_synonyms if synonyms else {})
    except UnitError as exc:
        raise ProgramError(_file(kb, fid), f"{fid}.{key}", str(exc)) from None


def _node(kb: Knowledge, f: Finding) -> Node:
    gates = _gates(f)
    if isinstance(f, LabFinding):
        return _lab(kb, f, gates)
    if isinstance(f, RatioFinding):
        return RatioNode(
            f.id,
            f.numerator,
            f.denominator,
            _scale(kb, f.id, "numerator_unit", f.numerator, f.numerator_unit, synonyms=False),
            _scale(kb, f.id, "denominator_unit", f.denominator, f.denominator_unit, synonyms=False),
            f.op,
            f.value,
            scope_of(f.applies),
            gates,
        )
    if isinstance(f, PatternFinding):
        return PatternNode(
            f.id, tuple(f.all_of), tuple(f.any_of), f.same_specimen, scope_of(f.applies), gates
        )
    if isinstance(f, AlpFinding):
        return AlpNode(f.id, f.property, gates)
    if isinstance(f, ClinicalFinding | MedicationFinding | EventFinding | SettingFinding):
        return ReportedNode(f.id, f.kind, gates)
    raise ProgramError(
        _file(kb, f.id), f"{f.id}.kind", f"kind {getattr(f, 'kind', '?')!r} has no columnar form"
    )


def _lab(kb: Knowledge, f: LabFinding, gates: tuple[Gate, ...]) -> LabNode:
    if f.analyte not in kb.analytes:
        raise ProgramError(_file(kb, f.id), f"{f.id}.analyte", f"unknown analyte {f.analyte!r}")
    bands: list[Band] = []
    for i, b in enumerate(f.bands):
        if b.growth is not None:
            from lowalp.engine.growth import unit as growth_unit

            scale = _scale(kb, f.id, f"bands[{i}].growth", f.analyte, growth_unit(b.growth))
            bands.append(Band(b.age_min, b.age_max, b.sex, b.value, b.growth, scale))
        else:
            scale = _scale(kb, f.id, f"bands[{i}].unit", f.analyte, b.unit)
            bands.append(Band(b.age_min, b.age_max, b.sex, b.value * scale))
    adjust = None
    if f.adjust is not None:
        a = f.adjust
        if a.analyte not in kb.analytes:
            raise ProgramError(
                _file(kb, f.id), f"{f.id}.adjust.analyte", f"unknown analyte {a.analyte!r}"
            )
        adjust = Adjust(
            a.analyte,
            _scale(kb, f.id, "adjust.result_unit", f.analyte, a.result_unit),
            _scale(kb, f.id, "adjust.unit", a.analyte, a.unit),
            a.centre,
            a.per_unit,
        )
    reference: Literal["below", "above"] | None = None
    limit: float | None = None
    op: Op
    if f.op in ("below_ref", "above_ref"):
        reference = "below" if f.op == "below_ref" else "above"
        op = "lt" if f.op == "below_ref" else "gt"
    else:
        op = f.op  # type: ignore[assignment]  # the two reference ops are handled above
        if not f.bands:
            if f.id not in kb.thresholds:
                raise ProgramError(
                    _file(kb, f.id), f"{f.id}.value", "no threshold in canonical units"
                )
            limit = kb.thresholds[f.id]
    return LabNode(
        f.id, f.analyte, op, limit, reference, tuple(bands), scope_of(f.applies), adjust, gates
    )


def _cause(kb: Knowledge, cid: str) -> CauseProgram:
    cause = kb.causes[cid]
    rules = []
    for fid, rw in rule_weights(kb, cause).items():
        if fid not in kb.findings:
            raise ProgramError(f"causes/{cid}.yaml", f"evidence.{fid}", "not a finding")
        pop = rw.rule.population
        scope = (
            Scope(pop.age_min, pop.age_max, pop.sex, tuple(pop.when)) if pop is not None else None
        )
        rules.append(
            Rule(
                fid,
                round(rw.w_present, 3),
                round(rw.w_absent, 3),
                scope,
                tuple(pop.unless) if pop is not None else (),
                kb.group_of.get(fid),
            )
        )
    ceiling = None
    if cause.link is not None:
        ceiling = kb.settings.link_ceilings.ceilings[cause.link.grade]
    artifact = None
    if cause.artifact is not None:
        if cause.artifact.finding not in kb.findings:
            raise ProgramError(
                f"causes/{cid}.yaml",
                "artifact.finding",
                f"refers to {cause.artifact.finding!r}, which is not a finding",
            )
        artifact = (cause.artifact.finding, cause.artifact.min_probability)
    return CauseProgram(
        cid,
        cause.prior.child,
        cause.prior.adult,
        tuple(cause.prior.sex.items()),
        tuple(cause.prior.setting.items()),
        tuple(rules),
        ceiling,
        artifact,
    )
