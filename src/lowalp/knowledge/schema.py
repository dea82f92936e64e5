"""Closed schemas for every knowledge file. Unknown keys are errors (``extra="forbid"``).

The knowledge format is documented for authors in ``docs/knowledge.md``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Cited(Strict):
    """A number that carries its provenance: a source id, or an estimate with its reasoning."""

    source: Id | None = None
    estimate: bool = False
    reasoning: str | None = None

    @model_validator(mode="after")
    def _provenance(self) -> Cited:
        if self.source is None and not self.estimate:
            raise ValueError("needs a `source` id, or `estimate: true` with `reasoning`")
        if self.estimate and not self.reasoning:
            raise ValueError(
                "an estimate needs `reasoning` (one line on where the number comes from)"
            )
        return self


# ----------------------------------------------------------------------------- sources


class SourceEntry(Strict):
    id: Id
    citation: str
    short: str | None = None
    """How a report names the source in a few words ("Mayo Clinic Laboratories", "CALIPER"):
    required for a source behind a reference range, which a report names beside the range."""
    url: str | None = None
    doi: str | None = None
    pmid: str | None = None
    note: str | None = None


class SourcesFile(Strict):
    sources: list[SourceEntry]


# ----------------------------------------------------------------------------- settings


class PersistenceRule(Cited):
    min_low_values: int = Field(ge=2)
    min_span_days: float = Field(ge=0)
    description: str


class ClearlyNormal(Cited):
    """How far above its lower limit an earlier ALP must be to count as a normal value on record
    (or the normal value a fall came from): ``value >= lower limit × (1 + margin)``."""

    margin: float = Field(ge=0, lt=1)


class UnitCheck(Cited):
    """When a value or a printed range is taken to be in another unit than the one written."""

    value_factor: float = Field(gt=1)
    """A value this many times below the lowest reference lower limit, in its stated unit, is
    questioned when another accepted unit would put it near the reference interval."""
    range_factor: float = Field(gt=1)
    """A printed limit, or a value read in another unit, "fits" when it is within this factor of
    the analyte's reference limits."""


class NextTestsShown(Cited):
    """How many next tests a report shows; the rest are folded (kept in the model and JSON)."""

    shown: int = Field(ge=1)
    """At most this many tests are shown, except that every urgent test is shown."""
    min_gain_bits: float = Field(ge=0)
    """A test that is not urgent is shown only from this expected information gain."""


class Wording(Cited):
    """Where the words of a summary change with the leading cause's probability.

    Below ``possible_from`` no cause is named as the answer; from it "possible", from
    ``likely_from`` "likely", from ``most_consistent_from`` "most consistent with".
    """

    possible_from: float = Field(gt=0, lt=1)
    likely_from: float = Field(gt=0, lt=1)
    most_consistent_from: float = Field(gt=0, lt=1)

    @model_validator(mode="after")
    def _ordered(self) -> Wording:
        if not self.possible_from < self.likely_from < self.most_consistent_from:
            raise ValueError("needs possible_from < likely_from < most_consistent_from")
        return self


class PatientView(Cited):
    """What the patient view leaves out: causes below ``min_probability`` (the leading cause
    is always named); probabilities are given there in words only."""

    min_probability: float = Field(gt=0, lt=1)


LinkGradeName = Literal["cohort", "case_series", "mechanism"]
"""How a cause's link to a low ALP is known: ALP measured in a group of patients with the
condition (or the condition counted in a low-ALP series); reported in patients or named in
lists of causes without a count; or only expected from physiology."""


class LinkCeilings(Cited):
    """The most a cause of each link grade may be given as the explanation of a low ALP.

    Evidence can make a condition certain without making it the explanation: when a cause's
    probability would pass its grade's ceiling it is held at the ceiling, and the rest goes to
    ``excess_to`` (the answer that no identified cause explains the low ALP)."""

    ceilings: dict[LinkGradeName, float]
    excess_to: Id

    @model_validator(mode="after")
    def _in_range(self) -> LinkCeilings:
        for grade, c in self.ceilings.items():
            if not 0 < c <= 1:
                raise ValueError(f"ceilings.{grade}: must be above 0 and at most 1")
        return self


