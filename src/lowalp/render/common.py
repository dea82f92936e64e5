"""Wording shared by every rendering: numbers, days, hedged probability words."""

from __future__ import annotations

from lowalp.model import AlpStatus, Assessment, CauseResult

DETAIL_CAUSES = 5


def pct(p: float) -> str:
    """A probability as a percentage people can read.

    >>> pct(0.623), pct(0.004), pct(0.0), pct(0.9999)
    ('62%', '<1%', '0%', '>99%')
    """
    if p <= 0:
        return "0%"
    if p < 0.005:
        return "<1%"
    if p > 0.995:
        return ">99%"
    return f"{p * 100:.0f}%"


def num(x: float | None) -> str:
    if x is None:
        return "?"
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.3g}"


def day(t: float | None) -> str:
    if t is None:
        return "day ?"
    if t == 0:
        return "index"
    return f"day {t:+g}"


def likelihood_word(p: float) -> str:
    """Hedged words for a probability; never 'diagnostic'."""
    if p >= 0.7:
        return "most consistent with the data"
    if p >= 0.4:
        return "a leading possibility"
    if p >= 0.15:
        return "possible"
    return "less likely"


def alp_line(alp: AlpStatus) -> str:
    limits = f"{num(alp.lower_limit)}–{num(alp.upper_limit)} U/L"
    where = "the lab's range" if alp.limit_source == "lab" else f"interval {alp.limit_source}"
    if alp.value is None:
        said = alp.reported or "no number"
        why = f" — {alp.status_reason}" if alp.status_reason else ""
        if alp.status == "unknown":
            return f"ALP {said} — could not be judged{why}"
        return f"ALP {said} — {alp.status.upper()} (from the lab's words{why})"
    as_given = (
        f"; reported as {alp.reported}"
        if alp.reported
        and alp.value is not None
        and not alp.reported.startswith(f"{alp.value:g} U/L")
        else ""
    )
    return (
        f"ALP {num(alp.value)} U/L — {alp.status.upper()} (limits {limits}, from {where}{as_given})"
    )


def persistence_line(alp: AlpStatus) -> str:
    word = {True: "yes", False: "no", None: "cannot tell"}[alp.persistent]
    return f"Persistent: {word} — {alp.persistence_reason}"


def summary_line(a: Assessment) -> str:
    """One line for a note or a card (under 140 characters)."""
    alp = a.alp
    head = (
        f"ALP {num(alp.value)} U/L {alp.status}"
        if alp.value is not None
        else f"ALP {alp.reported or 'result'} "
        + ("(status unknown)" if alp.status == "unknown" else alp.status)
    )
    if alp.low_for_age_only:
        head += " for age"
    if alp.persistent:
        head += ", persistent"
    if a.artifacts:
        return (
            head + "; possible sample contamination: repeat the sample; ECG now, treat K as "
            "real until then"
        )[:139]
    top = a.causes[0]
    text = f"{head}; most consistent with {top.name} ({pct(top.probability)})"
    if a.next_tests:
        text += f"; next: {a.next_tests[0].name.split(' (')[0]}"
    return text[:139]


def leading(a: Assessment, n: int = DETAIL_CAUSES) -> list[CauseResult]:
    return list(a.causes[:n])


def questions_for(a: Assessment) -> list[CauseResult]:
    """The causes whose patient questions are worth showing: the leading one, and the second
    when it is still a real possibility (10% or more)."""
    return [c for i, c in enumerate(a.causes[:2]) if i == 0 or c.probability >= 0.1]


def urgent_actions(a: Assessment) -> list[tuple[str, tuple[str, ...]]]:
    """Management pointers urgent for this case, each once, with the causes that give it.

    Taken from every cause, whatever its probability: the urgency comes from the finding the
    knowledge ties it to (liver failure, say), not from how likely the cause is.
    """
    found: dict[str, list[str]] = {}
    for c in a.causes:
        for text in c.urgent:
            found.setdefault(text, []).append(c.name)
    return [(text, tuple(names)) for text, names in found.items()]


def urgent_first(
    pointers: list[tuple[CauseResult, str]],
) -> list[tuple[CauseResult, str]]:
    """Management pointers with the urgent ones first (stable otherwise)."""
    return sorted(pointers, key=lambda cm: cm[1] not in cm[0].urgent)


URGENT_PLAIN = (
    "Some of your results need urgent care today. Your care team has steps to take first; "
    "ask them what is being done now."
)
"""What the patient view says when an action is urgent (the actions are clinicians' words)."""
