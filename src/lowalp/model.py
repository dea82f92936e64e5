"""The core data model: what a case holds and what an assessment says.

Every model is immutable. Input models (:class:`Case` and its parts) mirror the case format of
the design; :class:`Assessment` is what every front end renders.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

Sex = Literal["F", "M"]
Qualifier = Literal[
    "low",
    "normal",
    "high",
    "positive",
    "negative",
    "undetectable",
    "abnormal",
    "indeterminate",
    "<",
    ">",
]
"""A result's verdict in words, or ``<``/``>`` for a censored number ("<5"). ``undetectable``:
below the assay's detection limit; ``abnormal``: outside the range, direction not said;
``indeterminate``: equivocal, borderline or trace (decides nothing)."""
Status = Literal["low", "normal", "high", "unknown"]
State = Literal["present", "absent", "unknown"]
Effect = Literal["supports", "refutes", "neutral", "not_applicable"]
"""``not_applicable``: the finding, or the cause's rule, does not apply to this person (outside
the population it was measured in); it weighs nothing and ``Evidence.population`` says why."""


_T = TypeVar("_T")


def quick_init(cls: type[_T]) -> type[_T]:
    """Give a frozen dataclass with slots an ``__init__`` that stores each field straight into
    its slot, with the same parameters as the one :func:`dataclasses.dataclass` writes.

    The generated ``__init__`` of a frozen dataclass calls ``object.__setattr__`` for every
    field, about twice the cost of setting the slots: there are hundreds of such objects a case.
    The class stays frozen (assignment after construction still raises) and compares, hashes
    and serialises as before.
    """
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    params = []
    body = []
    namespace: dict[str, Any] = {}
    seen_kw_only = False
    for i, f in enumerate(fields):
        if not f.init or f.default_factory is not dataclasses.MISSING:
            raise TypeError(f"quick_init: {cls.__name__}.{f.name} needs the generated __init__")
        if f.kw_only and not seen_kw_only:
            params.append("*")
            seen_kw_only = True
        if f.default is dataclasses.MISSING:
            params.append(f.name)
        else:
            namespace[f"_d{i}"] = f.default
            params.append(f"{f.name}=_d{i}")
        namespace[f"_s{i}"] = cls.__dict__[f.name].__set__
        body.append(f"    _s{i}(self, {f.name})")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"quick_init: {cls.__name__} has a __post_init__")
    source = f"def __init__(self, {', '.join(params)}):\n" + "\n".join(body) + "\n"
    exec(source, namespace)  # the way dataclasses writes __init__
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__annotations__ = {f.name: f.type for f in fields} | {"return": None}
    type.__setattr__(cls, "__init__", init)
    return cls


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Input(Frozen):
    """An input model: besides the closed schema, a number must be finite (``NaN``,
    ``Infinity`` or ``1e309`` anywhere in a case is rejected with the field named, never read
    as "no range" or "any day")."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


def _iso_date_only(value: object) -> object:
    """Dates come as ISO text (or date objects), never as numbers (no epoch seconds)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("a date is written as text, e.g. 2026-03-31")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_only)]

MAX_DAYS = 60_000
"""The largest distance in days an input may give between two moments (about 164 years, more
than a life): a ``day`` or a count of days beyond it is a mistake, and arithmetic on it would
overflow."""
Days = Annotated[float, Field(ge=-MAX_DAYS, le=MAX_DAYS)]
DayCount = Annotated[float, Field(ge=0, le=MAX_DAYS)]


# ----------------------------------------------------------------------------- input


class Patient(Input):
    age_years: float | None = Field(default=None, ge=0, le=130)
    birth_date: IsoDate | None = None
    sex: Sex | None = None


class LabResult(Input):
    """One laboratory result as the lab reported it (value and unit not yet converted)."""

    analyte: str | None = None
    loinc: str | None = None
    value: float | None = None
    unit: str | None = None
    qualifier: Qualifier | None = None
    ref_low: float | None = None
    ref_high: float | None = None
    day: Days | None = None
    date: IsoDate | None = None
    specimen: str | None = None
    text: str | None = None
    """The result as the lab wrote it when it is not a plain number ("undetectable", "<5",
    "within normal limits", "positive 1:160")."""
    flag: str | None = None
    """The lab's own flag on the result (L, H, LL, HH, N, A, "low", "high", "normal" …)."""
    note: str | None = None
    """A comment the lab attached to the result."""
    panel: str | None = None
    """A panel reported as a whole instead of an analyte ("LFTs", "bone profile"), with
    ``qualifier: normal`` (or ``negative``): read as one normal result per analyte of the panel
    (knowledge/panels.yaml); a number for the same analyte near the same time wins over it."""