class PrintedAlpRange(Cited):
    """How a child's printed ALP range is recognised as the adult one (see
    :class:`lowalp.intervals.PrintedRangeRule`); the adult interval is the one for this age."""

    adult_reference_age_years: float = Field(ge=18)


class UnknownAge(Cited):
    """The age at which a person of unknown age is judged (an adult's: the report warns)."""

    years: float = Field(gt=0)


class ScreenSettings(Cited):
    """What a laboratory screen ranks for (``priority_cause``: the work-list's ``hpp_*``
    columns) and which analytes its work-list shows as columns (each the result drawn with the
    index ALP); every analyte enters the score whether shown or not."""

    priority_cause: Id
    worklist_analytes: list[Id] = Field(min_length=1)


class Settings(Strict):
    version: str
    disclaimer: str
    disclaimer_plain: str
    disclaimer_plain_child: str = ""
    """The same, to a parent, for a patient under ``adult_age_years`` (``disclaimer_plain``
    where empty)."""
    persistence: PersistenceRule
    clearly_normal: ClearlyNormal
    concurrent_window_days: float = Field(gt=0)
    concurrent_window: Cited
    default_base_rate: float = Field(gt=0, lt=1)
    base_rate: Cited
    max_probability_given_cause: float = Field(gt=0.5, lt=1)
    adult_age_years: float = Field(gt=0)
    unknown_age: UnknownAge
    printed_alp_range: PrintedAlpRange
    unit_check: UnitCheck
    wording: Wording
    patient_view: PatientView
    link_ceilings: LinkCeilings
    next_tests: NextTestsShown
    screen: ScreenSettings

    @model_validator(mode="after")
    def _adult_when_unknown(self) -> Settings:
        if self.unknown_age.years < self.adult_age_years:
            raise ValueError("unknown_age.years must be an adult age (at least adult_age_years)")
        return self


# ----------------------------------------------------------------------------- analytes


class ReferenceRange(Cited):
    """A reference interval for an age band (and sex). A row with neither limit says there is
    none at those ages (its ``reasoning`` says why): a finding judged against it does not apply
    there, unless the lab printed its own range."""

    low: float | None = None
    high: float | None = None
    unit: str
    sex: Literal["F", "M"] | None = None
    age_min: float = 0
    age_max: float = 200

    @model_validator(mode="after")
    def _said(self) -> ReferenceRange:
        if self.low is None and self.high is None and not self.reasoning:
            raise ValueError("a row without `low` or `high` needs `reasoning` (why there is none)")
        return self


class HistoricalUnit(Cited):
    """A unit of a method no longer in use, converted with an approximate factor."""

    name: str
    spellings: list[str] = Field(min_length=1)
    """How reports write it; matched without regard to case."""
    factor: float = Field(gt=0)
    """Multiplies a value in this unit to give the canonical unit (approximately)."""


class Analyte(Strict):
    id: Id
    name: str
    loinc: list[str] = Field(min_length=1)
    canonical_unit: str
    units: dict[str, float] = Field(min_length=1)
    """Accepted unit -> factor that multiplies a value in that unit to give the canonical unit."""
    factor_sources: list[Id] = Field(default_factory=list)
    historical_units: list[HistoricalUnit] = Field(default_factory=list)
    molar_mass: float | None = None
    plausible: tuple[float, float]
    """Physiologically possible range in the canonical unit; outside it a value is rejected."""
    reference: list[ReferenceRange] = Field(default_factory=list)
    specimen: str = "serum"
    loinc_note: str | None = None

    @model_validator(mode="after")
    def _units(self) -> Analyte:
        if self.canonical_unit not in self.units or self.units[self.canonical_unit] != 1:
            raise ValueError(
                f"canonical unit {self.canonical_unit!r} must be in `units` with factor 1"
            )
        for u, f in self.units.items():
            if f <= 0:
                raise ValueError(f"units.{u}: factor must be positive")
        for r in self.reference:
            if r.unit not in self.units:
                raise ValueError(f"reference unit {r.unit!r} is not an accepted unit")
        return self


class AnalytesFile(Strict):
    analytes: list[Analyte]
    unit_synonyms: dict[str, str]
    """How labs print units -> the spelling used in ``units``. Reviewed by hand."""


# ----------------------------------------------------------------------------- findings


