"""The evidence behind the weights, as a table anyone can audit, and how much each rule matters.

:func:`rule_table` lists every evidence rule (a cause and a finding) with its likelihood ratios,
where they come from (figures a study published, or an estimate and its reasoning), the study's
design, population and size. :func:`influence` measures, on labelled cases, how often each rule
changes the cause ranked first when it is taken away (its likelihood ratios set to 1), and
:func:`sensitivity` how often it does when an *estimated* rule is moved within its stated
uncertainty (every likelihood ratio multiplied and divided by ``spread``). Both re-run the
engine itself, so groups, ceilings and populations act as they do in ``lowalp assess``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from lowalp.engine.alp_status import alp_status
from lowalp.engine.assess import run_stages
from lowalp.engine.findings import findings
from lowalp.engine.persistence import persistence
from lowalp.engine.score import score
from lowalp.engine.work import Work
from lowalp.errors import LowAlpError
from lowalp.knowledge import Knowledge
from lowalp.knowledge.schema import Cause, EvidenceRule
from lowalp.model import Case, CauseResult
from lowalp.normalise import normalise

RANKING = (alp_status, persistence, findings, score)
"""The stages of ``lowalp assess`` that rank the causes (artefact warnings, published scores
and next tests come after the ranking and do not change it)."""

Provenance = Literal["published", "estimate, cited", "estimate", "cited"]
"""Where a rule's weights come from: figures a study published (with their derivation); an
estimate that leans on a cited source without figures that give it; an estimate from clinical
reasoning alone; or a cited source whose figures are not written out in the rule."""

TEXT_CACHES = frozenset(
    {
        "nlp",
        "lexicon",
        "text_reads",
        "note_result_patterns",
        "qualitative_vocabulary",
        "reference_envelopes",
        "panel_names",
    }
)
"""Caches of a knowledge that depend on how text and units are read, not on the causes: kept
when only a rule's weights change (everything else is built again)."""

DEFAULT_SPREAD = 2.0
"""How far an estimated likelihood ratio is moved in :func:`sensitivity`: multiplied and
divided by 2. An estimate, reasoning stated: most rules' reasoning places a finding in a band
("weak", "moderate", "strong") whose neighbours are about a factor of two apart, so a factor of
two is the uncertainty of one band."""


@dataclass(frozen=True, slots=True)
class RuleRow:
    """One evidence rule, as the evidence table shows it."""

    cause: str
    cause_name: str
    finding: str
    finding_label: str
    lr_present: float
    lr_absent: float | None
    provenance: Provenance
    source: str | None
    citation: str | None
    design: str | None
    population: str | None
    n: int | None
    basis: str
    """The derivation of published figures, or the reasoning of an estimate."""
    adjusted: str | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.cause, self.finding)

    @property
    def weights(self) -> tuple[float, float | None]:
        """The weights used (natural logs of the likelihood ratios): present, and absent where
        the rule gives an LR−."""
        absent = math.log(self.lr_absent) if self.lr_absent is not None else None
        return math.log(self.lr_present), absent

    @property
    def weight(self) -> float:
        """The larger of the rule's two weights, by size: how far it can move its cause alone."""
        present, absent = self.weights
        return present if absent is None else max(present, absent, key=abs)

    @property
    def grade(self) -> str:
        """How the figure was measured: the study design, or the kind of estimate."""
        if self.design is not None:
            return self.design.replace("_", " ")
        return {
            "estimate, cited": "estimate (cited context)",
            "estimate": "estimate (clinical reasoning)",
            "cited": "cited (figures not written out)",
        }.get(self.provenance, self.provenance)


def provenance(rule: EvidenceRule) -> Provenance:
    if rule.published is not None:
        return "published"
    if rule.estimate:
        return "estimate, cited" if rule.source else "estimate"
    return "cited"


def rule_table(kb: Knowledge) -> list[RuleRow]:
    """Every evidence rule of ``kb``, cause by cause in the knowledge's order."""
    rows: list[RuleRow] = []
    for cause in kb.causes.values():
        for r in cause.evidence:
            fig = r.published
            finding = kb.findings.get(r.finding)
            src = kb.sources.get(r.source) if r.source else None
            rows.append(
                RuleRow(
                    cause=cause.id,
                    cause_name=cause.name,
                    finding=r.finding,
                    finding_label=finding.label if finding is not None else r.finding,
                    lr_present=r.lr_present,
                    lr_absent=r.lr_absent,
                    provenance=provenance(r),
                    source=r.source,
                    citation=src.citation if src is not None else None,
                    design=fig.design if fig else None,
                    population=fig.population if fig else None,
                    n=fig.n if fig else None,
                    basis=(fig.derivation if fig else r.reasoning or "").strip(),
                    adjusted=r.adjusted,
                )
            )
    return rows


def counts(rows: Sequence[RuleRow]) -> dict[str, int]:
    """How many rules of each provenance, and in all."""
    out: dict[str, int] = {"rules": len(rows)}
    for row in rows:
        out[row.provenance] = out.get(row.provenance, 0) + 1
    return out


# ----------------------------------------------------------------------------- influence


Scale = Callable[[EvidenceRule], EvidenceRule]


