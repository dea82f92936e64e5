"""Run the stages over one case and assemble the :class:`~lowalp.model.Assessment`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lowalp.engine.work import Work
from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.model import Assessment, Case, Source, Wording
from lowalp.normalise import normalise

NOT_LOW = ("normal", "high")
"""ALP statuses that leave nothing to explain."""


def run_stages(work: Work, stages: Sequence[Callable[[Work], Work]]) -> Work:
    """Run ``stages`` in order; stop after persistence when the ALP is normal or high, since
    there is then nothing to explain (no differential, no scores, no next tests)."""
    from lowalp.engine.persistence import persistence

    for stage in stages:
        work = stage(work)
        if stage is persistence and work.alp is not None and work.alp.status in NOT_LOW:
            break
    return work


def assess_case(
    case: Case, *, knowledge: Knowledge | None = None, strict: bool = False
) -> Assessment:
    from lowalp.engine import STAGES

    kb = knowledge or load_knowledge()
    norm = normalise(case, kb, strict=strict)
    work = run_stages(Work(kb=kb, case=norm), STAGES)
    assert work.alp is not None

    warnings = list(norm.warnings) + list(work.warnings)
    if work.alp.status == "unknown":
        warnings.insert(
            0,
            "The ALP could not be judged as low, normal or high"
            + (f" ({work.alp.status_reason})" if work.alp.status_reason else "")
            + ": the causes below are ranked as if it were low and carry little meaning until "
            "a usable ALP result confirms it.",
        )
    elif work.alp.status in NOT_LOW:
        warnings.insert(
            0,
            f"The ALP is {work.alp.status} for this age and sex, not low: lowalp explains a low "
            "ALP, so no differential and no next tests for a low ALP are given.",
        )
    cited: dict[str, None] = {}
    for c in work.causes:
        for s in c.sources:
            cited.setdefault(s, None)
        for e in c.evidence:
            if e.source and e.state != "unknown":
                cited.setdefault(e.source, None)
    for sc in work.scores:
        cited.setdefault(sc.source, None)
        if sc.not_applicable_source:
            cited.setdefault(sc.not_applicable_source, None)
    if work.alp.limit_source:
        iv = next((i for i in kb.intervals if i.id == work.alp.limit_source), None)
        if iv:
            cited.setdefault(iv.source, None)
    models = _source_models(kb)
    sources = tuple(models[s] for s in cited if s in models)
    unknown = tuple(
        sorted(
            {
                e.label
                for c in work.causes[:5]
                for e in c.evidence
                if e.state == "unknown"
                and e.effect != "not_applicable"
                and not work.findings[e.finding].set_aside
            }
        )
    )
    return Assessment(
        case_id=norm.case_id,
        patient=case.patient,
        age_years=norm.age_years,
        alp=work.alp,
        artifacts=work.artifacts,
        causes=work.causes,
        scores=work.scores,
        next_tests=work.next_tests,
        unknown_findings=unknown,
        understood=norm.understood,
        not_understood=norm.not_understood,
        mappings=norm.mappings,
        warnings=tuple(dict.fromkeys(warnings)),
        sources=sources,
        knowledge_version=kb.version,
        disclaimer=kb.settings.disclaimer,
        disclaimer_plain=kb.settings.disclaimer_plain,
        disclaimer_plain_child=kb.settings.disclaimer_plain_child,
        wording=Wording(
            possible_from=kb.settings.wording.possible_from,
            likely_from=kb.settings.wording.likely_from,
            most_consistent_from=kb.settings.wording.most_consistent_from,
            patient_from=kb.settings.patient_view.min_probability,
        ),
        adult_age_years=kb.settings.adult_age_years,
    )


def _source_models(kb: Knowledge) -> dict[str, Source]:
    """Every source of the knowledge as the assessment cites it, by id (built once per knowledge)."""
    key = "assess:sources"
    if key not in kb.cache:
        kb.cache[key] = {
            sid: Source(id=sid, citation=s.citation, url=_url(kb, sid))
            for sid, s in kb.sources.items()
        }
    models: dict[str, Source] = kb.cache[key]
    return models


def _url(kb: Knowledge, sid: str) -> str | None:
    s = kb.sources[sid]
    if s.url:
        return s.url
    if s.doi:
        return f"https://doi.org/{s.doi}"
    if s.pmid:
        return f"https://pubmed.ncbi.nlm.nih.gov/{s.pmid}/"
    return None
