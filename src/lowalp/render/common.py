"""Wording shared by every rendering: numbers, days, hedged probability words."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lowalp.engine.next_tests import DEFERRED
from lowalp.model import (
    AlpMeasurement,
    AlpStatus,
    Assessment,
    CauseResult,
    Evidence,
    NextTest,
    Source,
    Wording,
)

DETAIL_CAUSES = 5
SUMMARY_LIMIT = 139
"""The summary line's length: a CDS Hooks card summary must stay under 140 characters."""
_PROPER = frozenset({"Wilson", "Menkes", "Cushing", "Addison", "Paget"})
NO_CAUSE = "no_identifiable_cause"
"""The answer "nothing in the data explains the low value": never worded as a diagnosis."""


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


def likelihood_word(p: float, wording: Wording) -> str:
    """Hedged words for a probability, in the bands of knowledge ``settings.wording``; never
    'diagnostic'.

    >>> w = Wording(possible_from=0.3, likely_from=0.5, most_consistent_from=0.75, patient_from=0.05)
    >>> [likelihood_word(p, w) for p in (0.8, 0.6, 0.4, 0.1)]
    ['most consistent with the data', 'likely', 'possible', 'less likely']
    """
    if p >= wording.most_consistent_from:
        return "most consistent with the data"
    if p >= wording.likely_from:
        return "likely"
    if p >= wording.possible_from:
        return "possible"
    return "less likely"


LINK_GRADE_WORDS = {
    "cohort": "measured in groups of patients",
    "case_series": "reported in patients but never measured in a group",
    "mechanism": "expected from physiology, never reported with a low ALP",
}


def ceiling_note(c: CauseResult) -> str | None:
    """Why a cause's probability stops where it does, when its link grade's ceiling held it."""
    if c.held_at_ceiling is None or c.link_grade is None:
        return None
    return (
        f"Held at {pct(c.held_at_ceiling)}: its link to a low ALP is "
        f"{LINK_GRADE_WORDS[c.link_grade]}, so even strong evidence for the condition makes it "
        "at most this likely to be what lowers the ALP; the rest is counted under "
        "'no identifiable cause'."
    )


def is_low(a: Assessment) -> bool:
    """False for a normal or high ALP: then there is no low value to explain."""
    return a.alp.status not in ("normal", "high")


def clip(text: str, limit: int = SUMMARY_LIMIT) -> str:
    r"""``text`` on one line in at most ``limit`` characters, cut between words (never inside
    one) and marked with an ellipsis when anything was left out; never ending on a space.

    Runs of white space (a line break, a tab) count as one space. A text whose first word alone
    is longer than the limit is left as the ellipsis alone (no summary lowalp writes starts so).

    >>> clip("ALP 20 U/L low; most consistent with hypophosphatasia", 30)
    'ALP 20 U/L low; most…'
    >>> clip("ALP  20\nU/L ", 30), clip("x" * 40, 10)
    ('ALP 20 U/L', '…')
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = text[: limit - 1]  # one character is kept for the ellipsis
    cut = room if text[limit - 1] == " " else room.rpartition(" ")[0]
    return cut.rstrip(" ;,:—–-(") + "…"


def _in_sentence(name: str) -> str:
    """A knowledge name placed inside a sentence: only a capital that starts an ordinary word
    is lowered; acronyms, gene names and proper names ("ALP", "HRT", "Wilson disease" after
    the first word) keep the knowledge's capitalisation."""
    first = name.split(" ", 1)[0]
    if len(first) > 1 and not first[1:].islower():
        return name
    if first.rstrip(",;:") in _PROPER:
        return name
    return name[:1].lower() + name[1:]


def _short(c: CauseResult) -> str:
    return c.name.split(" (")[0]


