"""Decide every finding of the knowledge base: present, absent or unknown, with the reason.

Lab findings read numbers, censored numbers and the lab's own words alike: a verdict (low,
normal, high, positive, negative, undetectable) settles a reference-range finding directly, and
a fixed threshold whenever every value the verdict allows lies on one side of it, judged
against the lab's printed limits, else the knowledge's reference interval for the analyte (the
detail says which, and why it could not tell). A numeric result that cannot be judged (no range
to compare with) falls back on the lab's flag. Ratios use censored and qualitative parts when
the direction is still certain (:mod:`lowalp.engine.value_bounds`).

A threshold may differ by age and sex (``bands``: WHO anaemia cut-offs by age group, say), and a
band may be a z-score of a WHO growth indicator computed from the value, the age and the sex
(:mod:`lowalp.engine.growth`: BMI-for-age in children). The person's band decides; when the age
or sex that chooses it is not known, the finding is decided only if every band that could be the
person's gives the same answer. An age no band covers makes the finding not applicable.

A finding with ``applies`` is decided only inside its population (age, sex, and ``when``: another
finding that must be present, such as liver failure for Korman's Wilson rule); outside it the
finding is unknown and not applicable, so it weighs nothing for any cause.

Every number a decision uses comes from the compiled program (:mod:`lowalp.engine.program`), the
one the screen evaluates over whole tables: each threshold, band limit and reference limit in the
canonical unit, the unit scales of growth indicators, adjustments and ratios, the populations
and the gates. The knowledge's own definitions give only the words of each detail.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lowalp.engine import concurrent
from lowalp.engine.growth import indicator_name, zscore
from lowalp.engine.program import (
    AlpNode,
    Band,
    LabNode,
    Node,
    Op,
    PatternNode,
    RatioNode,
    ReferenceRow,
    Scope,
    compile_program,
)
from lowalp.engine.value_bounds import (
    Bounds,
    decide,
    describe,
    number_bounds,
    ratio_bounds,
    verdict_bounds,
)
from lowalp.engine.work import FindingState, Work, outside_age_or_sex
from lowalp.knowledge import Knowledge
from lowalp.knowledge.schema import (
    ClinicalFinding,
    EventFinding,
    Finding,
    LabFinding,
    MedicationFinding,
    RatioFinding,
    ReferenceRange,
    SettingFinding,
    ThresholdBand,
)
from lowalp.model import Measurement, Qualifier, State
from lowalp.normalise import EventOccurrence, Normalised
from lowalp.units import DAYS_PER_YEAR, factor

_DEFAULT_QUALIFIERS: dict[str, dict[str, bool]] = {
    "below_ref": {"low": True, "normal": False, "high": False, "positive": False},
    "above_ref": {
        "high": True,
        "normal": False,
        "low": False,
        "positive": True,
        "negative": False,
        "undetectable": False,
    },
}
"""How the lab's verdict settles a reference-range finding (its verdict is against its own
range). Fixed thresholds are settled through the verdict's bounds instead; "undetectable" is
below a positive lower limit (see ``_verdict``). A finding's own ``qualifiers`` win over both."""

_OP_WORDS = {"lt": "below", "le": "at most", "gt": "above", "ge": "at least"}


@dataclass(frozen=True)
class _Cut:
    """A fixed threshold: ``op`` against ``value`` in ``unit`` (``limit`` in the canonical unit)."""

    op: Op
    value: float
    unit: str
    limit: float


def findings(work: Work) -> Work:
    """Decide the program's nodes in their dependency order (every node after the findings it
    refers to); the states are kept in the knowledge's order of findings."""
    ev = _Evaluator(work)
    for node in ev.program.nodes:
        ev.state(node.id)
    states = {fid: ev.state(fid) for fid in work.kb.findings}
    return replace(work, findings=states)