class Applies(Strict):
    """The population a finding or score was measured in; outside it, it is not applicable."""

    age_min: float | None = None
    age_max: float | None = None
    sex: Literal["F", "M"] | None = None
    when: Id | None = None
    """Applies only while this finding is present (a rule derived in acute liver failure, say);
    while it is absent or unknown the finding is not applicable and weighs nothing."""


class Gate(Cited):
    """A condition under which a finding's result cannot be read as evidence.

    While the finding `finding` is present, a result of this finding in one of the `hides`
    states is set aside: it becomes unknown, weighs nothing and suggests no test (a negative
    tTG-IgA while total IgA is low, for example).
    """

    finding: Id
    hides: list[Literal["present", "absent"]] = Field(min_length=1)


class FindingBase(Strict):
    id: Id
    label: str
    plain: str | None = None
    base_rate: float | None = Field(default=None, gt=0, lt=1)
    """P(present) in people with a low ALP whose cause is not linked to this finding."""
    base_rate_provenance: Cited | None = None
    uninformative_when: list[Gate] = Field(default_factory=list)
    """Gates that set this finding's result aside (see :class:`Gate`)."""


HpoId = Annotated[str, Field(pattern=r"^HP:\d{7}$")]


class ClinicalFinding(FindingBase):
    kind: Literal["clinical"]
    synonyms: list[str] = Field(default_factory=list)
    hpo: list[HpoId] = Field(default_factory=list)
    """Human Phenotype Ontology terms whose names and synonyms also name this finding."""
    hpo_exclude: list[str] = Field(default_factory=list)
    """HPO synonyms of those terms that do not fit this finding (reviewed), left out."""
    timing: Literal["lifetime", "current"] = "lifetime"
    """``current``: a state that counts only while it lasts (liver failure, an infection), so a
    past mention is not evidence; ``lifetime``: a fact that stays true (a fracture, tooth loss)."""
    absent_synonyms: list[str] = Field(default_factory=list)
    """Phrases that themselves say the finding is absent ("anicteric", "teetotal")."""
    negated_broader: list[str] = Field(default_factory=list)
    """Broader phrases that count only when negated: "no fractures" rules out low-trauma
    fractures, but "fractures" alone does not mean they were low-trauma."""
    relatives: list[str] = Field(default_factory=list)
    """For a family-history finding: the condition as named when it is in a relative
    ("hypophosphatasia", "low ALP"), read as this finding only when the text puts it in a
    relative."""


class AfterStopping(Strict):
    """How long a medicine's effect on ALP outlasts its last dose."""

    days: float = Field(gt=0)
    provenance: Cited


class LocalForms(Strict):
    """Forms of a medicine that act where applied (a cream, an inhaler): not the finding."""

    words: list[str] = Field(min_length=1)
    provenance: Cited


class MedicationFinding(FindingBase):
    kind: Literal["medication"]
    drugs: list[str] = Field(min_length=1)
    """Generic names, brand names and common spellings, matched in free text."""
    after_stopping: AfterStopping | None = None
    """When set, a medicine stopped within this many days still counts as taken."""
    local_forms: LocalForms | None = None
    """Words that mark a local form; a mention written with one of them is not this finding."""


class EventFinding(FindingBase):
    kind: Literal["event"]
    events: list[Id] = Field(min_length=1)
    window_days: tuple[float, float]
    """The finding is present when an event happened this many days before the index ALP."""
    window: Cited


class Adjustment(Cited):
    """A result corrected for another analyte of the same sample before it is compared
    (calcium for albumin): ``value + per_unit × (centre − other)``, in ``result_unit`` and the
    other analyte's ``unit``. Without the other analyte the measured value is used, and the
    detail says so."""

    analyte: Id
    unit: str
    centre: float
    per_unit: float
    result_unit: str


GrowthIndicator = Literal["bmi_for_age"]
"""A WHO growth indicator the engine computes as a z-score (:mod:`lowalp.engine.growth`)."""
GROWTH_UNITS: dict[str, str] = {"bmi_for_age": "kg/m2"}
"""The unit each growth indicator's measurement is taken in."""


