"""Score every cause: prior times the likelihood ratio of each known finding, normalised."""

from __future__ import annotations

import math
from dataclasses import replace

from lowalp.engine.likelihood import prior, rule_weights
from lowalp.engine.management import select_management
from lowalp.engine.work import Work
from lowalp.model import CauseResult, Effect, Evidence


def score(work: Work) -> Work:
    """Rank the causes. Result models are built without re-validation: every field comes from
    validated knowledge or from the stages before."""
    kb, case = work.kb, work.case
    rows = []
    for cause in kb.causes.values():
        p0 = prior(kb, cause, case.age_years, case.sex, case.setting)
        logit = math.log(p0)
        evidence: list[Evidence] = []
        for fid, rw in rule_weights(kb, cause).items():
            fs = work.findings[fid]
            if not fs.applicable:
                continue  # not evidence for this person (e.g. an adult-only threshold)
            finding = kb.findings[fid]
            if fs.state == "present":
                w = rw.w_present
            elif fs.state == "absent":
                w = rw.w_absent
            else:
                w = 0.0
            logit += w
            effect: Effect = "supports" if w > 1e-12 else "refutes" if w < -1e-12 else "neutral"
            rule = rw.rule
            detail = fs.detail
            if fs.state == "absent" and rw.absent_derived:
                detail += "; weight when absent derived from LR+ and base rate"
            if rule.note:
                detail += f"; {rule.note}"
            evidence.append(
                Evidence(
                    finding=fid,
                    label=finding.label,
                    plain=finding.plain,
                    state=fs.state,
                    effect=effect,
                    weight=round(w, 3),
                    detail=detail,
                    source=rule.source,
                    estimate=rule.estimate,
                )
            )
        evidence.sort(key=lambda e: (e.state == "unknown", -abs(e.weight)))
        pointers = select_management(cause, work.findings)
        rows.append((cause, p0, logit, evidence, pointers))

    top = max(r[2] for r in rows)
    total = sum(math.exp(r[2] - top) for r in rows)
    results = [
        CauseResult.model_construct(
            id=cause.id,
            name=cause.name,
            plain_name=cause.plain_name,
            probability=math.exp(logit - top) / total,
            prior=p0,
            transient=cause.transient,
            summary=cause.summary,
            plain=cause.plain,
            evidence=tuple(evidence),
            management=tuple(p.text for p in pointers),
            patient_questions=tuple(cause.patient_questions),
            sources=tuple(cause.sources),
            urgent=tuple(p.text for p in pointers if p.urgent),
            pointers=pointers,
        )
        for cause, p0, logit, evidence, pointers in rows
    ]
    results.sort(key=lambda c: -c.probability)
    return replace(work, causes=tuple(results))
