"""Local laboratory codes -> analyte ids, from a mapping file the user passes (``--code-map``).

The file is CSV with a header row::

    system,code,analyte,unit
    LAB,ALKP,alp,U/L
    urn:oid:1.2.3.4,5001,albumin,
    ,K,potassium,mmol/L

- ``system`` (optional, may be empty): the coding system as the message gives it (HL7 v2
  coding-system component, FHIR ``Coding.system``); empty matches any system.
- ``code``: the local code (matched exactly, after trimming spaces).
- ``analyte``: an analyte id of the knowledge base.
- ``unit`` (optional): the unit to assume when a result carries none.

Lines starting with ``#`` are comments. Every problem in the file is reported at once.
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass
from pathlib import Path

from lowalp.errors import InputError, Problem
from lowalp.knowledge import Knowledge


@dataclass(frozen=True)
class CodeMapEntry:
    system: str
    code: str
    analyte: str
    unit: str | None


@dataclass(frozen=True)
class CodeMap:
    entries: dict[tuple[str, str], CodeMapEntry]

    def lookup(self, code: str, system: str | None = None) -> CodeMapEntry | None:
        code = code.strip()
        if system:
            hit = self.entries.get((system.strip(), code))
            if hit:
                return hit
        return self.entries.get(("", code))

    @classmethod
    def load(cls, path: str | Path, kb: Knowledge) -> CodeMap:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise InputError([Problem(str(p), "code map file not found")]) from None
        return cls.parse(text, kb, source=str(p))

    @classmethod
    def parse(cls, text: str, kb: Knowledge, *, source: str = "code map") -> CodeMap:
        lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        reader = csv.DictReader(io.StringIO("\n".join(lines)))
        need = {"code", "analyte"}
        have = set(reader.fieldnames or [])
        if not need <= have:
            missing = ", ".join(sorted(need - have))
            raise InputError(
                [
                    Problem(
                        "header",
                        f"missing column(s): {missing}",
                        hint="the header is: system,code,analyte,unit",
                    )
                ],
                source=source,
            )
        problems: list[Problem] = []
        entries: dict[tuple[str, str], CodeMapEntry] = {}
        for i, row in enumerate(reader, start=2):
            code = (row.get("code") or "").strip()
            analyte = (row.get("analyte") or "").strip()
            system = (row.get("system") or "").strip()
            unit = (row.get("unit") or "").strip() or None
            where = f"line {i}"
            if not code:
                problems.append(Problem(where, "empty code"))
                continue
            if analyte not in kb.analytes:
                close = difflib.get_close_matches(analyte, list(kb.analytes), n=1)
                hint = f"did you mean {close[0]!r}?" if close else None
                problems.append(Problem(where, "unknown analyte id", value=analyte, hint=hint))
                continue
            if (
                unit is not None
                and unit not in kb.analytes[analyte].units
                and unit not in kb.unit_synonyms
            ):
                problems.append(Problem(where, f"unit not accepted for {analyte}", value=unit))
                continue
            key = (system, code)
            if key in entries and entries[key].analyte != analyte:
                problems.append(
                    Problem(where, f"code {code!r} is already mapped to {entries[key].analyte}")
                )
                continue
            entries[key] = CodeMapEntry(system, code, analyte, unit)
        if problems:
            raise InputError(problems, source=source)
        return cls(entries)
