"""The compiled program (:mod:`lowalp.engine.program`) evaluated for many persons at once.

The input is one row per person (:func:`lowalp.screen.expression.screen_frame`): the age and sex
at the index ALP, the ALP series' properties (status of the index, persistence, a fall from a
normal value, a normal value on record, low for age only), and for every analyte the program
reads, the result the engine takes as drawn with the index (value, censoring, printed limits,
days from the index) and the result of the index's own day. Every finding is decided for every
person as arrays, by the rules :mod:`lowalp.engine.findings` applies to one case; the causes are
then scored by the rules of :mod:`lowalp.engine.score` (evidence groups, rule populations, the
ceilings of the link grades). Nothing clinical is written here: every threshold, weight, band
and id comes from the program.

States are coded ``PRESENT`` 2, ``ABSENT`` 1, ``UNKNOWN`` 0, with a separate "applicable" mask.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from lowalp.engine.program import (
    AlpNode,
    Band,
    LabNode,
    Node,
    PatternNode,
    Program,
    RatioNode,
    ReportedNode,
    Scope,
)

PRESENT, ABSENT, UNKNOWN = 2, 1, 0
_NUM = {"present": PRESENT, "absent": ABSENT}

Arr = Any  # numpy arrays (numpy ships its own types; kept loose for mypy --strict)


@dataclass
class States:
    state: Arr
    """int8 per person."""
    applicable: Arr
    """bool per person."""


@dataclass
class Scored:
    probabilities: Arr
    """float64, persons × causes, in the program's cause order (before ordering)."""
    order: Arr
    """int, persons × causes: the causes by probability, highest first (ties: knowledge order)."""
    scored: Arr
    """bool per person: False when the ALP is normal or high (nothing to explain)."""


def _col(frame: Mapping[str, Any], name: str, n: int, kind: str = "f") -> Arr:
    if name in frame:
        x = np.asarray(frame[name])
    else:
        x = np.full(n, np.nan if kind == "f" else None, dtype=float if kind == "f" else object)
    if kind == "f":
        return x.astype(float)
    return x


