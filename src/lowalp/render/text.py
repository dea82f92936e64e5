"""The terminal report, for a clinician or (``audience="patient"``) in plain language.

The clinician's report comes brief (one screen: what to read first, the leading causes, the next
steps) or full (everything the assessment holds that a reader can use, in the same order). Both
put every warning and assumption at the top and cite sources by number, listing only those
cited, once each.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Literal

from lowalp.model import (
    AlpMeasurement,
    AlpStatus,
    Assessment,
    CauseResult,
    Evidence,
    NotUnderstood,
    Wording,
)
from lowalp.render.common import (
    NO_CAUSE,
    PATIENT_TESTS,
    Citations,
    alp_line,
    as_reported,
    brief_causes,
    ceiling_note,
    clip,
    day,
    folded_line,
    is_low,
    leading,
    likelihood_word,
    management_pointers,
    next_steps,
    not_low_note,
    num,
    patient_causes,
    patient_questions,
    pct,
    persistence_line,
    plain_answer,
    plain_disclaimer,
    plain_likelihood,
    plain_test,
    pointer_sources,
    shown_tests,
    summary_line,
    urgent_actions,
    urgent_plain,
    voice,
    voiced,
)

Audience = Literal["clinician", "patient"]
Detail = Literal["brief", "full"]
WIDTH = 96
"""Lines are wrapped to this width (a terminal of 100 columns keeps a margin)."""

BRIEF_DETAIL = 48
"""A finding's detail longer than this (a composite's parts, a paragraph on the population) is
left to the full report."""
BRIEF_CITATION = 40
"""The brief report's references keep at least this much of the citation beside the address."""


def render_text(
    a: Assessment,
    *,
    audience: Audience = "clinician",
    color: bool = False,
    detail: Detail = "full",
) -> str:
    """The report as terminal text.

    ``detail="brief"`` (the command line's default) gives the clinician one screen: the ALP
    against its interval with the lab's own value and unit, every warning and assumption at
    the top, the leading causes with the findings that carry each, the next steps, the
    references cited and the disclaimer. ``"full"`` adds every finding weighed, the published
    scores, each test's reason and preparation, the management pointers, the findings not known
    and how free text was read. The patient view is short either way and ignores ``detail``.
    """
    if audience == "patient":
        return _patient(a, _Style(color))
    return _clinician(a, _Style(color), full=detail == "full")


class _Style:
    def __init__(self, on: bool) -> None:
        self.on = on

    def _wrap(self, code: str, s: str) -> str:
        return f"\033[{code}m{s}\033[0m" if self.on else s

    def bold(self, s: str) -> str:
        return self._wrap("1", s)

    def warn(self, s: str) -> str:
        return self._wrap("1;33", s)

    def dim(self, s: str) -> str:
        return self._wrap("2", s)


def _wrap(text: str, indent: str = "", first: str | None = None) -> list[str]:
    return textwrap.wrap(
        text,
        width=WIDTH,
        initial_indent=first if first is not None else indent,
        subsequent_indent=indent,
        break_on_hyphens=False,  # "slit-lamp" stays whole, for reading and for search
    ) or [indent]


def _styled(style: Callable[[str], str], lines: list[str]) -> list[str]:
    return [style(line) for line in lines]


def _who(a: Assessment) -> str:
    age = f"{a.age_years:.3g} y" if a.age_years is not None else "age not given"
    sex = {"F": "female", "M": "male", None: "sex not given"}[a.patient.sex]
    return f"{age}, {sex}"


def _clinician(a: Assessment, st: _Style, *, full: bool) -> str:
    refs = Citations(a.sources)
    out = _head(a, st, full=full)
    if not is_low(a):
        # the note says the ALP is not low: a warning saying the same is not repeated
        out += _assumptions(a, st, [w for w in a.warnings if "not low" not in w], full=full)
        out += _wrap(not_low_note(a))
        out.append("")
    else:
        out += _pre_analytical(a, st, full=full)
        out += _urgent(a, st, refs, full=full)
        out += _assumptions(a, st, list(a.warnings), full=full)
        if a.alp.status == "unknown" and full:  # the brief has the engine's warning to this effect
            out += _wrap(
                "The ALP could not be judged: what follows is what the rest of the data would "
                "suggest if it were low, and carries little weight until a usable ALP result "
                "confirms it.",
            )
            out.append("")
        out += (_full_body if full else _brief_body)(a, st, refs)
    out += _references(refs, st, full=full)
    out += _wrap(a.disclaimer)
    return "\n".join(out) + "\n"