class _Evaluator:
    def __init__(self, work: Work) -> None:
        self.kb: Knowledge = work.kb
        self.program = compile_program(work.kb)
        self.case: Normalised = work.case
        self.work = work
        self.window = concurrent.window_days(work.kb)
        self.memo: dict[tuple[str, bool], FindingState] = {}
        self.chosen: dict[tuple[str, bool], Measurement | None] = {}
        """The result of each analyte drawn with the index (``concurrent``), once chosen."""
        self.references: dict[tuple[str, bool], tuple[float | None, float | None, str]] = {}
        """The knowledge's reference interval of each analyte (``_knowledge_reference``)."""
        index = next(m for m in self.case.measurements if m.pointer == self.case.index_pointer)
        self.index = index
        self.series: dict[str, list[Measurement]] = {}
        """The case's results by analyte, in the case's order (``Normalised.series``)."""
        for m in self.case.measurements:
            self.series.setdefault(m.analyte, []).append(m)

    def state(self, fid: str, specimen_only: bool = False) -> FindingState:
        key = (fid, specimen_only)
        if key not in self.memo:
            node = self.program.by_id[fid]
            self.memo[key] = self._gated(node, self._evaluate(node, specimen_only))
        return self.memo[key]

    def _gated(self, node: Node, result: FindingState) -> FindingState:
        """Set a result aside while a gate of the finding holds (``uninformative_when``)."""
        for gate in node.gates:
            if result.state not in gate.hides:
                continue
            holds = self.state(gate.finding)
            if holds.state == "present":
                label = self.kb.findings[gate.finding].label
                return FindingState(
                    node.id,
                    "unknown",
                    f"{result.detail}; not used: {label} ({holds.detail})",
                    set_aside=True,
                )
        return result

    # ------------------------------------------------------------------ by kind
    def _evaluate(self, node: Node, specimen_only: bool) -> FindingState:
        f = self.kb.findings[node.id]
        if isinstance(node, LabNode):
            assert isinstance(f, LabFinding)
            return self._lab(node, f, specimen_only)
        if isinstance(node, RatioNode):
            assert isinstance(f, RatioFinding)
            return self._ratio(node, f, specimen_only)
        if isinstance(node, PatternNode):
            return self._pattern(node)
        if isinstance(node, AlpNode):
            return self._alp(node)
        return self._reported(f)

    def _reported(self, f: Finding) -> FindingState:
        """A finding decided by what the case reports (symptoms, medicines, events, setting)."""
        if isinstance(f, ClinicalFinding):
            if f.id in self.case.findings_present:
                return FindingState(f.id, "present", "reported")
            if f.id in self.case.findings_absent:
                return FindingState(f.id, "absent", "reported as absent")
            return FindingState(f.id, "unknown", "not reported")
        if isinstance(f, MedicationFinding):
            return self._medication(f)
        if isinstance(f, EventFinding):
            return self._event(f)
        assert isinstance(f, SettingFinding)
        return self._setting(f)

    def _medication(self, f: MedicationFinding) -> FindingState:
        case = self.case
        if f.id in case.medications:
            return FindingState(f.id, "present", "taken now")
        if f.id in case.medications_past:
            days = case.medications_past[f.id]
            lasts = f.after_stopping
            if lasts is None:
                return FindingState(
                    f.id, "absent", "stopped (its effect on ALP does not outlast it)"
                )
            if days is None:
                return FindingState(
                    f.id,
                    "unknown",
                    f"stopped, when is not known; its effect lasts about {lasts.days:g} days",
                )
            if days <= lasts.days:
                return FindingState(
                    f.id,
                    "present",
                    f"stopped {days:g} days before the ALP; its effect lasts about {lasts.days:g} days",
                )
            return FindingState(
                f.id,
                "absent",
                f"stopped {days:g} days before the ALP, longer than its effect lasts",
            )
        if f.id in case.medications_absent:
            return FindingState(f.id, "absent", "reported as not taken")
        if f.id in case.medications_uncertain:
            return FindingState(
                f.id, "unknown", "the medication list has entries lowalp could not read"
            )
        if case.medications_given:
            return FindingState(f.id, "absent", "not in the medication list")
        return FindingState(f.id, "unknown", "no medication list given")

    def _applies(self, applies: Scope | None) -> str | None:
        if applies is None:
            return None
        why = outside_age_or_sex(
            self.case.age_years,
            self.case.sex,
            applies.age_min,
            applies.age_max,
            applies.sex,
            "applies",
        )
        if why:
            return why
        for when in applies.when:
            context = self.state(when)
            if context.state != "present":
                label = self.kb.findings[when].label
                return f"applies only with {label} ({context.state}: {context.detail})"
        return None

    def concurrent(self, analyte: str, specimen_only: bool = False) -> Measurement | None:
        """The result of ``analyte`` drawn with (or nearest to) the index ALP, by the rule of
        :mod:`lowalp.engine.concurrent`. For the ALP, the index itself."""
        if analyte == "alp":
            return self.index
        key = (analyte, specimen_only)
        if key not in self.chosen:
            results = self.series.get(analyte, [])
            if specimen_only:
                results = [m for m in results if self._same_specimen(m)]
            self.chosen[key] = concurrent.choose(results, self.window)
        return self.chosen[key]

    def _same_specimen(self, m: Measurement) -> bool:
        if self.index.specimen is not None and m.specimen is not None:
            return m.specimen == self.index.specimen
        return m.t is None or m.t == 0

    def _reference(self, f: LabFinding, m: Measurement) -> tuple[float | None, float | None, str]:
        if m.ref_low is not None or m.ref_high is not None:
            return m.ref_low, m.ref_high, "lab range"
        return self._knowledge_reference(f.analyte)

    def _knowledge_reference(
        self, analyte_id: str, guess: bool = True
    ) -> tuple[float | None, float | None, str]:
        """The knowledge's reference interval for the analyte at this age and sex.

        With an unknown age the adult age of ``settings.unknown_age`` is assumed, and with an unknown sex the first
        interval listed, unless ``guess`` is false: then there is none unless one interval holds
        whatever the missing age or sex is (a verdict judged against a guessed interval could
        settle a threshold the patient's own interval would not).
        """
        key = (analyte_id, guess)
        if key not in self.references:
            self.references[key] = self._find_reference(analyte_id, guess)
        return self.references[key]

    def _find_reference(
        self, analyte_id: str, guess: bool
    ) -> tuple[float | None, float | None, str]:
        known_age, known_sex = self.case.age_years, self.case.sex
        if not guess and (known_age is None or known_sex is None):
            possible = [
                r
                for r, _ in self._paired(analyte_id)
                if (r.sex is None or known_sex is None or r.sex == known_sex)
                and (known_age is None or r.age_min <= known_age < r.age_max)
            ]
            every_age = known_age is not None or all(
                r.age_min <= 0 and r.age_max >= 200 for r in possible
            )
            every_sex = known_sex is not None or all(r.sex is None for r in possible)
            if len({(r.low, r.high) for r in possible}) != 1 or not (every_age and every_sex):
                return None, None, ""
        age = self.case.age_years
        if age is None:
            age = self.program.unknown_age_years
        for row, words in self._rows(analyte_id, age):
            return row.low, row.high, f"{self._source_name(words.source)} range"
        return None, None, ""

    def _source_name(self, source_id: str | None) -> str:
        """A reference row's source as a reader names it (its ``short`` name in the knowledge:
        "Mayo Clinic Laboratories", "World Health Organization"), not its id."""
        source = self.kb.sources.get(source_id) if source_id is not None else None
        return source.short if source is not None and source.short else "estimated"

    def _paired(self, analyte_id: str) -> list[tuple[ReferenceRow, ReferenceRange]]:
        """The analyte's reference rows, each in the canonical unit (the program's) beside the
        knowledge's own row (its source and reasoning), in file order."""
        pairs: dict[str, list[tuple[ReferenceRow, ReferenceRange]]] = self.kb.cache.setdefault(
            "findings:reference_pairs", {}
        )
        if analyte_id not in pairs:
            pairs[analyte_id] = list(
                zip(
                    self.program.references[analyte_id],
                    self.kb.analytes[analyte_id].reference,
                    strict=True,
                )
            )
        return pairs[analyte_id]

    def _rows(self, analyte_id: str, age: float) -> list[tuple[ReferenceRow, ReferenceRange]]:
        """The analyte's reference rows for this age and the known sex, in file order."""
        return [
            (r, words)
            for r, words in self._paired(analyte_id)
            if (r.sex is None or self.case.sex is None or r.sex == self.case.sex)
            and r.age_min <= age < r.age_max
        ]

    def _no_limit_here(self, analyte_id: str) -> str | None:
        """Why the knowledge sets no reference limit at this (known) age, when a row says so."""
        age = self.case.age_years
        if age is None:
            return None
        rows = self._rows(analyte_id, age)
        if rows and rows[0][0].low is None and rows[0][0].high is None:
            words = rows[0][1]
            return f"{words.reasoning or 'no limit'} ({self._source_name(words.source)})"
        return None

    def _lab(self, node: LabNode, f: LabFinding, specimen_only: bool) -> FindingState:
        skip = self._applies(node.applies)
        if skip:
            return FindingState(f.id, "unknown", skip, applicable=False)
        m = self.concurrent(node.analyte, specimen_only)
        if m is None:
            where = "in the same sample" if specimen_only else "near the index ALP"
            name = self.kb.analytes[node.analyte].name
            return FindingState(f.id, "unknown", f"{name} not measured {where}")
        when = "" if m.t in (None, 0) else f", day {m.t:+g}"
        if node.bands:
            return self._banded(node, f, m, when)
        return self._against(node, f, m, when, self._cut(node, f))

    def _cut(self, node: LabNode, f: LabFinding) -> _Cut | None:
        """The finding's one fixed threshold (None for a reference-range finding)."""
        if node.limit is None or f.value is None or f.unit is None:
            return None
        return _Cut(node.op, f.value, f.unit, node.limit)

    def _against(
        self, node: LabNode, f: LabFinding, m: Measurement, when: str, cut: _Cut | None
    ) -> FindingState:
        """The result against a fixed threshold, or against its reference range (``cut`` None)."""
        shown = f"{m.original}{when}"
        if m.value is None:
            return self._verdict(f, m, m.qualifier, f"reported {_quoted(m)}{when}", cut)
        if cut is None:
            lo, hi, origin = self._reference(f, m)
            limit = lo if node.reference == "below" else hi
            none_here = self._no_limit_here(f.analyte) if origin != "lab range" else None
            if limit is None and none_here is not None:
                return FindingState(
                    f.id,
                    "unknown",
                    f"{shown}: no threshold at this age: {none_here}",
                    applicable=False,
                )
            if limit is None:
                if m.flag is not None:
                    return self._verdict(
                        f,
                        m,
                        m.flag,
                        f"{shown}, flagged '{m.flag}' by the lab (no range to compare with)",
                        cut,
                    )
                return FindingState(f.id, "unknown", f"{shown}: no reference range to compare with")
            op = node.op
            if origin == "lab range" and m.original_ref:
                detail = f"{shown} (lab range {m.original_ref})"
            else:
                detail = f"{shown} ({origin}: {_fmt(lo)}–{_fmt(hi)} {m.unit})"
        else:
            limit = cut.limit
            op = cut.op
            detail = shown
        value = m.value
        if node.adjust is not None:
            value, note = self._adjusted(node, f, m)
            detail += f"; {note}"
        state = _compare(value, m.qualifier, op, limit)
        if state == "unknown" and m.flag is not None:
            flagged = self._verdict(f, m, m.flag, f"{shown}, flagged '{m.flag}' by the lab", cut)
            if flagged.state != "unknown":
                return flagged
        return FindingState(f.id, state, detail)

    # ------------------------------------------------------------------ banded thresholds
    def _banded(self, node: LabNode, f: LabFinding, m: Measurement, when: str) -> FindingState:
        """A threshold chosen by age and sex (see the module docstring)."""
        age, sex = self.case.age_years, self.case.sex
        bands = [
            (b, words) for b, words in zip(node.bands, f.bands, strict=True) if _holds(b, age, sex)
        ]
        if not bands:
            covered = ", ".join(b.describe() for b in f.bands)
            return FindingState(
                f.id,
                "unknown",
                f"no threshold for this age and sex (thresholds for ages {covered})",
                applicable=False,
            )
        results = [(words, self._band_state(node, f, b, words, m, when)) for b, words in bands]
        if len(results) == 1:
            return results[0][1]
        missing = (
            " and ".join(w for w, v in (("age", age), ("sex", sex)) if v is None) or "age and sex"
        )
        each = "; ".join(f"ages {b.describe()}: {r.state} ({r.detail})" for b, r in results)
        states = {r.state for _, r in results}
        if len(states) == 1 and "unknown" not in states:
            state = states.pop()
            return FindingState(f.id, state, f"{state} whatever the {missing} (not given): {each}")
        return FindingState(
            f.id, "unknown", f"depends on the {missing}, which was not given: {each}"
        )

    def _band_state(
        self,
        node: LabNode,
        f: LabFinding,
        band: Band,
        b: ThresholdBand,
        m: Measurement,
        when: str,
    ) -> FindingState:
        """The result against one band: ``band`` its numbers (the program's), ``b`` its words."""
        if band.growth is None:
            cut = _Cut(node.op, b.value, b.unit, band.limit)
            r = self._against(node, f, m, when, cut)
            if m.value is None:  # a verdict's detail names the threshold already
                return replace(r, detail=f"{r.detail} (threshold for ages {b.describe()})")
            return replace(
                r,
                detail=f"{r.detail}; threshold {_OP_WORDS[f.op]} {b.value:g} {b.unit} "
                f"at ages {b.describe()}",
            )
        name = indicator_name(band.growth)
        shown = f"{m.original}{when}"
        if m.value is None or m.qualifier in ("<", ">"):
            return FindingState(
                f.id, "unknown", f"{shown}: a {name} z-score needs the measured value"
            )
        if self.case.age_years is None:
            return FindingState(f.id, "unknown", f"{shown}: a {name} z-score needs the age")
        age = max(0.0, self.case.age_years + (m.t or 0.0) / DAYS_PER_YEAR)
        value = m.value / band.growth_scale
        z = zscore(band.growth, value, age, self.case.sex)
        if z.z is None:
            return FindingState(f.id, "unknown", f"{shown}: {z.why}", applicable=z.in_range)
        state = _compare(z.z, None, node.op, band.limit)
        return FindingState(
            f.id,
            state,
            f"{shown}: WHO {name} z-score {z.z:+.2f} at {age:.3g} years "
            f"(threshold {_OP_WORDS[f.op]} {b.value:g} SD at ages {b.describe()})",
        )

    def _adjusted(self, node: LabNode, f: LabFinding, m: Measurement) -> tuple[float, str]:
        """The value corrected for another analyte of the same sample (``adjust``), and how."""
        adj, words = node.adjust, f.adjust
        assert adj is not None
        assert words is not None
        assert m.value is not None
        other = self.kb.analytes[adj.analyte]
        o = self.concurrent(adj.analyte, specimen_only=True)
        if o is None or o.value is None or o.qualifier in ("<", ">"):
            return m.value, f"not adjusted: no {other.name.lower()} value in the same sample"
        scale = adj.scale
        other_value = o.value / adj.other_scale
        adjusted = m.value / scale + adj.per_unit * (adj.centre - other_value)
        return adjusted * scale, (
            f"adjusted for {other.name.lower()} {other_value:.3g} {words.unit}: "
            f"{adjusted:.3g} {words.result_unit}"
        )

    def _verdict(
        self,
        f: LabFinding,
        m: Measurement,
        q: Qualifier | None,
        shown: str,
        cut: _Cut | None = None,
    ) -> FindingState:
        """A lab finding settled by the lab's verdict (a qualifier or its flag)."""
        if q is None:
            why = m.unusable or m.read_as or "no value or verdict"
            return FindingState(f.id, "unknown", f"{shown}: {why}")
        if q in f.qualifiers:
            state: State = "present" if f.qualifiers[q] else "absent"
            return FindingState(f.id, state, shown)
        if cut is None:
            hit = _DEFAULT_QUALIFIERS[f.op].get(q)
            if q == "undetectable" and f.op == "below_ref":
                lo, _, origin = self._reference(f, m)
                if lo is not None and lo > 0:
                    return FindingState(
                        f.id, "present", f"{shown}: below the lower limit ({origin})"
                    )
                return FindingState(
                    f.id, "unknown", f"{shown}: no positive lower limit to place it below"
                )
            if hit is None:
                side = "below" if f.op == "below_ref" else "above"
                return FindingState(
                    f.id, "unknown", f"{shown}: '{q}' does not say whether it is {side} the range"
                )
            return FindingState(f.id, "present" if hit else "absent", shown)
        return self._verdict_threshold(f, m, q, shown, cut)

    def _verdict_threshold(
        self, f: LabFinding, m: Measurement, q: Qualifier, shown: str, cut: _Cut
    ) -> FindingState:
        """A fixed threshold settled by a verdict, through the limits it was judged against."""
        analyte = self.kb.analytes[f.analyte]
        scale = factor(analyte, cut.unit, self.kb.unit_synonyms)
        shown_unit = "" if cut.unit == "1" else f" {cut.unit}"
        threshold = f"{_OP_WORDS[cut.op]} {cut.value:g}{shown_unit}"
        limits = self._verdict_limits(f, m, scale, cut.unit)
        if limits is None:
            return FindingState(
                f.id,
                "unknown",
                f"{shown}; threshold {threshold}: cannot tell, the lab's range was not given and "
                f"lowalp has no reference interval for {analyte.name} at this age and sex "
                "(or the age or sex that would choose one was not given)",
            )
        low, high, where = limits
        bounds = verdict_bounds(q, low, high)
        if bounds is None:
            return FindingState(
                f.id,
                "unknown",
                f"{shown}; threshold {threshold}: cannot tell, '{q}' against {where} does not "
                "place the value on one side of it",
            )
        state = decide(bounds, cut.op, cut.limit)
        means = describe(bounds, scale, shown_unit.strip()).replace("  ", " ").strip()
        verdict = {
            "present": f"always {threshold}: counted as present",
            "absent": f"never {threshold}: counted as absent",
            "unknown": f"which may or may not be {threshold}: cannot tell",
        }[state]
        return FindingState(f.id, state, f"{shown}; against {where} that is {means}, {verdict}")

    def _verdict_limits(
        self, f: LabFinding, m: Measurement, scale: float, unit: str
    ) -> tuple[float | None, float | None, str] | None:
        """The limits a verdict was judged against: the lab's, else the knowledge's."""
        if m.ref_low is not None or m.ref_high is not None:
            shown = (
                m.original_ref or f"{_fmt_in(m.ref_low, scale)}–{_fmt_in(m.ref_high, scale)} {unit}"
            )
            return m.ref_low, m.ref_high, f"the lab's range {shown}"
        lo, hi, origin = self._knowledge_reference(f.analyte, guess=False)
        if lo is None and hi is None:
            return None
        source = origin.removesuffix(" range")
        return (
            lo,
            hi,
            f"the reference interval {_fmt_in(lo, scale)}–{_fmt_in(hi, scale)} {unit} "
            f"({source}; the lab's range was not given)",
        )

    def _ratio(self, node: RatioNode, f: RatioFinding, specimen_only: bool) -> FindingState:
        skip = self._applies(node.applies)
        if skip:
            return FindingState(f.id, "unknown", skip, applicable=False)
        num = self.concurrent(node.numerator, specimen_only)
        den = self.concurrent(node.denominator, specimen_only)
        missing = [a for a, m in ((f.numerator, num), (f.denominator, den)) if m is None]
        if missing:
            return FindingState(f.id, "unknown", f"needs {' and '.join(missing)}")
        assert num is not None
        assert den is not None
        nb = self._bounds(node.numerator, num, node.numerator_scale)
        db = self._bounds(node.denominator, den, node.denominator_scale)
        if nb is None or db is None:
            unusable = [
                f"{m.original} ({a})"
                for a, m, b in ((f.numerator, num, nb), (f.denominator, den, db))
                if b is None
            ]
            return FindingState(
                f.id, "unknown", f"{' and '.join(unusable)} cannot be placed in the ratio"
            )
        shown = f"{num.original} / {den.original}"
        if (
            num.value is not None
            and den.value is not None
            and not (num.qualifier in ("<", ">") or den.qualifier in ("<", ">"))
        ):
            n, d = nb[0][0], db[0][0]
            if d <= 0:
                return FindingState(f.id, "unknown", f"{f.denominator} is zero")
            ratio = n / d
            state = _compare(ratio, None, node.op, node.value)
            return FindingState(
                f.id,
                state,
                f"ratio {ratio:.2f} ({n:.3g} {f.numerator_unit} / {d:.3g} {f.denominator_unit})",
            )
        rb = ratio_bounds(nb, db)
        if rb is None:
            return FindingState(f.id, "unknown", f"{shown}: the ratio cannot be bounded")
        state = decide(rb, node.op, node.value)
        means = describe(rb, 1.0, "").replace("  ", " ").strip()
        word = _OP_WORDS[f.op]
        verdict = {
            "present": f"always {word} {f.value:g}, so present",
            "absent": f"never {word} {f.value:g}, so absent",
            "unknown": f"which may or may not be {word} {f.value:g}: cannot tell",
        }[state]
        return FindingState(
            f.id,
            state,
            f"{shown}: the ratio is {means} ({f.numerator_unit} / {f.denominator_unit}), {verdict}"
            " (a censored or qualitative part, used because its direction is certain)",
        )

    def _bounds(self, analyte_id: str, m: Measurement, scale: float) -> list[Bounds] | None:
        """The values a result allows, divided by ``scale`` (into the ratio's unit)."""
        if m.value is not None:
            b = number_bounds(m.value, m.qualifier)
        elif m.qualifier is not None:
            if m.ref_low is not None or m.ref_high is not None:
                lo, hi = m.ref_low, m.ref_high
            else:
                lo, hi, _ = self._knowledge_reference(analyte_id, guess=False)
            found = verdict_bounds(m.qualifier, lo, hi)
            if found is None:
                return None
            b = found
        else:
            return None
        return [(lo / scale, hi / scale) for lo, hi in b]

    def _pattern(self, f: PatternNode) -> FindingState:
        skip = self._applies(f.applies)
        if skip:
            return FindingState(f.id, "unknown", skip, applicable=False)
        parts_all = [self.state(p, f.same_specimen) for p in f.all_of]
        parts_any = [self.state(p, f.same_specimen) for p in f.any_of]
        if any(not p.applicable for p in parts_all) or (
            parts_any and not any(p.applicable for p in parts_any)
        ):
            return FindingState(f.id, "unknown", "does not apply to this person", applicable=False)
        shown = "; ".join(
            f"{self.kb.findings[p.id].label}: {p.state}" for p in (*parts_all, *parts_any)
        )
        if any(p.state == "absent" for p in parts_all) or (
            parts_any and all(p.state == "absent" for p in parts_any)
        ):
            return FindingState(f.id, "absent", shown)
        all_ok = all(p.state == "present" for p in parts_all)
        any_ok = not parts_any or any(p.state == "present" for p in parts_any)
        if all_ok and any_ok:
            return FindingState(f.id, "present", shown)
        return FindingState(f.id, "unknown", shown)

    def _event(self, f: EventFinding) -> FindingState:
        """Present when an event held at some time within the window: the window counts from
        the event's end (an ongoing event holds at the index ALP, so a six-week stay in
        intensive care that is still going on is inside a 28-day window)."""
        lo, hi = f.window_days
        relevant = [e for e in self.case.events if e.event in f.events]
        inside = [e for e in relevant if _held_within(e, lo, hi)]
        if inside:
            e = inside[0]
            return FindingState(
                f.id,
                "present",
                f"{self._event_label(e.event)} {_event_time(e)} (window {lo:g}–{hi:g} days)",
            )
        untimed = [e for e in relevant if e.last_days_before is None]
        if untimed:
            return FindingState(f.id, "unknown", f"{untimed[0].text}: timing unknown")
        if relevant:
            e = relevant[0]
            return FindingState(
                f.id,
                "absent",
                f"{self._event_label(e.event)} {_event_time(e)}: outside the {lo:g}–{hi:g} day window",
            )
        if self.case.events_given:
            return FindingState(f.id, "absent", "not in the event list")
        return FindingState(f.id, "unknown", "no event list given")

    def _setting(self, f: SettingFinding) -> FindingState:
        setting = self.case.setting
        if setting is None:
            return FindingState(f.id, "unknown", "care setting not given")
        state: State = "present" if setting in f.settings else "absent"
        return FindingState(f.id, state, f"care setting: {setting}")

    def _event_label(self, event_id: str) -> str:
        return self.kb.events[event_id].label

    def _alp(self, f: AlpNode) -> FindingState:
        series = self.work.series
        assert series is not None
        assert self.work.alp is not None
        value: bool | None
        if f.property == "persistent":
            value, detail = series.persistent, series.reason
        elif f.property == "fall_from_normal":
            value = series.fall_from_normal
            detail = series.fall_detail or (
                "earlier values low too" if value is False else "no earlier value"
            )
        elif f.property == "normal_on_record":
            value = series.normal_on_record
            detail = (
                series.normal_detail
                or {
                    True: "a normal value on record",
                    False: "every earlier value low",
                    None: "no earlier value",
                }[value]
            )
        else:
            alp = self.work.alp
            if alp.status != "low":
                value, detail = None, "ALP not low"
            else:
                value = alp.low_for_age_only
                detail = (
                    "inside the printed range, below the age/sex interval"
                    if value
                    else "low by the printed range too"
                )
        state: State = "unknown" if value is None else ("present" if value else "absent")
        return FindingState(f.id, state, detail)


