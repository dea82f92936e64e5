"""The terminal report, for a clinician or (``audience="patient"``) in plain language."""

from __future__ import annotations

import textwrap
from typing import Literal

from lowalp.model import Assessment, CauseResult, Wording
from lowalp.render.common import (
    NO_CAUSE,
    PATIENT_TESTS,
    alp_line,
    ceiling_note,
    day,
    folded_line,
    is_low,
    leading,
    likelihood_word,
    management_pointers,
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
WIDTH = 96


def render_text(a: Assessment, *, audience: Audience = "clinician", color: bool = False) -> str:
    return (_patient if audience == "patient" else _clinician)(a, _Style(color))


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
    ) or [indent]


def _who(a: Assessment) -> str:
    age = f"{a.age_years:.3g} y" if a.age_years is not None else "age not given"
    sex = {"F": "female", "M": "male", None: "sex not given"}[a.patient.sex]
    return f"{age}, {sex}"


def _clinician(a: Assessment, st: _Style) -> str:
    out: list[str] = []
    title = f"lowalp assessment{' — ' + a.case_id if a.case_id else ''}"
    out.append(st.bold(title) + st.dim(f"   (knowledge {a.knowledge_version})"))
    out.append(f"Patient: {_who(a)}")
    out.append(f"Summary: {summary_line(a)}")
    out.append("")
    alp = a.alp
    out.append(st.bold(alp_line(alp)))
    if alp.age_sex_interval and alp.limit_source == "lab":
        out.append(f"  Age/sex interval for comparison: {alp.age_sex_interval}")
    if alp.low_for_age_only:
        out.append(
            st.warn(
                "  Low for age and sex although inside the printed range: the printed range looks like an adult one."
            )
        )
    out.append(persistence_line(alp))
    if len(alp.measurements) > 1:
        series = "   ".join(
            f"{day(m.t)}: {num(m.value) if m.value is not None else m.reported} {m.status}"
            for m in alp.measurements
        )
        out += _wrap(series, "  ")
    out.append("")

    if not is_low(a):
        return "\n".join(out + _not_low(a)) + "\n"

    for art in a.artifacts:
        shown = f" ({pct(art.probability)})" if art.probability is not None else ""
        out.append(st.warn(f"PRE-ANALYTICAL WARNING: {art.name}{shown}"))
        for e in art.evidence:
            against = "against: " if e.effect == "refutes" else ""
            out += _wrap(f"{against}{e.label}: {e.state} ({e.detail})", "    ", "  - ")
        out += _wrap(f"Action: {art.action}", "    ", "  → ")
        out.append("")

    urgent = urgent_actions(a)
    if urgent:
        out.append(st.warn("URGENT: act on these first"))
        for text, names in urgent:
            out += _wrap(f"{text} [{', '.join(names)}]", "    ", "  → ")
        out.append("")
    if a.alp.status == "unknown":
        out += _wrap(
            "The ALP could not be judged: what follows is what the rest of the data would suggest "
            "if it were low, and carries little weight until a usable ALP result confirms it.",
        )
        out.append("")
    out.append(st.bold("Possible explanations (decision support, not a diagnosis)"))
    for i, c in enumerate(leading(a), start=1):
        out += _cause_block(i, c, st, a.wording)
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
                cited = ", ".join(
                    dict.fromkeys(x for x in (s.source, s.not_applicable_source) if x)
                )
                out += _wrap(f"{s.name}: {s.interpretation} [{cited}]", "    ", "  ")
                continue
            totals = ", ".join(f"{g} {num(v)}" for g, v in s.totals.items())
            out += _wrap(f"{s.name}: {totals} — {s.interpretation} [{s.source}]", "    ", "  ")
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
            refs = pointer_sources(c, m)
            out += _wrap(
                f"[{c.name}] {m}" + (f" [{', '.join(refs)}]" if refs else ""), "    ", "  - "
            )
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
    if a.not_understood:
        out.append(st.warn("Not understood — left out of the reasoning"))
        for n in a.not_understood:
            named = n.suggestions and "closest:" not in n.reason  # a unit's text names it
            hint = f" (did you mean {', '.join(n.suggestions)}?)" if named else ""
            out += _wrap(f"{n.pointer}: '{n.value}' — {n.reason}{hint}", "    ", "  - ")
        out.append("")
    if a.warnings:
        out.append(st.warn("Warnings and assumptions"))
        for w in a.warnings:
            out += _wrap(w, "    ", "  - ")
        out.append("")
    if a.sources:
        out.append(st.bold("Sources"))
        for src in a.sources:
            out += _wrap(
                f"[{src.id}] {src.citation}" + (f" {src.url}" if src.url else ""), "    ", "  "
            )
        out.append("")
    out += _wrap(a.disclaimer)
    return "\n".join(out) + "\n"


def _not_low(a: Assessment) -> list[str]:
    """The short report for a normal or high ALP: nothing to explain, no low-ALP work-up."""
    out = _wrap(not_low_note(a))
    out.append("")
    rest = [w for w in a.warnings if "not low" not in w]
    if rest:
        out.append("Warnings and assumptions")
        for w in rest:
            out += _wrap(w, "    ", "  - ")
        out.append("")
    out += _wrap(a.disclaimer)
    return out


def _cause_block(i: int, c: CauseResult, st: _Style, wording: Wording) -> list[str]:
    kind = (
        "not a diagnosis: what would change it is below"
        if c.id == NO_CAUSE
        else ("transient" if c.transient else "persistent") + " cause"
    )
    out = [
        st.bold(f"{i:>2}. {c.name} — {pct(c.probability)}")
        + st.dim(f"  ({likelihood_word(c.probability, wording)}; {kind}; prior {pct(c.prior)})")
    ]
    note = ceiling_note(c)
    if note:
        out += _wrap(note, "      ", "      ")
    weighed = [e for e in c.evidence if e.effect != "not_applicable"]
    known = [e for e in weighed if e.state != "unknown"]
    for e in known[:6]:
        sign = "+" if e.weight > 0 else "−" if e.weight < 0 else "·"
        src = f"[{e.source}]" if e.source else "[estimate]"
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
