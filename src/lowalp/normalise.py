"""Turn a :class:`~lowalp.model.Case` into what the engine reasons over.

Analyte ids and units are resolved against the knowledge, values converted to canonical units,
times made relative to the index ALP (the newest one), and free text matched to knowledge ids.
Problems that make the case unusable raise :class:`~lowalp.errors.InputError` with every problem
listed; results the program cannot use are kept aside under ``not_understood`` and the
assessment goes on.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from lowalp.errors import InputError, Problem, UnitError
from lowalp.knowledge import Knowledge
from lowalp.knowledge.schema import ClinicalFinding, MedicationFinding
from lowalp.matching import PhraseIndex
from lowalp.model import Case, EventRecord, LabResult, Measurement, NotUnderstood, Sex
from lowalp.units import factor, unit_can_be_assumed

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class EventOccurrence:
    event: str
    days_before: float | None
    pointer: str
    text: str


@dataclass(frozen=True)
class Normalised:
    case_id: str | None
    age_years: float | None
    sex: Sex | None
    setting: str | None
    measurements: tuple[Measurement, ...]
    index_pointer: str
    medications_given: bool
    medications: frozenset[str]
    events_given: bool
    events: tuple[EventOccurrence, ...]
    findings_present: frozenset[str]
    findings_absent: frozenset[str]
    understood: tuple[str, ...] = ()
    not_understood: tuple[NotUnderstood, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: dict[str, str] = field(default_factory=dict)

    def series(self, analyte: str) -> list[Measurement]:
        return [m for m in self.measurements if m.analyte == analyte]


@dataclass
class _Draft:
    lab: LabResult
    pointer: str
    analyte: str
    value: float | None
    unit: str
    ref_low: float | None
    ref_high: float | None
    original: str
    original_ref: str | None = None


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


def normalise(case: Case, kb: Knowledge, *, strict: bool = False) -> Normalised:
    problems: list[Problem] = []
    not_understood: list[NotUnderstood] = []
    warnings: list[str] = []
    understood: list[str] = []

    drafts = [
        d
        for i, lab in enumerate(case.labs)
        if (d := _lab(i, lab, kb, problems, not_understood, warnings))
    ]
    drafts = _deduplicate(drafts, problems, warnings)
    alps = [d for d in drafts if d.analyte == "alp"]
    if not alps and not any(p.pointer.startswith("labs[") and "alp" in p.message for p in problems):
        alp_elsewhere = [n for n in not_understood if "alp" in n.value.lower()]
        hint = (
            "the ALP result itself could not be used (see not understood)"
            if alp_elsewhere
            else "add a lab with analyte 'alp' (LOINC 6768-6), a value and a unit"
        )
        problems.append(
            Problem("labs", "no usable ALP result: lowalp explains a low ALP", hint=hint)
        )

    index = _pick_index(alps, warnings) if alps else None
    age = _age(case, index, warnings, problems)
    if problems:
        raise InputError(problems)

    assert index is not None
    measurements = tuple(_measurement(d, index, warnings) for d in drafts)
    untimed = [m.pointer for m in measurements if m.t is None and m.analyte != "alp"]
    if untimed:
        warnings.append(
            f"{len(untimed)} result(s) have no day or date ({', '.join(untimed[:5])}"
            f"{'…' if len(untimed) > 5 else ''}); they are taken as drawn with the index ALP."
        )

    clinical_idx, drug_idx, event_idx = _indexes(kb)
    ctx = case.context
    meds: set[str] = set()
    for i, text in enumerate(ctx.medications or ()):
        m = drug_idx.find(text)
        if m.ids and not m.negated:
            meds.update(m.ids)
            understood.append(f"medication '{text}' → {', '.join(_label(kb, x) for x in m.ids)}")
        elif m.ids:
            understood.append(f"medication '{text}' → not taken now ({', '.join(m.ids)})")
        else:
            not_understood.append(
                NotUnderstood(
                    pointer=f"context.medications[{i}]",
                    value=text,
                    reason="not a medicine the knowledge base links to a low ALP; not used",
                )
            )

    present: set[str] = set()
    absent: set[str] = set()
    for i, text in enumerate(ctx.findings or ()):
        m = clinical_idx.find(text)
        if not m.ids:
            close = difflib.get_close_matches(
                text.lower(), clinical_idx.phrases(), n=3, cutoff=0.75
            )
            not_understood.append(
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
    for i, ev in enumerate(ctx.events or ()):
        pointer = f"context.events[{i}]"
        eid = ev.event if ev.event in kb.events else None
        if eid is None:
            match = event_idx.find(ev.event)
            eid = match.ids[0] if match.ids and not match.negated else None
        if eid is None:
            not_understood.append(
                NotUnderstood(
                    pointer=f"{pointer}.event",
                    value=ev.event,
                    reason="not an event the knowledge base knows; not used",
                    suggestions=tuple(difflib.get_close_matches(ev.event, list(kb.events), n=3)),
                )
            )
            continue
        days = _days_before(ev, index)
        if days is None:
            warnings.append(f"{pointer}: no days_before, day or date; its timing is unknown.")
        events.append(EventOccurrence(eid, days, pointer, ev.event))
        understood.append(
            f"event '{ev.event}' → {kb.events[eid].label}"
            + (f", {days:g} days before" if days is not None else "")
        )

    if strict and not_understood:
        raise InputError(
            Problem(n.pointer, n.reason, value=n.value, hint=_did_you_mean(n.suggestions))
            for n in not_understood
        )
    return Normalised(
        case_id=case.id,
        age_years=age,
        sex=case.patient.sex,
        setting=ctx.setting,
        measurements=measurements,
        index_pointer=index.pointer,
        medications_given=ctx.medications is not None,
        medications=frozenset(meds),
        events_given=ctx.events is not None,
        events=tuple(events),
        findings_present=frozenset(present),
        findings_absent=frozenset(absent),
        understood=tuple(understood),
        not_understood=tuple(not_understood),
        warnings=tuple(warnings),
    )


def _did_you_mean(options: tuple[str, ...]) -> str | None:
    return f"did you mean {', '.join(repr(o) for o in options)}?" if options else None


def _label(kb: Knowledge, fid: str) -> str:
    f = kb.findings.get(fid)
    return f.label if f else fid


def _lab(
    i: int,
    lab: LabResult,
    kb: Knowledge,
    problems: list[Problem],
    not_understood: list[NotUnderstood],
    warnings: list[str],
) -> _Draft | None:
    pointer = f"labs[{i}]"
    analyte_id = lab.analyte
    if analyte_id is not None and analyte_id not in kb.analytes:
        by_loinc = kb.loinc_index.get(analyte_id)
        if by_loinc:
            analyte_id = by_loinc
    if analyte_id is None and lab.loinc is not None:
        analyte_id = kb.loinc_index.get(lab.loinc.strip())
        if analyte_id is None:
            not_understood.append(
                NotUnderstood(
                    pointer=f"{pointer}.loinc",
                    value=lab.loinc,
                    reason="LOINC code not known to lowalp; result not used",
                )
            )
            return None
    if analyte_id is None:
        problems.append(
            Problem(
                pointer,
                "a result needs `analyte` (or a `loinc` code)",
                hint='for example "analyte": "alp"',
            )
        )
        return None
    analyte = kb.analytes.get(analyte_id)
    if analyte is None:
        names = {a.id: a.id for a in kb.analytes.values()} | {
            a.name.lower(): a.id for a in kb.analytes.values()
        }
        close = difflib.get_close_matches(analyte_id.lower(), list(names), n=3, cutoff=0.6)
        not_understood.append(
            NotUnderstood(
                pointer=f"{pointer}.analyte",
                value=analyte_id,
                reason="analyte not known to lowalp; result not used",
                suggestions=tuple(dict.fromkeys(names[c] for c in close)),
            )
        )
        return None
    if lab.loinc and lab.loinc in kb.loinc_index and kb.loinc_index[lab.loinc] != analyte.id:
        warnings.append(
            f"{pointer}: LOINC {lab.loinc} is {kb.loinc_index[lab.loinc]}, not {analyte.id}; the analyte id was used."
        )

    if lab.value is None and lab.qualifier is None:
        problems.append(
            Problem(pointer, "a result needs a numeric `value` (with `unit`) or a `qualifier`")
        )
        return None
    if lab.qualifier in ("<", ">") and lab.value is None:
        problems.append(
            Problem(f"{pointer}.value", f"qualifier {lab.qualifier!r} needs a value (as in '<5')")
        )
        return None
    if lab.value is None:
        return _Draft(
            lab, pointer, analyte.id, None, analyte.canonical_unit, None, None, str(lab.qualifier)
        )
    if lab.value < 0:
        problems.append(
            Problem(
                f"{pointer}.value",
                "a concentration or activity cannot be negative",
                value=lab.value,
            )
        )
        return None

    unit = lab.unit
    if unit is None or not unit.strip():
        if unit_can_be_assumed(analyte):
            unit = analyte.canonical_unit
            warnings.append(
                f"{pointer}: no unit given; {analyte.name} has one scale, so {unit} was assumed."
            )
        else:
            not_understood.append(
                NotUnderstood(
                    pointer=f"{pointer}.unit",
                    value=f"{lab.value:g}",
                    reason=f"numeric {analyte.name} without a unit; it is reported in several units ({', '.join(list(analyte.units)[:6])}), so it was not used",
                    suggestions=(analyte.canonical_unit,),
                )
            )
            return None
    try:
        f = factor(analyte, unit, kb.unit_synonyms)
    except UnitError as exc:
        not_understood.append(
            NotUnderstood(
                pointer=f"{pointer}.unit",
                value=unit,
                reason=f"unit not known for {analyte.name}; result not used (accepted: {', '.join(exc.accepted)})",
                suggestions=(exc.suggestion,) if exc.suggestion else (),
            )
        )
        return None
    value = lab.value * f
    lo, hi = analyte.plausible
    if not lo <= value <= hi:
        problems.append(
            Problem(
                f"{pointer}.value",
                f"{lab.value:g} {unit} is not a possible {analyte.name} "
                f"(possible: {lo:g}–{hi:g} {analyte.canonical_unit})",
                hint="check the value and its unit",
            )
        )
        return None
    ref_low = lab.ref_low * f if lab.ref_low is not None else None
    ref_high = lab.ref_high * f if lab.ref_high is not None else None
    if ref_low is not None and ref_high is not None and ref_low > ref_high:
        problems.append(
            Problem(f"{pointer}.ref_low", "ref_low is above ref_high", value=lab.ref_low)
        )
        return None
    if (lab.ref_low is not None and lab.ref_low < 0) or (
        lab.ref_high is not None and lab.ref_high < 0
    ):
        problems.append(Problem(f"{pointer}.ref_low", "a reference limit cannot be negative"))
        return None
    censor = f"{lab.qualifier}" if lab.qualifier in ("<", ">") else ""
    original = f"{censor}{lab.value:g} {unit}"
    original_ref = None
    if lab.ref_low is not None or lab.ref_high is not None:
        lo_text = "" if lab.ref_low is None else f"{lab.ref_low:g}"
        hi_text = "" if lab.ref_high is None else f"{lab.ref_high:g}"
        original_ref = f"{lo_text}–{hi_text} {unit}"
    return _Draft(
        lab,
        pointer,
        analyte.id,
        value,
        analyte.canonical_unit,
        ref_low,
        ref_high,
        original,
        original_ref,
    )


def _when(d: _Draft) -> tuple[str, object] | None:
    if d.lab.date is not None:
        return ("date", d.lab.date)
    if d.lab.day is not None:
        return ("day", d.lab.day)
    return None


def _deduplicate(
    drafts: list[_Draft], problems: list[Problem], warnings: list[str]
) -> list[_Draft]:
    seen: dict[tuple[object, ...], _Draft] = {}
    out = []
    for d in drafts:
        when = _when(d)
        if when is None:
            out.append(d)
            continue
        key = (d.analyte, when, d.lab.specimen)
        first = seen.get(key)
        if first is None:
            seen[key] = d
            out.append(d)
        elif first.value == d.value and first.lab.qualifier == d.lab.qualifier:
            warnings.append(
                f"{d.pointer} repeats {first.pointer} ({d.analyte}, same time and value); counted once."
            )
        else:
            problems.append(
                Problem(
                    d.pointer,
                    f"a second {d.analyte} result at the same time as {first.pointer} with a different value "
                    f"({first.original} vs {d.original})",
                    hint="remove one, or give them different days or specimen ids",
                )
            )
    return out


def _pick_index(alps: list[_Draft], warnings: list[str]) -> _Draft:
    timed = [d for d in alps if _when(d) is not None]
    if not timed:
        if len(alps) > 1:
            warnings.append(
                f"{len(alps)} ALP results without day or date: {alps[0].pointer} is taken as the index; "
                "the time course cannot be judged."
            )
        return alps[0]
    kinds = {"date" if d.lab.date is not None else "day" for d in timed}
    if kinds == {"date", "day"}:
        dated = [d for d in timed if d.lab.date is not None]
        warnings.append(
            "ALP results mix `day` and `date`; only the dated ones are ordered in time."
        )
        timed = dated
    untimed = [d.pointer for d in alps if _when(d) is None]
    if untimed:
        warnings.append(
            f"ALP result(s) {', '.join(untimed)} have no day or date and are left out of the time course."
        )
    return max(timed, key=_order)


def _order(d: _Draft) -> float:
    """A sortable time for a result whose ALP series uses one kind of time only."""
    if d.lab.date is not None:
        return float(d.lab.date.toordinal())
    return d.lab.day if d.lab.day is not None else 0.0


def _t(d: _Draft, index: _Draft) -> float | None:
    if d is index:
        return 0.0
    if d.lab.date is not None and index.lab.date is not None:
        return float((d.lab.date - index.lab.date).days)
    if d.lab.day is not None and index.lab.day is not None:
        return float(d.lab.day - index.lab.day)
    return None


def _measurement(d: _Draft, index: _Draft, warnings: list[str]) -> Measurement:
    t = _t(d, index)
    if t is None and d.analyte != "alp" and _when(d) is not None:
        warnings.append(
            f"{d.pointer}: its time cannot be related to the index ALP (day vs date); taken as concurrent."
        )
    return Measurement(
        analyte=d.analyte,
        value=d.value,
        unit=d.unit,
        qualifier=d.lab.qualifier,
        ref_low=d.ref_low,
        ref_high=d.ref_high,
        t=t if (t is not None or d.analyte != "alp" or d is index) else None,
        specimen=d.lab.specimen,
        pointer=d.pointer,
        original=d.original,
        original_ref=d.original_ref,
    )


def _age(
    case: Case, index: _Draft | None, warnings: list[str], problems: list[Problem]
) -> float | None:
    p = case.patient
    if p.age_years is not None:
        return p.age_years
    if p.birth_date is not None:
        if index is not None and index.lab.date is not None:
            years = (index.lab.date - p.birth_date).days / DAYS_PER_YEAR
            if years < 0:
                problems.append(
                    Problem(
                        "patient.birth_date",
                        "birth date is after the index ALP date",
                        value=str(p.birth_date),
                    )
                )
                return None
            return years
        warnings.append("patient.birth_date is given but the ALP has no date; age unknown.")
    return None


def _days_before(ev: EventRecord, index: _Draft) -> float | None:
    if ev.days_before is not None:
        return ev.days_before
    lab = index.lab
    if ev.date is not None and lab.date is not None:
        return float((lab.date - ev.date).days)
    if ev.day is not None and lab.day is not None:
        return float(lab.day - ev.day)
    return None