class Evaluator:
    """Decide every finding of ``program`` for the persons of ``frame``."""

    def __init__(self, program: Program, frame: Mapping[str, Any], n: int) -> None:
        self.p = program
        self.n = n
        self.f = frame
        self.age = _col(frame, "age_at_index", n)
        self.age_known = ~np.isnan(self.age)
        sex = _col(frame, "sex", n, "o")
        self.sex = np.array([s if s in ("F", "M") else None for s in sex], dtype=object)
        self.memo: dict[tuple[str, bool], States] = {}
        self.nodes = {nd.id: nd for nd in program.nodes}
        self.results: dict[tuple[str, bool], tuple[Arr, Arr, Arr, Arr, Arr]] = {}
        self.applied: dict[str, list[Arr]] = {}
        """Each cause's rule weights as added to its score (after the evidence groups)."""

    # ------------------------------------------------------------------ inputs
    def result(self, analyte: str, specimen: bool) -> tuple[Arr, Arr, Arr, Arr, Arr]:
        """value, censoring (:func:`censor_codes`), printed low, printed high, days from the
        index; read once per analyte."""
        key = (analyte, specimen)
        if key not in self.results:
            n = self.n
            if analyte == "alp":
                v, c, lo, hi = ("index_alp", "index_censor", "index_ref_low", "index_ref_high")
                t: str | None = None
            else:
                pre = f"{analyte}__{'d0' if specimen else 'near'}"
                v, c, lo, hi = (f"{pre}_{f}" for f in ("value", "censor", "ref_low", "ref_high"))
                t = f"{pre}_days_after"
            self.results[key] = (
                _col(self.f, v, n),
                censor_codes(_col(self.f, c, n, "o")),
                _col(self.f, lo, n),
                _col(self.f, hi, n),
                _col(self.f, t, n) if t else np.zeros(n),
            )
        return self.results[key]

    # ------------------------------------------------------------------ scopes
    def outside(self, scope: Scope | None) -> Arr:
        """True where the person is outside ``scope`` (an unknown age or sex is outside a bound
        that needs it; a ``when`` finding must be present)."""
        out = np.zeros(self.n, dtype=bool)
        if scope is None:
            return out
        if scope.age_min is not None:
            out |= ~self.age_known | (np.nan_to_num(self.age, nan=-1.0) < scope.age_min)
        if scope.age_max is not None:
            out |= ~self.age_known | (np.nan_to_num(self.age, nan=1e9) >= scope.age_max)
        if scope.sex is not None:
            out |= self.sex != scope.sex
        for fid in scope.when:
            out |= self.state(fid).state != PRESENT
        return out

    # ------------------------------------------------------------------ findings
    def state(self, fid: str, specimen: bool = False) -> States:
        key = (fid, specimen)
        if key not in self.memo:
            node = self.nodes[fid]
            self.memo[key] = self._gated(node, self._evaluate(node, specimen))
        return self.memo[key]

    def _gated(self, node: Node, r: States) -> States:
        state = r.state.copy()
        for gate in node.gates:
            hides = np.isin(state, [_NUM[h] for h in gate.hides])
            holds = self.state(gate.finding).state == PRESENT
            state[hides & holds] = UNKNOWN
        return States(state, r.applicable)

    def _evaluate(self, node: Node, specimen: bool) -> States:
        if isinstance(node, LabNode):
            return self._lab(node, specimen)
        if isinstance(node, RatioNode):
            return self._ratio(node, specimen)
        if isinstance(node, PatternNode):
            return self._pattern(node)
        if isinstance(node, AlpNode):
            return self._alp(node)
        assert isinstance(node, ReportedNode)
        return States(np.zeros(self.n, dtype=np.int8), np.ones(self.n, dtype=bool))

    def _not_applicable_where(self, scope: Scope | None, r: States) -> States:
        out = self.outside(scope)
        state = np.where(out, UNKNOWN, r.state).astype(np.int8)
        return States(state, r.applicable & ~out)

    def _lab(self, node: LabNode, specimen: bool) -> States:
        n = self.n
        v, c, lo, hi, t = self.result(node.analyte, specimen)
        has = ~np.isnan(v)
        state = np.zeros(n, dtype=np.int8)
        applicable = np.ones(n, dtype=bool)
        if node.bands:
            state, applicable = self._banded(node, v, c, t)
        else:
            value = self._adjusted(node, v) if node.adjust else v
            if node.limit is not None:
                state = _compare(value, c, node.op, np.full(n, node.limit))
            else:
                limit, not_here = self._reference_limit(node, lo, hi)
                state = _compare(value, c, node.op, limit)
                state[np.isnan(limit)] = UNKNOWN
                applicable &= ~(not_here & has)
        state[~has] = UNKNOWN
        applicable[~has] = True
        return self._not_applicable_where(node.applies, States(state.astype(np.int8), applicable))

    def _reference_limit(self, node: LabNode, lo: Arr, hi: Arr) -> tuple[Arr, Arr]:
        """The limit a reference-range finding compares with: the lab's printed range when it
        has either limit, else the knowledge's row for the age (40 when unknown) and sex; and
        where the knowledge says there is no limit at this (known) age."""
        n = self.n
        printed = ~np.isnan(lo) | ~np.isnan(hi)
        lab_limit = lo if node.reference == "below" else hi
        k_low = np.full(n, np.nan)
        k_high = np.full(n, np.nan)
        found = np.zeros(n, dtype=bool)
        no_limit = np.zeros(n, dtype=bool)
        age = np.where(self.age_known, self.age, self.p.unknown_age_years)
        for row in self.p.references.get(node.analyte, ()):
            sex_ok = (self.sex == None) | (row.sex is None) | (self.sex == row.sex)  # noqa: E711
            hit = ~found & sex_ok & (row.age_min <= age) & (age < row.age_max)
            if row.low is not None:
                k_low[hit] = row.low
            if row.high is not None:
                k_high[hit] = row.high
            if row.low is None and row.high is None:
                no_limit |= hit & self.age_known
            found |= hit
        k_limit = k_low if node.reference == "below" else k_high
        limit = np.where(printed, lab_limit, k_limit)
        not_here = ~printed & np.isnan(limit) & no_limit
        return limit, not_here

    def _adjusted(self, node: LabNode, v: Arr) -> Arr:
        adj = node.adjust
        assert adj is not None
        o, oc, _, _, _ = self.result(adj.analyte, True)
        usable = ~np.isnan(o) & (oc == EXACT)
        other = o / adj.other_scale
        adjusted = (v / adj.scale + adj.per_unit * (adj.centre - other)) * adj.scale
        return np.where(usable, adjusted, v)

    def _banded(self, node: LabNode, v: Arr, c: Arr, t: Arr) -> tuple[Arr, Arr]:
        n = self.n
        holds = [self._holds(b) for b in node.bands]
        count = np.sum(holds, axis=0) if holds else np.zeros(n, dtype=int)
        results = [self._band_state(node, b, v, c, t) for b in node.bands]
        state = np.zeros(n, dtype=np.int8)
        applicable = np.ones(n, dtype=bool)
        applicable[count == 0] = False
        one = count == 1
        for h, (s, a) in zip(holds, results, strict=True):
            state = np.where(one & h, s, state)
            applicable = np.where(one & h, a, applicable)
        many = count > 1
        if many.any():
            first = np.full(n, -1, dtype=np.int8)
            agree = np.ones(n, dtype=bool)
            for h, (s, _) in zip(holds, results, strict=True):
                first = np.where(h & (first < 0), s, first)
                agree &= ~h | (s == first)
            agree &= first != UNKNOWN
            state = np.where(many & agree, first, np.where(many, UNKNOWN, state))
        return state.astype(np.int8), applicable

    def _holds(self, b: Band) -> Arr:
        age_ok = ~self.age_known | (
            (b.age_min <= np.nan_to_num(self.age)) & (np.nan_to_num(self.age) < b.age_max)
        )
        sex_ok = (self.sex == None) | (b.sex is None) | (self.sex == b.sex)  # noqa: E711
        return age_ok & sex_ok

    def _band_state(self, node: LabNode, b: Band, v: Arr, c: Arr, t: Arr) -> tuple[Arr, Arr]:
        n = self.n
        if b.growth is None:
            return _compare(v, c, node.op, np.full(n, b.limit)), np.ones(n, dtype=bool)
        from lowalp.engine.growth import zscore
        from lowalp.units import DAYS_PER_YEAR

        state = np.zeros(n, dtype=np.int8)
        applicable = np.ones(n, dtype=bool)
        for i in np.flatnonzero(~np.isnan(v)):
            if c[i] != EXACT or not self.age_known[i]:
                continue
            age = max(0.0, float(self.age[i]) + float(np.nan_to_num(t[i])) / DAYS_PER_YEAR)
            z = zscore(b.growth, float(v[i]) / b.growth_scale, age, self.sex[i])
            if z.z is None:
                applicable[i] = z.in_range
                continue
            state[i] = _compare_one(z.z, node.op, b.limit)
        return state, applicable

    def _ratio(self, node: RatioNode, specimen: bool) -> States:
        n = self.n
        nv, nc, _, _, _ = self.result(node.numerator, specimen)
        dv, dc, _, _, _ = self.result(node.denominator, specimen)
        both = ~np.isnan(nv) & ~np.isnan(dv)
        num_lo, num_hi = _bounds(nv / node.numerator_scale, nc)
        den_lo, den_hi = _bounds(dv / node.denominator_scale, dc)
        plain = (nc == EXACT) & (dc == EXACT)
        state = np.zeros(n, dtype=np.int8)
        with np.errstate(divide="ignore", invalid="ignore"):
            # two plain numbers: the ratio itself (unknown when the denominator is not positive)
            d = dv / node.denominator_scale
            ratio = (nv / node.numerator_scale) / d
            point = _compare(ratio, np.zeros(n, dtype=np.int8), node.op, np.full(n, node.value))
            point[~(d > 0)] = UNKNOWN
            # a censored part: bounds of the ratio, decided when every value is on one side
            no_answer = (den_hi == 0) | ((den_lo == 0) & (num_hi == 0))
            lo = np.where(np.isinf(den_hi), 0.0, num_lo / den_hi)
            hi = np.where(den_lo == 0, np.inf, num_hi / den_lo)
            bounded = _decide(lo, hi, node.op, node.value)
            bounded[no_answer] = UNKNOWN
        state = np.where(plain, point, bounded).astype(np.int8)
        state[~both] = UNKNOWN
        return self._not_applicable_where(node.applies, States(state, np.ones(n, dtype=bool)))

    def _pattern(self, node: PatternNode) -> States:
        n = self.n
        parts_all = [self.state(p, node.same_specimen) for p in node.all_of]
        parts_any = [self.state(p, node.same_specimen) for p in node.any_of]
        not_applicable = np.zeros(n, dtype=bool)
        for p in parts_all:
            not_applicable |= ~p.applicable
        if parts_any:
            some = np.zeros(n, dtype=bool)
            for p in parts_any:
                some |= p.applicable
            not_applicable |= ~some
        absent = np.zeros(n, dtype=bool)
        for p in parts_all:
            absent |= p.state == ABSENT
        if parts_any:
            all_absent = np.ones(n, dtype=bool)
            for p in parts_any:
                all_absent &= p.state == ABSENT
            absent |= all_absent
        all_ok = np.ones(n, dtype=bool)
        for p in parts_all:
            all_ok &= p.state == PRESENT
        any_ok = np.ones(n, dtype=bool)
        if parts_any:
            any_ok = np.zeros(n, dtype=bool)
            for p in parts_any:
                any_ok |= p.state == PRESENT
        state = np.where(absent, ABSENT, np.where(all_ok & any_ok, PRESENT, UNKNOWN))
        state = np.where(not_applicable, UNKNOWN, state).astype(np.int8)
        r = States(state, ~not_applicable)
        return self._not_applicable_where(node.applies, r)

    def _alp(self, node: AlpNode) -> States:
        n = self.n
        if node.property == "low_for_age_only":
            low = _col(self.f, "index_status", n, "o") == "low"
            flag = _tri(_col(self.f, "index_for_age_only", n, "o"))
            value = np.where(low, flag, -1)
        else:
            value = _tri(_col(self.f, node.property, n, "o"))
        state = np.where(value == 1, PRESENT, np.where(value == 0, ABSENT, UNKNOWN))
        return States(state.astype(np.int8), np.ones(n, dtype=bool))

    # ------------------------------------------------------------------ score
    def supporting_all(self, cause_id: str, rows: Arr | None = None) -> list[list[str]]:
        """For every person (or those at the positions ``rows``, in that order), the findings
        present that add to the cause's score, the heaviest first (in the knowledge's order on
        a tie), as the assessment lists its evidence."""
        cause = next(c for c in self.p.causes if c.id == cause_id)
        if not cause.rules:
            return [[] for _ in range(self.n if rows is None else len(rows))]
        weights = np.stack(self.applied[cause_id])  # rules × persons
        present = np.stack([self.state(r.finding).state == PRESENT for r in cause.rules])
        if rows is not None:
            weights, present = weights[:, rows], present[:, rows]
        keep = (weights > 1e-12) & present
        key = np.where(keep, -weights, np.inf)
        order = np.argsort(key, axis=0, kind="stable").T.tolist()  # ties: rule order
        counts = keep.sum(axis=0).tolist()
        fids = [r.finding for r in cause.rules]
        return [[fids[i] for i in row[:c]] for row, c in zip(order, counts, strict=True)]

    def score(self) -> Scored:
        """The probability of every cause for every person (see :mod:`lowalp.engine.score`)."""
        n, p = self.n, self.p
        child = self.age_known & (np.nan_to_num(self.age, nan=1e9) < p.adult_age_years)
        logits = np.zeros((n, len(p.causes)))
        for k, cause in enumerate(p.causes):
            log_prior = np.zeros(n)
            for is_child in (False, True):
                for sex in ("F", "M", None):
                    where = (child == is_child) & (self.sex == sex)
                    log_prior[where] = cause.log_prior(is_child, sex)
            weights = []
            for rule in cause.rules:
                fs = self.state(rule.finding)
                out = ~fs.applicable | self.outside(rule.population)
                for fid in rule.unless:
                    out |= self.state(fid).state == PRESENT
                w = np.where(
                    fs.state == PRESENT,
                    rule.w_present,
                    np.where(fs.state == ABSENT, rule.w_absent, 0.0),
                )
                weights.append(np.where(out, 0.0, w))
            _counted_once(cause.rules, weights)
            self.applied[cause.id] = weights
            total = np.zeros(n)
            for w in weights:
                total = total + w
            logits[:, k] = log_prior + total
        top = logits.max(axis=1, keepdims=True)
        e = np.exp(logits - top)
        denom = np.zeros(n)
        for k in range(len(p.causes)):
            denom = denom + e[:, k]
        probs = e / denom[:, None]
        probs = _within_ceilings(p, probs)
        order = np.argsort(-probs, axis=1, kind="stable")
        status = _col(self.f, "index_status", n, "o")
        scored = ~np.isin(status, ["normal", "high"])
        return Scored(probs, order, scored)


