"""One lab result read as the lab gave it: analyte, unit, value or words, range and flag.

Each result becomes a :class:`Draft` in canonical units, or is set aside with its reason (listed
under ``not_understood``); no single result stops the case. How each kind of result is read:

- a number in a known unit is converted and checked (:mod:`lowalp.normalise.plausibility`): an
  impossible or doubtful value is set aside, naming the unit it was probably in; a value whose
  printed range fits one other unit is read in that unit, and the report says so;
- a number in an unknown or missing unit is judged against the range the lab printed beside it
  (in that same unit), or taken as the lab's flag, or set aside;
- a historical unit (King–Armstrong, Bodansky) is converted with its approximate factor;
- words ("undetectable", "<5", "WNL", "1:160 positive") and flags (HL7 v2 table 0078) are read
  through knowledge/qualitative.yaml (:mod:`lowalp.normalise.qualitative`);
- a panel reported as a whole (``{"panel": "LFTs", "qualifier": "normal"}``) becomes one normal
  result per analyte of the panel (:mod:`lowalp.normalise.panels`).

An ALP result that cannot be used is still kept, with ``unusable`` set, so the report can say why
the ALP could not be judged; other unusable results are left out.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from lowalp.errors import UnitError
from lowalp.knowledge import Knowledge
from lowalp.knowledge.schema import Analyte, HistoricalUnit
from lowalp.model import LabResult, NotUnderstood, Qualifier
from lowalp.normalise.plausibility import check_value, reference_envelope
from lowalp.normalise.qualitative import MEANING_QUALIFIER, Reading, read_flag, read_text
from lowalp.units import clean_unit, factor, unit_can_be_assumed, unknown_unit_text

DIRECTIONAL: frozenset[str] = frozenset({"low", "normal", "high"})


@dataclass
class Draft:
    """A result in canonical units, not yet placed in time."""

    lab: LabResult
    pointer: str
    analyte: str
    value: float | None
    unit: str
    ref_low: float | None
    ref_high: float | None
    original: str
    original_ref: str | None = None
    qualifier: Qualifier | None = None
    flag: Qualifier | None = None
    read_as: str | None = None
    reported_in_words: str | None = None
    unusable: str | None = None

    @property
    def judgeable(self) -> bool:
        """Does the result say anything about the value (a number or a verdict)?"""
        if self.unusable is not None:
            return False
        return self.value is not None or self.qualifier in ("low", "normal", "high", "undetectable")


def resolve_analyte(
    i: int, lab: LabResult, kb: Knowledge, not_understood: list[NotUnderstood], warnings: list[str]
) -> Analyte | None:
    """The analyte a result is for (by id, or by LOINC code), or ``None`` with the reason."""
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
        not_understood.append(
            NotUnderstood(
                pointer=pointer,
                value=_shown(lab),
                reason='a result needs `analyte` (or a `loinc` code), for example "analyte": "alp"; result not used',
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
    return analyte


def read_lab(
    i: int,
    lab: LabResult,
    kb: Knowledge,
    not_understood: list[NotUnderstood],
    warnings: list[str],
) -> list[Draft]:
    """The drafts one result gives: none (set aside), one, or one per analyte of a panel."""
    if lab.panel is not None:
        from lowalp.normalise.panels import panel_drafts

        return panel_drafts(i, lab, kb, not_understood, warnings)
    analyte = resolve_analyte(i, lab, kb, not_understood, warnings)
    if analyte is None:
        return []
    return _Reader(kb, lab, f"labs[{i}]", analyte, not_understood, warnings).read()


def read_lab_at(
    pointer: str,
    lab: LabResult,
    kb: Knowledge,
    not_understood: list[NotUnderstood],
    warnings: list[str],
) -> list[Draft]:
    """A result of a known analyte that did not come from the case's labs (a note's "Hb 68")."""
    assert lab.analyte is not None
    return _Reader(kb, lab, pointer, kb.analytes[lab.analyte], not_understood, warnings).read()


class _Reader:
    """Reads one result of a known analyte."""

    def __init__(
        self,
        kb: Knowledge,
        lab: LabResult,
        pointer: str,
        analyte: Analyte,
        not_understood: list[NotUnderstood],
        warnings: list[str],
    ) -> None:
        self.kb, self.lab, self.pointer, self.analyte = kb, lab, pointer, analyte
        self.not_understood, self.warnings = not_understood, warnings

    # ------------------------------------------------------------------ outcomes
    def aside(
        self,
        reason: str,
        field: str = "",
        value: str | None = None,
        suggestions: tuple[str, ...] = (),
    ) -> list[Draft]:
        """Set the result aside; an ALP is kept, unusable, so its status can say why."""
        self.not_understood.append(
            NotUnderstood(
                pointer=self.pointer + (f".{field}" if field else ""),
                value=value if value is not None else _shown(self.lab),
                reason=f"{reason}; result not used",
                suggestions=suggestions,
            )
        )
        if self.analyte.id != "alp":
            return []
        return [
            self.draft(
                None,
                original=_shown(self.lab) or "(no value)",
                original_ref=self.printed_range(self.lab.unit),
                unusable=reason,
            )
        ]

    def draft(
        self,
        value: float | None,
        *,
        original: str,
        qualifier: Qualifier | None = None,
        ref: tuple[float | None, float | None] = (None, None),
        original_ref: str | None = None,
        flag: Qualifier | None = None,
        read_as: str | None = None,
        unusable: str | None = None,
    ) -> Draft:
        return Draft(
            self.lab,
            self.pointer,
            self.analyte.id,
            value,
            self.analyte.canonical_unit,
            ref[0],
            ref[1],
            original,
            original_ref,
            qualifier=qualifier,
            flag=flag,
            read_as=read_as,
            unusable=unusable,
        )

    def printed_range(self, unit: str | None) -> str | None:
        lab = self.lab
        if lab.ref_low is None and lab.ref_high is None:
            return None
        lo = "" if lab.ref_low is None else f"{lab.ref_low:g}"
        hi = "" if lab.ref_high is None else f"{lab.ref_high:g}"
        return f"{lo}–{hi}" + (f" {unit}" if unit else "")

    # ------------------------------------------------------------------ reading
    def read(self) -> list[Draft]:
        lab, name = self.lab, self.analyte.name
        value, qualifier, unit = lab.value, lab.qualifier, lab.unit
        text_reading: Reading | None = None
        if lab.text is not None and lab.text.strip():
            text_reading = read_text(self.kb, lab.text)
            if text_reading is not None and text_reading.meaning == "no_result":
                return self.aside(f"the lab reported {lab.text.strip()!r}: no result", "text")
            if value is None and qualifier is None:
                if text_reading is None:
                    return self.aside(
                        f"the text {lab.text.strip()!r} is not a number or words lowalp reads",
                        "text",
                        lab.text,
                    )
                value, qualifier = text_reading.value, text_reading.qualifier
                unit = unit or text_reading.unit
            elif text_reading is None:
                self.warnings.append(
                    f"{self.pointer}: the text {lab.text.strip()!r} was not understood; the value given was used."
                )
        flag_q, no_result = self.read_flag()
        if no_result:
            return self.aside(f"the lab's flag {lab.flag!r} says there is no result", "flag")
        if value is not None and qualifier not in (None, "<", ">"):
            # a verdict given beside a number is the lab's flag on it
            flag_q = flag_q or qualifier
            qualifier = None
        from_flag = False
        if value is None and qualifier is None:
            if flag_q is None:
                return self.aside(f"{name}: no value, qualifier, text or flag")
            qualifier, from_flag = flag_q, True
        if value is None:
            if qualifier in ("<", ">"):
                return self.aside(
                    f"qualifier {qualifier!r} needs a value (as in '<5')", "value", str(qualifier)
                )
            if flag_q in DIRECTIONAL and qualifier in DIRECTIONAL and flag_q != qualifier:
                self.warnings.append(
                    f"{self.pointer}: reported {qualifier!r} but flagged {lab.flag!r}; "
                    f"{qualifier!r} was used."
                )
            return [self.qualitative(qualifier, unit, text_reading, from_flag)]
        if value < 0:
            return self.aside(
                "a concentration or activity cannot be negative", "value", f"{value:g}"
            )
        censor = qualifier if qualifier in ("<", ">") else None
        return self.numeric(value, censor, unit, flag_q)

    def read_flag(self) -> tuple[Qualifier | None, bool]:
        """The lab's flag as a qualifier, and whether it says there is no result."""
        raw = self.lab.flag
        if raw is None or not raw.strip():
            return None, False
        r = read_flag(self.kb, raw)
        if r is None or r.meaning is None:
            self.warnings.append(
                f"{self.pointer}: the lab's flag {raw!r} was not understood (HL7 table 0078 codes "
                "L, H, LL, HH, N, A … or words); it was ignored."
            )
            return None, False
        if r.meaning == "no_result":
            return None, True
        return MEANING_QUALIFIER[r.meaning], False

    def qualitative(
        self,
        qualifier: Qualifier | None,
        unit: str | None,
        reading: Reading | None,
        from_flag: bool = False,
    ) -> Draft:
        """A verdict without a number; the lab's range is kept when its unit is known."""
        lab = self.lab
        ref: tuple[float | None, float | None] = (None, None)
        note = None
        low, high = self.sane_range(lab.ref_low, lab.ref_high)
        if low is not None or high is not None:
            f = self.known_factor(unit)
            if f is None:
                note = "the lab's range is in a unit lowalp does not know, so it was not used"
            else:
                ref = (_mul(low, f), _mul(high, f))
        if lab.text and lab.text.strip():
            words = lab.text.strip()
        elif from_flag:
            words = f"flag {lab.flag}"
        else:
            words = str(qualifier)
        read_as = (
            reading.label
            if reading is not None
            and reading.meaning
            and reading.meaning != " ".join(words.casefold().split())
            else None
        )
        if note:
            read_as = f"{read_as}; {note}" if read_as else note
        return self.draft(
            None,
            original=words,
            qualifier=qualifier,
            ref=ref,
            original_ref=self.printed_range(unit),
            read_as=read_as,
        )

    def known_factor(self, unit: str | None) -> float | None:
        if unit is None or not unit.strip():
            return 1.0 if unit_can_be_assumed(self.analyte) else None
        try:
            return factor(self.analyte, unit, self.kb.unit_synonyms)
        except UnitError:
            h = self.historical(unit)
            return h.factor if h else None

    def historical(self, unit: str) -> HistoricalUnit | None:
        key = " ".join(clean_unit(unit, {}).split()).casefold()
        for h in self.analyte.historical_units:
            if key in {" ".join(s.split()).casefold() for s in h.spellings}:
                return h
        return None

    def numeric(
        self, value: float, censor: Qualifier | None, unit: str | None, flag: Qualifier | None
    ) -> list[Draft]:
        lab, a = self.lab, self.analyte
        if unit is None or not unit.strip():
            if unit_can_be_assumed(a):
                unit = a.canonical_unit
                self.warnings.append(
                    f"{self.pointer}: no unit given; {a.name} has one scale, so {unit} was assumed."
                )
            else:
                return self.without_unit(
                    value,
                    censor,
                    flag,
                    unit_text=None,
                    reason=f"{a.name} without a unit (it is reported in several: {', '.join(list(a.units)[:6])})",
                    suggestions=(a.canonical_unit,),
                )
        ref_low, ref_high = self.sane_range(lab.ref_low, lab.ref_high)
        historical = None
        try:
            f = factor(a, unit, self.kb.unit_synonyms)
        except UnitError as exc:
            historical = self.historical(unit)
            if historical is None:
                return self.without_unit(
                    value,
                    censor,
                    flag,
                    unit_text=unit,
                    reason=unknown_unit_text(unit, a, self.kb.unit_synonyms),
                    suggestions=(exc.suggestion,) if exc.suggestion else (),
                )
            f = historical.factor
            self.warnings.append(
                f"{self.pointer}: {value:g} {unit} is in {historical.name}, a unit of methods no "
                f"longer in use: converted with the approximate factor {f:g} to "
                f"{value * f:.4g} {a.canonical_unit}."
            )
        shown_unit = unit
        if historical is None:
            check = check_value(self.kb, a.id, value, unit, ref_low, ref_high)
            if check.verdict in ("impossible", "doubtful"):
                return self.aside(check.message, "value", f"{value:g} {unit}", check.likely)
            if check.verdict == "other_unit":
                assert check.unit is not None
                self.warnings.append(f"{self.pointer}: {check.message}.")
                unit = check.unit
                f = factor(a, unit, self.kb.unit_synonyms)
            elif check.verdict == "range_ignored":
                self.warnings.append(f"{self.pointer}: {check.message}.")
                ref_low = ref_high = None
            elif check.verdict == "range_only":
                return self.without_unit(
                    value, censor, flag, unit_text=unit, reason=check.message, noted=True
                )
        original = f"{censor or ''}{value:g} {shown_unit}"
        original_ref = (
            self.printed_range(shown_unit) if (ref_low, ref_high) != (None, None) else None
        )
        canon_lo, canon_hi = _mul(ref_low, f), _mul(ref_high, f)
        read_as = (f"read as {unit} (written {shown_unit})" if unit != shown_unit else None) or (
            f"{historical.name}, converted approximately" if historical else None
        )
        self.check_flag(value * f, censor, flag, canon_lo, canon_hi, original, original_ref)
        return [
            self.draft(
                value * f,
                original=original,
                qualifier=censor,
                ref=(canon_lo, canon_hi),
                original_ref=original_ref,
                flag=flag,
                read_as=read_as,
            )
        ]

    def sane_range(
        self, low: float | None, high: float | None
    ) -> tuple[float | None, float | None]:
        """The lab's range, or none when it cannot be a range (the value is still used)."""
        problem = None
        if (low is not None and low < 0) or (high is not None and high < 0):
            problem = "a reference limit cannot be negative"
        elif low is not None and high is not None and low > high:
            problem = f"ref_low ({low:g}) is above ref_high ({high:g})"
        if problem is None:
            return low, high
        self.warnings.append(
            f"{self.pointer}: {problem}: the lab's range was not used (the value was)."
        )
        return None, None

    def without_unit(
        self,
        value: float,
        censor: Qualifier | None,
        flag: Qualifier | None,
        *,
        unit_text: str | None,
        reason: str,
        suggestions: tuple[str, ...] = (),
        noted: bool = False,
    ) -> list[Draft]:
        """A number that cannot be put in canonical units: judged against the range the lab
        printed in the same unit, else taken as the lab's flag, else set aside."""
        lab = self.lab
        low, high = self.sane_range(lab.ref_low, lab.ref_high)
        original = f"{censor or ''}{value:g}" + (f" {unit_text}" if unit_text else "")
        verdict = _against_range(value, censor, low, high)
        if verdict is not None:
            printed = self.printed_range(unit_text)
            how = f"{reason}: judged against the lab's range printed in the same unit ({printed}): {verdict}"
        elif flag is not None:
            verdict = flag
            how = f"{reason}: taken as the lab's flag ({lab.flag or flag}): {flag}"
        else:
            return self.aside(
                f"{reason}, and no printed range or flag to judge it by",
                "unit",
                unit_text if unit_text is not None else f"{value:g}",
                suggestions,
            )
        if not noted:
            self.not_understood.append(
                NotUnderstood(
                    pointer=f"{self.pointer}.unit",
                    value=unit_text if unit_text is not None else f"{value:g}",
                    reason=f"{reason}; the result was used only as {verdict!r}",
                    suggestions=suggestions,
                )
            )
        self.warnings.append(f"{self.pointer}: {how}.")
        if flag is not None and flag in DIRECTIONAL and verdict != flag:
            self.warnings.append(
                f"{self.pointer}: the lab flagged it {lab.flag or flag!r} but against its printed "
                f"range it is {verdict}; the printed range was used."
            )
        return [
            self.draft(
                None,
                original=original,
                qualifier=verdict,
                original_ref=self.printed_range(unit_text),
                flag=flag,
                read_as=how,
            )
        ]

    def check_flag(
        self,
        value: float,
        censor: Qualifier | None,
        flag: Qualifier | None,
        low: float | None,
        high: float | None,
        original: str,
        original_ref: str | None,
    ) -> None:
        """Warn when the lab's flag and the number disagree: against the lab's printed range,
        or, without one, when the number lies beyond every reference limit on the other side."""
        if flag not in DIRECTIONAL:
            return
        if low is None and high is None:
            env = reference_envelope(self.kb, self.analyte)
            beyond = (
                "low"
                if env.low_min is not None and value < env.low_min and censor != ">"
                else "high"
                if env.high_max is not None and value > env.high_max and censor != "<"
                else None
            )
            if beyond is not None and {beyond, flag} == {"low", "high"}:
                self.warnings.append(
                    f"{self.pointer}: the lab flagged {original} {self.lab.flag or flag!r}, but it is "
                    f"{beyond} against every reference interval lowalp knows for {self.analyte.name}; "
                    "the number was used."
                )
            return
        verdict = _against_range(value, censor, low, high)
        if verdict is not None and verdict != flag:
            self.warnings.append(
                f"{self.pointer}: the lab flagged {original} {self.lab.flag or flag!r}, but against "
                f"its printed range ({original_ref}) it is {verdict}; the number was used."
            )


def _against_range(
    value: float, censor: Qualifier | None, low: float | None, high: float | None
) -> Qualifier | None:
    """Low, normal or high against a range in the value's own unit; ``None`` if it cannot say.

    >>> _against_range(3, None, 5, 10), _against_range(5, "<", 10, 50), _against_range(20, "<", 10, 50)
    ('low', 'low', None)
    """
    if low is None and high is None:
        return None
    if censor == "<":
        if low is not None and low > 0 and value <= low:
            return "low"
        if (low is None or low == 0) and high is not None and value <= high:
            return "normal"
        return None
    if censor == ">":
        return "high" if high is not None and value >= high else None
    if low is not None and value < low:
        return "low"
    if high is not None and value > high:
        return "high"
    return "normal"


def _mul(x: float | None, f: float) -> float | None:
    return None if x is None else x * f


def _shown(lab: LabResult) -> str:
    """The result as given, for messages."""
    if lab.text:
        return lab.text
    if lab.value is not None:
        censor = lab.qualifier if lab.qualifier in ("<", ">") else ""
        return f"{censor}{lab.value:g}" + (f" {lab.unit}" if lab.unit else "")
    return str(lab.qualifier or lab.flag or "")
