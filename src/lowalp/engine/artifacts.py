"""Pre-analytical artefacts (EDTA contamination): warned of before any cause, with the action.

Runs after scoring: a cause with an ``artifact`` spec is warned of only when its pattern is
present *and* its probability reaches the spec's ``min_probability`` (knowledge data, with its
reasoning). A pattern that genuine disease explains (kidney failure, a haemolysed sample) lowers
the artefact's probability through its evidence rules, and below the threshold no warning is
raised; the cause stays in the ranked list with its probability.
"""

from __future__ import annotations

from dataclasses import replace

from lowalp.engine.work import Work
from lowalp.knowledge.schema import PatternFinding
from lowalp.model import Artifact, Evidence


def artifacts(work: Work) -> Work:
    kb = work.kb
    probability = {c.id: c.probability for c in work.causes}
    found = []
    for cause in kb.causes.values():
        spec = cause.artifact
        if spec is None or work.findings[spec.finding].state != "present":
            continue
        p = probability.get(cause.id)
        if p is None or p < spec.min_probability:
            continue
        pattern = kb.findings[spec.finding]
        parts = [spec.finding]
        if isinstance(pattern, PatternFinding):
            parts += [*pattern.all_of, *pattern.any_of]
        evidence = tuple(
            Evidence(
                finding=f,
                label=kb.findings[f].label,
                state=work.findings[f].state,
                effect="supports" if work.findings[f].state == "present" else "neutral",
                weight=0.0,
                detail=work.findings[f].detail,
                source=_source(cause.evidence, f),
            )
            for f in parts
            if work.findings[f].state != "unknown"
        )
        found.append(
            Artifact(
                id=cause.id, name=cause.name, evidence=evidence, action=spec.action, probability=p
            )
        )
    return replace(work, artifacts=tuple(found))


def _source(rules: list, finding: str) -> str | None:  # type: ignore[type-arg]
    for r in rules:
        if r.finding == finding:
            src: str | None = r.source
            return src
    return None