class ThresholdBand(Cited):
    """The threshold of a lab finding for one age band (and sex): a value in a unit of the
    analyte, or, with ``growth``, a z-score (``unit: SD``) of a WHO growth indicator computed from
    the value, the age and the sex. Ages in years; ``age_max`` is exclusive."""

    age_min: float = Field(default=0, ge=0)
    age_max: float = Field(default=200, gt=0)
    sex: Literal["F", "M"] | None = None
    value: float
    unit: str
    growth: GrowthIndicator | None = None

    @model_validator(mode="after")
    def _band(self) -> ThresholdBand:
        if self.age_min >= self.age_max:
            raise ValueError("needs age_min < age_max")
        if (self.growth is not None) != (self.unit == "SD"):
            raise ValueError(
                "a growth indicator's threshold is a z-score (`unit: SD`), and only it"
            )
        return self

    def holds(self, age: float | None, sex: str | None) -> bool:
        """Whether this band can be the person's, given what is known (None: not known)."""
        if age is not None and not self.age_min <= age < self.age_max:
            return False
        return sex is None or self.sex is None or self.sex == sex

    def describe(self) -> str:
        hi = "+" if self.age_max >= 200 else f"–<{self.age_max:g} y"
        who = {"F": " females", "M": " males", None: ""}[self.sex]
        return f"{self.age_min:g}{hi}{who}"


class LabFinding(FindingBase):
    kind: Literal["lab"]
    analyte: Id
    op: Literal["lt", "le", "gt", "ge", "below_ref", "above_ref"]
    value: float | None = None
    unit: str | None = None
    applies: Applies | None = None
    adjust: Adjustment | None = None
    threshold: Cited | None = None
    bands: list[ThresholdBand] = Field(default_factory=list)
    """Instead of one ``value``: a threshold per age band (and sex), each with its source. The
    band that holds for the person decides; with the age or sex unknown, the finding is decided
    only when every band that could hold gives the same answer. No band: not applicable."""
    qualifiers: dict[str, bool] = Field(default_factory=dict)
    """How a qualitative result maps: e.g. {low: true, normal: false} for a below_ref finding."""

    @model_validator(mode="after")
    def _threshold(self) -> LabFinding:
        if self.bands:
            if self.op not in ("lt", "le", "gt", "ge"):
                raise ValueError("`bands` need a comparison op (lt, le, gt or ge)")
            if self.value is not None or self.unit is not None or self.threshold is not None:
                raise ValueError("with `bands`, each band carries its value, unit and source")
            for i, a in enumerate(self.bands):
                for j in range(i + 1, len(self.bands)):
                    b = self.bands[j]
                    ages = a.age_min < b.age_max and b.age_min < a.age_max
                    sexes = a.sex is None or b.sex is None or a.sex == b.sex
                    if ages and sexes:
                        raise ValueError(f"bands {i} and {j} overlap")
            return self
        if self.op in ("lt", "le", "gt", "ge"):
            if self.value is None or self.unit is None:
                raise ValueError(f"op {self.op!r} needs `value` and `unit`")
            if self.threshold is None:
                raise ValueError("a numeric threshold needs `threshold:` with its source")
        return self


class RatioFinding(FindingBase):
    kind: Literal["ratio"]
    applies: Applies | None = None
    numerator: Id
    numerator_unit: str
    denominator: Id
    denominator_unit: str
    op: Literal["lt", "le", "gt", "ge"]
    value: float
    threshold: Cited


class PatternFinding(FindingBase):
    kind: Literal["pattern"]
    applies: Applies | None = None
    all_of: list[Id] = Field(default_factory=list)
    any_of: list[Id] = Field(default_factory=list)
    same_specimen: bool = True
    """Parts must come from the specimen of the index ALP (same time or specimen id)."""

    @model_validator(mode="after")
    def _parts(self) -> PatternFinding:
        if not self.all_of and not self.any_of:
            raise ValueError("a pattern needs `all_of` or `any_of`")
        return self


class SettingFinding(FindingBase):
    """Where the patient is cared for (the case's ``context.setting``): present when the setting
    is one of ``settings``, absent when another setting is given, unknown when none is."""

    kind: Literal["setting"]
    settings: list[Literal["outpatient", "inpatient", "icu"]] = Field(min_length=1)


class AlpFinding(FindingBase):
    """A finding computed by the engine from the ALP series itself."""

    kind: Literal["alp"]
    property: Literal["persistent", "fall_from_normal", "normal_on_record", "low_for_age_only"]


Finding = Annotated[
    ClinicalFinding
    | MedicationFinding
    | EventFinding
    | LabFinding
    | RatioFinding
    | PatternFinding
    | AlpFinding
    | SettingFinding,
    Field(discriminator="kind"),
]