def _holds(b: Band, age: float | None, sex: str | None) -> bool:
    """Whether a band can be the person's: an unknown age or sex leaves every band possible."""
    if age is not None and not b.age_min <= age < b.age_max:
        return False
    return sex is None or b.sex is None or b.sex == sex


def _fmt(x: float | None) -> str:
    return "?" if x is None else f"{x:.4g}"


def _fmt_in(x: float | None, scale: float) -> str:
    return "" if x is None else f"{x / scale:.4g}"


def _quoted(m: Measurement) -> str:
    """A verdict as the report shows it: the lab's words, and where words came from."""
    text = f"'{m.original}'" if m.reported_in_words is None else m.original
    return text + (f" ({m.read_as})" if m.read_as and m.reported_in_words is None else "")


def _held_within(e: EventOccurrence, lo: float, hi: float) -> bool:
    """The event held on some day from ``hi`` to ``lo`` days before the index ALP."""
    last = e.last_days_before
    if last is None:
        return False
    first = e.days_before if e.days_before is not None else last
    return last <= hi and first >= lo


def _event_time(e: EventOccurrence) -> str:
    """When an event happened, as the finding's detail says it ("5 days before", "ongoing")."""
    if e.ongoing:
        since = f" since {_days(e.days_before)} before" if e.days_before is not None else ""
        return f"ongoing{since}"
    if e.end_days_before is not None:
        start = f"from {_days(e.days_before)} before, " if e.days_before is not None else ""
        return f"{start}ended {_days(e.end_days_before)} before"
    return f"{_days(e.days_before)} before"


def _days(n: float | None) -> str:
    return "at an unknown time" if n is None else f"{n:g} day{'' if n == 1 else 's'}"


def _compare(value: float, censor: str | None, op: str, limit: float) -> State:
    """Compare a (possibly censored) value with a limit."""
    if censor == "<":  # true value is below `value`
        if op in ("lt", "le"):
            return "present" if value <= limit else "unknown"
        return "absent" if value <= limit else "unknown"
    if censor == ">":  # true value is above `value`
        if op in ("gt", "ge"):
            return "present" if value >= limit else "unknown"
        return "absent" if value >= limit else "unknown"
    if op == "lt":
        hit = value < limit
    elif op == "le":
        hit = value <= limit
    elif op == "gt":
        hit = value > limit
    elif op == "ge":
        hit = value >= limit
    else:
        raise KeyError(op)
    return "present" if hit else "absent"