def _counted_once(rules: tuple[Any, ...], weights: list[Arr]) -> None:
    """Within each evidence group (two or more members weighing), keep the weight of the member
    that supports most and of the one that refutes most (the first on a tie); zero the rest."""
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rules):
        if r.group is not None:
            groups.setdefault(r.group, []).append(i)
    for members in groups.values():
        if len(members) < 2:
            continue
        w = np.stack([weights[i] for i in members], axis=1)
        nonzero = (w != 0).sum(axis=1)
        best = np.argmax(np.where(w > 0, w, -np.inf), axis=1)
        worst = np.argmin(np.where(w < 0, w, np.inf), axis=1)
        has_pos = (w > 0).any(axis=1)
        has_neg = (w < 0).any(axis=1)
        for j, i in enumerate(members):
            keep = (has_pos & (best == j)) | (has_neg & (worst == j)) | (nonzero < 2)
            weights[i] = np.where(keep, weights[i], 0.0)


def _within_ceilings(p: Program, probs: Arr) -> Arr:
    out = probs.copy()
    excess = np.zeros(len(probs))
    for k, cause in enumerate(p.causes):
        if cause.ceiling is None:
            continue
        over = probs[:, k] > cause.ceiling
        excess = excess + np.where(over, probs[:, k] - cause.ceiling, 0.0)
        out[over, k] = cause.ceiling
    k_excess = next(k for k, c in enumerate(p.causes) if c.id == p.excess_to)
    out[:, k_excess] = np.where(excess != 0, out[:, k_excess] + excess, out[:, k_excess])
    return out