class FindingsFile(Strict):
    findings: list[Finding]


class EventType(Strict):
    id: Id
    label: str
    synonyms: list[str] = Field(default_factory=list)
    lasts: bool = False
    """A state that goes on for days or weeks (a sepsis, a stay in intensive care): free text that
    says it is still going on ("still", "ongoing", "since") makes it ongoing. A point event (an
    operation, a transfusion) never is, whatever the sentence says about something else."""


class EventsFile(Strict):
    events: list[EventType]


# ----------------------------------------------------------------------------- tests


class RuleRef(Strict):
    """One cause's evidence rule, named by the cause and the rule's finding."""

    cause: Id
    finding: Id


class TestEntry(Strict):
    id: Id
    name: str
    plain: str = ""
    """The test in plain words for the patient view, where ``name`` is clinicians' language."""
    analytes: list[Id] = Field(default_factory=list)
    findings: list[Id] = Field(default_factory=list)
    kinds: list[Literal["clinical", "medication", "event"]] = Field(default_factory=list)
    """Resolves every finding of these kinds (a medication or event history, for example)."""
    relative_cost: int = Field(ge=1, le=5)
    invasiveness: Literal[
        "none", "history", "examination", "blood", "urine", "imaging", "genetic", "biopsy"
    ]
    preparation: str = ""
    urgent_when: list[Id] = Field(default_factory=list)
    """While any of these findings is present the test is urgent: listed before the others."""
    withheld_by: list[RuleRef] = Field(default_factory=list)
    """Evidence rules whose population the test presumes: while an ``unless`` finding of one of
    them is present (an acute illness, an antiresorptive), the test is not suggested."""
    unless: list[Id] = Field(default_factory=list)
    """While any of these findings is present the test is not for now: it is folded away with
    the findings that defer it (a hypophosphatasia work-up during acute illness)."""
    resample: bool = False
    """A fresh sample (a recollection): suggested only while it is urgent, and then even when
    the findings it decides are all known, since its results are measured anew."""


class TestsFile(Strict):
    tests: list[TestEntry]


# ----------------------------------------------------------------------------- causes


class Prior(Cited):
    child: float = Field(gt=0, lt=1)
    adult: float = Field(gt=0, lt=1)
    sex: dict[Literal["F", "M"], float] = Field(default_factory=dict)
    setting: dict[Literal["outpatient", "inpatient", "icu"], float] = Field(default_factory=dict)


class RulePopulation(Cited):
    """Where an evidence rule's numbers were measured; outside it the rule is *not applicable*.

    The requirements (``age_min``, ``age_max``, ``sex``, ``when``) must be known to hold: an
    unknown age or a ``when`` finding that is not present puts the rule outside, as a finding's
    ``applies`` does. The exclusions (``unless``) must be known to hold to exclude: while an
    ``unless`` finding is present the rule is outside; while it is unknown the rule is applied and
    the evidence says what was assumed ("no medication list given: taken as not on a
    bisphosphonate"). ``reasoning`` says where the population comes from.
    """

    age_min: float | None = None
    age_max: float | None = None
    sex: Literal["F", "M"] | None = None
    when: list[Id] = Field(default_factory=list)
    """Findings that must be present (the setting the rule was measured in)."""
    unless: list[Id] = Field(default_factory=list)
    """Findings that must not be present (conditions excluded from the derivation population)."""

    @model_validator(mode="after")
    def _reasoned(self) -> RulePopulation:
        if not self.reasoning:
            raise ValueError("a population needs `reasoning`: where the rule was measured")
        if not (self.age_min is not None or self.age_max is not None or self.sex) and not (
            self.when or self.unless
        ):
            raise ValueError("a population needs at least one condition")
        return self


StudyDesign = Literal[
    "meta_analysis", "cohort", "case_control", "cross_sectional", "case_series", "guideline"
]
"""How the figures behind a rule were measured, strongest first: pooled studies; patients
followed or tested consecutively; cases against controls; one survey of a population; a series
of cases without controls; a guideline's stated figure."""

PUBLISHED_TOLERANCE = 0.1
"""How far (relative) a rule's likelihood ratio may sit from the one its published figures give
before the rule must say why (``adjusted``): rounding to the figures' precision, not more."""


