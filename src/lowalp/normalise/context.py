"""What else is known: medicines, events and clinical findings, read from the case's context.

Free text (each entry of ``context.medications``, ``findings`` and ``events``, and the
``notes`` paragraph) is read by :func:`lowalp.text.reader.read_text` into concepts with their
assertions; structured entries (:class:`~lowalp.model.MedicationRecord`,
:class:`~lowalp.model.FindingRecord`, :class:`~lowalp.model.EventRecord`) keep the status they
were given. Every phrase read is kept as a :class:`~lowalp.model.TextMapping` saying what the
engine takes from it; every entry not understood is listed and changes no finding.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeVar, cast

from lowalp.knowledge import Knowledge
from lowalp.knowledge.schema import ClinicalFinding, MedicationFinding
from lowalp.model import (
    Assertion,
    Case,
    EventRecord,
    FindingRecord,
    LabResult,
    Measurement,
    MedicationRecord,
    NotUnderstood,
    TextMapping,
    text_of,
)
from lowalp.text.words import fold
from lowalp.units import DAYS_PER_YEAR

if TYPE_CHECKING:
    from lowalp.text.reader import Mention

T = TypeVar("T")

_MED_STATUS: dict[str, Assertion] = {
    "active": "present",
    "stopped": "historical",
    "not-taken": "absent",
    "intended": "hypothetical",
    "unknown": "uncertain",
}


@dataclass(frozen=True)
class EventOccurrence:
    event: str
    days_before: float | None
    """When it happened (or began), in days before the index ALP."""
    pointer: str
    text: str
    end_days_before: float | None = None
    """When it ended, in days before the index ALP (``None``: a one-day event, or not known)."""
    ongoing: bool = False
    """Still going on at the index ALP."""

    @property
    def last_days_before(self) -> float | None:
        """The last day it held, in days before the index: 0 while ongoing, else its end, else
        its day (an event with one time only is taken as one day). An end after the index ALP
        means it was still going on then."""
        if self.ongoing:
            return 0.0
        if self.end_days_before is not None:
            return max(self.end_days_before, 0.0)
        return self.days_before

    def when(self) -> str:
        """When it happened, in words ("42 days before the ALP, still ongoing")."""
        start = "" if self.days_before is None else f"from {self.days_before:g} days before the ALP"
        if self.ongoing:
            return f"{start}, still ongoing" if start else "ongoing"
        if self.end_days_before is not None:
            end = f"ended {self.end_days_before:g} days before the ALP"
            return f"{start}, {end}" if start else end
        return f"{self.days_before:g} days before the ALP" if start else "when is not known"


@dataclass
class ContextReading:
    medications_given: bool = False
    medications: frozenset[str] = frozenset()
    medications_past: dict[str, float | None] = field(default_factory=dict)
    medications_absent: frozenset[str] = frozenset()
    medications_uncertain: frozenset[str] = frozenset()
    events_given: bool = False
    events: tuple[EventOccurrence, ...] = ()
    present: frozenset[str] = frozenset()
    absent: frozenset[str] = frozenset()
    understood: tuple[str, ...] = ()
    mappings: tuple[TextMapping, ...] = ()
    not_understood: list[NotUnderstood] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    panel_results: tuple[Measurement, ...] = ()
    """Results vouched for by a panel reported normal in words ("LFTs normal")."""


@dataclass
class _State:
    kb: Knowledge
    index: LabResult
    meds: set[str] = field(default_factory=set)
    meds_past: dict[str, float | None] = field(default_factory=dict)
    meds_absent: set[str] = field(default_factory=set)
    present: set[str] = field(default_factory=set)
    absent: set[str] = field(default_factory=set)
    events: list[EventOccurrence] = field(default_factory=list)
    mappings: list[TextMapping] = field(default_factory=list)
    not_understood: list[NotUnderstood] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unreadable_medications: bool = False
    panel_results: list[Measurement] = field(default_factory=list)
    entry_text: str | None = None
    """The whole entry being read (a list item), shown instead of the matched words."""

    def label(self, concept: str, kind: str) -> str:
        if kind == "PANEL":
            return self.kb.panels[concept].label
        if kind == "EVENT":
            ev = self.kb.events.get(concept)
            return ev.label if ev else concept
        f = self.kb.findings.get(concept)
        return f.label if f else concept

    def map(
        self,
        pointer: str,
        m: Mention,
        assertion: Assertion,
        used_as: str,
        extra: str = "",
        *,
        label: str | None = None,
    ) -> None:
        kind = {"MEDICATION": "medication", "EVENT": "event", "PANEL": "panel"}.get(
            m.kind, "finding"
        )
        detail = [extra] if extra else []
        if m.cues:
            detail.append(f"{', '.join(repr(c) for c in m.cues)} → {assertion}")
        for wrote, read in m.corrections:
            detail.append(f"read {wrote!r} as {read!r}")
        self.mappings.append(
            TextMapping(
                pointer=pointer,
                text=self.entry_text or m.text,
                concept=m.concept,
                label=label or self.label(m.concept, m.kind),
                kind=kind,
                assertion=assertion,
                used_as=used_as,
                detail="; ".join(detail),
            )
        )


def read_context(case: Case, kb: Knowledge, index: LabResult) -> ContextReading:
    st = _State(kb, index)
    ctx = case.context
    for i, med in enumerate(ctx.medications or ()):
        med = _bounded(st, f"context.medications[{i}]", med)
        st.entry_text = text_of(med)
        _medication_entry(st, f"context.medications[{i}]", med)
    for i, finding in enumerate(ctx.findings or ()):
        finding = _bounded(st, f"context.findings[{i}]", finding)
        st.entry_text = text_of(finding)
        _finding_entry(st, f"context.findings[{i}]", finding)
    for i, raw in enumerate(ctx.events or ()):
        raw = _bounded(st, f"context.events[{i}]", raw)
        st.entry_text = text_of(raw)
        _event_entry(st, f"context.events[{i}]", raw)
    st.entry_text = None
    if ctx.notes and ctx.notes.strip():
        _notes(st, _bounded(st, "context.notes", ctx.notes, note=True))
    _sample_comments(st, case)

    conflicting = st.present & st.absent
    for fid in sorted(conflicting):
        st.warnings.append(
            f"{kb.findings[fid].label}: reported both present and absent; taken as present."
        )
    med_ids = {f.id for f in kb.findings.values() if f.kind == "medication"}
    uncertain: frozenset[str] = frozenset()
    if st.unreadable_medications:
        uncertain = frozenset(med_ids - st.meds - set(st.meds_past) - st.meds_absent)
    out = ContextReading(
        medications_given=ctx.medications is not None,
        medications=frozenset(st.meds),
        medications_past=dict(st.meds_past),
        medications_absent=frozenset(st.meds_absent - st.meds),
        medications_uncertain=uncertain,
        events_given=ctx.events is not None,
        events=tuple(st.events),
        present=frozenset(st.present),
        absent=frozenset(st.absent - st.present),
        understood=tuple(_understood(m) for m in st.mappings),
        mappings=tuple(st.mappings),
        not_understood=st.not_understood,
        warnings=st.warnings,
        panel_results=tuple(st.panel_results),
    )
    return out


def _bounded(st: _State, pointer: str, item: T, *, note: bool = False) -> T:
    """The entry, cut at the longest text read (knowledge/text/matching.yaml), with a warning."""
    settings = st.kb.text.matching
    assert settings is not None
    limit = settings.max_note_chars if note else settings.max_entry_chars
    assert isinstance(item, str | MedicationRecord | FindingRecord | EventRecord)
    text = text_of(item)
    if len(text) <= limit:
        return item
    st.warnings.append(
        f"{pointer}: {len(text):,} characters; only the first {limit:,} were read "
        "(the limit is in knowledge/text/matching.yaml)."
    )
    cut: object
    if isinstance(item, str):
        cut = item[:limit]
    elif isinstance(item, MedicationRecord):
        cut = item.model_copy(update={"name": item.name[:limit]})
    elif isinstance(item, FindingRecord):
        cut = item.model_copy(update={"text": item.text[:limit]})
    else:
        assert isinstance(item, EventRecord)
        cut = item.model_copy(update={"event": item.event[:limit]})
    return cast(T, cut)


def _sample_comments(st: _State, case: Case) -> None:
    """The lab's comments on results of the index sample that state a finding about the sample
    (knowledge/qualitative.yaml ``sample_comments``): kept even when the result is set aside."""
    from lowalp.normalise.qualitative import read_sample_comment

    index = st.index
    for i, lab in enumerate(case.labs):
        if index.specimen is not None and lab.specimen is not None:
            same = lab.specimen == index.specimen
        else:
            untimed = lab.day is None and lab.date is None  # taken as drawn with the index
            same = untimed or (lab.day == index.day and lab.date == index.date)
        if not same:
            continue
        for part in ("note", "text", "flag"):
            words = getattr(lab, part)
            if not words:
                continue
            for fid, present in read_sample_comment(words, st.kb):
                (st.present if present else st.absent).add(fid)
                st.mappings.append(
                    TextMapping(
                        pointer=f"labs[{i}].{part}",
                        text=words,
                        concept=fid,
                        label=st.label(fid, "FINDING"),
                        kind="finding",
                        assertion="present" if present else "absent",
                        used_as="the laboratory's comment on the index sample",
                    )
                )


def _understood(m: TextMapping) -> str:
    return f"{m.kind} '{m.text}' ({m.pointer}) → {m.label}: {m.used_as}" + (
        f" ({m.detail})" if m.detail else ""
    )


# ----------------------------------------------------------------------------- medicines


def _medication_entry(st: _State, pointer: str, med: str | MedicationRecord) -> None:
    record = med if isinstance(med, MedicationRecord) else None
    text = med.name if isinstance(med, MedicationRecord) else med
    from lowalp.text.reader import read_text

    reading = read_text(text, st.kb, kinds={"MEDICATION"}, medication_field=True)
    mentions = list(reading.mentions)
    via = ""
    if not mentions:
        mentions, via, done = _via_dictionary(st, pointer, text)
        if done:
            return
    if not mentions:
        st.unreadable_medications = True
        st.not_understood.append(
            NotUnderstood(
                pointer=pointer,
                value=text,
                reason="not a medicine lowalp recognises; not used, and the medicines lowalp "
                "looks for cannot be called absent while this entry is unread",
            )
        )
        return
    for m in mentions:
        assertion = m.assertion
        if record is not None and record.status is not None:
            assertion = _MED_STATUS[record.status]
        _apply_medication(st, pointer, m, assertion, record, via)


def _duration(m: Mention, record: MedicationRecord | None) -> str:
    """How long the medicine was taken, as written ("x9y", "for 5 years") or given."""
    days = record.duration_days if record is not None else None
    if days is None and record is not None and record.start and record.end:
        days = float((record.end - record.start).days)
    if days is None:
        days = next((t.duration_days for t in m.times if t.duration_days is not None), None)
    return f"taken for about {_ago(days)}" if days else ""


def _local_form(st: _State, m: Mention) -> str | None:
    f = st.kb.findings.get(m.concept)
    if not isinstance(f, MedicationFinding) or f.local_forms is None:
        return None
    from lowalp.text.lexicon import raw_tokens

    words = set(raw_tokens(fold(m.sentence)))
    text = f" {fold(m.sentence)} "
    for w in f.local_forms.words:
        if (" " in w and f" {w} " in text) or w in words:
            return w
    return None


def _ended(st: _State, m: Mention) -> tuple[float, str] | None:
    """A course written with an end in the past ("2012-2021", "until 2019")."""
    ref = st.index.date
    settings = st.kb.text.matching
    if ref is None or settings is None:
        return None
    low = fold(m.sentence)
    at = low.find(fold(m.text))
    after = at + len(m.text) if at >= 0 else 0
    for t in m.times:
        if t.date is None or not after <= t.start <= after + 40:
            continue
        before = low[max(0, t.start - 12) : t.start]
        is_range = "-" in t.text or "–" in t.text or " to " in t.text
        ends = any(w in before.split() for w in ("until", "till", "ended", "stopped"))
        starts = any(
            w in before.split() for w in ("since", "from", "started", "began", "commenced")
        )
        if (is_range or ends) and not starts:
            days = float((ref - t.date).days)
            if days > settings.course_end_min_days:
                return days, f"course ended {t.text!r}"
    return None


def _via_dictionary(st: _State, pointer: str, text: str) -> tuple[list[Mention], str, bool]:
    """A medicine the lexicon does not name, looked up in the drug dictionary: its generic name
    read again (a brand of a medicine lowalp knows), or understood as a medicine the knowledge
    does not link to a low ALP. The assertion and times come from the words as written."""
    from lowalp.text.drugs import named_medicines
    from lowalp.text.reader import assertion_at, read_text
    from lowalp.text.timing import find_times

    named = named_medicines(text)
    if not named:
        return [], "", False
    low = fold(text)
    found: list[Mention] = []
    for generic, written in named:
        at = low.find(fold(written))
        start, end = (at, at + len(written)) if at >= 0 else (0, len(text))
        assertion = assertion_at(text, st.kb, start, end, "MEDICATION")
        for m in read_text(generic, st.kb, kinds={"MEDICATION"}).mentions:
            found.append(
                replace(
                    m,
                    text=text[start:end],
                    assertion=assertion,
                    sentence=text,
                    times=tuple(find_times(text)),
                )
            )
        if not found:
            st.mappings.append(
                TextMapping(
                    pointer=pointer,
                    text=text,
                    concept="",
                    label=generic,
                    kind="medication",
                    assertion=assertion,
                    used_as="a medicine lowalp's knowledge does not link to a low ALP; not evidence",
                )
            )
    if not found:
        return [], "", True
    return found, f"read as {', '.join(g for g, _ in named)}", False


def _apply_medication(
    st: _State,
    pointer: str,
    m: Mention,
    assertion: Assertion,
    record: MedicationRecord | None,
    via: str = "",
) -> None:
    local = _local_form(st, m)
    if local is not None:
        st.map(pointer, m, assertion, f"not used (a local form: {local!r})", via)
        return
    taken_for = _duration(m, record)
    if taken_for:
        via = "; ".join(x for x in (via, taken_for) if x)
    if assertion == "present" and record is None and (ended := _ended(st, m)) is not None:
        ended_days, ended_how = ended
        earlier = st.meds_past.get(m.concept, ended_days)
        st.meds_past[m.concept] = None if earlier is None else min(ended_days, earlier)
        st.map(
            pointer, m, "historical", f"stopped about {_ago(ended_days)} before the ALP", ended_how
        )
        return
    if assertion == "present":
        st.meds.add(m.concept)
        st.map(pointer, m, assertion, "taken now", via)
    elif assertion == "absent":
        st.meds_absent.add(m.concept)
        st.map(pointer, m, assertion, "not taken", via)
    elif assertion == "historical":
        days, how = _days_since_stopped(st, m, record)
        prev = st.meds_past.get(m.concept, days)
        st.meds_past[m.concept] = None if days is None or prev is None else min(days, prev)
        when = (
            f"stopped about {_ago(days)} before the ALP"
            if days is not None
            else "stopped; when is not known"
        )
        st.map(pointer, m, assertion, when, "; ".join(x for x in (via, how) if x))
    else:
        st.map(pointer, m, assertion, f"not used ({_why(assertion)})", via)


def _days_since_stopped(
    st: _State, m: Mention, record: MedicationRecord | None
) -> tuple[float | None, str]:
    ref = st.index.date
    if record is not None:
        if record.days_since_stopped is not None:
            return record.days_since_stopped, ""
        if record.end is not None:
            return (
                (float((ref - record.end).days), f"stopped {record.end}")
                if ref
                else (None, f"stopped {record.end}; the ALP has no date")
            )
    for t in m.times:
        if t.duration_days is not None and t.days_ago is None and t.date is None:
            continue
        days = t.days_before(ref)
        if days is not None:
            return max(days, 0.0), f"time read from {t.text!r}" + (
                " (approximate)" if t.approximate else ""
            )
        if t.date is not None:
            return None, f"{t.text!r} needs the ALP's date to count the days"
    return None, ""


def _ago(days: float) -> str:
    if days < 60:
        return f"{days:.0f} days"
    if days < 730:
        return f"{days / 30.44:.0f} months"
    return f"{days / DAYS_PER_YEAR:.1f} years"


def _why(assertion: Assertion) -> str:
    return {
        "family": "in a relative, not the patient",
        "other": "in someone other than the patient",
        "hypothetical": "hypothetical or planned, not a fact",
        "uncertain": "uncertain",
        "historical": "in the past",
        "absent": "negated",
        "present": "",
    }[assertion]


# ----------------------------------------------------------------------------- findings


def _finding_entry(st: _State, pointer: str, finding: str | FindingRecord) -> None:
    record = finding if isinstance(finding, FindingRecord) else None
    text = finding.text if isinstance(finding, FindingRecord) else finding
    from lowalp.text.reader import read_text

    reading = read_text(text, st.kb, kinds={"FINDING", "RELATIVE", "PANEL"})
    if not reading.mentions:
        st.not_understood.append(
            NotUnderstood(
                pointer=pointer,
                value=text,
                reason="not a finding lowalp knows; not used",
                suggestions=_suggest(st.kb, text),
            )
        )
        return
    for m in reading.mentions:
        stated = record.assertion if record is not None else None
        assertion = _stated_and_worded(stated, m.assertion)
        if stated not in (None, "absent", m.assertion) and assertion == m.assertion:
            cues = ", ".join(repr(c) for c in m.cues) or repr(text)
            st.warnings.append(
                f"{pointer}: recorded as {stated}, but its words say {_why(m.assertion)} "
                f"({cues}); taken as the words say."
            )
        _apply_finding(st, pointer, m, assertion)


def _stated_and_worded(stated: Assertion | None, worded: Assertion) -> Assertion:
    """One assertion from a record's own status (``stated``: a FHIR Condition's verification or
    clinical status, a case file's ``assertion``) and what its words say (``worded``: the
    clinical-text reader's). A refuted record is absent whatever its words; otherwise words that
    qualify the finding (negated, uncertain, hypothetical, past, in a relative) win over a
    status that would take it as a fact: "no evidence of coeliac disease" on an active problem
    list entry is not coeliac disease."""
    if stated is None or stated == "absent":
        return worded if stated is None else "absent"
    return stated if worded == "present" else worded


def _apply_panel(st: _State, pointer: str, m: Mention) -> None:
    from lowalp.normalise.panels import panel_results, verdict_of

    panel = st.kb.panels[m.concept]
    verdict = next((c for c in m.cues if verdict_of(st.kb, c) is not None), None)
    if verdict is None:
        st.map(
            pointer,
            m,
            m.assertion,
            "not used (a panel named without a verdict that vouches for each result)",
        )
        return
    words = f"{m.text} {verdict}"
    results = panel_results(st.kb, panel.id, verdict, pointer, words=words)
    st.panel_results.extend(results)
    names = ", ".join(st.kb.analytes[r.analyte].name for r in results)
    st.map(
        pointer,
        m,
        "absent",
        f"reported {verdict}: each of {names} taken as {results[0].qualifier if results else verdict}",
    )


def _apply_finding(st: _State, pointer: str, m: Mention, assertion: Assertion) -> None:
    if m.kind == "PANEL":
        _apply_panel(st, pointer, m)
        return
    f = st.kb.findings.get(m.concept)
    assert isinstance(f, ClinicalFinding)
    family_kind = bool(f.relatives)
    if m.kind == "RELATIVE":
        if assertion == "family":
            st.present.add(f.id)
            st.map(pointer, m, assertion, "present (in a relative)")
        else:
            st.map(
                pointer,
                m,
                assertion,
                "not used (the condition named for the patient: lowalp reasons from findings)",
                label=f"the condition itself ({m.phrase})",
            )
        return
    if assertion == "absent":
        st.absent.add(f.id)
        st.map(pointer, m, assertion, "absent")
    elif assertion == "present" or (assertion == "family" and family_kind):
        st.present.add(f.id)
        st.map(pointer, m, assertion, "present")
    elif assertion == "historical":
        if f.timing == "current":
            st.map(pointer, m, assertion, "not used (in the past; it counts only while it lasts)")
        else:
            st.present.add(f.id)
            st.map(pointer, m, assertion, "present (in the past)")
    else:
        st.map(pointer, m, assertion, f"not used ({_why(assertion)})")


def _suggest(kb: Knowledge, text: str) -> tuple[str, ...]:
    from rapidfuzz import fuzz, process

    from lowalp.text.lexicon import build_lexicon

    phrases = [e.phrase for e in build_lexicon(kb).entries if e.kind == "FINDING"]
    hits = process.extract(text.lower(), phrases, scorer=fuzz.WRatio, limit=3, score_cutoff=75)
    return tuple(dict.fromkeys(str(h[0]) for h in hits))


# ----------------------------------------------------------------------------- events


def _event_entry(st: _State, pointer: str, raw: EventRecord | str) -> None:
    ev = raw if isinstance(raw, EventRecord) else EventRecord(event=raw)
    if ev.event in st.kb.events:
        days, end = days_before(ev, st.index), end_days_before(ev, st.index)
        occurrence = EventOccurrence(ev.event, days, pointer, ev.event, end, ev.ongoing)
        if occurrence.last_days_before is None:
            st.warnings.append(f"{pointer}: no days_before, day or date; its timing is unknown.")
        st.events.append(occurrence)
        st.mappings.append(
            TextMapping(
                pointer=pointer,
                text=ev.event,
                concept=ev.event,
                label=st.kb.events[ev.event].label,
                kind="event",
                assertion="present",
                used_as=f"happened, {occurrence.when()}",
            )
        )
        return
    from lowalp.text.reader import read_text

    reading = read_text(ev.event, st.kb, kinds={"EVENT"})
    if not reading.mentions:
        from difflib import get_close_matches

        st.not_understood.append(
            NotUnderstood(
                pointer=f"{pointer}.event" if isinstance(raw, EventRecord) else pointer,
                value=ev.event,
                reason="not an event lowalp knows; not used",
                suggestions=tuple(get_close_matches(ev.event, list(st.kb.events), n=3)),
            )
        )
        return
    given = EventOccurrence(
        "", days_before(ev, st.index), pointer, "", end_days_before(ev, st.index), ev.ongoing
    )
    for m in reading.mentions:
        _apply_event(st, pointer, m, m.assertion, given)


def _apply_event(
    st: _State,
    pointer: str,
    m: Mention,
    assertion: Assertion,
    given: EventOccurrence | None,
) -> None:
    if assertion not in ("present", "historical"):
        st.map(pointer, m, assertion, f"not used ({_why(assertion)})")
        return
    if given is not None and given.last_days_before is not None:
        occurrence, how = replace(given, event=m.concept, text=m.text), ""
    else:
        occurrence, how = _timed_from_text(st, pointer, m, assertion)
    if occurrence.last_days_before is None:
        st.warnings.append(
            f"{pointer}: '{m.text}' has no time lowalp could read; its timing is unknown."
        )
    st.events.append(occurrence)
    st.map(pointer, m, assertion, f"happened, {occurrence.when()}", how)


def _timed_from_text(
    st: _State, pointer: str, m: Mention, assertion: Assertion
) -> tuple[EventOccurrence, str]:
    """An event's start, end or ongoing state from the words around it: "3 days ago",
    "since 2026-04-20", "x6 weeks, ongoing", "3 months ago for 2 weeks"."""
    from lowalp.text.timing import ongoing_cue

    days: float | None = None
    how = ""
    for t in m.times:
        d = t.days_before(st.index.date)
        if d is not None:
            days, how = max(d, 0.0), f"time read from {t.text!r}"
            break
    lasted = next((t for t in m.times if t.duration_days is not None), None)
    lasts = m.concept in st.kb.events and st.kb.events[m.concept].lasts
    cue = ongoing_cue(m.sentence) if assertion == "present" and lasts else None
    if cue is not None:
        if days is None and lasted is not None:
            days, how = lasted.duration_days, f"began {lasted.text!r} ago"
        return EventOccurrence(m.concept, days, pointer, m.text, None, True), "; ".join(
            x for x in (how, f"{cue!r} → still ongoing") if x
        )
    end: float | None = None
    if days is not None and lasted is not None and lasted.duration_days is not None:
        end = max(days - lasted.duration_days, 0.0)
        how += f"; lasted {lasted.text!r}"
    return EventOccurrence(m.concept, days, pointer, m.text, end), how


# ----------------------------------------------------------------------------- notes


def _notes(st: _State, notes: str) -> None:
    from lowalp.text.reader import read_text

    reading = read_text(notes, st.kb, sentences=True)
    pointer = "context.notes"
    for m in reading.mentions:
        if m.kind == "MEDICATION":
            _apply_medication(st, pointer, m, m.assertion, None)
        elif m.kind == "EVENT":
            _apply_event(st, pointer, m, m.assertion, None)
        else:
            _apply_finding(st, pointer, m, m.assertion)
    for sentence in reading.unread:
        st.not_understood.append(
            NotUnderstood(
                pointer=pointer,
                value=sentence,
                reason="no finding, medicine or event lowalp knows in this sentence; not used",
            )
        )


def days_before(ev: EventRecord, index: LabResult) -> float | None:
    """When the event happened (or began), in days before the index ALP."""
    return _before_index(ev.days_before, ev.date, ev.day, index)


def end_days_before(ev: EventRecord, index: LabResult) -> float | None:
    """When the event ended, in days before the index ALP (negative: after it)."""
    return _before_index(ev.end_days_before, ev.end_date, ev.end_day, index)


def _before_index(
    days: float | None, date: dt.date | None, day: float | None, index: LabResult
) -> float | None:
    if days is not None:
        return days
    if date is not None and index.date is not None:
        return float((index.date - date).days)
    if day is not None and index.day is not None:
        return float(index.day - day)
    return None
