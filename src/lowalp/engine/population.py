"""Is an evidence rule inside the population it was measured in?

A rule's ``population`` (:class:`~lowalp.knowledge.schema.RulePopulation`) names where its
likelihood ratio was measured: Tornero's ALP below 25 U/L in adults with a persistently low ALP,
off antiresorptives and not acutely ill. The rule is judged against the findings of the case:

- a requirement (age, sex, a ``when`` finding) must be known to hold; an unknown age or a
  ``when`` finding that is absent or unknown puts the rule outside;
- an exclusion (an ``unless`` finding) puts the rule outside only while it is present; while it
  is unknown the rule is applied, and the verdict says what was assumed.

The populations are read from the compiled program (:class:`~lowalp.engine.program.Rule`), the
one the screen evaluates. Outside its population a rule is shown as not applicable and weighs
nothing. A test that
presumes a rule's population (``withheld_by``) is not for now while an exclusion of that rule
is present: it is folded with the findings that defer it, as a test's own ``unless`` is.
"""

from __future__ import annotations

from dataclasses import dataclass

from lowalp.engine.likelihood import RuleWeights, rule_weights
from lowalp.engine.program import Rule, Scope, compile_program
from lowalp.engine.work import Work, outside_age_or_sex
from lowalp.knowledge.schema import Cause, TestEntry


@dataclass(frozen=True)
class PopulationVerdict:
    outside: str | None = None
    """Why the rule does not apply to this person; ``None`` when it does."""
    assumed: str = ""
    """What was assumed to apply it (an exclusion whose finding is unknown)."""


INSIDE = PopulationVerdict()


def rule_population(work: Work, rule: Rule) -> PopulationVerdict:
    """The rule against the case: outside (and why), or inside (and what was assumed)."""
    pop = rule.population
    if pop is None:
        return INSIDE
    outside = _requirement_missing(work, pop) or _excluded(work, rule.unless)
    if outside:
        return PopulationVerdict(outside=outside)
    unknown = [
        work.kb.findings[f].label for f in rule.unless if work.findings[f].state == "unknown"
    ]
    if not unknown:
        return INSIDE
    return PopulationVerdict(
        assumed="applied on the assumption that none of these is present (not known): "
        + "; ".join(unknown)
    )


def rules_in_population(work: Work, cause: Cause) -> dict[str, RuleWeights]:
    """The cause's rules that apply to this person (inside their population)."""
    rules = compile_program(work.kb).cause(cause.id).rules
    return {
        fid: rw
        for (fid, rw), rule in zip(rule_weights(work.kb, cause).items(), rules, strict=True)
        if rule.population is None or rule_population(work, rule).outside is None
    }


def withheld_by(work: Work, test: TestEntry) -> tuple[str, ...]:
    """The findings present that put this person outside the population of a rule the test
    presumes (knowledge ``withheld_by``): while any is present the test is not for now."""
    out: list[str] = []
    program = compile_program(work.kb)
    for ref in test.withheld_by:
        rule = next(r for r in program.cause(ref.cause).rules if r.finding == ref.finding)
        out += [f for f in rule.unless if work.findings[f].state == "present"]
    return tuple(dict.fromkeys(out))


def _requirement_missing(work: Work, pop: Scope) -> str | None:
    why = outside_age_or_sex(
        work.case.age_years,
        work.case.sex,
        pop.age_min,
        pop.age_max,
        pop.sex,
        "the rule was measured",
    )
    if why:
        return why
    for fid in pop.when:
        fs = work.findings[fid]
        if fs.state != "present":
            label = work.kb.findings[fid].label
            return (
                f"the rule was measured only with {label}, which is {fs.state} here ({fs.detail})"
            )
    return None


def _excluded(work: Work, unless: tuple[str, ...]) -> str | None:
    for fid in unless:
        fs = work.findings[fid]
        if fs.state == "present":
            label = work.kb.findings[fid].label
            return f"the rule was measured in people without {label}, which is present here ({fs.detail})"
    return None