Assertion = Literal[
    "present", "absent", "historical", "family", "other", "hypothetical", "uncertain"
]
"""How a mention is asserted: present now, negated, in the past (a medicine stopped), in a
blood relative (``family``), in someone else who is not (``other``: a spouse, a carer, another
patient), hypothetical ("if …", "rule out …") or uncertain ("possible …")."""


class MedicationRecord(Input):
    """A medicine with what is known of its use (a structured alternative to free text)."""

    name: str
    """As written: "alendronate 70 mg weekly", "Fosamax"."""
    status: Literal["active", "stopped", "not-taken", "intended", "unknown"] | None = None
    start: IsoDate | None = None
    end: IsoDate | None = None
    """When it was stopped (with ``status: stopped``)."""
    days_since_stopped: DayCount | None = None
    duration_days: DayCount | None = None


class FindingRecord(Input):
    """A clinical finding with its assertion (a structured alternative to free text)."""

    text: str
    assertion: Assertion | None = None
    date: IsoDate | None = None


class EventRecord(Input):
    """Something that happened to the patient (surgery, transfusion …) and when.

    ``days_before``, ``day`` or ``date`` give when it happened (its start, for one that lasts);
    ``end_days_before``, ``end_day`` or ``end_date`` when it ended, or ``ongoing: true`` when it
    is still going on at the index ALP (a stay in intensive care, a sepsis). A window counts from
    the end: an ongoing event is present now. An event with one time only is taken as one day.
    """

    event: str
    days_before: DayCount | None = None
    day: Days | None = None
    date: IsoDate | None = None
    end_days_before: float | None = Field(default=None, ge=0)
    end_day: float | None = None
    end_date: IsoDate | None = None
    ongoing: bool = False

    @model_validator(mode="after")
    def _one_end(self) -> EventRecord:
        ends = [x for x in (self.end_days_before, self.end_day, self.end_date) if x is not None]
        if self.ongoing and ends:
            raise ValueError("an event is either ongoing or has an end, not both")
        if (
            self.days_before is not None
            and self.end_days_before is not None
            and self.end_days_before > self.days_before
        ):
            raise ValueError("end_days_before is larger than days_before: it ends before it starts")
        if self.day is not None and self.end_day is not None and self.end_day < self.day:
            raise ValueError("end_day is before day: it ends before it starts")
        if self.date is not None and self.end_date is not None and self.end_date < self.date:
            raise ValueError("end_date is before date: it ends before it starts")
        return self


class Context(Input):
    """What else is known. ``None`` means not told; an empty list means "none"."""

    medications: tuple[str | MedicationRecord, ...] | None = None
    events: tuple[EventRecord | str, ...] | None = None
    findings: tuple[str | FindingRecord, ...] | None = None
    setting: Literal["outpatient", "inpatient", "icu"] | None = None
    notes: str | None = None
    """Free text as a clinician writes it (history, examination, medications, events); every
    phrase lowalp reads from it is listed with its assertion in the report."""


def text_of(item: str | MedicationRecord | FindingRecord | EventRecord) -> str:
    """The words of a context entry, whichever form it was given in."""
    if isinstance(item, str):
        return item
    if isinstance(item, MedicationRecord):
        return item.name
    if isinstance(item, FindingRecord):
        return item.text
    return item.event


class Case(Input):
    id: str | None = None
    patient: Patient = Patient()
    labs: tuple[LabResult, ...]
    context: Context = Context()
    diagnosis: str | None = None