class PublishedFigure(Strict):
    """What a study measured for a rule, and how the rule's likelihood ratios follow from it.

    One of these gives LR+: ``lr_positive``; ``sensitivity`` with ``specificity`` (LR+ =
    sens / (1 − spec), LR− = (1 − sens) / spec); or the share of the condition's patients with the
    finding beside the share of a comparison group (``cases_with`` / ``controls_with``, and
    (1 − cases_with) / (1 − controls_with) for LR−). An ``odds_ratio`` is not a likelihood ratio:
    it stands for one only with ``adjusted`` saying why that is fair (a rare finding, where the
    two are close)."""

    design: StudyDesign
    population: str
    """Who was studied, in a few words (the setting, ages, how the condition was confirmed)."""
    n: int | None = Field(default=None, ge=1)
    """How many people the figures rest on."""
    sensitivity: float | None = Field(default=None, ge=0, le=1)
    specificity: float | None = Field(default=None, ge=0, le=1)
    lr_positive: float | None = Field(default=None, gt=0)
    lr_negative: float | None = Field(default=None, gt=0)
    cases_with: float | None = Field(default=None, ge=0, le=1)
    controls_with: float | None = Field(default=None, gt=0, le=1)
    odds_ratio: float | None = Field(default=None, gt=0)
    derivation: str
    """The arithmetic from the figures to the rule's weights, written out."""

    @model_validator(mode="after")
    def _figures(self) -> PublishedFigure:
        if (self.sensitivity is None) != (self.specificity is None) and self.lr_positive is None:
            raise ValueError("`sensitivity` and `specificity` go together")
        if (self.cases_with is None) != (self.controls_with is None):
            raise ValueError("`cases_with` and `controls_with` go together")
        if self.derived_lr_present() is None and self.odds_ratio is None:
            raise ValueError(
                "a published figure needs `lr_positive`, `sensitivity` with `specificity`, "
                "`cases_with` with `controls_with`, or `odds_ratio`"
            )
        return self

    def derived_lr_present(self) -> float | None:
        """LR+ as the figures give it (None when only an odds ratio was published)."""
        if self.lr_positive is not None:
            return self.lr_positive
        if self.sensitivity is not None and self.specificity is not None:
            return self.sensitivity / max(1 - self.specificity, 1e-6)
        if self.cases_with is not None and self.controls_with is not None:
            return self.cases_with / self.controls_with
        return None

    def derived_lr_absent(self) -> float | None:
        """LR− as the figures give it, where they give one."""
        if self.lr_negative is not None:
            return self.lr_negative
        if self.sensitivity is not None and self.specificity is not None and self.specificity:
            return (1 - self.sensitivity) / self.specificity
        cases, controls = self.cases_with, self.controls_with
        if cases is not None and controls is not None and cases < 1 and controls < 1:
            return (1 - cases) / (1 - controls)
        return None


class EvidenceRule(Cited):
    finding: Id
    lr_present: float = Field(gt=0)
    lr_absent: float | None = Field(default=None, gt=0)
    note: str | None = None
    population: RulePopulation | None = None
    """The population the rule was measured in (see :class:`RulePopulation`)."""
    published: PublishedFigure | None = None
    """The figures the weights come from, when a study measured them (then ``source`` names
    the study)."""
    adjusted: str | None = None
    """Why the weights depart from what ``published`` gives (a cap, a shrinkage toward 1 for a
    small study, an odds ratio read as a likelihood ratio)."""

    @model_validator(mode="after")
    def _published(self) -> EvidenceRule:
        fig = self.published
        if fig is None:
            if self.adjusted is not None:
                raise ValueError(
                    "`adjusted` explains a departure from `published`, which is absent"
                )
            return self
        if self.source is None:
            raise ValueError("a `published` figure needs the `source` that published it")
        if self.adjusted is None:
            pairs = [(self.lr_present, fig.derived_lr_present(), "lr_present")]
            if self.lr_absent is not None:
                pairs.append((self.lr_absent, fig.derived_lr_absent(), "lr_absent"))
            for used, derived, key in pairs:
                if derived is None:
                    raise ValueError(
                        f"`{key}` does not follow from the published figures alone: say how in "
                        "`adjusted`"
                    )
                if abs(used - derived) > PUBLISHED_TOLERANCE * derived:
                    raise ValueError(
                        f"`{key}` {used:g} is not the published figures' {derived:.3g}: use it, "
                        "or say why not in `adjusted`"
                    )
        return self