def answer_phrase(a: Assessment) -> str:
    """What the summary says about the causes, in words that follow the leading probability.

    Below ``wording.possible_from`` no cause is named as the answer; "no identifiable cause"
    is said as what it is, not as a diagnosis.
    """
    top = a.causes[0]
    w, p = a.wording, top.probability
    second = a.causes[1] if len(a.causes) > 1 else None
    also = f"{_short(second)} ({pct(second.probability)})" if second else ""
    if top.id == NO_CAUSE:
        text = f"no cause identified in the data given ({pct(p)})"
        return text + (f"; also possible: {also}" if also else "")
    if p < w.possible_from:
        text = f"no single explanation stands out; the leading possibilities are {_short(top)} ({pct(p)})"
        return text + (f" and {also}" if also else "")
    if p >= w.most_consistent_from:
        return f"most consistent with {_short(top)} ({pct(p)})"
    if p >= w.likely_from:
        return f"likely {_short(top)} ({pct(p)})"
    return f"possibly {_short(top)} ({pct(p)})" + (f"; or {also}" if also else "")


def plain_likelihood(p: float, wording: Wording) -> str:
    """How likely a cause is, for the patient view: the bands of :func:`likelihood_word` in
    plain words, never a percentage.

    >>> w = Wording(possible_from=0.3, likely_from=0.5, most_consistent_from=0.75, patient_from=0.05)
    >>> [plain_likelihood(p, w) for p in (0.9999, 0.6, 0.4, 0.1)]
    ['fits the results best', 'likely', 'possible', 'less likely']
    """
    if p >= wording.most_consistent_from:
        return "fits the results best"
    return likelihood_word(p, wording)


def is_child(a: Assessment) -> bool:
    """True when the patient is younger than the knowledge's adult age: the patient view then
    speaks to a parent."""
    return a.age_years is not None and a.age_years < a.adult_age_years


def patient_causes(a: Assessment, n: int = 3) -> list[CauseResult]:
    """The causes the patient view names: of the first ``n``, those at ``wording.patient_from``
    or more, and always the leading one (which may be "no identifiable cause")."""
    return [
        c for i, c in enumerate(a.causes[:n]) if i == 0 or c.probability >= a.wording.patient_from
    ]


@dataclass(frozen=True)
class Voice:
    """The framing words of the patient view: to the patient, or to a parent of a child.

    Only the framing follows the age; the knowledge's plain texts of causes, evidence and
    questions are written once, and the disclaimer is the knowledge's."""

    your: str
    """Whose result: "your" or "your child's"."""
    someone: str
    """Whom the interval is for: "someone of your age and sex" or "a child of this age and sex"."""
    their: str
    """Whose age, later in a sentence: "your" or "their"."""
    doctor: str
    """Whom to ask: "your doctor" or "your child's doctor"."""
    reader: str
    """Who reads the page: "you" or "a parent"."""
    child: bool = False
    """The page speaks to a parent: findings' plain words go through :func:`for_parent`."""


def voice(a: Assessment) -> Voice:
    if is_child(a):
        return Voice(
            your="your child's",
            someone="a child of this age and sex",
            their="their",
            doctor="your child's doctor",
            reader="a parent",
            child=True,
        )
    return Voice(
        your="your",
        someone="someone of your age and sex",
        their="your",
        doctor="your doctor",
        reader="you",
    )


_PARENT_SUBJECT = (
    ("You are, or were", "Your child is, or was"),
    ("You have", "Your child has"),
    ("You are", "Your child is"),
    ("You had", "Your child had"),
    ("You eat", "Your child eats"),
    ("You drink", "Your child drinks"),
    ("You take", "Your child takes"),
    ("Your ", "Your child's "),
)
"""How a finding's plain words, which start from "you", begin when said to a parent."""


def for_parent(text: str) -> str:
    """A finding's plain words about "you" said to a parent: the subject becomes the child, and
    a later "you" or "your" becomes "they" or "their".

    >>> for_parent("You have been seriously ill in the last four weeks")
    'Your child has been seriously ill in the last four weeks'
    >>> for_parent("Your weight is low for your height")
    "Your child's weight is low for their height"
    >>> for_parent("An eating disorder that limits how much you eat")
    'An eating disorder that limits how much they eat'
    """
    for said, to_parent in _PARENT_SUBJECT:
        if text.startswith(said):
            text = to_parent + text[len(said) :]
            break
    return re.sub(r"\byou\b", "they", re.sub(r"\byour\b", "their", text))


def voiced(text: str, v: Voice) -> str:
    """A finding's plain words as the page speaks: to a parent for a child."""
    return for_parent(text) if v.child else text


