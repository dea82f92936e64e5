"""``lowalp assess`` decides and scores from the compiled program, the one the screen evaluates
over whole tables: change a number in the program and the assessment follows it.

Each test compiles the program, replaces one definition (a threshold, a band, a rule's weight,
a prior, a ceiling) and assesses a case against a knowledge whose cached program is the changed
one; the knowledge files themselves are untouched, so the only way the result can change is
through the program.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from lowalp import assess
from lowalp.engine.program import LabNode, Program, compile_program
from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.model import Assessment, Case, LabResult, Patient


@pytest.fixture(scope="module")
def base() -> Knowledge:
    return load_knowledge()


def _with_program(kb: Knowledge, program: Program) -> Knowledge:
    fresh = dataclasses.replace(kb, cache={})
    fresh.cache["program"] = program
    return fresh


def _replace_node(program: Program, node: LabNode) -> Program:
    nodes = tuple(node if n.id == node.id else n for n in program.nodes)
    return dataclasses.replace(program, nodes=nodes, by_id={**program.by_id, node.id: node})


DAY = dt.date(2024, 5, 2)


def _case(*labs: tuple[str, float, str], age_born: str = "1970-01-01") -> Case:
    return Case(
        patient=Patient(sex="F", birth_date=dt.date.fromisoformat(age_born)),
        labs=(
            LabResult(analyte="alp", value=22, unit="U/L", date=DAY),
            *(LabResult(analyte=a, value=v, unit=u, date=DAY) for a, v, u in labs),
        ),
    )


def _evidence(a: Assessment, cause: str, finding: str) -> tuple[str, float]:
    c = next(c for c in a.causes if c.id == cause)
    e = next(e for e in c.evidence if e.finding == finding)
    return e.state, e.weight


def test_a_threshold_is_the_programs(base: Knowledge) -> None:
    case = _case(("b12", 300, "pg/mL"))  # 221 pmol/L: above the 148 pmol/L threshold
    before = assess(case, knowledge=base)
    assert _evidence(before, "b12_deficiency", "b12_low")[0] == "absent"
    program = compile_program(base)
    node = program.node("b12_low")
    assert isinstance(node, LabNode)
    assert node.limit is not None
    raised = dataclasses.replace(node, limit=node.limit * 2)  # 296 pmol/L
    after = assess(case, knowledge=_with_program(base, _replace_node(program, raised)))
    assert _evidence(after, "b12_deficiency", "b12_low")[0] == "present"


def test_a_band_limit_is_the_programs(base: Knowledge) -> None:
    program = compile_program(base)
    banded = next(
        n for n in program.nodes if isinstance(n, LabNode) and n.bands and n.analyte == "hemoglobin"
    )
    band = next(b for b in banded.bands if b.growth is None and b.age_min <= 54 < b.age_max)
    case = _case(("hemoglobin", band.limit + 0.5, "g/dL"))  # just above the band limit
    before = assess(case, knowledge=base)
    moved = dataclasses.replace(
        banded,
        bands=tuple(
            dataclasses.replace(b, limit=b.limit + 1) if b is band else b for b in banded.bands
        ),
    )
    after = assess(case, knowledge=_with_program(base, _replace_node(program, moved)))

    def decided(a: Assessment) -> set[str]:
        return {e.state for c in a.causes for e in c.evidence if e.finding == banded.id}

    assert decided(before) == {"absent"}
    assert decided(after) == {"present"}


def test_a_rule_weight_and_a_prior_are_the_programs(base: Knowledge) -> None:
    case = _case(("b12", 80, "pg/mL"))
    before = assess(case, knowledge=base)
    assert _evidence(before, "b12_deficiency", "b12_low")[0] == "present"
    program = compile_program(base)
    causes = []
    for c in program.causes:
        if c.id == "b12_deficiency":
            rules = tuple(
                dataclasses.replace(r, w_present=0.123) if r.finding == "b12_low" else r
                for r in c.rules
            )
            c = dataclasses.replace(c, rules=rules, adult=c.adult * 10)
        causes.append(c)
    changed = dataclasses.replace(
        program, causes=tuple(causes), cause_by_id={c.id: c for c in causes}
    )
    after = assess(case, knowledge=_with_program(base, changed))
    assert _evidence(after, "b12_deficiency", "b12_low") == ("present", 0.123)
    cause = next(c for c in after.causes if c.id == "b12_deficiency")
    old = next(c for c in before.causes if c.id == "b12_deficiency")
    assert cause.prior == pytest.approx(old.prior * 10)


def test_a_ceiling_is_the_programs(base: Knowledge) -> None:
    case = _case(("b12", 80, "pg/mL"))
    program = compile_program(base)
    top = assess(case, knowledge=base).causes[0]
    causes = tuple(
        dataclasses.replace(c, ceiling=0.05) if c.id == top.id else c for c in program.causes
    )
    changed = dataclasses.replace(program, causes=causes, cause_by_id={c.id: c for c in causes})
    after = assess(case, knowledge=_with_program(base, changed))
    held = next(c for c in after.causes if c.id == top.id)
    assert held.probability == pytest.approx(0.05)
    assert held.held_at_ceiling == pytest.approx(0.05)
    excess = next(c for c in after.causes if c.id == program.excess_to)
    assert excess.probability > 0.05


def test_the_age_assumed_when_unknown_is_the_programs(base: Knowledge) -> None:
    """With no age, reference intervals are chosen at ``settings.unknown_age``; a program that
    assumed an age no interval covers leaves a reference-range finding undecided."""
    case = Case(
        patient=Patient(sex="F"),
        labs=(
            LabResult(analyte="alp", value=22, unit="U/L", date=DAY),
            LabResult(analyte="tsh", value=9.0, unit="mIU/L", date=DAY),
        ),
    )
    before = assess(case, knowledge=base)
    program = compile_program(base)
    assert program.unknown_age_years == base.settings.unknown_age.years
    after = assess(
        case,
        knowledge=_with_program(base, dataclasses.replace(program, unknown_age_years=500.0)),
    )

    def tsh(a: Assessment) -> set[str]:
        return {e.state for c in a.causes for e in c.evidence if e.finding == "tsh_high"}

    assert tsh(before) == {"present"}
    assert tsh(after) == {"unknown"}
