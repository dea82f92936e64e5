"""Rank the tests that would settle unknown findings by expected information gain.

For each test, the findings it decides are simulated as present or absent with
P(present | cause) from the knowledge (independent given the cause, as in the scoring), and the
expected fall in the entropy of the cause distribution is computed. Cost and invasiveness are
shown beside the gain, not mixed into it. A test the knowledge marks urgent for a finding
present in the case (``urgent_when``) comes before the rest; gain orders within each group.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

from lowalp.engine.likelihood import rule_weights
from lowalp.engine.population import rules_in_population, withheld
from lowalp.engine.work import FindingState, Work
from lowalp.knowledge.schema import PatternFinding
from lowalp.model import NextTest

MAX_FINDINGS_PER_TEST = 4
MIN_GAIN = 1e-4
NEGLIGIBLE = 1e-4
"""Causes below this probability are left out of the simulation (their share is renormalised)."""


def _entropy(p: list[float]) -> float:
    return -sum(x * math.log2(x) for x in p if x > 0)


def next_tests(work: Work) -> Work:
    kb = work.kb
    kept = [c for c in work.causes if c.probability >= NEGLIGIBLE] or list(work.causes[:1])
    causes = [kb.causes[c.id] for c in kept]
    mass = sum(c.probability for c in kept)
    probs = [c.probability / mass for c in kept]
    h0 = _entropy(probs)

    # P(present | cause) for every finding a cause uses; the base rate elsewhere.
    used: set[str] = set()
    p_given: dict[str, list[float]] = {}
    for j, cause in enumerate(causes):
        for fid, rw in rules_in_population(work, cause).items():
            used.add(fid)
            p_given.setdefault(fid, [kb.base_rate(fid)] * len(causes))[j] = rw.p_present
    unknown = {f for f in used if _open(work.findings[f])}

    # which unknown findings each test decides (a pattern through its parts)
    decides: dict[str, set[str]] = {}
    for fid in unknown:
        finding = kb.findings[fid]
        parts = [fid]
        if isinstance(finding, PatternFinding):
            # only the parts still unknown can be settled by a test
            parts += [
                p
                for p in (*finding.all_of, *finding.any_of)
                if work.findings[p].state == "unknown" and not work.findings[p].set_aside
            ]
        for part in parts:
            for tid in kb.tests_for_finding(part):
                decides.setdefault(tid, set()).add(fid)

    results = []
    for tid, fids in decides.items():
        test = kb.tests[tid]
        if withheld(work, test):
            continue  # it presumes a population this person is outside (knowledge `withheld_by`)
        chosen = sorted(fids, key=lambda f: -_spread(p_given[f]))[:MAX_FINDINGS_PER_TEST]
        gain = h0 - _expected_entropy(probs, [p_given[f] for f in chosen])
        if gain < MIN_GAIN:
            continue
        rank = {c.id: i for i, c in enumerate(work.causes)}
        bearing = sorted(
            {c.id for c in kb.causes.values() for f in chosen if f in rule_weights(kb, c)},
            key=rank.__getitem__,
        )
        labels = [kb.findings[f].label for f in chosen]
        why = "would settle: " + "; ".join(labels[:4]) + ("…" if len(labels) > 4 else "")
        if bearing:
            why += " — bears on " + ", ".join(kb.causes[c].name for c in bearing[:4])
        results.append(
            NextTest(
                test=tid,
                name=test.name,
                why=why,
                expected_information_gain=round(gain, 4),
                relative_cost=test.relative_cost,
                invasiveness=test.invasiveness,
                causes=tuple(bearing),
                preparation=test.preparation,
                urgent=any(work.findings[f].state == "present" for f in test.urgent_when),
            )
        )
    results.sort(
        key=lambda t: (not t.urgent, -t.expected_information_gain, t.relative_cost, t.test)
    )
    return replace(work, next_tests=tuple(results))


def _open(fs: FindingState) -> bool:
    """Unknown, and a test could settle it (it applies and no gate has set a result aside)."""
    return fs.state == "unknown" and fs.applicable and not fs.set_aside


def _spread(p: list[float]) -> float:
    return max(p) - min(p)


def _expected_entropy(prior: list[float], p_findings: list[list[float]]) -> float:
    """Expected entropy of the cause distribution after the findings are observed."""
    total = 0.0
    for outcome in itertools.product((True, False), repeat=len(p_findings)):
        joint = prior
        for present, pf in zip(outcome, p_findings, strict=True):
            if present:
                joint = [a * b for a, b in zip(joint, pf, strict=True)]
            else:
                joint = [a * (1.0 - b) for a, b in zip(joint, pf, strict=True)]
        p_o = sum(joint)
        if p_o <= 0:
            continue
        # p_o * H(joint / p_o) = p_o * log2(p_o) - sum(x * log2(x))
        total += p_o * math.log2(p_o) - sum(x * math.log2(x) for x in joint if x > 0)
    return total
