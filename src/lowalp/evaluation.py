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
    """The probability given to the labelled diagnosis."""
    top_probability: float | None = None
    """The probability of the answer ranked first (right or wrong)."""

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"id": self.id, "diagnosis": self.diagnosis, "ranked": self.ranked}
        if self.top_probability is not None:
            out["top_probability"] = round(self.top_probability, 4)
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


CALIBRATION_BANDS: tuple[tuple[float, float], ...] = (
    (0.0, 0.3),
    (0.3, 0.5),
    (0.5, 0.7),
    (0.7, 0.9),
    (0.9, 1.0),
)
"""Bands of the first answer's probability; the last includes 1.0."""


@dataclass(frozen=True)
class CalibrationRow:
    low: float
    high: float
    n: int
    right: int
    mean_probability: float | None

    def to_dict(self) -> dict[str, object]:
        return {
            "band": f"{self.low:.0%}-{self.high:.0%}",
            "n": self.n,
            "right": self.right,
            "share_right": self.right / self.n if self.n else None,
            "mean_probability": self.mean_probability,
        }


def calibration(cases: Iterable[CaseOutcome]) -> list[CalibrationRow]:
    """How often the first answer is right among answers given at each band of probability.

    A well calibrated ranking is right about as often as it claims: among first answers given
    70-90%, roughly 70-90% are the labelled diagnosis. Cases that could not be assessed are left
    out (they have no first answer).
    """
    rows = []
    scored = [c for c in cases if c.top_probability is not None]
    for i, (low, high) in enumerate(CALIBRATION_BANDS):
        last = i == len(CALIBRATION_BANDS) - 1
        band = [
            c
            for c in scored
            if c.top_probability is not None
            and low <= c.top_probability
            and (c.top_probability <= high if last else c.top_probability < high)
        ]
        probs = [c.top_probability for c in band if c.top_probability is not None]
        rows.append(
            CalibrationRow(
                low,
                high,
                len(band),
                sum(c.top1 for c in band),
                sum(probs) / len(probs) if probs else None,
            )
        )
    return rows


@dataclass
class EvaluationReport:
    overall: Tally = field(default_factory=Tally)
    per_cause: dict[str, Tally] = field(default_factory=dict)
    cases: list[CaseOutcome] = field(default_factory=list)

    @property
    def misses(self) -> list[CaseOutcome]:
        return [c for c in self.cases if not c.top1]

    @property
    def calibration(self) -> list[CalibrationRow]:
        return calibration(self.cases)

    def to_dict(self) -> dict[str, object]:
        return {
            **self.overall.rates(),
            "per_cause": {k: v.rates() for k, v in sorted(self.per_cause.items())},
            "calibration": [r.to_dict() for r in self.calibration],
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
        top_probability=a.causes[0].probability if a.causes else None,
    )
