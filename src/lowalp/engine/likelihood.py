"""Likelihood ratios of each cause's evidence rules, with absent-finding ratios derived."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from lowalp.knowledge import Knowledge
from lowalp.knowledge.schema import Cause, EvidenceRule


@dataclass(frozen=True)
class RuleWeights:
    rule: EvidenceRule
    p_present: float
    """P(finding present | cause), used to simulate test outcomes."""
    w_present: float
    w_absent: float
    absent_derived: bool


def rule_weights(kb: Knowledge, cause: Cause) -> dict[str, RuleWeights]:
    key = f"weights:{cause.id}"
    if key not in kb.cache:
        out: dict[str, RuleWeights] = {}
        cap = kb.settings.max_probability_given_cause
        for rule in cause.evidence:
            base = kb.base_rate(rule.finding)
            p = min(cap, base * rule.lr_present)
            if rule.lr_absent is not None:
                lr_absent, derived = rule.lr_absent, False
            else:
                lr_absent, derived = (1 - p) / (1 - base), True
            out[rule.finding] = RuleWeights(
                rule, p, math.log(rule.lr_present), math.log(lr_absent), derived
            )
        kb.cache[key] = out
    weights: dict[str, RuleWeights] = kb.cache[key]
    return weights


def added(weights: Iterable[float]) -> float:
    """The weights added one after the other from 0, in order: the sum every evaluator of the
    score computes, so that the same weights give the same float on any Python version."""
    total = 0.0
    for w in weights:
        total += w
    return total