# ----------------------------------------------------------------------------- output


class Measurement(Frozen):
    """A lab result after normalisation: canonical analyte id, canonical unit, relative time."""

    analyte: str
    value: float | None
    unit: str
    qualifier: Qualifier | None = None
    ref_low: float | None = None
    ref_high: float | None = None
    t: float | None = None
    """Days relative to the index ALP (0); negative is earlier; ``None`` when not known."""
    specimen: str | None = None
    pointer: str
    original: str
    """The value and unit as given, e.g. "0.58 mmol/L"."""
    original_ref: str | None = None
    """The lab's range as given, e.g. "0.75–0.95 mmol/L"."""
    flag: Qualifier | None = None
    """The lab's own flag on a numeric result (H, L, N … read through knowledge/qualitative.yaml);
    used when the number cannot be judged."""
    reported_in_words: str | None = None
    """Set when the result comes from words rather than a result line, e.g. "LFTs normal"."""
    read_as: str | None = None
    """How the result was read when it was not a plain number in a known unit ("unit 'KA' not
    known: judged against the lab's range printed in the same unit")."""
    unusable: str | None = None
    """Why the result cannot be judged at all (kept only for ALP results, so the report can say
    why the ALP status is unknown)."""


class AlpMeasurement(Frozen):
    value: float | None
    unit: str
    reported: str = ""
    """The value and the lab's range as given (units as printed)."""
    t: float | None
    lower_limit: float | None
    upper_limit: float | None
    limit_source: str | None
    status: Status
    pointer: str
    note: str = ""
    """How the result was read when not from a number and a limit, or why it cannot be judged."""


class AlpStatus(Frozen):
    value: float | None
    unit: str = "U/L"
    reported: str = ""
    """The index value and the lab's range as given (units as printed)."""
    lower_limit: float | None
    upper_limit: float | None
    limit_source: str | None
    age_sex_interval: str | None = None
    age_sex_lower_limit: float | None = None
    status: Status
    low_for_age_only: bool = False
    persistent: bool | None = None
    persistence_reason: str = ""
    status_reason: str = ""
    """Why the status is what it is when it does not come from a number against a limit (the
    lab's words or flag), or why it is ``unknown``."""
    measurements: tuple[AlpMeasurement, ...] = ()


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """One finding's contribution to one cause (a plain dataclass: there are hundreds a case)."""

    finding: str
    label: str
    state: State
    effect: Effect
    weight: float
    """Natural log of the likelihood ratio applied (0 when the finding is unknown)."""
    plain: str | None = None
    detail: str = ""
    source: str | None = None
    estimate: bool = False
    counted_with: str | None = None
    """The evidence group whose other member carries this finding's weight (then 0 here)."""
    population: str = ""
    """With effect ``not_applicable``: why the rule or finding does not apply here. Otherwise,
    what was assumed to apply it ("applied on the assumption that none of these is present …")."""


class Artifact(Frozen):
    id: str
    name: str
    evidence: tuple[Evidence, ...]
    action: str
    heading: str = ""
    summary: str = ""
    plain: str = ""
    probability: float | None = None
    """The probability of the artefact as a cause, which raised the warning."""


class Pointer(Frozen):
    """One management pointer chosen for the case: its text, sources and urgency."""

    text: str
    sources: tuple[str, ...] = ()
    urgent: bool = False
    conditional: bool = False
    """Shown because the findings of its ``when`` condition are present (a context pointer)."""


class CauseResult(Frozen):
    id: str
    name: str
    plain_name: str
    probability: float
    prior: float
    transient: bool
    summary: str
    plain: str
    evidence: tuple[Evidence, ...]
    management: tuple[str, ...]
    """Urgent pointers (see ``urgent``) first, then the rest in the knowledge's order."""
    patient_questions: tuple[str, ...]
    patient_questions_child: tuple[str, ...] = ()
    """The same, as a parent asks them (for a patient under the adult age)."""
    sources: tuple[str, ...]
    urgent: tuple[str, ...] = ()
    """The management pointers urgent for this case (their ``urgent_when`` finding is present)."""
    link_grade: Literal["cohort", "case_series", "mechanism"] | None = None
    """How the cause's link to a low ALP is known; its ceiling limits the probability."""
    held_at_ceiling: float | None = None
    """Set when the evidence would have passed the link grade's ceiling: the ceiling."""
    pointers: tuple[Pointer, ...] = ()
    """The pointers of ``management``, in the same order, each with its sources."""


