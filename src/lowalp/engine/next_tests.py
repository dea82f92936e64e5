"""Rank the tests that would settle unknown findings by expected information gain.

For each test, the findings it decides are simulated as present or absent with
P(present | cause) from the knowledge (independent given the cause, as in the scoring), and the
expected fall in the entropy of the cause distribution is computed. Cost and invasiveness are
shown beside the gain, not mixed into it. A test the knowledge marks urgent for a finding
present in the case (``urgent_when``) comes before the rest; gain orders within each group. A
test whose ``unless`` finding is present (a hypophosphatasia work-up during acute illness) is
deferred: listed last, with the findings that defer it.

Only the few that matter are shown (``settings.next_tests``): every urgent test, then the most
informative others from ``min_gain_bits`` up to ``shown`` in all. The rest stay in the list,
marked ``folded``, so that a test with next to no information never leads. A test whose
findings are all known is never listed. A fresh sample (``resample``) is listed only while it is
urgent, and then even when its findings are known: its results are measured anew.
"""

from __future__ import annotations

import math
from dataclasses import replace

from lowalp.engine import concurrent
from lowalp.engine.likelihood import rule_weights
from lowalp.engine.population import rules_in_population, withheld_by
from lowalp.engine.work import FindingState, Work
from lowalp.knowledge import Knowledge
from lowalp.knowledge.schema import Finding, LabFinding, PatternFinding, RatioFinding, TestEntry
from lowalp.model import NextTest

MAX_FINDINGS_PER_TEST = 4
MIN_GAIN = 1e-4
NEGLIGIBLE = 1e-4
DEFERRED = "; not for now, while: "
"""Joins a deferred test's reason to its ``why``, before the labels of the findings that defer it."""
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

    # which unknown findings each test decides (a pattern through its parts); a result in hand
    # that could not settle its finding (no interval for the age, a verdict without a number)
    # is not a reason to order the same test again
    window = concurrent.window_days(kb)
    measured = {
        m.analyte
        for m in work.case.measurements
        if m.unusable is None and concurrent.within(m.t, window)
    }
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
                if not _measured_already(kb.tests[tid], kb.findings[part], measured):
                    decides.setdefault(tid, set()).add(fid)

    rank = {c.id: i for i, c in enumerate(work.causes)}
    causes_using = _causes_using(kb)
    results = []
    for tid, test in kb.tests.items():
        urgent = bool(test.urgent_when) and any(_present(work, f) for f in test.urgent_when)
        fids = decides.get(tid, set())
        if test.resample and not urgent:
            continue  # a recollection is for a sample in doubt, not a way to learn more
        if not fids and not test.resample:
            continue  # every finding it decides is known: its answer is known already
        # ties by id: the same choice whatever order the set iterates in
        chosen = sorted(fids, key=lambda f: (-_spread(p_given[f]), f))[:MAX_FINDINGS_PER_TEST]
        gain = h0 - _expected_entropy(probs, [p_given[f] for f in chosen]) if chosen else 0.0
        if gain < MIN_GAIN and not urgent:
            continue
        bearing = sorted(
            {cid for f in chosen for cid in causes_using[f]},
            key=rank.__getitem__,
        )
        labels = [kb.findings[f].label for f in chosen]
        if labels:
            why = "would settle: " + "; ".join(labels[:4]) + ("…" if len(labels) > 4 else "")
        else:
            why = "a fresh, correctly collected sample: whether the results stand"
        if bearing:
            why += " — bears on " + ", ".join(kb.causes[c].name for c in bearing[:4])
        # Not for now (folded, with the reason): a finding that defers the test is present, or
        # one that puts the person outside the population of a rule the test presumes.
        deferred = tuple(
            dict.fromkeys(
                (*(f for f in test.unless if _present(work, f)), *withheld_by(work, test))
            )
        )
        if deferred:
            why += DEFERRED + "; ".join(kb.findings[f].label for f in deferred)
        results.append(  # built without re-validation: the fields are validated already
            NextTest.model_construct(
                test=tid,
                name=test.name,
                why=why,
                expected_information_gain=round(max(gain, 0.0), 4),
                relative_cost=test.relative_cost,
                invasiveness=test.invasiveness,
                causes=tuple(bearing),
                preparation=test.preparation,
                plain=test.plain,
                urgent=urgent,
                deferred_by=deferred,
            )
        )
    results.sort(
        key=lambda t: (
            bool(t.deferred_by),
            not t.urgent,
            -t.expected_information_gain,
            t.relative_cost,
            t.test,
        )
    )
    results = _fold(results, kb.settings.next_tests.shown, kb.settings.next_tests.min_gain_bits)
    return replace(work, next_tests=tuple(results))