def with_rule(kb: Knowledge, cause_id: str, finding: str, change: Scale) -> Knowledge:
    """``kb`` with one cause's rule for ``finding`` changed, ready to assess (the program and
    every cache built from the causes are built again; text caches are shared)."""
    cause = kb.causes[cause_id]
    evidence = [change(r) if r.finding == finding else r for r in cause.evidence]
    changed: Cause = cause.model_copy(update={"evidence": evidence})
    causes = {**kb.causes, cause_id: changed}
    cache = {k: v for k, v in kb.cache.items() if k in TEXT_CACHES}
    return replace(kb, causes=causes, cache=cache)


def _neutral(rule: EvidenceRule) -> EvidenceRule:
    return rule.model_copy(update={"lr_present": 1.0, "lr_absent": None})


def _moved(lr: float, by: float) -> float:
    """``lr`` made stronger (``by`` > 1: further from 1) or weaker (``by`` < 1: closer to 1,
    never past it), by the factor ``by`` on its own side of 1."""
    w, step = math.log(lr), math.log(by)
    size = max(abs(w) + step, 0.0) if w else 0.0
    return math.exp(math.copysign(size, w))


def _scaled(by: float) -> Scale:
    def scale(rule: EvidenceRule) -> EvidenceRule:
        absent = rule.lr_absent
        return rule.model_copy(
            update={
                "lr_present": _moved(rule.lr_present, by),
                "lr_absent": None if absent is None else _moved(absent, by),
            }
        )

    return scale


@dataclass(frozen=True, slots=True)
class Labelled:
    id: str
    case: Case


@dataclass(frozen=True, slots=True)
class Influence:
    """How often one rule changes the cause ranked first, on the cases it bears on."""

    cause: str
    finding: str
    bears_on: int
    """Cases where the rule weighs something (its finding known, the rule applicable)."""
    flips: int
    """Cases whose first cause changes when the rule is taken away (or moved)."""
    flipped: tuple[str, ...]
    """The ids of those cases."""


def ranked(case: Case, kb: Knowledge) -> tuple[CauseResult, ...]:
    """The causes as ``lowalp assess`` ranks them, from the ranking stages alone."""
    work = run_stages(Work(kb=kb, case=normalise(case, kb)), RANKING)
    return work.causes


def _top(causes: tuple[CauseResult, ...]) -> str | None:
    return causes[0].id if causes else None


def _bearing(causes: tuple[CauseResult, ...]) -> set[tuple[str, str]]:
    """The rules that weigh something in a ranking: (cause, finding) with a weight."""
    return {(c.id, e.finding) for c in causes for e in c.evidence if e.weight != 0}


def baseline(
    kb: Knowledge, cases: Iterable[Labelled]
) -> list[tuple[Labelled, str | None, set[tuple[str, str]]]]:
    """Each case's first cause and the rules that weigh in it (cases that fail are left out)."""
    out = []
    for item in cases:
        try:
            causes = ranked(item.case, kb)
        except LowAlpError:
            continue
        out.append((item, _top(causes), _bearing(causes)))
    return out


def influence(
    kb: Knowledge,
    cases: Sequence[Labelled],
    *,
    rules: Iterable[tuple[str, str]] | None = None,
    moves: Sequence[Scale] = (_neutral,),
    progress: Callable[[int, int], None] | None = None,
) -> list[Influence]:
    """For each rule (default: all), how many cases change their first cause under any of
    ``moves`` (default: the rule taken away). Only the cases a rule weighs in are re-assessed:
    a rule whose finding is unknown, or that does not apply, moves nothing."""
    base = baseline(kb, cases)
    keys = list(rules) if rules is not None else [(r.cause, r.finding) for r in rule_table(kb)]
    out: list[Influence] = []
    for i, (cause_id, finding) in enumerate(keys):
        touched = [(item, top) for item, top, bearing in base if (cause_id, finding) in bearing]
        flipped: list[str] = []
        if touched:
            variants = [with_rule(kb, cause_id, finding, move) for move in moves]
            for item, top in touched:
                if any(_top(ranked(item.case, v)) != top for v in variants):
                    flipped.append(item.id)
        out.append(Influence(cause_id, finding, len(touched), len(flipped), tuple(flipped)))
        if progress is not None:
            progress(i + 1, len(keys))
    return out


def sensitivity(
    kb: Knowledge,
    cases: Sequence[Labelled],
    *,
    spread: float = DEFAULT_SPREAD,
    progress: Callable[[int, int], None] | None = None,
) -> list[Influence]:
    """Every estimated rule moved by ``spread`` both ways (stronger and weaker): how often the
    first cause changes, most unsettling first. Published figures are not moved."""
    if spread <= 1:
        raise ValueError("spread must be above 1 (a factor applied to each likelihood ratio)")
    estimated = [r.key for r in rule_table(kb) if r.provenance != "published"]
    found = influence(
        kb,
        cases,
        rules=estimated,
        moves=(_scaled(spread), _scaled(1 / spread)),
        progress=progress,
    )
    return sorted(found, key=lambda x: (-x.flips, -x.bears_on, x.cause, x.finding))