class ManagementPointer(Strict):
    """One management pointer, shown for the case when its conditions hold.

    ``when``: every finding listed is present (a pointer for a context, such as an atypical
    femoral fracture on a bisphosphonate); ``unless``: none of them is present. ``urgent_when``:
    urgent (first, in the urgent block) while any of these is present. An "any of" condition
    is written as a pattern finding with ``any_of``."""

    text: str
    urgent_when: list[Id] = Field(default_factory=list)
    when: list[Id] = Field(default_factory=list)
    unless: list[Id] = Field(default_factory=list)
    sources: list[Id] = Field(default_factory=list)
    """The sources the pointer rests on (ids in sources/); empty for general clinical advice."""


class ArtifactSpec(Strict):
    """A pre-analytical artefact is warned of before any cause when its ``finding`` is present
    and the cause's probability reaches ``min_probability`` (with ``threshold`` its reasoning);
    below it the cause is only listed with its probability."""

    finding: Id
    action: str
    heading: str
    """The warning's title in a report ("Repeat the sample; treat the potassium as real …")."""
    summary: str = Field(max_length=90)
    """The few words that stand for the warning in a one-line summary or a card."""
    plain: str
    """The warning in plain words for the patient view."""
    min_probability: float = Field(gt=0, lt=1)
    threshold: Cited


class CauseLink(Cited):
    """How the cause's link to a low ALP is known (see :data:`LinkGradeName`)."""

    grade: LinkGradeName


class Cause(Strict):
    id: Id
    name: str
    plain_name: str
    summary: str
    plain: str
    transient: bool
    prior: Prior
    link: CauseLink | None = None
    """Required for every cause but the one that takes the ceilings' excess."""
    evidence: list[EvidenceRule] = Field(min_length=1)
    next_tests: list[Id] = Field(default_factory=list)
    management: list[ManagementPointer] = Field(min_length=1)
    """Plain strings in the files are read as pointers that are never urgent."""
    patient_questions: list[str] = Field(min_length=1)
    patient_questions_child: list[str] = Field(default_factory=list)
    """The same questions as a parent asks them, for a child's report (the adult ones where
    empty)."""
    sources: list[Id] = Field(min_length=1)
    artifact: ArtifactSpec | None = None

    @field_validator("management", mode="before")
    @classmethod
    def _pointers(cls, v: object) -> object:
        if isinstance(v, list):
            return [{"text": m} if isinstance(m, str) else m for m in v]
        return v


class EvidenceGroup(Cited):
    """Findings that measure one fact, so that together they count once.

    Within a cause, only the group member that supports the cause most and the member that
    argues against it most carry their weights; the others are shown as counted with the group.
    """

    id: Id
    label: str
    findings: list[Id] = Field(min_length=2)


class EvidenceGroupsFile(Strict):
    groups: list[EvidenceGroup]


# ----------------------------------------------------------------------------- scores


class ScoreItemSpec(Strict):
    id: Id
    label: str
    finding: Id | None = None
    """The item is met when this finding is in the state ``met_when``, not met when it is in the
    other state, and unknown while the finding is unknown."""
    met_when: Literal["present", "absent"] = "present"
    """``absent`` for an item phrased as the absence of something ("not taking a
    bisphosphonate"): met when the finding is absent, not met when it is present."""
    points: float = 0
    """Points when the item is met; a finding item that is not met or unknown scores 0."""
    group: str = "total"
    bands: list[ScoreBand] = Field(default_factory=list)
    """Alternatively: bands over one analyte's value (first band that matches wins)."""
    analyte: Id | None = None
    unit: str | None = None

    @model_validator(mode="after")
    def _one_way(self) -> ScoreItemSpec:
        if (self.finding is None) == (self.analyte is None):
            raise ValueError("an item scores either a `finding` or an `analyte` with `bands`")
        if self.analyte is not None and (not self.bands or self.unit is None):
            raise ValueError("an analyte item needs `unit` and `bands`")
        return self


class ScoreBand(Strict):
    lt: float | None = None
    ge: float | None = None
    points: float
    label: str