def _head(a: Assessment, st: _Style, *, full: bool) -> list[str]:
    """Who and what: the title, the summary line, and the ALP against its interval with the
    lab's own value and unit beside the canonical one."""
    title = f"lowalp assessment{' — ' + a.case_id if a.case_id else ''}"
    tail = f"   (knowledge {a.knowledge_version})"
    if len(title + tail) <= WIDTH:
        out = [st.bold(title) + st.dim(tail)]
    else:
        out = _styled(st.bold, _wrap(title + tail, "  "))
    out.append(f"Patient: {_who(a)}")
    out += _wrap(summary_line(a), "         ", "Summary: ")
    out.append("")
    alp = a.alp
    out += _styled(st.bold, _wrap(alp_line(alp, with_reported=False), "    ", ""))
    given = as_reported(alp.value, alp.reported)
    if given:
        out += _wrap(f"As reported by the lab: {given}", "    ", "  ")
    if alp.age_sex_interval and alp.limit_source == "lab" and (full or _interval_differs(alp)):
        out += _wrap(f"Age/sex interval for comparison: {alp.age_sex_interval}", "    ", "  ")
    if alp.low_for_age_only:
        out += _styled(
            st.warn,
            _wrap(
                "Low for age and sex although inside the lab's printed range (an adult one).",
                "    ",
                "  ",
            ),
        )
    out += _wrap(persistence_line(alp), "    ", "")
    if len(alp.measurements) > 1:
        out += _wrap("   ".join(_measured(m) for m in alp.measurements), "  ")
    out.append("")
    return out


def _interval_differs(alp: AlpStatus) -> bool:
    """Whether the ALP is low against one of the lab's range and the age/sex interval and not
    the other (or either cannot be compared): the brief report then shows both."""
    lab, own = alp.lower_limit, alp.age_sex_lower_limit
    if alp.value is None or lab is None or own is None:
        return True
    return (alp.value < lab) != (alp.value < own)


def _measured(m: AlpMeasurement) -> str:
    value = f"{num(m.value)} U/L" if m.value is not None else m.reported
    given = as_reported(m.value, m.reported).split(" (lab range", 1)[0]
    if given:
        value = f"{value} ({given})"
    return f"{day(m.t)}: {value} {m.status}"


def _pre_analytical(a: Assessment, st: _Style, *, full: bool) -> list[str]:
    out: list[str] = []
    for art in a.artifacts:
        shown = f" ({pct(art.probability)})" if art.probability is not None else ""
        out += _styled(st.warn, _wrap(f"PRE-ANALYTICAL WARNING: {art.name}{shown}", "  ", ""))
        for e in art.evidence if full else ():
            against = "against: " if e.effect == "refutes" else ""
            out += _wrap(f"{against}{e.label}: {e.state} ({e.detail})", "    ", "  - ")
        out += _wrap(f"Action: {art.action}", "    ", "  → ")
        out.append("")
    return out


def _urgent(a: Assessment, st: _Style, refs: Citations, *, full: bool) -> list[str]:
    """The urgent actions of any cause, each once (the full report names the causes)."""
    urgent = urgent_actions(a)
    if not urgent:
        return []
    by_name = {c.name: c for c in a.causes}
    out = [st.warn("URGENT: act on these first")]
    for text, names in urgent:
        cited = refs.mark(*(i for n in names for i in pointer_sources(by_name[n], text)))
        given_by = f" [{', '.join(names)}]" if full else ""
        out += _wrap(f"{text}{given_by}" + (f" {cited}" if cited else ""), "    ", "  → ")
    out.append("")
    return out


def _assumptions(a: Assessment, st: _Style, warnings: list[str], *, full: bool) -> list[str]:
    """Every warning and every piece of input left out, at the top of either report: they
    change how the rest is read."""
    out: list[str] = []
    unread = [_not_understood(n) for n in a.not_understood]
    if full:
        if unread:
            out.append(st.warn("Not understood — left out of the reasoning"))
            for line in unread:
                out += _wrap(line, "    ", "  - ")
            out.append("")
        if warnings:
            out.append(st.warn("Warnings and assumptions"))
            for w in warnings:
                out += _wrap(w, "    ", "  - ")
            out.append("")
        return out
    # brief: the items left out for the same reason are said together, without suggestions
    by_reason: dict[str, list[str]] = {}
    for n in a.not_understood:
        by_reason.setdefault(n.reason, []).append(f"{n.pointer} '{n.value}'")
    if warnings or by_reason:
        out.append(st.warn("Warnings and assumptions"))
        for w in warnings:
            out += _wrap(w, "    ", "  - ")
        for reason, items in by_reason.items():
            out += _wrap(f"Not understood: {', '.join(items)} — {reason}", "    ", "  - ")
        out.append("")
    return out


