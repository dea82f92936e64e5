"""Laboratory results written inside a note: "Hb 68 g/L", "K+ 7.9 mmol/L", "INR 3.9", "ALP 21".

Names come from ``knowledge/text/lab_names.yaml``; a name must be followed by a number (after an
optional ":", "=", "of", "was" …), which may carry a comparator ("<5"), one of the analyte's
accepted units or unit spellings, and a printed range in brackets ("ALP 21 (35–104)"). What is
found is returned as :class:`~lowalp.model.LabResult` with no date; the normaliser checks its
unit and plausibility like any other result and says that it was taken from the note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lowalp.knowledge import Knowledge
from lowalp.model import LabResult

_NUMBER = r"\s*(?P<cmp><=|>=|<|>|≤|≥)?\s*(?P<num>\d+(?:\.\d+)?)"
_LINK = r"(?:\s*(?::|=|-|–|of|was|is|now|at|level|levels|result)\s*)*"
_RANGE = re.compile(
    r"\s*\(\s*(?:ref(?:erence)?:?\s*)?(\d+(?:\.\d+)?)\s*[-–]\s*(\d+(?:\.\d+)?)\s*\)"
)
_NOT_AFTER = ("vitamin", "vit")
_DIGIT = re.compile(r"\d")
"""What ``_NUMBER`` needs somewhere in a text before any pattern can match it."""


@dataclass(frozen=True)
class NoteResult:
    analyte: str
    lab: LabResult
    text: str
    """The words of the note the result was read from."""


def _patterns(kb: Knowledge) -> list[tuple[str, re.Pattern[str], list[tuple[str, str]]]]:
    cached = kb.cache.get("note_result_patterns")
    if cached is not None:
        out: list[tuple[str, re.Pattern[str], list[tuple[str, str]]]] = cached
        return out
    out = []
    for analyte_id, names in kb.text.lab_names.items():
        analyte = kb.analytes[analyte_id]
        spellings = {u: u for u in analyte.units} | {
            s: t for s, t in kb.unit_synonyms.items() if t in analyte.units
        }
        units = sorted(spellings.items(), key=lambda x: len(x[0]), reverse=True)
        for name, exact in [*((n, False) for n in names.any), *((n, True) for n in names.exact)]:
            flags = 0 if exact else re.IGNORECASE
            rx = re.compile(rf"(?<![\w+]){re.escape(name)}(?![\w]){_LINK}{_NUMBER}", flags)
            out.append((analyte_id, rx, units))
    out.sort(key=lambda x: -len(x[1].pattern))
    kb.cache["note_result_patterns"] = out
    return out


def find_results(text: str, kb: Knowledge) -> list[NoteResult]:
    """Every result named with a number in ``text`` (the first of each analyte), in order."""
    if not _DIGIT.search(text):
        return []  # every name must be followed by a number
    found: list[tuple[int, NoteResult]] = []
    taken: list[tuple[int, int]] = []
    seen: set[str] = set()
    for analyte_id, rx, units in _patterns(kb):
        for m in rx.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken) or analyte_id in seen:
                continue
            before = text[max(0, m.start() - 10) : m.start()].lower().split()
            if before and before[-1] in _NOT_AFTER:
                continue
            end = m.end()
            unit = None
            rest = text[end:]
            lead = len(rest) - len(rest.lstrip())
            for written, accepted in units:
                cand = rest[lead : lead + len(written)]
                after = rest[lead + len(written) : lead + len(written) + 1]
                if cand.lower() == written.lower() and not after.isalnum():
                    unit, end = accepted, end + lead + len(written)
                    break
            ref_low = ref_high = None
            if r := _RANGE.match(text, end):
                ref_low, ref_high, end = float(r[1]), float(r[2]), r.end()
            cmp = m.group("cmp")
            qualifier = {"<": "<", "<=": "<", "≤": "<", ">": ">", ">=": ">", "≥": ">"}.get(
                cmp or ""
            )
            lab = LabResult(
                analyte=analyte_id,
                value=float(m.group("num")),
                unit=unit,
                qualifier=qualifier,
                ref_low=ref_low,
                ref_high=ref_high,
            )
            taken.append((m.start(), end))
            seen.add(analyte_id)
            found.append((m.start(), NoteResult(analyte_id, lab, text[m.start() : end].strip())))
    return [r for _, r in sorted(found, key=lambda x: x[0])]
