"""Score every cause: prior times the likelihood ratio of each known finding, normalised.

Findings that measure one fact count once (``evidence_groups.yaml``), and no cause is given
more than its link grade's ceiling as the explanation of a low ALP (``settings.link_ceilings``).

The priors, the rules' weights (rounded as the evidence shows them), their populations, the
evidence groups and the ceilings are the compiled program's (:mod:`lowalp.engine.program`), the
numbers the screen adds over whole tables, in the same order; the knowledge gives the words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from lowalp.engine.likelihood import added, rule_weights
from lowalp.engine.management import select_management
from lowalp.engine.population import INSIDE, PopulationVerdict, rule_population
from lowalp.engine.program import CauseProgram, Program, Rule, compile_program
from lowalp.engine.work import FindingState, Work
from lowalp.knowledge import Knowledge
from lowalp.knowledge.schema import Cause, EvidenceRule
from lowalp.model import CauseResult, Effect, Evidence


def score(work: Work) -> Work:
    """Rank the causes. Result models are built without re-validation: every field comes from
    validated knowledge or from the stages before."""
    kb, case = work.kb, work.case
    program = compile_program(kb)
    child = case.age_years is not None and case.age_years < program.adult_age_years
    rows = []
    for cause, cp in zip(kb.causes.values(), program.causes, strict=True):
        p0 = cp.prior(child, case.sex, case.setting)
        evidence, not_applicable = _evidence(work, cause, cp)
        evidence = _counted_once(kb, cp, evidence)
        logit = math.log(p0) + added(e.weight for e in evidence)
        evidence.sort(key=lambda e: (e.state == "unknown", -abs(e.weight)))
        evidence += not_applicable
        pointers = select_management(cause, work.findings, kb)
        rows.append((cause, p0, logit, evidence, pointers))

    top = max(r[2] for r in rows)
    total = added(math.exp(r[2] - top) for r in rows)
    raw = {cause.id: math.exp(logit - top) / total for cause, _, logit, *_ in rows}
    probabilities, held = _within_ceilings(program, raw)
    results = [
        CauseResult.model_construct(
            id=cause.id,
            name=cause.name,
            plain_name=cause.plain_name,
            probability=probabilities[cause.id],
            prior=p0,
            transient=cause.transient,
            summary=cause.summary,
            plain=cause.plain,
            evidence=tuple(evidence),
            management=tuple(p.text for p in pointers),
            patient_questions=tuple(cause.patient_questions),
            patient_questions_child=tuple(cause.patient_questions_child),
            sources=tuple(cause.sources),
            urgent=tuple(p.text for p in pointers if p.urgent),
            pointers=pointers,
            link_grade=cause.link.grade if cause.link else None,
            held_at_ceiling=held.get(cause.id),
        )
        for cause, p0, logit, evidence, pointers in rows
    ]
    results.sort(key=lambda c: -c.probability)
    return replace(work, causes=tuple(results))


def _evidence(work: Work, cause: Cause, cp: CauseProgram) -> tuple[list[Evidence], list[Evidence]]:
    """Each rule of ``cause`` with the weight its finding's state gives it, and apart, the rules
    that do not apply to this person (a finding that does not apply, or a rule outside the
    population it was measured in), which weigh nothing."""
    findings = work.findings
    out: list[Evidence] = []
    not_applicable: list[Evidence] = []
    for r in _rules(work.kb, cause, cp):
        fs = findings[r.finding]
        compiled = r.compiled
        verdict = INSIDE if compiled.population is None else rule_population(work, compiled)
        if not fs.applicable or verdict.outside:
            not_applicable.append(_not_applicable(work, fs, r.rule, verdict))
            continue
        state = fs.state
        if state == "present":
            w, effect, suffix = compiled.w_present, r.effect_present, r.note
        elif state == "absent":
            w, effect, suffix = compiled.w_absent, r.effect_absent, r.absent_note
        else:
            w, effect, suffix = 0.0, "neutral", r.note
        out.append(
            Evidence(
                finding=r.finding,
                label=r.label,
                plain=r.plain,
                state=state,
                effect=effect,
                weight=w,
                detail=fs.detail + suffix if suffix else fs.detail,
                source=r.rule.source,
                estimate=r.rule.estimate,
                population=verdict.assumed,
            )
        )
    return out, not_applicable


@dataclass(frozen=True, slots=True)
class _RuleRow:
    """One rule of a cause as the scoring reads it (made once per knowledge)."""

    finding: str
    compiled: Rule
    rule: EvidenceRule
    label: str
    plain: str | None
    note: str
    """The rule's note as added to the detail ("" for none)."""
    absent_note: str
    """What is added to the detail when the finding is absent (the note, after the reason for a
    derived weight when absent)."""
    effect_present: Effect
    effect_absent: Effect


