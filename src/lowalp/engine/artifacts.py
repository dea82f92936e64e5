"""Pre-analytical artefacts (EDTA contamination): reported before any cause, with the action."""

from __future__ import annotations

from dataclasses import replace

from lowalp.engine.work import Work
from lowalp.knowledge.schema import PatternFinding
from lowalp.model import Artifact, Evidence


def artifacts(work: Work) -> Work:
    kb = work.kb
    found = []
    for cause in kb.causes.values():
        spec = cause.artifact
        if spec is None or work.findings[spec.finding].state != "present":
            continue
        pattern = kb.findings[spec.finding]
        parts = [spec.finding]
        if isinstance(pattern, PatternFinding):
            parts += [*pattern.all_of, *pattern.any_of]
        evidence = tuple(
            Evidence(
                finding=p,
                label=kb.findings[p].label,
                state=work.findings[p].state,
                effect="supports" if work.findings[p].state == "present" else "neutral",
                weight=0.0,
                detail=work.findings[p].detail,
                source=_source(cause.evidence, p),
            )
            for p in parts
            if work.findings[p].state != "unknown"
        )
        found.append(Artifact(id=cause.id, name=cause.name, evidence=evidence, action=spec.action))
    return replace(work, artifacts=tuple(found))


def _source(rules: list, finding: str) -> str | None:  # type: ignore[type-arg]
    for r in rules:
        if r.finding == finding:
            src: str | None = r.source
            return src
    return None
