"""Published scores and criteria (Leipzig, Tornero 2022, the Mayo adult HPP definition …).

A score is shown when at least one of its inputs is known; unknown inputs are listed as missing.
A threshold reached on the known items is reported (unknown items score nothing); below every
threshold, a score with fewer known items than its ``min_known`` says it cannot be scored rather
than giving its lowest band.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from lowalp.engine.findings import _Evaluator
from lowalp.engine.work import Work
from lowalp.knowledge.schema import Score, ScoreItemSpec
from lowalp.model import ScoreItem, ScoreResult
from lowalp.units import factor


def published_scores(work: Work) -> Work:
    ev = _Evaluator(work)
    out = []
    for score in work.kb.scores:
        result = _score(work, ev, score)
        if result is not None:
            out.append(result)
    return replace(work, scores=tuple(out))


def _score(work: Work, ev: _Evaluator, score: Score) -> ScoreResult | None:
    if score.applies is not None and ev._applies(score.applies):
        return None
    items: list[ScoreItem] = []
    totals: dict[str, float] = {}
    for spec in score.items:
        item = _item(work, ev, spec)
        items.append(item)
        totals[spec.group] = totals.get(spec.group, 0.0) + item.points
    known = [i for i in items if i.state != "unknown"]
    if not known:
        return None
    missing = tuple(i.label for i in items if i.state == "unknown")
    text = score.otherwise if len(known) >= score.min_known else score.cannot_score
    for interp in score.interpretations:
        if all(totals.get(g, 0.0) >= need for g, need in interp.when.items()):
            text = interp.text
            break
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
    )


def _scored(
    spec: ScoreItemSpec, state: Literal["met", "not met", "unknown"], points: float, detail: str
) -> ScoreItem:
    return ScoreItem(
        item=spec.id,
        label=spec.label,
        state=state,
        points=points,
        group=spec.group,
        detail=detail,
    )


def _item(work: Work, ev: _Evaluator, spec: ScoreItemSpec) -> ScoreItem:
    if spec.finding is not None:
        fs = work.findings[spec.finding]
        if fs.state == "present":
            return _scored(spec, "met", spec.points, fs.detail)
        if fs.state == "absent":
            return _scored(spec, "not met", spec.points_absent, fs.detail)
        return _scored(spec, "unknown", 0.0, fs.detail)
    assert spec.analyte is not None
    assert spec.unit is not None
    m = ev.concurrent(spec.analyte)
    if m is None or m.value is None or m.qualifier in ("<", ">"):
        return _scored(spec, "unknown", 0.0, f"{spec.analyte} not measured")
    value = m.value / factor(work.kb.analytes[spec.analyte], spec.unit, {})
    for band in spec.bands:
        if (band.lt is None or value < band.lt) and (band.ge is None or value >= band.ge):
            return _scored(
                spec,
                "met" if band.points else "not met",
                band.points,
                f"{value:g} {spec.unit}: {band.label}",
            )
    return _scored(spec, "unknown", 0.0, f"{value:g} {spec.unit}: no band matches")