def _rules(kb: Knowledge, cause: Cause, cp: CauseProgram) -> list[_RuleRow]:
    """Each rule of ``cause`` beside its compiled rule, with its finding's label and plain words
    and what it adds to the detail (once per knowledge)."""
    key = f"score:rules:{cause.id}"
    if key not in kb.cache:
        rows = []
        for compiled, (fid, rw) in zip(cp.rules, rule_weights(kb, cause).items(), strict=True):
            finding = kb.findings[fid]
            note = f"; {rw.rule.note}" if rw.rule.note else ""
            derived = "; weight when absent derived from LR+ and base rate"
            rows.append(
                _RuleRow(
                    finding=fid,
                    compiled=compiled,
                    rule=rw.rule,
                    label=finding.label,
                    plain=finding.plain,
                    note=note,
                    absent_note=(derived if rw.absent_derived else "") + note,
                    effect_present=_effect(compiled.w_present),
                    effect_absent=_effect(compiled.w_absent),
                )
            )
        kb.cache[key] = rows
    cached: list[_RuleRow] = kb.cache[key]
    return cached


def _not_applicable(
    work: Work, fs: FindingState, rule: EvidenceRule, verdict: PopulationVerdict
) -> Evidence:
    """A finding that does not apply to this person, or a rule outside the population it was
    measured in: shown with the reason, weighing nothing."""
    finding = work.kb.findings[fs.id]
    return Evidence(
        finding=fs.id,
        label=finding.label,
        plain=finding.plain,
        state=fs.state,
        effect="not_applicable",
        weight=0.0,
        detail=fs.detail,
        source=rule.source,
        estimate=rule.estimate,
        population=verdict.outside or fs.detail,
    )


def _effect(w: float) -> Effect:
    return "supports" if w > 1e-12 else "refutes" if w < -1e-12 else "neutral"


def _counted_once(kb: Knowledge, cp: CauseProgram, evidence: list[Evidence]) -> list[Evidence]:
    """Within each evidence group, keep the weights of the member that supports the cause most
    and the member that argues against it most; the others are shown as counted with them."""
    group_of = _shared_groups(kb, cp)
    if not group_of:
        return evidence
    by_group: dict[str, list[int]] = {}
    for i, e in enumerate(evidence):
        gid = group_of.get(e.finding)
        if gid is not None and e.weight != 0:
            by_group.setdefault(gid, []).append(i)
    out = list(evidence)
    for gid, members in by_group.items():
        if len(members) < 2:
            continue
        keep = set()
        supporting = [i for i in members if evidence[i].weight > 0]
        refuting = [i for i in members if evidence[i].weight < 0]
        if supporting:
            keep.add(max(supporting, key=lambda i: evidence[i].weight))
        if refuting:
            keep.add(min(refuting, key=lambda i: evidence[i].weight))
        label = kb.groups[gid].label
        for i in members:
            if i in keep:
                continue
            e = evidence[i]
            carrier = next(
                evidence[k].label for k in keep if (evidence[k].weight > 0) == (e.weight > 0)
            )
            note = (
                f"counted once with the group '{label}': carried by '{carrier}' "
                f"(own weight {e.weight:+.2f} not added)"
            )
            out[i] = replace(
                e,
                weight=0.0,
                effect="neutral",
                detail=f"{e.detail}; {note}" if e.detail else note,
                counted_with=gid,
            )
    return out


def _shared_groups(kb: Knowledge, cp: CauseProgram) -> dict[str, str]:
    """The evidence group of each rule of the cause whose group holds another of its rules: a
    group with one rule of the cause has nothing to count once (once per knowledge)."""
    key = f"score:groups:{cp.id}"
    if key not in kb.cache:
        count: dict[str, int] = {}
        for r in cp.rules:
            if r.group is not None:
                count[r.group] = count.get(r.group, 0) + 1
        kb.cache[key] = {
            r.finding: r.group for r in cp.rules if r.group is not None and count[r.group] > 1
        }
    shared: dict[str, str] = kb.cache[key]
    return shared


def _within_ceilings(
    program: Program, probabilities: dict[str, float]
) -> tuple[dict[str, float], dict[str, float]]:
    """Hold each cause at or below the ceiling of its link grade; what is held back goes to the
    answer that no identified cause explains the low ALP. Returns the probabilities and, for
    each cause held, its ceiling."""
    out = dict(probabilities)
    held: dict[str, float] = {}
    excess = 0.0
    for cid, p in probabilities.items():
        ceiling = program.cause(cid).ceiling
        if ceiling is None:
            continue
        if p > ceiling:
            out[cid] = ceiling
            held[cid] = ceiling
            excess += p - ceiling
    if excess:
        out[program.excess_to] = out.get(program.excess_to, 0.0) + excess
    return out, held