def _tri(x: Arr) -> Arr:
    """True/False/None (or NaN) as 1/0/-1."""
    out = np.full(len(x), -1, dtype=np.int8)
    if len(x):
        import pandas as pd  # type: ignore[import-untyped,unused-ignore]

        values = np.asarray(x, dtype=object)
        known = ~np.asarray(pd.isna(values), dtype=bool)  # None, NaN and pandas' NA
        out[known] = values[known].astype(bool).astype(np.int8)
    return out


EXACT, BELOW, ABOVE = 0, 1, 2
"""Censoring codes: an exact value, "<x" (the true value is below x), ">x"."""


def censor_codes(censor: Arr) -> Arr:
    """'<' and '>' as :data:`BELOW` and :data:`ABOVE`, anything else as :data:`EXACT`."""
    out = np.zeros(len(censor), dtype=np.int8)
    if len(censor):
        out[censor == "<"] = BELOW
        out[censor == ">"] = ABOVE
    return out


def _compare(value: Arr, censor: Arr, op: str, limit: Arr) -> Arr:
    """:func:`lowalp.engine.findings._compare`, elementwise (NaN value or limit: unknown);
    ``censor`` as :func:`censor_codes`."""
    with np.errstate(invalid="ignore"):
        hit = {
            "lt": value < limit,
            "le": value <= limit,
            "gt": value > limit,
            "ge": value >= limit,
        }[op]
        plain = np.where(hit, PRESENT, ABSENT)
        below = np.where(value <= limit, PRESENT if op in ("lt", "le") else ABSENT, UNKNOWN)
        above = np.where(value >= limit, PRESENT if op in ("gt", "ge") else ABSENT, UNKNOWN)
    state = np.where(censor == BELOW, below, np.where(censor == ABOVE, above, plain))
    state[np.isnan(value) | np.isnan(limit)] = UNKNOWN
    return state.astype(np.int8)


