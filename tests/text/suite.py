"""Run the assertion suite (tests/text/assertions/*.yaml): each phrase through the context reader.

Used by test_assertions.py and by ``python tests/text/suite.py`` (prints every miss).
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.model import Case, Context, LabResult, Patient
from lowalp.normalise.context import read_context

HERE = Path(__file__).parent / "assertions"
HELD_OUT = Path(__file__).parent / "heldout"
"""Phrases written after the reader was built and used only to measure it, never to tune it."""
REFERENCE = dt.date(2026, 6, 1)
"""The date the suite's relative times are counted from (the index ALP's date)."""
FAMILY_EQUIVALENT = {"present", "family"}


@dataclass
class Outcome:
    file: str
    text: str
    field: str
    ok: bool
    problems: list[str] = field(default_factory=list)
    got: list[tuple[str, str, str]] = field(default_factory=list)


def entries(folder: Path = HERE) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(folder.glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            out.append((path.name, item))
    return out


def run_entry(kb: Knowledge, file: str, item: dict[str, Any]) -> Outcome:
    text, where = item["text"], item["field"]
    ctx: dict[str, Any] = {}
    if where == "notes":
        ctx["notes"] = text
    else:
        ctx[where] = [text]
    case = Case(
        patient=Patient(age_years=50, sex="F"),
        labs=(LabResult(analyte="alp", value=25, unit="U/L", date=REFERENCE),),
        context=Context(**ctx),
    )
    index = case.labs[0]
    reading = read_context(case, kb, index)
    got = [
        (m.concept, m.assertion, m.used_as)
        for m in reading.mappings
        if m.concept and not (m.assertion == "present" and m.used_as.startswith("not used"))
    ]
    out = Outcome(file, text, where, True, got=got)
    for exp in item.get("expect") or []:
        concept, assertion = exp["concept"], exp["assertion"]
        finding = kb.findings.get(concept)
        family_kind = bool(getattr(finding, "relatives", None))
        lifetime = getattr(finding, "timing", None) == "lifetime"
        ok_assertions = {assertion}
        if family_kind and assertion in FAMILY_EQUIVALENT:
            ok_assertions = FAMILY_EQUIVALENT
        elif lifetime and assertion in ("present", "historical"):
            # A lifelong fact in the past (a fracture, lost teeth) is used as present either way.
            ok_assertions = {"present", "historical"}
        hits = [g for g in got if g[0] == concept and g[1] in ok_assertions]
        if not hits:
            seen = [g[1] for g in got if g[0] == concept]
            out.problems.append(
                f"{concept}: expected {assertion}, got {', '.join(seen) if seen else 'nothing'}"
            )
            continue
        if "stopped_years_ago" in exp:
            lo, hi = exp["stopped_years_ago"]
            days = reading.medications_past.get(concept)
            if days is None or not lo * 365.25 <= days <= hi * 365.25:
                out.problems.append(f"{concept}: stopped {days} days ago, expected {lo}-{hi} years")
        if "days_before" in exp:
            lo, hi = exp["days_before"]
            times = [e.days_before for e in reading.events if e.event == concept]
            if not any(t is not None and lo <= t <= hi for t in times):
                out.problems.append(f"{concept}: days before {times}, expected {lo}-{hi}")
    expected = {e["concept"] for e in item.get("expect") or []}
    for concept in item.get("not") or []:
        if any(g[0] == concept and g[1] == "present" for g in got):
            out.problems.append(f"{concept}: must not be read as present")
    if not item.get("expect"):
        wrongly = [g for g in got if g[1] == "present" and g[0] not in expected]
        if wrongly:
            out.problems.append(f"expected nothing, read {wrongly}")
    out.ok = not out.problems
    return out


def run_all(kb: Knowledge | None = None, folder: Path = HERE) -> list[Outcome]:
    kb = kb or load_knowledge()
    return [run_entry(kb, f, item) for f, item in entries(folder)]


def main() -> None:
    folder = HELD_OUT if "--heldout" in sys.argv else HERE
    outcomes = run_all(folder=folder)
    by_file: dict[str, list[Outcome]] = {}
    for o in outcomes:
        by_file.setdefault(o.file, []).append(o)
    for o in outcomes:
        if not o.ok:
            print(f"MISS [{o.file}] {o.text!r}: {'; '.join(o.problems)}  (read: {o.got})")
    for name, os_ in by_file.items():
        print(f"{name}: {sum(o.ok for o in os_)}/{len(os_)}")
    print(f"all: {sum(o.ok for o in outcomes)}/{len(outcomes)}")


if __name__ == "__main__":
    sys.exit(main())
