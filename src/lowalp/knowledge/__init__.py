"""The knowledge base: causes, findings, analytes, intervals, tests, scores and sources.

Everything clinical lives in the data files beside this module; :func:`load_knowledge` reads
them, validates each against a closed schema and checks that every reference resolves.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from lowalp.errors import KnowledgeError, UnitError
from lowalp.intervals import Interval
from lowalp.knowledge.omop import OmopMap, parse_omop
from lowalp.knowledge.schema import (
    GROWTH_UNITS,
    Analyte,
    AnalytesFile,
    Cause,
    ClinicalFinding,
    EventFinding,
    EventsFile,
    EventType,
    EvidenceGroup,
    EvidenceGroupsFile,
    Finding,
    FindingsFile,
    LabFinding,
    MedicationFinding,
    Panel,
    PanelsFile,
    PatternFinding,
    QualitativeFile,
    RatioFinding,
    Score,
    Settings,
    SourceEntry,
    SourcesFile,
    TestEntry,
    TestsFile,
)
from lowalp.knowledge.text_schema import (
    AbbreviationsFile,
    ContextRulesFile,
    DrugNamesFile,
    EquivalentsFile,
    HpoFile,
    LabNamesFile,
    MatchingSettings,
    SectionsFile,
    TextKnowledge,
)
from lowalp.matching import tokens
from lowalp.units import factor

__all__ = ["Knowledge", "load_knowledge"]


@dataclass(frozen=True)
class Knowledge:
    settings: Settings
    sources: dict[str, SourceEntry]
    analytes: dict[str, Analyte]
    unit_synonyms: dict[str, str]
    loinc_index: dict[str, str]
    intervals: tuple[Interval, ...]
    findings: dict[str, Finding]
    events: dict[str, EventType]
    tests: dict[str, TestEntry]
    causes: dict[str, Cause]
    scores: tuple[Score, ...]
    text: TextKnowledge = field(default_factory=TextKnowledge)
    """How free text is read: ConText rules, abbreviations, equivalent words, HPO synonyms."""
    panels: dict[str, Panel] = field(default_factory=dict)
    """Panels as notes name them (panels.yaml), by id."""
    qualitative: QualitativeFile | None = None
    """How results and flags are written in words (qualitative.yaml)."""
    thresholds: dict[str, float] = field(default_factory=dict)
    """Lab and ratio finding thresholds converted to canonical units, by finding id."""
    groups: dict[str, EvidenceGroup] = field(default_factory=dict)
    """Findings that count once together (evidence_groups.yaml), by id."""
    group_of: dict[str, str] = field(default_factory=dict)
    """The group each grouped finding belongs to, by finding id."""
    finding_files: dict[str, str] = field(default_factory=dict)
    """The file under the knowledge folder that defines each finding, by finding id."""
    omop_map: OmopMap | None = None
    """The OMOP CDM concept ids (omop.yaml): read through :attr:`omop`."""
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """Indexes derived from the knowledge (phrase matchers …), built on first use."""

    @property
    def omop(self) -> OmopMap:
        """The one table of OMOP concept ids (omop.yaml) the screen, the synthetic data and
        the cohort export all read."""
        if self.omop_map is None:
            raise KnowledgeError("omop.yaml", "this knowledge was built without its OMOP map")
        return self.omop_map

    @property
    def version(self) -> str:
        return self.settings.version

    def base_rate(self, finding_id: str) -> float:
        f = self.findings[finding_id]
        return f.base_rate if f.base_rate is not None else self.settings.default_base_rate

    def tests_for_finding(self, finding_id: str) -> list[str]:
        """Tests whose result decides this finding (directly or through its analytes)."""
        if "tests_by_finding" not in self.cache:
            self.cache["tests_by_finding"] = {fid: self._tests_for(fid) for fid in self.findings}
        found: list[str] = self.cache["tests_by_finding"][finding_id]
        return found

    def _tests_for(self, finding_id: str) -> list[str]:
        f = self.findings[finding_id]
        analytes: set[str] = set()
        if isinstance(f, LabFinding):
            analytes.add(f.analyte)
        elif isinstance(f, RatioFinding):
            analytes.update((f.numerator, f.denominator))
        return [
            t.id
            for t in self.tests.values()
            if finding_id in t.findings or analytes & set(t.analytes) or f.kind in t.kinds
        ]


def load_knowledge(path: str | Path | None = None) -> Knowledge:
    """Load the bundled knowledge (cached), or the knowledge folder at ``path``."""
    if path is None:
        return _bundled()
    return _load(Path(path))


@functools.cache
def _bundled() -> Knowledge:
    from lowalp.knowledge import snapshot

    root = resources.files("lowalp.knowledge")
    return snapshot.load_or_build(root, lambda: _load(root))


def _load(root: Traversable | Path) -> Knowledge:
    from lowalp.knowledge import loader  # YAML is read only here: a snapshot needs none

    settings = loader.load_yaml_file(root, "settings.yaml", Settings)
    sources = loader.unique(
        (s for _, f in loader.load_yaml_dir(root, "sources", SourcesFile) for s in f.sources),
        lambda s: s.id,
        "sources/",
        "source",
    )
    an = loader.load_yaml_file(root, "analytes.yaml", AnalytesFile)
    analytes = loader.unique(an.analytes, lambda a: a.id, "analytes.yaml", "analyte")
    ev = loader.load_yaml_file(root, "events.yaml", EventsFile)
    events = loader.unique(ev.events, lambda e: e.id, "events.yaml", "event")
    tests = loader.unique(
        (t for _, f in loader.load_yaml_dir(root, "next_tests", TestsFile) for t in f.tests),
        lambda t: t.id,
        "next_tests/",
        "test",
    )

    findings: dict[str, Finding] = {}
    finding_files: dict[str, str] = {}
    for name, ff in loader.load_yaml_dir(root, "findings", FindingsFile):
        for f in ff.findings:
            if f.id in findings:
                raise KnowledgeError(
                    name, f"finding id {f.id!r} is also defined in {finding_files[f.id]}"
                )
            findings[f.id] = f
            finding_files[f.id] = name

    causes: dict[str, Cause] = {}
    for name, cause in loader.load_yaml_dir(root, "causes", Cause):
        if name != f"causes/{cause.id}.yaml":
            raise KnowledgeError(name, f"id {cause.id!r} must match the file name")
        causes[cause.id] = cause
    scores = tuple(s for _, s in loader.load_yaml_dir(root, "scores", Score))

    panels = loader.unique(
        loader.load_yaml_file(root, "panels.yaml", PanelsFile).panels,
        lambda p: p.id,
        "panels.yaml",
        "panel",
    )
    qualitative = loader.load_yaml_file(root, "qualitative.yaml", QualitativeFile)
    groups = loader.unique(
        loader.load_yaml_file(root, "evidence_groups.yaml", EvidenceGroupsFile).groups,
        lambda g: g.id,
        "evidence_groups.yaml",
        "group",
    )
    group_of = _index_once(
        ((fid, g.id) for g in groups.values() for fid in g.findings),
        lambda fid, first, second: KnowledgeError(
            "evidence_groups.yaml", f"{second}: finding {fid!r} is already in group {first!r}"
        ),
    )
    intervals = _intervals(loader.read_csv(root, "alp_intervals.csv"), sources)
    loinc_index = _index_once(
        ((code, a.id) for a in analytes.values() for code in a.loinc),
        lambda code, first, second: KnowledgeError(
            "analytes.yaml", f"LOINC {code} is given for both {first} and {second}"
        ),
    )

    kb = Knowledge(
        settings=settings,
        sources=sources,
        analytes=analytes,
        unit_synonyms=dict(an.unit_synonyms),
        loinc_index=loinc_index,
        intervals=intervals,
        findings=findings,
        events=events,
        tests=tests,
        causes=causes,
        scores=scores,
        text=_text(root),
        panels=panels,
        qualitative=qualitative,
        groups=groups,
        group_of=group_of,
        finding_files=finding_files,
        omop_map=parse_omop(
            root.joinpath("omop.yaml").read_text(encoding="utf-8"), "omop.yaml", analytes, sources
        ),
    )
    _check_references(kb, finding_files)
    return kb


def _index_once(
    pairs: Iterable[tuple[str, str]], clash: Callable[[str, str, str], KnowledgeError]
) -> dict[str, str]:
    """A key → owner index in which no key has two owners (``clash(key, first, second)``)."""
    out: dict[str, str] = {}
    for key, owner in pairs:
        if key in out:
            raise clash(key, out[key], owner)
        out[key] = owner
    return out


def _text(root: Traversable | Path) -> TextKnowledge:
    from lowalp.knowledge import loader

    rules = loader.load_yaml_file(root, "text/context_rules.yaml", ContextRulesFile)
    abbreviations = loader.load_yaml_file(root, "text/abbreviations.yaml", AbbreviationsFile)
    equivalents = loader.load_yaml_file(root, "text/equivalents.yaml", EquivalentsFile)
    hpo = loader.load_yaml_file(root, "text/hpo.yaml", HpoFile)
    matching = loader.load_yaml_file(root, "text/matching.yaml", MatchingSettings)
    drug_names = loader.load_yaml_file(root, "text/drug_names.yaml", DrugNamesFile)
    lab_names = loader.load_yaml_file(root, "text/lab_names.yaml", LabNamesFile)
    sections = loader.load_yaml_file(root, "text/sections.yaml", SectionsFile)
    return TextKnowledge(
        rules=tuple(rules.rules),
        rule_sources=tuple(rules.sources),
        abbreviations=tuple(abbreviations.abbreviations),
        equivalents=tuple(tuple(g) for g in equivalents.groups),
        hpo={t.id: t for t in hpo.terms},
        hpo_release=hpo.release,
        hpo_source=hpo.source,
        matching=matching,
        drug_names={k: tuple(v) for k, v in drug_names.medicines.items()},
        drug_names_source=drug_names.source,
        lab_names=dict(lab_names.names),
        sections=tuple(sections.sections),
        section_sources=tuple(sections.sources),
    )


def _intervals(rows: list[dict[str, str]], sources: dict[str, SourceEntry]) -> tuple[Interval, ...]:
    out = []
    need = {"id", "sex", "age_min_years", "age_max_years", "lower", "upper", "unit", "source"}
    for i, row in enumerate(rows, start=2):
        where = f"alp_intervals.csv row {i}"
        missing = need - set(row)
        if missing:
            raise KnowledgeError(
                "alp_intervals.csv", f"missing columns: {', '.join(sorted(missing))}"
            )
        try:
            sex = row["sex"].strip()
            iv = Interval(
                id=row["id"].strip(),
                sex=None if sex in ("", "both", "any") else sex,  # type: ignore[arg-type]
                age_min=float(row["age_min_years"]),
                age_max=float(row["age_max_years"]),
                lower=float(row["lower"]),
                upper=float(row["upper"]),
                unit=row["unit"].strip(),
                source=row["source"].strip(),
                note=(row.get("note") or "").strip(),
            )
        except ValueError as exc:
            raise KnowledgeError("alp_intervals.csv", f"{where}: {exc}") from None
        if iv.sex not in (None, "F", "M"):
            raise KnowledgeError("alp_intervals.csv", f"{where}: sex must be F, M or both")
        if iv.source not in sources:
            raise KnowledgeError("alp_intervals.csv", f"{where}: unknown source {iv.source!r}")
        if not (iv.age_min < iv.age_max and iv.lower < iv.upper):
            raise KnowledgeError("alp_intervals.csv", f"{where}: ages or limits out of order")
        if iv.unit != "U/L":
            raise KnowledgeError("alp_intervals.csv", f"{where}: limits must be in U/L")
        out.append(iv)
    return tuple(out)


def _check_references(kb: Knowledge, finding_files: dict[str, str]) -> None:
    problems: dict[str, list[str]] = {}

    def bad(file: str, msg: str) -> None:
        problems.setdefault(file, []).append(msg)

    def need_source(file: str, where: str, sid: str | None) -> None:
        if sid is not None and sid not in kb.sources:
            bad(file, f"{where}: unknown source {sid!r}")

    need_source("settings.yaml", "persistence.source", kb.settings.persistence.source)
    need_source("settings.yaml", "concurrent_window.source", kb.settings.concurrent_window.source)
    need_source("settings.yaml", "base_rate.source", kb.settings.base_rate.source)
    ceilings = kb.settings.link_ceilings
    need_source("settings.yaml", "link_ceilings.source", ceilings.source)
    if ceilings.excess_to not in kb.causes:
        bad("settings.yaml", f"link_ceilings.excess_to: unknown cause {ceilings.excess_to!r}")
    screen = kb.settings.screen
    if screen.priority_cause not in kb.causes:
        bad("settings.yaml", f"screen.priority_cause: unknown cause {screen.priority_cause!r}")
    for shown in screen.worklist_analytes:
        if shown not in kb.analytes:
            bad("settings.yaml", f"screen.worklist_analytes: unknown analyte {shown!r}")
    for cause in kb.causes.values():
        where = f"causes/{cause.id}.yaml"
        if cause.link is None:
            if cause.id != ceilings.excess_to:
                bad(where, "link: every cause states how its link to a low ALP is known")
            continue
        need_source(where, "link.source", cause.link.source)
        if cause.link.grade not in ceilings.ceilings:
            bad("settings.yaml", f"link_ceilings.ceilings: no ceiling for {cause.link.grade!r}")
    for g in kb.groups.values():
        need_source("evidence_groups.yaml", f"{g.id}.source", g.source)
        for fid in g.findings:
            if fid not in kb.findings:
                bad("evidence_groups.yaml", f"{g.id}.findings: unknown finding {fid!r}")
    for a in kb.analytes.values():
        for j, r in enumerate(a.reference):
            need_source("analytes.yaml", f"{a.id}.reference.{j}", r.source)
            if r.source in kb.sources and not kb.sources[r.source].short:
                bad(
                    "analytes.yaml",
                    f"{a.id}.reference.{j}: source {r.source!r} has no 'short' name (a report"
                    " names the range by it)",
                )
        for s in a.factor_sources:
            need_source("analytes.yaml", f"{a.id}.factor_sources", s)
    for a in kb.analytes.values():
        seen_units = {u.casefold() for u in a.units}
        for h in a.historical_units:
            need_source("analytes.yaml", f"{a.id}.historical_units", h.source)
            for spelling in h.spellings:
                spelled = " ".join(spelling.split()).casefold()
                if spelled in seen_units:
                    bad("analytes.yaml", f"{a.id}.historical_units: {spelling!r} is listed twice")
                seen_units.add(spelled)
    _check_lab_reading(kb, bad, need_source)
    for syn, target in kb.unit_synonyms.items():
        if not any(target in a.units for a in kb.analytes.values()):
            bad("analytes.yaml", f"unit_synonyms.{syn}: {target!r} is not a unit of any analyte")

    for fid, f in kb.findings.items():
        file = finding_files[fid]
        if f.base_rate_provenance is not None:
            need_source(file, f"{fid}.base_rate_provenance", f.base_rate_provenance.source)
        for i, gate in enumerate(f.uninformative_when):
            where = f"{fid}.uninformative_when.{i}"
            need_source(file, where, gate.source)
            if gate.finding not in kb.findings:
                bad(file, f"{where}.finding: unknown finding {gate.finding!r}")
        applies = getattr(f, "applies", None)
        if applies is not None and applies.when is not None and applies.when not in kb.findings:
            bad(file, f"{fid}.applies.when: unknown finding {applies.when!r}")
        if isinstance(f, LabFinding):
            lab_analyte = kb.analytes.get(f.analyte)
            if lab_analyte is None:
                bad(file, f"{fid}.analyte: unknown analyte {f.analyte!r}")
                continue
            if f.threshold is not None:
                need_source(file, f"{fid}.threshold", f.threshold.source)
            if f.value is not None and f.unit is not None:
                try:
                    kb.thresholds[fid] = f.value * factor(lab_analyte, f.unit, kb.unit_synonyms)
                except UnitError as exc:
                    bad(file, f"{fid}.unit: {exc}")
            for i, band in enumerate(f.bands):
                need_source(file, f"{fid}.bands.{i}", band.source)
                unit = GROWTH_UNITS[band.growth] if band.growth is not None else band.unit
                try:
                    factor(lab_analyte, unit, kb.unit_synonyms)
                except UnitError as exc:
                    bad(file, f"{fid}.bands.{i}.unit: {exc}")
        elif isinstance(f, RatioFinding):
            need_source(file, f"{fid}.threshold", f.threshold.source)
            for an_id, unit in (
                (f.numerator, f.numerator_unit),
                (f.denominator, f.denominator_unit),
            ):
                part = kb.analytes.get(an_id)
                if part is None:
                    bad(file, f"{fid}: unknown analyte {an_id!r}")
                elif unit not in part.units:
                    bad(file, f"{fid}: unit {unit!r} is not accepted for {an_id}")
        elif isinstance(f, EventFinding):
            need_source(file, f"{fid}.window", f.window.source)
            for e in f.events:
                if e not in kb.events:
                    bad(file, f"{fid}.events: unknown event {e!r}")
        elif isinstance(f, PatternFinding):
            for piece in (*f.all_of, *f.any_of):
                if piece not in kb.findings:
                    bad(file, f"{fid}: unknown finding {piece!r} in the pattern")

    for fid, f in kb.findings.items():
        if isinstance(f, ClinicalFinding):
            for hp in f.hpo:
                if hp not in kb.text.hpo:
                    bad(
                        finding_files[fid],
                        f"{fid}.hpo: {hp} is not in text/hpo.yaml (regenerate it with scripts/hpo_synonyms.py)",
                    )
        if isinstance(f, MedicationFinding) and f.after_stopping is not None:
            need_source(
                finding_files[fid], f"{fid}.after_stopping", f.after_stopping.provenance.source
            )
    for sid in kb.text.rule_sources:
        need_source("text/context_rules.yaml", "sources", sid)
    for sid in kb.text.section_sources:
        need_source("text/sections.yaml", "sources", sid)
    need_source("text/hpo.yaml", "source", kb.text.hpo_source or None)
    need_source("text/drug_names.yaml", "source", kb.text.drug_names_source or None)
    for aid in kb.text.lab_names:
        if aid not in kb.analytes:
            bad("text/lab_names.yaml", f"{aid}: not an analyte")
    for fid in kb.text.drug_names:
        if not isinstance(kb.findings.get(fid), MedicationFinding):
            bad("text/drug_names.yaml", f"{fid}: not a medication finding")
    cycle = _reference_cycle(kb)
    if cycle:
        bad(
            finding_files[cycle[0]],
            "findings refer to each other in a circle: " + " -> ".join(cycle),
        )

    phrase_owner: dict[tuple[str, str], str] = {}
    for fid, f in kb.findings.items():
        if isinstance(f, ClinicalFinding | MedicationFinding):
            kind = f.kind
            for phrase in f.synonyms if isinstance(f, ClinicalFinding) else f.drugs:
                key = (kind, " ".join(tokens(phrase)))
                other = phrase_owner.setdefault(key, fid)
                if other != fid:
                    bad(finding_files[fid], f"{fid}: phrase {phrase!r} also belongs to {other}")
    for t in kb.tests.values():
        for a_id in t.analytes:
            if a_id not in kb.analytes:
                bad("next_tests/", f"{t.id}.analytes: unknown analyte {a_id!r}")
        for f_id in t.findings:
            if f_id not in kb.findings:
                bad("next_tests/", f"{t.id}.findings: unknown finding {f_id!r}")
        for ref in t.withheld_by:
            owner = kb.causes.get(ref.cause)
            rule = (
                next((r for r in owner.evidence if r.finding == ref.finding), None)
                if owner
                else None
            )
            if rule is None or rule.population is None or not rule.population.unless:
                bad(
                    "next_tests/",
                    f"{t.id}.withheld_by: {ref.cause}/{ref.finding} is not an evidence rule "
                    "with a population that has `unless` findings",
                )
        for field_name, ids in (("urgent_when", t.urgent_when), ("unless", t.unless)):
            for f_id in ids:
                if f_id not in kb.findings:
                    bad("next_tests/", f"{t.id}.{field_name}: unknown finding {f_id!r}")

    for c in kb.causes.values():
        file = f"causes/{c.id}.yaml"
        need_source(file, "prior", c.prior.source)
        for sid in c.sources:
            need_source(file, "sources", sid)
        for i, rule in enumerate(c.evidence):
            if rule.finding not in kb.findings:
                bad(file, f"evidence.{i}.finding: unknown finding {rule.finding!r}")
            need_source(file, f"evidence.{i}", rule.source)
        for i, rule in enumerate(c.evidence):
            if rule.population is None:
                continue
            need_source(file, f"evidence.{i}.population", rule.population.source)
            for cond, ids in (("when", rule.population.when), ("unless", rule.population.unless)):
                for f_id in ids:
                    if f_id not in kb.findings:
                        bad(file, f"evidence.{i}.population.{cond}: unknown finding {f_id!r}")
        for t_id in c.next_tests:
            if t_id not in kb.tests:
                bad(file, f"next_tests: unknown test {t_id!r}")
        for i, m in enumerate(c.management):
            for field_name, ids in (
                ("urgent_when", m.urgent_when),
                ("when", m.when),
                ("unless", m.unless),
            ):
                for f_id in ids:
                    if f_id not in kb.findings:
                        bad(file, f"management.{i}.{field_name}: unknown finding {f_id!r}")
            for sid in m.sources:
                need_source(file, f"management.{i}.sources", sid)
                if sid not in c.sources:
                    bad(file, f"management.{i}.sources: {sid!r} is not in the cause's sources")
        if c.artifact and c.artifact.finding not in kb.findings:
            bad(file, f"artifact.finding: unknown finding {c.artifact.finding!r}")
    for sc in kb.scores:
        file = f"scores/{sc.id}.yaml"
        need_source(file, "source", sc.source)
        if sc.cause not in kb.causes:
            bad(file, f"cause: unknown cause {sc.cause!r}")
        for i, na in enumerate(sc.not_applicable_when):
            need_source(file, f"not_applicable_when.{i}", na.source)
            if na.finding not in kb.findings:
                bad(file, f"not_applicable_when.{i}.finding: unknown finding {na.finding!r}")
        for it in sc.items:
            if it.finding is not None and it.finding not in kb.findings:
                bad(file, f"items.{it.id}.finding: unknown finding {it.finding!r}")
            if it.analyte is not None:
                item_analyte = kb.analytes.get(it.analyte)
                if item_analyte is None:
                    bad(file, f"items.{it.id}.analyte: unknown analyte {it.analyte!r}")
                elif it.unit not in item_analyte.units:
                    bad(file, f"items.{it.id}.unit: {it.unit!r} is not accepted for {it.analyte}")
    if problems:
        file, msgs = next(iter(problems.items()))
        extra = [f"{f}: {m}" for f, ms in list(problems.items())[1:] for m in ms]
        raise KnowledgeError(file, msgs + extra)


def _reference_cycle(kb: Knowledge) -> list[str]:
    """A chain of findings that leads back to its start through pattern parts and gates, if any.

    Such a chain could never be evaluated, so the loader refuses it.
    """

    def refs(fid: str) -> list[str]:
        f = kb.findings[fid]
        out = [g.finding for g in f.uninformative_when]
        applies = getattr(f, "applies", None)
        if applies is not None and applies.when is not None:
            out.append(applies.when)
        if isinstance(f, PatternFinding):
            out += [*f.all_of, *f.any_of]
        return [r for r in out if r in kb.findings]

    done: set[str] = set()
    for start in kb.findings:
        if start in done:
            continue
        path: list[str] = []
        on_path: set[str] = set()
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            fid, i = stack.pop()
            if i == 0:
                path.append(fid)
                on_path.add(fid)
            nexts = refs(fid)
            if i < len(nexts):
                stack.append((fid, i + 1))
                nxt = nexts[i]
                if nxt in on_path:
                    return [*path[path.index(nxt) :], nxt]
                if nxt not in done:
                    stack.append((nxt, 0))
            else:
                path.pop()
                on_path.discard(fid)
                done.add(fid)
    return []


def _check_lab_reading(
    kb: Knowledge,
    bad: Callable[[str, str], None],
    need_source: Callable[[str, str, str | None], None],
) -> None:
    """panels.yaml and qualitative.yaml: analytes and sources exist, names and words are unique."""
    names: dict[str, str] = {}
    for p in kb.panels.values():
        for sid in p.sources:
            need_source("panels.yaml", f"{p.id}.sources", sid)
        for a_id in p.analytes:
            if a_id == "alp":
                bad(
                    "panels.yaml",
                    f"{p.id}.analytes: alp is never read from a panel (it is the result being explained)",
                )
            elif a_id not in kb.analytes:
                bad("panels.yaml", f"{p.id}.analytes: unknown analyte {a_id!r}")
        for name in p.names:
            key = panel_key(name)
            other = names.setdefault(key, p.id)
            if other != p.id:
                bad("panels.yaml", f"{p.id}: name {name!r} also belongs to {other}")
    q = kb.qualitative
    if q is None:
        return
    need_source("qualitative.yaml", "source", q.source)
    for meaning, note in q.meanings.items():
        need_source("qualitative.yaml", f"meanings.{meaning}", note.source)
    codes: set[str] = set()
    for f in q.flags:
        code = f.code.upper()
        if code in codes:
            bad("qualitative.yaml", f"flags: code {f.code!r} is listed twice")
        codes.add(code)
    words: dict[str, str] = {}
    for group in q.words:
        for w in group.words:
            key = " ".join(w.casefold().split())
            other = words.setdefault(key, group.meaning)
            if other != group.meaning:
                bad("qualitative.yaml", f"words: {w!r} is both {other} and {group.meaning}")


def panel_key(name: str) -> str:
    """How a panel name is compared: case, spaces and a final plural "s" do not count.

    >>> panel_key(" LFTs "), panel_key("U&Es"), panel_key("Full  Blood Count")
    ('lft', 'u&e', 'full blood count')
    """
    text = " ".join(name.casefold().replace("’", "'").split()).strip(" .,:;")
    if len(text) > 2 and text.endswith("s") and not text.endswith("ss"):
        text = text[:-1]
    return text