def _compare_one(value: float, op: str, limit: float) -> int:
    r = _compare(np.array([value]), np.zeros(1, dtype=np.int8), op, np.array([limit]))
    return int(r[0])


def _bounds(value: Arr, censor: Arr) -> tuple[Arr, Arr]:
    """:func:`lowalp.engine.value_bounds.number_bounds` elementwise: (low, high)."""
    lo = np.where(censor == BELOW, 0.0, value)
    hi = np.where(censor == ABOVE, np.inf, value)
    return lo, hi


def _decide(lo: Arr, hi: Arr, op: str, limit: float) -> Arr:
    """:func:`lowalp.engine.value_bounds.decide` for one interval per person."""
    point = lo == hi
    hit = {"lt": lo < limit, "le": lo <= limit, "gt": lo > limit, "ge": lo >= limit}[op]
    point_state = np.where(hit, PRESENT, ABSENT)
    if op in ("lt", "le"):
        span = np.where(hi <= limit, PRESENT, np.where(lo >= limit, ABSENT, UNKNOWN))
    else:
        span = np.where(lo >= limit, PRESENT, np.where(hi <= limit, ABSENT, UNKNOWN))
    out = np.where(point, point_state, span)
    out[np.isnan(lo) | np.isnan(hi)] = UNKNOWN
    return out.astype(np.int8)