class ScoreItem(Frozen):
    item: str
    label: str
    state: Literal["met", "not met", "unknown"]
    points: float
    group: str | None = None
    detail: str = ""


class ScoreResult(Frozen):
    id: str
    name: str
    cause: str
    totals: dict[str, float]
    complete: bool
    interpretation: str
    items: tuple[ScoreItem, ...]
    missing: tuple[str, ...]
    source: str
    note: str = ""
    applicable: bool = True
    """False when the case lies outside the population the score was made for (then
    ``interpretation`` says why, and no items are scored)."""
    not_applicable_source: str = ""
    """The source of the reason the score does not apply, when one is cited."""
    settled: bool = True
    """False when the unknown items could still change the verdict."""


class NextTest(Frozen):
    test: str
    name: str
    why: str
    expected_information_gain: float
    relative_cost: int
    invasiveness: str
    causes: tuple[str, ...]
    preparation: str = ""
    plain: str = ""
    """The test in plain words for the patient view (empty: ``name`` is plain already)."""
    urgent: bool = False
    """An ``urgent_when`` finding of the test is present: ranked before the others."""
    folded: bool = False
    """Not among the few a report shows (beyond the cap in settings, below its minimum gain, or
    deferred): kept here and in JSON, collapsed in text and HTML."""
    deferred_by: tuple[str, ...] = ()
    """The findings (ids) of the test's ``unless`` that are present: it is not for now."""


class TextMapping(Frozen):
    """One phrase of free text read as a knowledge concept, with its assertion."""

    pointer: str
    """Where the phrase came from: ``context.findings[2]``, ``context.notes``."""
    text: str
    """The words matched, as written."""
    concept: str
    label: str
    kind: Literal["finding", "medication", "event", "panel", "result"]
    assertion: Assertion
    used_as: str
    """What the engine takes from it: "present", "absent", "not used (family history)" …"""
    detail: str = ""
    """Time, dose or the cue that set the assertion ("'stopped' → historical, ~1 year ago")."""


class NotUnderstood(Frozen):
    pointer: str
    value: str
    reason: str
    suggestions: tuple[str, ...] = ()


class Source(Frozen):
    id: str
    citation: str
    url: str | None = None


class Wording(Frozen):
    """The probabilities at which a summary's words change (knowledge ``settings.wording``)."""

    possible_from: float
    likely_from: float
    most_consistent_from: float
    patient_from: float
    """The patient view names no cause below this probability but the leading one (knowledge
    ``settings.patient_view.min_probability``)."""


class Assessment(Frozen):
    case_id: str | None
    patient: Patient
    age_years: float | None
    alp: AlpStatus
    artifacts: tuple[Artifact, ...]
    causes: tuple[CauseResult, ...]
    scores: tuple[ScoreResult, ...]
    next_tests: tuple[NextTest, ...]
    unknown_findings: tuple[str, ...]
    understood: tuple[str, ...]
    not_understood: tuple[NotUnderstood, ...]
    mappings: tuple[TextMapping, ...] = ()
    warnings: tuple[str, ...]
    sources: tuple[Source, ...]
    knowledge_version: str
    disclaimer: str
    disclaimer_plain: str
    disclaimer_plain_child: str = ""
    """The same, to a parent (the patient view of a child); ``disclaimer_plain`` where empty."""
    wording: Wording
    adult_age_years: float
    """From this age the patient view speaks to the patient, below it to a parent (knowledge
    ``settings.adult_age_years``)."""

    def top(self, n: int = 3) -> list[str]:
        """The ids of the first ``n`` causes, best first."""
        return [c.id for c in self.causes[:n]]
