"""Accuracy of the ranking on labelled cases: top-1 and top-3, overall and per cause."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from lowalp.engine.assess import assess_case
from lowalp.errors import LowAlpError
from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.model import Case


@dataclass(frozen=True)
class LabelledCase:
    id: str
    case: Case | None
    diagnosis: str | None
    error: str | None = None


@dataclass(frozen=True)
class CaseOutcome:
    id: str
    diagnosis: str | None
    ranked: list[str]
    top1: bool
    top3: bool
    error: str | None = None
    probability: float | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"id": self.id, "diagnosis": self.diagnosis, "ranked": self.ranked}
        if self.error:
            out["error"] = self.error
        return out


@dataclass
class Tally:
    n: int = 0
    top1: int = 0
    top3: int = 0

    def add(self, o: CaseOutcome) -> None:
        self.n += 1
        self.top1 += o.top1
        self.top3 += o.top3

    def rates(self) -> dict[str, float | int]:
        return {
            "n": self.n,
            "top1": self.top1 / self.n if self.n else 0.0,
            "top3": self.top3 / self.n if self.n else 0.0,
        }


@dataclass
class EvaluationReport:
    overall: Tally = field(default_factory=Tally)
    per_cause: dict[str, Tally] = field(default_factory=dict)
    cases: list[CaseOutcome] = field(default_factory=list)

    @property
    def misses(self) -> list[CaseOutcome]:
        return [c for c in self.cases if not c.top1]

    def to_dict(self) -> dict[str, object]:
        return {
            **self.overall.rates(),
            "per_cause": {k: v.rates() for k, v in sorted(self.per_cause.items())},
            "cases": [c.to_dict() for c in self.cases],
        }


def evaluate(
    items: Iterable[LabelledCase], *, knowledge: Knowledge | None = None
) -> EvaluationReport:
    """Assess each labelled case and count how often its diagnosis ranks first and in the top 3.

    A case that cannot be assessed counts as a miss and keeps its error message.
    """
    kb = knowledge or load_knowledge()
    report = EvaluationReport()
    for item in items:
        outcome = _one(item, kb)
        report.cases.append(outcome)
        report.overall.add(outcome)
        key = item.diagnosis or "(no diagnosis)"
        report.per_cause.setdefault(key, Tally()).add(outcome)
    return report


def _one(item: LabelledCase, kb: Knowledge) -> CaseOutcome:
    if item.case is None:
        return CaseOutcome(
            item.id, item.diagnosis, [], False, False, item.error or "could not be read"
        )
    if item.diagnosis is not None and item.diagnosis not in kb.causes:
        msg = f"diagnosis {item.diagnosis!r} is not a cause id"
        return CaseOutcome(item.id, item.diagnosis, [], False, False, msg)
    try:
        a = assess_case(item.case, knowledge=kb)
    except LowAlpError as exc:
        return CaseOutcome(item.id, item.diagnosis, [], False, False, str(exc).splitlines()[0])
    ranked = [c.id for c in a.causes]
    prob = next((c.probability for c in a.causes if c.id == item.diagnosis), None)
    return CaseOutcome(
        item.id,
        item.diagnosis,
        ranked,
        top1=bool(ranked) and ranked[0] == item.diagnosis,
        top3=item.diagnosis in ranked[:3],
        probability=prob,
    )