def round_probability(x: float) -> float:
    """A probability as the work-list shows it (4 decimals, as the assessment rounds)."""
    return round(float(x), 4)


def assessed_columns(
    program: Program, frame: Any, labels: Mapping[str, str], priority_cause: str
) -> Any:
    """The work-list's assessment columns for every person of ``frame`` (a pandas DataFrame
    from :func:`lowalp.screen.expression.screen_frame`): the three most probable causes with
    their probabilities, the probability of the cause the screen ranks for (``priority_cause``,
    the ``hpp_*`` columns) and the findings that support it (``hpp_supporting``, labels from
    ``labels`` joined by "; "), and the findings that support the most probable cause
    (``cause_1_supporting``, empty when none does: that cause then rests on its prior alone),
    the pre-analytical artefacts warned of before any cause (``sample_artefact``, cause ids);
    none while the ALP is normal or high, as ``lowalp assess`` gives none."""
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]

    n = len(frame)
    cols = {c: frame[c].to_numpy() for c in frame.columns}
    ev = Evaluator(program, cols, n)
    s = ev.score()
    ids = [c.id for c in program.causes]
    scored = s.scored.tolist()
    out: dict[str, list[Any]] = {"person_id": [int(x) for x in frame["person_id"]]}
    rows = np.arange(n)
    for i in range(3):
        if i >= len(ids):
            out[f"cause_{i + 1}"] = [None] * n
            out[f"cause_{i + 1}_probability"] = [None] * n
            continue
        k = s.order[:, i]
        names = [ids[j] for j in k.tolist()]
        probs = s.probabilities[rows, k].tolist()
        out[f"cause_{i + 1}"] = [x if ok else None for x, ok in zip(names, scored, strict=True)]
        out[f"cause_{i + 1}_probability"] = [
            round_probability(x) if ok else None for x, ok in zip(probs, scored, strict=True)
        ]
    warned: list[list[str]] = [[] for _ in range(n)]
    for k, cause in enumerate(program.causes):
        if cause.artifact is None:
            continue
        finding, min_probability = cause.artifact
        hit = (ev.state(finding).state == PRESENT) & (s.probabilities[:, k] >= min_probability)
        for i in np.flatnonzero(hit).tolist():
            warned[i].append(cause.id)
    out["sample_artefact"] = [
        "; ".join(w) if ok else None for w, ok in zip(warned, scored, strict=True)
    ]
    # the findings that support each person's most probable cause, read for the persons of
    # each such cause only
    first = s.order[:, 0]
    cause_1_supporting: list[list[str]] = [[] for _ in range(n)]
    for k in dict.fromkeys(first.tolist()):
        at = np.flatnonzero(first == k)
        for i, found in zip(at.tolist(), ev.supporting_all(ids[k], at), strict=True):
            cause_1_supporting[i] = found
    out["cause_1_supporting"] = [
        "; ".join(labels[f] for f in found) if ok else None
        for found, ok in zip(cause_1_supporting, scored, strict=True)
    ]
    if priority_cause not in ids:
        out["hpp_probability"] = [None] * n
        out["hpp_supporting"] = [None] * n
        return pd.DataFrame(out)
    k_hpp = ids.index(priority_cause)
    out["hpp_probability"] = [
        round_probability(x) if ok else None
        for x, ok in zip(s.probabilities[:, k_hpp].tolist(), scored, strict=True)
    ]
    out["hpp_supporting"] = [
        "; ".join(labels[f] for f in found) if ok else None
        for found, ok in zip(ev.supporting_all(priority_cause), scored, strict=True)
    ]
    return pd.DataFrame(out)