def plain_disclaimer(a: Assessment) -> str:
    """The patient view's disclaimer: the knowledge's words to a parent for a child."""
    return (a.disclaimer_plain_child if is_child(a) else "") or a.disclaimer_plain


def plain_test(t: NextTest) -> str:
    """A next test as the patient view names it: its plain name where the knowledge gives one."""
    return t.plain or t.name


def plain_answer(a: Assessment) -> str:
    """The same, in plain words for the patient view (to a parent when the patient is a child)."""
    your = voice(a).your.capitalize()
    if not is_low(a):
        where = "in the usual range" if a.alp.status == "normal" else "higher than usual"
        return (
            f"{your} ALP is {where}, not low, so there is no low result to explain. "
            "Your doctor will tell you whether anything else about it needs attention."
        )
    if not a.causes:
        return "The program could not rank any reasons from the information given."
    top = a.causes[0]
    w, p = a.wording, top.probability
    if top.id == NO_CAUSE or p < w.possible_from:
        return (
            "No single reason stands out from the results given so far. The reasons below are "
            "only possibilities; a repeat test and the tests your doctor suggests will tell more."
        )
    name = _in_sentence(top.plain_name)
    if p >= w.most_consistent_from:
        return f"The results fit best with this reason: {name}. It is not a diagnosis."
    if p >= w.likely_from:
        return f"The most likely reason is {name}, but others are not ruled out."
    return f"One possible reason is {name}; others are still possible too."


def not_low_note(a: Assessment) -> str:
    """What the clinician's report says in place of a differential for a normal or high ALP;
    a high one is said to have causes of its own, so that it is not read as nothing."""
    text = (
        f"The ALP is {a.alp.status}, not low, for this age and sex: there is no low value to "
        "explain, so no differential for a low ALP and no next tests for one are given."
    )
    if a.alp.status == "high":
        text += " A high ALP has other causes (bone or liver), which lowalp does not assess."
    return text


def as_reported(value: float | None, reported: str) -> str:
    """The lab's own value and unit (with its range where it printed one) when they differ from
    the canonical ``value`` in U/L; empty when the lab printed the same number in U/L.

    >>> as_reported(27, "0.45 µkat/L (lab range 0.58–1.73 µkat/L)")
    '0.45 µkat/L (lab range 0.58–1.73 µkat/L)'
    >>> as_reported(22, "22 U/L (lab range 35–104 U/L)")
    ''
    """
    if not reported or value is None or reported.startswith(f"{value:g} U/L"):
        return ""
    return reported


def limit_source_words(alp: AlpStatus | AlpMeasurement) -> str:
    """Where a limit came from, in words (an interval's id is for the JSON, not the reader)."""
    if alp.limit_source is None:
        return "not known"
    if alp.limit_source == "lab":
        return "the laboratory's printed range"
    return "the age/sex reference interval"


def alp_line(alp: AlpStatus, *, with_reported: bool = True) -> str:
    """The index ALP against its limits; ``with_reported=False`` leaves out the lab's own value
    and unit (:func:`as_reported`), for a rendering that shows them on a line of their own."""
    limits = f"{num(alp.lower_limit)}–{num(alp.upper_limit)} U/L"
    where = limit_source_words(alp)
    if alp.value is None:
        said = alp.reported or "no number"
        why = f" — {alp.status_reason}" if alp.status_reason else ""
        if alp.status == "unknown":
            return f"ALP {said} — could not be judged{why}"
        return f"ALP {said} — {alp.status.upper()} (from the lab's words{why})"
    given = as_reported(alp.value, alp.reported)
    as_given = f"; reported as {given}" if given and with_reported else ""
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
    if not is_low(a):
        return clip(head + "; not low, so no low-ALP work-up is suggested")
    if a.artifacts:
        return clip(head + "; " + a.artifacts[0].summary)
    if not a.causes:
        return clip(head + "; no explanation could be ranked")
    if_low = "if it is low, " if alp.status == "unknown" else ""
    text = f"{head}; {if_low}{answer_phrase(a)}"
    shown = shown_tests(a)
    if shown:
        nxt = f"; next: {shown[0].name.split(' (')[0].split(':')[0]}"
        if len(text + nxt) <= SUMMARY_LIMIT:
            text += nxt
    return clip(text)