def _causes_using(kb: Knowledge) -> dict[str, frozenset[str]]:
    """The causes with an evidence rule on each finding, by finding id (once per knowledge)."""
    key = "next_tests:causes_using"
    if key not in kb.cache:
        out: dict[str, set[str]] = {fid: set() for fid in kb.findings}
        for c in kb.causes.values():
            for fid in rule_weights(kb, c):
                out.setdefault(fid, set()).add(c.id)
        kb.cache[key] = {fid: frozenset(ids) for fid, ids in out.items()}
    found: dict[str, frozenset[str]] = kb.cache[key]
    return found


def _fold(tests: list[NextTest], cap: int, min_gain: float) -> list[NextTest]:
    """Mark the tests a report folds away, shown ones first: every urgent test is shown, then
    the others from ``min_gain`` bits up to ``cap`` in all; a deferred test is always folded."""
    shown: list[NextTest] = []
    folded: list[NextTest] = []
    for t in tests:
        if not t.deferred_by and (
            t.urgent or (t.expected_information_gain >= min_gain and len(shown) < cap)
        ):
            shown.append(t)
        else:
            folded.append(t.model_copy(update={"folded": True}))
    return shown + folded


def _measured_already(test: TestEntry, finding: Finding, measured: set[str]) -> bool:
    """The test would decide ``finding`` only through analytes measured with the index ALP."""
    if finding.id in test.findings or finding.kind in test.kinds:
        return False
    if isinstance(finding, LabFinding):
        analytes = {finding.analyte}
    elif isinstance(finding, RatioFinding):
        analytes = {finding.numerator, finding.denominator}
    else:
        return False
    through = analytes & set(test.analytes)
    return bool(through) and through <= measured


def _present(work: Work, fid: str) -> bool:
    fs = work.findings.get(fid)
    return fs is not None and fs.state == "present"


def _open(fs: FindingState) -> bool:
    """Unknown, and a test could settle it (it applies and no gate has set a result aside)."""
    return fs.state == "unknown" and fs.applicable and not fs.set_aside


def _spread(p: list[float]) -> float:
    return max(p) - min(p)


def _expected_entropy(prior: list[float], p_findings: list[list[float]]) -> float:
    """Expected entropy of the cause distribution after the findings are observed.

    The outcomes are visited in the order of ``itertools.product((True, False), ...)`` (each
    finding present before absent), and each outcome's joint is the prior times each finding's
    P(outcome | cause) in turn: outcomes that share their first findings share those products,
    which are computed once."""
    log2 = math.log2
    absent = [[1.0 - b for b in pf] for pf in p_findings]
    last = len(p_findings)
    total = 0.0

    def visit(joint: list[float], k: int) -> None:
        nonlocal total
        if k == last:
            p_o = sum(joint)
            if p_o <= 0:
                return
            # p_o * H(joint / p_o) = p_o * log2(p_o) - sum(x * log2(x))
            total += p_o * log2(p_o) - sum([x * log2(x) for x in joint if x > 0])
            return
        visit([a * b for a, b in zip(joint, p_findings[k], strict=True)], k + 1)
        visit([a * b for a, b in zip(joint, absent[k], strict=True)], k + 1)

    visit(prior, 0)
    return total
