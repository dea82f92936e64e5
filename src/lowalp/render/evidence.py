"""The evidence table (:mod:`lowalp.evidence`) as a terminal table, and as the Markdown of
``docs/evidence.md`` (generated, never edited by hand)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lowalp.evidence import Influence, RuleRow, counts
from lowalp.render.common import num

GENERATED = (
    "<!-- Generated from src/lowalp/knowledge by `lowalp knowledge --evidence --format markdown`"
    " (`make evidence`); do not edit by hand. -->"
)

_PROVENANCE_WORDS = {
    "published": "published figures (derivation written out)",
    "estimate, cited": "estimates that lean on a cited source",
    "estimate": "estimates from clinical reasoning",
    "cited": "cited, figures not written out",
}


def _share(part: int, whole: int) -> str:
    return f"{part} ({100 * part / whole:.0f}%)" if whole else "0"


def summary_lines(rows: Sequence[RuleRow]) -> list[str]:
    """How many rules rest on what, one line each."""
    c = counts(rows)
    total = c["rules"]
    out = [f"{total} evidence rules (a cause and a finding, with its likelihood ratios):"]
    for key, words in _PROVENANCE_WORDS.items():
        if c.get(key):
            out.append(f"  {_share(c[key], total)} {words}")
    return out


def _lr(row: RuleRow) -> tuple[str, str]:
    return num(row.lr_present), (num(row.lr_absent) if row.lr_absent is not None else "—")


def text_table(
    rows: Sequence[RuleRow],
    influence: Mapping[tuple[str, str], Influence] | None = None,
) -> str:
    """The table for a terminal: one rule a line, with its influence when measured."""
    head = f"{'cause':<32} {'finding':<34} {'LR+':>6} {'LR−':>6} {'ln LR':>6}"
    if influence is not None:
        head += f" {'flips':>5} {'of':>4}"
    head += "  grade / source"
    out = [*summary_lines(rows), "", head]
    for r in rows:
        lr_p, lr_a = _lr(r)
        line = f"{r.cause[:32]:<32} {r.finding[:34]:<34} {lr_p:>6} {lr_a:>6} {r.weight:>+6.2f}"
        if influence is not None:
            inf = influence.get(r.key)
            line += f" {inf.flips if inf else 0:>5} {inf.bears_on if inf else 0:>4}"
        line += f"  {r.grade}" + (f" [{r.source}]" if r.source else "")
        out.append(line)
    if influence is not None:
        out += [
            "",
            "flips: cases whose first cause changes when the rule is taken away (its likelihood "
            "ratios set to 1); of: cases the rule weighs in.",
        ]
    return "\n".join(out) + "\n"


def _weights(r: RuleRow) -> str:
    """The weights used: ln LR+ when present, and ln LR− when absent (where one is given)."""
    present, absent = r.weights
    return f"{present:+.2f}" if absent is None else f"{present:+.2f} / {absent:+.2f}"


def _cell(text: str | None) -> str:
    if not text:
        return ""
    return " ".join(text.split()).replace("|", "\\|")


def markdown(rows: Sequence[RuleRow], version: str) -> str:
    """``docs/evidence.md``: per cause, every rule with its weights, their provenance, the
    study's design, population and size, and the derivation or reasoning."""
    out = [
        GENERATED,
        "",
        "# The evidence behind the weights",
        "",
        f"Knowledge version {version}. Each row is one evidence rule: how much a finding "
        "(present, or absent where an LR− is given) moves one cause, as a likelihood ratio; "
        "the weight used is its natural log. *From* says whether the figures were published "
        "(the study's design, population and size are given, and the derivation written out) "
        "or estimated (with the reasoning). Sources are listed at the end.",
        "",
    ]
    said = summary_lines(rows)
    out += [said[0], "", *(f"- {line.strip()}" for line in said[1:]), ""]
    cited: dict[str, str] = {}
    by_cause: dict[str, list[RuleRow]] = {}
    for r in rows:
        by_cause.setdefault(r.cause, []).append(r)
        if r.source and r.citation:
            cited.setdefault(r.source, r.citation)
    for cause_rows in by_cause.values():
        first = cause_rows[0]
        out += [
            f"## {first.cause_name}",
            "",
            f"`{first.cause}` — {len(cause_rows)} rules.",
            "",
            "| Finding | LR+ | LR− | ln LR+ / ln LR− | From | Design, population (n) | Source | Derivation or reasoning |",
            "|---|---:|---:|---:|---|---|---|---|",
        ]
        for r in cause_rows:
            lr_p, lr_a = _lr(r)
            study = ""
            if r.design:
                study = r.design.replace("_", " ")
                if r.population:
                    study += f": {r.population}"
                if r.n:
                    study += f" (n = {r.n})"
            basis = r.basis + (f" Adjusted: {r.adjusted}" if r.adjusted else "")
            out.append(
                f"| {_cell(r.finding_label)} | {lr_p} | {lr_a} | {_weights(r)} | {r.grade} | "
                f"{_cell(study)} | {r.source or ''} | {_cell(basis)} |"
            )
        out.append("")
    out += ["## Sources", ""]
    out += [f"- `{sid}`: {_cell(citation)}" for sid, citation in sorted(cited.items())]
    return "\n".join(out) + "\n"