def leading(a: Assessment, n: int = DETAIL_CAUSES) -> list[CauseResult]:
    return list(a.causes[:n])


def questions_for(a: Assessment) -> list[CauseResult]:
    """The causes whose patient questions are worth showing: the leading one, and the second
    when it is still a real possibility (10% or more)."""
    return [c for i, c in enumerate(a.causes[:2]) if i == 0 or c.probability >= 0.1]


def patient_questions(a: Assessment) -> list[str]:
    """The questions the patient view lists, each once: those of :func:`questions_for`, as a
    parent asks them when the patient is a child and the knowledge words them so."""
    child = is_child(a)
    qs = (
        q
        for c in questions_for(a)
        for q in (
            c.patient_questions_child
            if child and c.patient_questions_child
            else c.patient_questions
        )
    )
    return list(dict.fromkeys(qs))


def urgent_actions(a: Assessment) -> list[tuple[str, tuple[str, ...]]]:
    """Management pointers urgent for this case, each once, with the causes that give it.

    Taken from every cause, whatever its probability: the urgency comes from the finding the
    knowledge ties it to (liver failure, say), not from how likely the cause is.
    """
    warned = {art.id for art in a.artifacts}  # the pre-analytical warning already says these
    found: dict[str, list[str]] = {}
    for c in a.causes:
        if c.id in warned:
            continue
        for text in c.urgent:
            found.setdefault(text, []).append(c.name)
    return [(text, tuple(names)) for text, names in found.items()]


def urgent_first(
    pointers: list[tuple[CauseResult, str]],
) -> list[tuple[CauseResult, str]]:
    """Management pointers with the urgent ones first (stable otherwise)."""
    return sorted(pointers, key=lambda cm: cm[1] not in cm[0].urgent)


MANAGEMENT_CAUSES = 2
MANAGEMENT_MIN_PROBABILITY = 0.1
"""Management pointers: those of the first causes at this probability or more."""


def management_pointers(a: Assessment) -> list[tuple[CauseResult, str]]:
    """The management pointers every report shows, each with its cause, urgent ones first.

    Urgent actions of less likely causes are shown apart (:func:`urgent_actions`)."""
    return urgent_first(
        [
            (c, m)
            for c in a.causes[:MANAGEMENT_CAUSES]
            if c.probability >= MANAGEMENT_MIN_PROBABILITY
            for m in c.management
        ]
    )


def pointer_sources(c: CauseResult, text: str) -> tuple[str, ...]:
    """The source ids of one of the cause's management pointers (none for general advice)."""
    return next((p.sources for p in c.pointers if p.text == text), ())


class Citations:
    """The numbers a report gives its sources: each source a number the first time it is
    cited, so that the reference list names each once, in the order cited, and only those
    cited in what the report shows.

    >>> refs = Citations([Source(id="a", citation="A."), Source(id="b", citation="B.")])
    >>> refs.mark("b"), refs.mark("a", "b"), refs.mark(), refs.mark("not_a_source")
    ('[1]', '[1,2]', '', '[not_a_source]')
    >>> [(n, s.id) for n, s in refs.listed()]
    [(1, 'b'), (2, 'a')]
    """

    def __init__(self, sources: Iterable[Source]) -> None:
        self._sources = {s.id: s for s in sources}
        self._numbers: dict[str, int] = {}

    def number(self, source_id: str) -> str:
        """The source's number (given now if it has none yet); an id the assessment lists no
        source for is kept as it is, so that it is seen rather than lost."""
        if source_id not in self._sources:
            return source_id
        return str(self._numbers.setdefault(source_id, len(self._numbers) + 1))

    def mark(self, *source_ids: str) -> str:
        """The bracketed numbers of ``source_ids`` ("[1,3]": no space, so that a wrapped line
        never breaks inside it), each once and in order; empty for none."""
        numbers = dict.fromkeys(self.number(i) for i in source_ids if i)
        ordered = sorted(numbers, key=lambda n: (not n.isdigit(), int(n) if n.isdigit() else 0, n))
        return f"[{','.join(ordered)}]" if ordered else ""

    def listed(self) -> list[tuple[int, Source]]:
        """The sources cited so far with their numbers, in number order."""
        return [(n, self._sources[i]) for i, n in self._numbers.items()]


