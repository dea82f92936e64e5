"""Published scores and criteria (Leipzig, Tornero 2022, the Mayo adult HPP definition …).

A score is shown when at least one of its inputs is known; unknown inputs are listed as missing.

Each item reads one finding (or bands of one analyte) and takes its state from it alone: met
when the finding is in the item's ``met_when`` state, not met in the other state, unknown while
it is unknown. Nothing else sets an item's state or its reason.

A verdict is given only when the known items settle it:

- an interpretation holds when its minimum totals are reached whatever the unknown items turn
  out to be, and its ``below`` maxima hold even if every unknown item were met;
- with no interpretation holding, ``otherwise`` is given when no interpretation could still be
  reached, or when at least ``min_known`` items are known; else the score says it cannot be
  scored yet (``cannot_score``);
- a verdict that unknown items could still change says so.

A score made for another population (its ``applies`` ages or sex, or a ``not_applicable_when``
state such as an acute illness) is shown as not applicable, with the reason, and scores nothing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from lowalp.engine.findings import _Evaluator
from lowalp.engine.program import scope_of
from lowalp.engine.work import Work
from lowalp.knowledge.schema import Interpretation, Score, ScoreItemSpec
from lowalp.model import ScoreItem, ScoreResult
from lowalp.units import factor

State = Literal["met", "not met", "unknown"]


def published_scores(work: Work) -> Work:
    ev = _Evaluator(work)
    out = []
    for score in work.kb.scores:
        result = _score(work, ev, score)
        if result is not None:
            out.append(result)
    return replace(work, scores=tuple(out))


def _score(work: Work, ev: _Evaluator, score: Score) -> ScoreResult | None:
    scored = [(_item(work, ev, spec), spec) for spec in score.items]
    items = [it for it, _ in scored]
    known = [i for i in items if i.state != "unknown"]
    if not known:
        return None
    outside = _not_applicable(work, ev, score)
    if outside is not None:
        why, source = outside
        return ScoreResult(
            id=score.id,
            name=score.name,
            cause=score.cause,
            totals={},
            complete=True,
            interpretation=f"Not applicable: {why}",
            items=(),
            missing=(),
            source=score.source,
            note=score.note,
            applicable=False,
            not_applicable_source=source,
        )

    totals: dict[str, float] = {}
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    for item, spec in scored:
        lo, hi = _range(item, spec)
        totals[spec.group] = totals.get(spec.group, 0.0) + item.points
        low[spec.group] = low.get(spec.group, 0.0) + lo
        high[spec.group] = high.get(spec.group, 0.0) + hi

    text: str | None = None
    settled = True
    for interp in score.interpretations:
        if _holds(interp, low, high):
            text = interp.text
            break
        if _reachable(interp, low, high):
            settled = False
    if text is None:
        not_met = [i.label for i in items if i.state == "not met"]
        verdict = settled or len(known) >= score.min_known
        text = score.otherwise if verdict else score.cannot_score
        if not_met:
            text += f" Not met: {'; '.join(not_met)}."
        if verdict and not settled:
            text += " The unknown items could still change this."
    elif not settled:
        text += " The unknown items could still change this."
    missing = tuple(i.label for i in items if i.state == "unknown")
    if missing:
        text += f" (incomplete: {len(missing)} of {len(items)} items unknown)"
    return ScoreResult(
        id=score.id,
        name=score.name,
        cause=score.cause,
        totals=totals,
        complete=not missing,
        interpretation=text,
        items=tuple(items),
        missing=missing,
        source=score.source,
        note=score.note,
        settled=settled,
    )


def _not_applicable(work: Work, ev: _Evaluator, score: Score) -> tuple[str, str] | None:
    """Why the case lies outside the population the score was made for, and the source."""
    outside = ev._applies(scope_of(score.applies))
    if outside is not None:
        age = work.case.age_years
        given = "" if age is None or "age" not in outside else f" (age {age:g})"
        return f"this score {outside}{given}", ""
    for rule in score.not_applicable_when:
        fs = work.findings[rule.finding]
        if fs.state == rule.state:
            label = work.kb.findings[rule.finding].label
            return f"{rule.why} ({label}: {fs.state})", rule.source or ""
    return None


def _holds(interp: Interpretation, low: dict[str, float], high: dict[str, float]) -> bool:
    """The interpretation holds whatever the unknown items turn out to be."""
    return all(low.get(g, 0.0) >= need for g, need in interp.when.items()) and all(
        high.get(g, 0.0) < limit for g, limit in interp.below.items()
    )


def _reachable(interp: Interpretation, low: dict[str, float], high: dict[str, float]) -> bool:
    """Some values of the unknown items would make the interpretation hold."""
    return all(high.get(g, 0.0) >= need for g, need in interp.when.items()) and all(
        low.get(g, 0.0) < limit for g, limit in interp.below.items()
    )


def _range(item: ScoreItem, spec: ScoreItemSpec) -> tuple[float, float]:
    """The lowest and highest points the item can give once its input is known."""
    if item.state != "unknown":
        return item.points, item.points
    if spec.finding is not None:
        return min(0.0, spec.points), max(0.0, spec.points)
    points = [b.points for b in spec.bands]
    return min(points), max(points)


def _scored(spec: ScoreItemSpec, state: State, points: float, detail: str) -> ScoreItem:
    return ScoreItem(
        item=spec.id,
        label=spec.label,
        state=state,
        points=points,
        group=spec.group,
        detail=detail,
    )


def item_state(finding_state: str, met_when: str) -> State:
    """The item's state from the state of the finding it reads (and nothing else)."""
    if finding_state == "unknown":
        return "unknown"
    return "met" if finding_state == met_when else "not met"


def _item(work: Work, ev: _Evaluator, spec: ScoreItemSpec) -> ScoreItem:
    if spec.finding is not None:
        fs = work.findings[spec.finding]
        state = item_state(fs.state, spec.met_when)
        return _scored(spec, state, spec.points if state == "met" else 0.0, fs.detail)
    assert spec.analyte is not None
    assert spec.unit is not None
    analyte = work.kb.analytes[spec.analyte]
    m = ev.concurrent(spec.analyte)
    if m is None:
        return _scored(spec, "unknown", 0.0, f"{analyte.name} not measured near the index ALP")
    if m.value is None:
        return _scored(spec, "unknown", 0.0, f"{m.original}: no number to place in a band")
    value = m.value / factor(analyte, spec.unit, {})
    shown = f"{m.qualifier if m.qualifier in ('<', '>') else ''}{value:g} {spec.unit}"
    for band in spec.bands:
        if _in_band(band.lt, band.ge, value, m.qualifier):
            return _scored(
                spec, "met" if band.points else "not met", band.points, f"{shown}: {band.label}"
            )
    if m.qualifier in ("<", ">"):
        return _scored(spec, "unknown", 0.0, f"{shown}: the bound does not settle the band")
    return _scored(spec, "unknown", 0.0, f"{shown}: no band matches")


def _in_band(lt: float | None, ge: float | None, value: float, qualifier: str | None) -> bool:
    """Whether the result lies in the band [ge, lt); a censored result (< or >) only when every
    value it allows does."""
    if qualifier == "<":
        return ge is None and (lt is None or value <= lt)
    if qualifier == ">":
        return lt is None and (ge is None or value >= ge)
    return (lt is None or value < lt) and (ge is None or value >= ge)