def _not_understood(n: NotUnderstood) -> str:
    named = n.suggestions and "closest:" not in n.reason  # a unit's text names it
    hint = f" (did you mean {', '.join(n.suggestions)}?)" if named else ""
    return f"{n.pointer}: '{n.value}' — {n.reason}{hint}"


def _brief_body(a: Assessment, st: _Style, refs: Citations) -> list[str]:
    out = [st.bold("Possible explanations (decision support, not a diagnosis)")]
    shown = brief_causes(a)
    for i, (c, findings) in enumerate(shown, start=1):
        out += _brief_cause(i, c, findings, st, a.wording, refs)
    rest = a.causes[len(shown) :]
    tail = []
    if rest:
        together = pct(sum(c.probability for c in rest))
        tail.append(f"Others: {_count(len(rest), 'more cause')}, {together} together.")
    if a.unknown_findings:
        n = len(a.unknown_findings)
        tail.append(f"Not known, and not taken as normal: {_count(n, 'finding')}.")
    if tail:
        out += _wrap(" ".join(tail), "    ", "  ")
    out.append("")

    steps = _next_steps(a, refs)
    out.append(st.bold("Next steps (urgent first)"))
    if not steps:
        out += _wrap("None would change the ranking much.", "  ")
    for i, step in enumerate(steps, start=1):
        out += _wrap(step, "     ", f"{i:>2}. ")
    out += _wrap(FULL_ADDS, "  ")
    out.append("")
    return out


def _brief_cause(
    i: int,
    c: CauseResult,
    findings: list[Evidence],
    st: _Style,
    wording: Wording,
    refs: Citations,
) -> list[str]:
    kind = _kind(c, "not a diagnosis")
    head = f"{c.name} — {pct(c.probability)}, {likelihood_word(c.probability, wording)}"
    if c.id == NO_CAUSE or len(f"{i:>2}. {head}; {kind}") <= WIDTH:
        head += f"; {kind}"  # whether it is transient is left to the full report if need be
    out = _styled(st.bold, _wrap(head, "      ", f"{i:>2}. "))
    for e in findings:
        out.append("      " + _brief_finding(e, refs, WIDTH - 6))
    return out


def _kind(c: CauseResult, no_cause: str) -> str:
    """What kind of answer a cause is: ``no_cause`` for "no identifiable cause", else a
    transient or a persistent cause."""
    if c.id == NO_CAUSE:
        return no_cause
    return ("transient" if c.transient else "persistent") + " cause"


def _brief_finding(e: Evidence, refs: Citations, room: int) -> str:
    """One finding on one line of ``room`` characters: its detail only when short enough, its
    label shortened at a word when still too long (the full report says it all)."""
    sign = "+" if e.weight > 0 else "−"
    src = refs.mark(e.source) if e.source else "[estimate]"
    shown = f" ({e.detail})" if e.detail and len(e.detail) <= BRIEF_DETAIL else ""
    line = f"{sign} {e.label}: {e.state}{shown} {src}"
    if len(line) > room:
        tail = f": {e.state} {src}"
        line = f"{sign} {clip(e.label, room - 2 - len(tail))}{tail}"
    return line


def _next_steps(a: Assessment, refs: Citations) -> list[str]:
    """The brief report's next steps (:func:`lowalp.render.common.next_steps`) as lines."""
    out = []
    for step in next_steps(a):
        if step.urgent:
            out.append(f"URGENT: {step.text}")
            continue
        cited = refs.mark(*step.sources)
        whose = f"[{step.cause}] " if step.cause else ""
        out.append(f"{whose}{step.text}" + (f" {cited}" if cited else ""))
    return out


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


FULL_ADDS = (
    "(--detail full adds every finding and cause, scores, test reasons, management, unknowns.)"
)
"""The brief report's last line before the references: what the full report adds."""