PATIENT_TESTS = 4
"""The patient view lists at most this many of the shown tests (urgent ones first)."""


def shown_tests(a: Assessment) -> list[NextTest]:
    """The next tests a report shows: urgent ones first, then the few most informative."""
    return [t for t in a.next_tests if not t.folded]


def folded_tests(a: Assessment) -> list[NextTest]:
    """The next tests a report folds away (kept in the model and JSON)."""
    return [t for t in a.next_tests if t.folded]


def folded_line(a: Assessment) -> str:
    """One line for the folded tests: how many, and those put off with the reason.

    Empty when nothing is folded.
    """
    folded = folded_tests(a)
    if not folded:
        return ""
    line = (
        f"{len(folded)} more {'test' if len(folded) == 1 else 'tests'} (listed in the JSON output)."
    )
    by_reason: dict[str, list[str]] = {}
    for t in folded:
        if t.deferred_by and DEFERRED in t.why:
            by_reason.setdefault(t.why.split(DEFERRED, 1)[1], []).append(t.name.split(" (")[0])
    for reason, names in by_reason.items():
        line += f" Not for now, while {reason}: {', '.join(names)}."
    return line


URGENT_PLAIN = (
    "Some of your results need urgent care today. Your care team has steps to take first; "
    "ask them what is being done now."
)
"""What the patient view says when an action is urgent (the actions are clinicians' words)."""

URGENT_PLAIN_CHILD = (
    "Some of your child's results need urgent care today. The care team has steps to take "
    "first; ask them what is being done now."
)
"""The same, to a parent."""


def urgent_plain(a: Assessment) -> str:
    """The patient view's urgent advice, to the patient or to a parent."""
    return URGENT_PLAIN_CHILD if is_child(a) else URGENT_PLAIN


BRIEF_CAUSES = 3
"""A brief report names at most this many causes (those after the first only from the
knowledge's ``wording.patient_from``: below it a cause is a remote possibility)."""
BRIEF_FINDINGS = (3, 2)
"""... each with the findings that weigh most for or against it: at most three for the leading
cause, two for the others."""
NEXT_STEPS = 3
"""A brief report's next steps: every urgent test, then the most informative tests and the
leading causes' management pointers up to this many."""


def brief_causes(a: Assessment) -> list[tuple[CauseResult, list[Evidence]]]:
    """The causes a brief report names, each with the findings that carry it (weightiest
    first, known and applied only)."""
    shown = [
        c
        for i, c in enumerate(a.causes[:BRIEF_CAUSES])
        if i == 0 or c.probability >= a.wording.patient_from
    ]
    out = []
    for i, c in enumerate(shown):
        known = [
            e
            for e in c.evidence
            if e.effect != "not_applicable" and e.state != "unknown" and e.weight != 0
        ]
        out.append((c, sorted(known, key=lambda e: -abs(e.weight))[: BRIEF_FINDINGS[i > 0]]))
    return out


@dataclass(frozen=True)
class Step:
    """One next step of a brief report: an urgent test, a test, or a management pointer (with
    the cause it is for when that is not the leading one, and its sources)."""

    text: str
    urgent: bool = False
    cause: str | None = None
    sources: tuple[str, ...] = ()


def next_steps(a: Assessment) -> list[Step]:
    """Every urgent test, then the most informative tests, then the management pointers of
    the leading causes not already said as urgent, up to :data:`NEXT_STEPS`."""
    tests = shown_tests(a)
    urgent = [t for t in tests if t.urgent]
    room = max(NEXT_STEPS - len(urgent), 0)
    steps = [Step(t.name, urgent=True) for t in urgent]
    steps += [Step(t.name) for t in tests if not t.urgent][:room]
    said = {text for text, _ in urgent_actions(a)}
    for c, m in management_pointers(a):
        if len(steps) >= NEXT_STEPS:
            break
        if m in said:
            continue
        whose = None if c is a.causes[0] else c.name
        steps.append(Step(m, cause=whose, sources=pointer_sources(c, m)))
    return steps