class Interpretation(Strict):
    when: dict[str, float]
    """Minimum totals per group, e.g. {total: 4} or {major: 1, minor: 2}; all must hold. Unknown
    items score nothing, so a minimum reached on the known items holds whatever they turn out to be."""
    below: dict[str, float] = Field(default_factory=dict)
    """Maximum totals per group: each group's total must stay below this even if every unknown
    item in it were met. For a band whose text says something is not raised, say."""
    text: str


class NotApplicableWhen(Cited):
    """While ``finding`` is in state ``state``, the score is shown as not applicable, with ``why``."""

    finding: Id
    state: Literal["present", "absent"] = "present"
    why: str


class Score(Strict):
    id: Id
    name: str
    cause: Id
    applies: Applies | None = None
    """The ages and sex the score was made for; outside them it is shown as not applicable."""
    not_applicable_when: list[NotApplicableWhen] = Field(default_factory=list)
    """States in which the score's items cannot be read as the authors meant (an acute illness
    for a definition made on a stable low ALP, say): shown as not applicable."""
    items: list[ScoreItemSpec] = Field(min_length=1)
    interpretations: list[Interpretation] = Field(min_length=1)
    otherwise: str
    """The verdict when no interpretation holds. Given only when the unknown items cannot change
    it, or when at least ``min_known`` items are known; otherwise ``cannot_score`` is shown."""
    source: Id
    note: str = ""
    min_known: int = Field(ge=1)
    """How many items must be known before ``otherwise`` is given while unknown items could
    still reach an interpretation. Use the number of items when ``otherwise`` is a statement
    about all of them."""
    min_known_reasoning: str = Field(min_length=1)
    cannot_score: str = "Cannot be scored yet: too few items are known, and the unknown ones could change the verdict."


ScoreItemSpec.model_rebuild()


# ----------------------------------------------------------------------------- lab reading

Meaning = Literal[
    "low",
    "normal",
    "high",
    "positive",
    "negative",
    "undetectable",
    "abnormal",
    "indeterminate",
    "no_result",
]
"""What a word or a flag says about a result's value (see qualitative.yaml)."""


class MeaningNote(Cited):
    """Where a meaning's reading of the value comes from (an estimate, usually)."""


class FlagCode(Strict):
    code: str = Field(min_length=1)
    meaning: Meaning
    label: str
    estimate: bool = False
    """The meaning is lowalp's reading of the code, not the table's own words (then
    ``reasoning`` says why)."""
    reasoning: str | None = None

    @model_validator(mode="after")
    def _reasoned(self) -> FlagCode:
        if self.estimate and not self.reasoning:
            raise ValueError("an estimated meaning needs `reasoning`")
        return self


class WordGroup(Strict):
    meaning: Meaning
    words: list[str] = Field(min_length=1)


class SampleComment(Strict):
    """Words in a lab's comment or text on a result that state a finding about the sample itself
    ("haemolysed"), kept as that finding even when the result is set aside."""

    finding: Id
    words: list[str] = Field(min_length=1)
    negations: list[str] = Field(default_factory=list)
    """Words just before (up to two words before) that say the opposite ("not haemolysed")."""


class QualitativeFile(Strict):
    source: Id
    """The table the flag codes come from (HL7 v2 table 0078)."""
    meanings: dict[Meaning, MeaningNote] = Field(default_factory=dict)
    flags: list[FlagCode] = Field(min_length=1)
    words: list[WordGroup] = Field(min_length=1)
    comparators: dict[Literal["<", ">"], list[str]]
    sample_comments: list[SampleComment] = Field(default_factory=list)


class Panel(Strict):
    """A panel as notes name it, and the analytes a "normal" report of it vouches for."""

    id: Id
    label: str
    names: list[str] = Field(min_length=1)
    analytes: list[Id] = Field(min_length=1)
    sources: list[Id] = Field(default_factory=list)
    estimate: bool = False
    reasoning: str | None = None

    @model_validator(mode="after")
    def _provenance(self) -> Panel:
        if not self.sources and not self.estimate:
            raise ValueError("needs `sources` (lab pages), or `estimate: true` with `reasoning`")
        if self.estimate and not self.reasoning:
            raise ValueError("an estimate needs `reasoning`")
        return self


class PanelsFile(Strict):
    panels: list[Panel] = Field(min_length=1)