def _full_body(a: Assessment, st: _Style, refs: Citations) -> list[str]:
    out = [st.bold("Possible explanations (decision support, not a diagnosis)")]
    for i, c in enumerate(leading(a), start=1):
        out += _cause_block(i, c, st, a.wording, refs)
    rest = a.causes[len(leading(a)) :]
    if rest:
        out += _wrap(
            ", ".join(f"{c.name} {pct(c.probability)}" for c in rest), "    ", "  Others: "
        )
    out.append("")

    if a.scores:
        out.append(st.bold("Published scores and criteria"))
        for s in a.scores:
            if not s.applicable:
                cited = refs.mark(*(x for x in (s.source, s.not_applicable_source) if x))
                out += _wrap(f"{s.name}: {s.interpretation} {cited}", "    ", "  ")
                continue
            totals = ", ".join(f"{g} {num(v)}" for g, v in s.totals.items())
            out += _wrap(
                f"{s.name}: {totals} — {s.interpretation} {refs.mark(s.source)}", "    ", "  "
            )
            for it in s.items:
                out += _wrap(
                    f"{it.label}: {it.state}, {num(it.points)} pt ({it.detail})", "      ", "    · "
                )
            if s.note:
                out += _wrap(s.note, "      ", "    note: ")
        out.append("")

    if a.next_tests:
        out.append(st.bold("Next tests (urgent first, then the most informative)"))
        if not shown_tests(a):
            out += _wrap("None would change the ranking much.", "  ")
        for i, t in enumerate(shown_tests(a), start=1):
            cost = "£" * t.relative_cost
            out += _wrap(
                ("URGENT: " if t.urgent else "")
                + f"{t.name} — information gain {t.expected_information_gain:.2f} bits, cost {cost}, {t.invasiveness}",
                "     ",
                f"{i:>2}. ",
            )
            out += _wrap(t.why, "       ", "     ")
            if t.preparation:
                out += _wrap(f"Preparation: {t.preparation}", "       ", "     ")
        if folded_line(a):
            out += _wrap(folded_line(a), "     ", "  + ")
        out.append("")

    mgmt = management_pointers(a)
    if mgmt:
        out.append(st.bold("Management pointers (for the leading explanations)"))
        for c, m in mgmt:
            cited = refs.mark(*pointer_sources(c, m))
            out += _wrap(f"[{c.name}] {m}" + (f" {cited}" if cited else ""), "    ", "  - ")
        out.append("")

    if a.unknown_findings:
        out.append(st.bold("Not known (unknown is not normal)"))
        out += _wrap(", ".join(a.unknown_findings), "  ")
        out.append("")
    if a.mappings:
        out.append(st.bold("How the words given were read"))
        for mp in a.mappings:
            line = f"'{mp.text}' → {mp.label}: {mp.assertion} — {mp.used_as}"
            if mp.detail:
                line += f" ({mp.detail})"
            out += _wrap(line, "    ", "  - ")
        out.append("")
    return out


def _references(refs: Citations, st: _Style, *, full: bool) -> list[str]:
    """The sources cited above, once each, by number."""
    listed = refs.listed()
    if not listed:
        return []
    out = [st.bold("References")]
    for n, src in listed:
        if full:
            said = f"[{n}] {src.citation}" + (f" {src.url}" if src.url else "")
            out += _wrap(said, "      ", "  ")
            continue
        # brief: one line each, the address whole (the full report has the whole citation)
        url = f" {src.url}" if src.url else ""
        room = max(WIDTH - 2 - len(url), BRIEF_CITATION)
        out += _wrap(clip(f"[{n}] {src.citation}", room) + url, "      ", "  ")
    out.append("")
    return out


def _cause_block(
    i: int, c: CauseResult, st: _Style, wording: Wording, refs: Citations
) -> list[str]:
    kind = _kind(c, "not a diagnosis: what would change it is below")
    head = f"{c.name} — {pct(c.probability)}"
    said = (
        f"{i:>2}. {head}  ({likelihood_word(c.probability, wording)}; {kind}; prior {pct(c.prior)})"
    )
    lines = _wrap(said, "      ", "")
    first = f"{i:>2}. {head}"
    if lines[0].startswith(first):
        lines[0] = st.bold(first) + st.dim(lines[0][len(first) :])
    else:
        lines[0] = st.bold(lines[0])
    out = lines[:1] + [st.dim(x) for x in lines[1:]]
    note = ceiling_note(c)
    if note:
        out += _wrap(note, "      ", "      ")
    weighed = [e for e in c.evidence if e.effect != "not_applicable"]
    known = [e for e in weighed if e.state != "unknown"]
    for e in known[:6]:
        sign = "+" if e.weight > 0 else "−" if e.weight < 0 else "·"
        src = refs.mark(e.source) if e.source else "[estimate]"
        est = " est." if e.estimate and e.source else ""
        out += _wrap(
            f"{sign} {e.label}: {e.state} (weight {e.weight:+.2f}{est}) {src} — {e.detail}",
            "        ",
            "      ",
        )
    unknown = [e.label for e in weighed if e.state == "unknown"]
    if unknown:
        out += _wrap(
            "? unknown: " + "; ".join(unknown[:6]) + ("…" if len(unknown) > 6 else ""),
            "        ",
            "      ",
        )
    for e in c.evidence:
        if e.effect == "not_applicable":
            out += _wrap(
                f"∅ not applicable here (weighs nothing): {e.label}: {e.state} — {e.population}",
                "        ",
                "      ",
            )
    return out


