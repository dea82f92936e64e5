"""Pre-analytical artefacts (EDTA contamination): warned of before any cause, with the action.

Runs after scoring: a cause with an ``artifact`` spec is warned of only when its pattern is
present *and* its probability reaches the spec's ``min_probability`` (knowledge data, with its
reasoning). A pattern that genuine disease explains (kidney failure, a haemolysed sample) lowers
the artefact's probability through its evidence rules, and below the threshold no warning is
raised; the cause stays in the ranked list with its probability.
"""

from __future__ import annotations

from dataclasses import replace

from lowalp.engine.program import compile_program
from lowalp.engine.work import Work
from lowalp.knowledge.schema import PatternFinding
from lowalp.model import Artifact, Evidence


def artifacts(work: Work) -> Work:
    kb = work.kb
    results = {c.id: c for c in work.causes}
    found = []
    for compiled in compile_program(kb).causes:
        result = results.get(compiled.id)
        if compiled.artifact is None or result is None:
            continue
        finding, min_probability = compiled.artifact
        if work.findings[finding].state != "present" or result.probability < min_probability:
            continue
        cause = kb.causes[compiled.id]
        spec = cause.artifact
        assert spec is not None
        parts = _parts(work, spec.finding)
        evidence = [
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
        ]
        # what argues against the artefact (kidney failure, a haemolysed sample …), shown beside it
        evidence += [
            e
            for e in result.evidence
            if e.state == "present" and e.effect == "refutes" and e.finding not in parts
        ]
        found.append(
            Artifact(
                id=cause.id,
                name=cause.name,
                evidence=tuple(evidence),
                action=spec.action,
                heading=spec.heading,
                summary=spec.summary,
                plain=spec.plain,
                probability=result.probability,
            )
        )
    return replace(work, artifacts=tuple(found))


def _parts(work: Work, finding: str) -> list[str]:
    """The finding and, for a pattern, its parts and theirs, each once, in order."""
    out = [finding]
    f = work.kb.findings[finding]
    if isinstance(f, PatternFinding):
        for p in (*f.all_of, *f.any_of):
            out += [q for q in _parts(work, p) if q not in out]
    return out


def _source(rules: list, finding: str) -> str | None:  # type: ignore[type-arg]
    for r in rules:
        if r.finding == finding:
            src: str | None = r.source
            return src
    return None
