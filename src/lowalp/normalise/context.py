"""What else is known: medicines, events and clinical findings, read from the case's context.

Structured entries (a :class:`~lowalp.model.MedicationRecord`, :class:`~lowalp.model.FindingRecord`
or :class:`~lowalp.model.EventRecord`) are taken as given; free text is read through the reviewed
synonym lists.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from lowalp.knowledge import Knowledge
from lowalp.knowledge.schema import ClinicalFinding, MedicationFinding
from lowalp.matching import PhraseIndex
from lowalp.model import Case, EventRecord, LabResult, NotUnderstood, TextMapping, text_of


@dataclass(frozen=True)
class EventOccurrence:
    event: str
    days_before: float | None
    pointer: str
    text: str


@dataclass
class ContextReading:
    medications_given: bool = False
    medications: frozenset[str] = frozenset()
    medications_past: dict[str, float | None] = field(default_factory=dict)
    medications_uncertain: frozenset[str] = frozenset()
    events_given: bool = False
    events: tuple[EventOccurrence, ...] = ()
    present: frozenset[str] = frozenset()
    absent: frozenset[str] = frozenset()
    understood: tuple[str, ...] = ()
    mappings: tuple[TextMapping, ...] = ()
    not_understood: list[NotUnderstood] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _indexes(kb: Knowledge) -> tuple[PhraseIndex, PhraseIndex, PhraseIndex]:
    cache = kb.cache
    if "phrases" not in cache:
        clinical = {
            f.id: f.synonyms for f in kb.findings.values() if isinstance(f, ClinicalFinding)
        }
        drugs = {f.id: f.drugs for f in kb.findings.values() if isinstance(f, MedicationFinding)}
        events = {e.id: e.synonyms for e in kb.events.values()}
        cache["phrases"] = (PhraseIndex(clinical), PhraseIndex(drugs), PhraseIndex(events))
    out: tuple[PhraseIndex, PhraseIndex, PhraseIndex] = cache["phrases"]
    return out


def read_context(case: Case, kb: Knowledge, index: LabResult) -> ContextReading:
    out = ContextReading()
    understood: list[str] = []
    clinical_idx, drug_idx, event_idx = _indexes(kb)
    ctx = case.context
    meds: set[str] = set()
    for i, item in enumerate(ctx.medications or ()):
        text = text_of(item)
        m = drug_idx.find(text)
        if m.ids and not m.negated:
            meds.update(m.ids)
            understood.append(f"medication '{text}' → {', '.join(_label(kb, x) for x in m.ids)}")
        elif m.ids:
            understood.append(f"medication '{text}' → not taken now ({', '.join(m.ids)})")
        else:
            out.not_understood.append(
                NotUnderstood(
                    pointer=f"context.medications[{i}]",
                    value=text,
                    reason="not a medicine the knowledge base links to a low ALP; not used",
                )
            )

    present: set[str] = set()
    absent: set[str] = set()
    for i, finding in enumerate(ctx.findings or ()):
        text = text_of(finding)
        m = clinical_idx.find(text)
        if not m.ids:
            close = difflib.get_close_matches(
                text.lower(), clinical_idx.phrases(), n=3, cutoff=0.75
            )
            out.not_understood.append(
                NotUnderstood(
                    pointer=f"context.findings[{i}]",
                    value=text,
                    reason="not a finding the knowledge base knows; not used",
                    suggestions=tuple(close),
                )
            )
            continue
        (absent if m.negated else present).update(m.ids)
        verb = "absent" if m.negated else "present"
        understood.append(f"finding '{text}' → {', '.join(_label(kb, x) for x in m.ids)} ({verb})")
    absent -= present

    events: list[EventOccurrence] = []
    for i, raw in enumerate(ctx.events or ()):
        ev = raw if isinstance(raw, EventRecord) else EventRecord(event=raw)
        pointer = f"context.events[{i}]"
        eid = ev.event if ev.event in kb.events else None
        if eid is None:
            match = event_idx.find(ev.event)
            eid = match.ids[0] if match.ids and not match.negated else None
        if eid is None:
            out.not_understood.append(
                NotUnderstood(
                    pointer=f"{pointer}.event",
                    value=ev.event,
                    reason="not an event the knowledge base knows; not used",
                    suggestions=tuple(difflib.get_close_matches(ev.event, list(kb.events), n=3)),
                )
            )
            continue
        days = days_before(ev, index)
        if days is None:
            out.warnings.append(f"{pointer}: no days_before, day or date; its timing is unknown.")
        events.append(EventOccurrence(eid, days, pointer, ev.event))
        understood.append(
            f"event '{ev.event}' → {kb.events[eid].label}"
            + (f", {days:g} days before" if days is not None else "")
        )
    out.medications_given = ctx.medications is not None
    out.medications = frozenset(meds)
    out.events_given = ctx.events is not None
    out.events = tuple(events)
    out.present = frozenset(present)
    out.absent = frozenset(absent)
    out.understood = tuple(understood)
    return out


def _label(kb: Knowledge, fid: str) -> str:
    f = kb.findings.get(fid)
    return f.label if f else fid


def days_before(ev: EventRecord, index: LabResult) -> float | None:
    if ev.days_before is not None:
        return ev.days_before
    if ev.date is not None and index.date is not None:
        return float((index.date - ev.date).days)
    if ev.day is not None and index.day is not None:
        return float(index.day - ev.day)
    return None
