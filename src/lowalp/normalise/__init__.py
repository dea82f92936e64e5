"""Turn a :class:`~lowalp.model.Case` into what the engine reasons over.

Analyte ids and units are resolved against the knowledge and values converted to canonical
units, words and flags read (:mod:`lowalp.normalise.labs`), times made relative to the index ALP
(the newest one that can be judged) (:mod:`lowalp.normalise.timing`), and free text read into
knowledge concepts with their assertions (:mod:`lowalp.normalise.context`). A result the program
cannot use is set aside under ``not_understood`` with its reason and the assessment goes on; only
a case without any ALP result, or with a patient problem (a birth date after the ALP), raises
:class:`~lowalp.errors.InputError`, with every problem listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lowalp.errors import InputError, Problem
from lowalp.knowledge import Knowledge
from lowalp.model import Case, Measurement, NotUnderstood, Sex, TextMapping
from lowalp.normalise.context import EventOccurrence, read_context
from lowalp.normalise.labs import Draft, read_lab, read_lab_at
from lowalp.normalise.timing import deduplicate, patient_age, pick_index, to_measurement
from lowalp.text.results import NoteResult, find_results

__all__ = ["EventOccurrence", "Normalised", "normalise"]


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
    mappings: tuple[TextMapping, ...] = ()
    medications_past: dict[str, float | None] = field(default_factory=dict)
    """Medicines taken in the past and stopped: finding id → days since stopped (None: unknown)."""
    medications_uncertain: frozenset[str] = frozenset()
    """Medication findings that cannot be called absent (an entry was not understood)."""
    medications_absent: frozenset[str] = frozenset()
    """Medicines reported as not taken ("no steroids")."""

    def series(self, analyte: str) -> list[Measurement]:
        return [m for m in self.measurements if m.analyte == analyte]


def normalise(case: Case, kb: Knowledge, *, strict: bool = False) -> Normalised:
    problems: list[Problem] = []
    not_understood: list[NotUnderstood] = []
    warnings: list[str] = []

    drafts = [
        d for i, lab in enumerate(case.labs) for d in read_lab(i, lab, kb, not_understood, warnings)
    ]
    result_mappings = _note_results(case, kb, drafts, not_understood, warnings)
    drafts = deduplicate(drafts, warnings)
    alps = [d for d in drafts if d.analyte == "alp"]
    if not alps:
        alp_elsewhere = [n for n in not_understood if "alp" in n.value.lower()]
        hint = (
            "the ALP result itself could not be read (see not understood)"
            if alp_elsewhere
            else "add a lab with analyte 'alp' (LOINC 6768-6), a value and a unit"
        )
        problems.append(Problem("labs", "no ALP result: lowalp explains a low ALP", hint=hint))

    index = pick_index(alps, warnings) if alps else None
    age = patient_age(case, index, warnings, problems)
    if problems:
        raise InputError(problems)

    assert index is not None
    measurements = tuple(to_measurement(d, index, warnings) for d in drafts)
    untimed = [m.pointer for m in measurements if m.t is None and m.analyte != "alp"]
    if untimed:
        warnings.append(
            f"{len(untimed)} result(s) have no day or date ({', '.join(untimed[:5])}"
            f"{'…' if len(untimed) > 5 else ''}); they are taken as drawn with the index ALP."
        )

    ctx = read_context(case, kb, index.lab)
    read_results = [(m.pointer, m.text) for m in result_mappings]
    not_understood.extend(
        n
        for n in ctx.not_understood
        if not any(n.pointer == where and r in n.value for where, r in read_results)
    )
    warnings.extend(ctx.warnings)
    measurements = measurements + ctx.panel_results
    if strict and not_understood:
        raise InputError(
            Problem(n.pointer, n.reason, value=n.value, hint=_did_you_mean(n.suggestions))
            for n in not_understood
        )
    return Normalised(
        case_id=case.id,
        age_years=age,
        sex=case.patient.sex,
        setting=case.context.setting,
        measurements=measurements,
        index_pointer=index.pointer,
        medications_given=ctx.medications_given,
        medications=ctx.medications,
        events_given=ctx.events_given,
        events=ctx.events,
        findings_present=ctx.present,
        findings_absent=ctx.absent,
        understood=ctx.understood,
        not_understood=tuple(not_understood),
        warnings=tuple(warnings),
        mappings=(*result_mappings, *ctx.mappings),
        medications_past=ctx.medications_past,
        medications_uncertain=ctx.medications_uncertain,
        medications_absent=ctx.medications_absent,
    )


def _note_results(
    case: Case,
    kb: Knowledge,
    drafts: list[Draft],
    not_understood: list[NotUnderstood],
    warnings: list[str],
) -> list[TextMapping]:
    """Results written in the note or as a finding ("Hb 68 g/L", "INR 3.9"), for analytes the
    labs do not give."""
    texts = [("context.notes", case.context.notes or "")] + [
        (f"context.findings[{i}]", f)
        for i, f in enumerate(case.context.findings or ())
        if isinstance(f, str)
    ]
    texts = [(where, t) for where, t in texts if t.strip()]
    if not texts:
        return []
    given = {d.analyte for d in drafts}
    out = []
    for where, text in texts:
        for r in find_results(text, kb):
            out.append(_note_result(kb, where, r, given, drafts, not_understood, warnings))
            given.add(r.analyte)
    return out


def _note_result(
    kb: Knowledge,
    where: str,
    r: NoteResult,
    given: set[str],
    drafts: list[Draft],
    not_understood: list[NotUnderstood],
    warnings: list[str],
) -> TextMapping:
    pointer = f"{where} ({r.text!r})"
    name = kb.analytes[r.analyte].name
    if r.analyte in given:
        used = "not used (the labs, or an earlier mention, give this result)"
    else:
        read = read_lab_at(pointer, r.lab, kb, not_understood, warnings)
        drafts.extend(read)
        used = (
            "a result, taken as drawn with the index ALP"
            if read
            else "not used (see not understood)"
        )
    return TextMapping(
        pointer=where,
        text=r.text,
        concept=r.analyte,
        label=name,
        kind="result",
        assertion="present",
        used_as=used,
    )


def _did_you_mean(options: tuple[str, ...]) -> str | None:
    return f"did you mean {', '.join(repr(o) for o in options)}?" if options else None