def _patient(a: Assessment, st: _Style) -> str:
    """Plain words, likelihood in words only (no percentages), to a parent for a child."""
    out: list[str] = []
    alp = a.alp
    v = voice(a)
    out.append(st.bold(f"{v.your.capitalize()} alkaline phosphatase (ALP) result, in plain words"))
    out.append("")
    state = {
        "low": "lower than usual",
        "normal": "in the usual range",
        "high": "higher than usual",
        "unknown": "hard to judge",
    }[alp.status]
    if alp.value is None and alp.status == "unknown":
        out += _wrap(
            "ALP is an enzyme made mostly by the bones and liver. The program could not tell "
            f"from the report whether {v.your} result is low, normal or high"
            + (f" ({alp.status_reason})" if alp.status_reason else "")
            + f". Please ask {v.doctor} about it."
        )
    elif alp.value is None:
        out += _wrap(
            "ALP is an enzyme made mostly by the bones and liver. The laboratory described "
            f"{v.your} result in words rather than as a number; it is {state}."
        )
    else:
        out += _wrap(
            f"ALP is an enzyme made mostly by the bones and liver. {v.your.capitalize()} result was "
            f"{num(alp.value)} U/L, which is {state} for {v.someone} (usual range "
            f"{num(alp.lower_limit)}–{num(alp.upper_limit)} U/L)."
        )
        given = as_reported(alp.value, alp.reported)
        if given:
            out += _wrap(
                f"The laboratory's report shows it as {given}; it is converted to U/L here "
                "to compare it with the usual range."
            )
    if alp.low_for_age_only:
        out += _wrap(
            "Children and teenagers normally have much higher ALP than adults. "
            f"{v.your.capitalize()} result was inside the adult range printed on the report, "
            f"but it is low for {v.their} age."
        )
    if alp.persistent:
        out += _wrap("It has been low on more than one test, weeks apart.")
    elif alp.persistent is False and alp.status == "low":
        out += _wrap("Earlier results were normal, so this may be a short-lived drop.")
    out.append("")
    if a.artifacts:
        for art in a.artifacts:
            out += _wrap("First: " + art.plain)
        out.append("")
    if not is_low(a):
        out += _wrap(plain_answer(a))
        out.append("")
        out += _wrap(plain_disclaimer(a))
        return "\n".join(out) + "\n"
    if urgent_actions(a):
        out += _wrap(st.warn("Urgent: ") + urgent_plain(a))
        out.append("")
    out += _wrap(plain_answer(a))
    out.append("")
    out.append(st.bold("Possible reasons, most likely first"))
    for c in patient_causes(a):
        out += _wrap(
            f"{c.plain_name} ({plain_likelihood(c.probability, a.wording)}): {c.plain}",
            "     ",
            " • ",
        )
        clues = [
            voiced(e.plain or e.label, v)
            for e in c.evidence
            if e.state == "present" and e.weight > 0
        ][:3]
        if clues:
            out += _wrap("What points this way: " + "; ".join(clues) + ".", "     ", "     ")
    out.append("")
    if shown_tests(a):
        out.append(st.bold("Tests that could help"))
        for t in shown_tests(a)[:PATIENT_TESTS]:
            out += _wrap(("Urgent, today: " if t.urgent else "") + plain_test(t), "     ", " • ")
        out.append("")
    questions = patient_questions(a)
    if questions:
        out.append(st.bold(f"Questions you could ask {v.doctor}"))
        for q in questions:
            out += _wrap(q, "     ", " • ")
        out.append("")
    if a.not_understood:
        out += _wrap(
            f"Some of the information given could not be used ({len(a.not_understood)} item(s)); {v.doctor} can check it."
        )
        out.append("")
    out += _wrap(plain_disclaimer(a))
    return "\n".join(out) + "\n"
