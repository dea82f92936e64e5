"""A result or flag written in words, read through knowledge/qualitative.yaml.

:func:`read_text` reads what a lab writes in place of a number ("undetectable", "<5",
"within normal limits", "1:160 positive"); :func:`read_flag` reads the flag beside a number
(HL7 v2 table 0078 codes such as ``L``/``HH``/``N``, or a word). Both return a :class:`Reading`,
or ``None`` when the words are not understood. The vocabulary is data; only the grammar
(comparator, number, optional unit; whole text before words inside it) is here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from lowalp.knowledge import Knowledge
from lowalp.knowledge.schema import Meaning
from lowalp.model import Qualifier

_NUMBER = r"(\d+(?:[.,]\d+)?|[.,]\d+)"
_TITRE = re.compile(r"\b1\s*:\s*\d+\b")
_PUNCT = re.compile(r"[()\[\],;:!?]+")

MEANING_QUALIFIER: dict[Meaning, Qualifier] = {
    "low": "low",
    "normal": "normal",
    "high": "high",
    "positive": "positive",
    "negative": "negative",
    "undetectable": "undetectable",
    "abnormal": "abnormal",
    "indeterminate": "indeterminate",
}
"""Every meaning but ``no_result`` is a qualifier a result can carry."""


@dataclass(frozen=True)
class Reading:
    """What words say about a result: a meaning, or a (censored) number with its unit."""

    meaning: Meaning | None = None
    value: float | None = None
    comparator: Literal["<", ">"] | None = None
    unit: str | None = None
    label: str = ""
    """How it was read, for the report ("'WNL' → normal", "flag H: Above high normal")."""

    @property
    def qualifier(self) -> Qualifier | None:
        if self.comparator is not None:
            return self.comparator
        return MEANING_QUALIFIER.get(self.meaning) if self.meaning else None


@dataclass(frozen=True)
class _Vocabulary:
    words: dict[str, Meaning]
    single: dict[str, Meaning]
    """One-character words ("+", "-"): only as the whole text."""
    phrases: tuple[tuple[re.Pattern[str], Meaning, str], ...]
    """Words of two characters or more, longest first, as whole-word patterns."""
    flags: dict[str, tuple[Meaning, str]]
    censored: re.Pattern[str]
    comparator_of: dict[str, Literal["<", ">"]]


def _tidy(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").casefold().split()).strip(" .")


def _vocabulary(kb: Knowledge) -> _Vocabulary:
    cached = kb.cache.get("qualitative_vocabulary")
    if isinstance(cached, _Vocabulary):
        return cached
    q = kb.qualitative
    words: dict[str, Meaning] = {}
    single: dict[str, Meaning] = {}
    flags: dict[str, tuple[Meaning, str]] = {}
    comparator_of: dict[str, Literal["<", ">"]] = {}
    if q is not None:
        for group in q.words:
            for w in group.words:
                key = _tidy(w)
                (single if len(key) == 1 else words)[key] = group.meaning
        flags = {f.code.upper(): (f.meaning, f.label) for f in q.flags}
        for sign, spellings in q.comparators.items():
            for c in spellings:
                comparator_of[_tidy(c)] = sign
    phrases = tuple(
        (re.compile(rf"(?<![\w<>]){re.escape(w)}(?![\w])"), m, w)
        for w, m in sorted(words.items(), key=lambda item: -len(item[0]))
    )
    alternatives = "|".join(re.escape(c) for c in sorted(comparator_of, key=len, reverse=True))
    lead = rf"(?:(?P<cmp>{alternatives})\s*)?" if alternatives else "(?P<cmp>)"
    censored = re.compile(
        rf"^{lead}=?\s*(?P<num>{_NUMBER})\s*(?P<unit>[A-Za-zµμ%/\[{{].*)?$", re.IGNORECASE
    )
    vocab = _Vocabulary(words, single, phrases, flags, censored, comparator_of)
    kb.cache["qualitative_vocabulary"] = vocab
    return vocab


def read_text(kb: Knowledge, text: str) -> Reading | None:
    """The result a lab wrote as text, or ``None`` when the words are not understood.

    >>> from lowalp.knowledge import load_knowledge
    >>> kb = load_knowledge()
    >>> read_text(kb, "<5").comparator, read_text(kb, "<5").value
    ('<', 5.0)
    >>> read_text(kb, "Within normal limits").meaning, read_text(kb, "1:160 positive").meaning
    ('normal', 'positive')
    >>> read_text(kb, "not detected").meaning, read_text(kb, "purple") is None
    ('undetectable', True)
    """
    vocab = _vocabulary(kb)
    shown = " ".join(text.replace("\u00a0", " ").split()).strip(" .")
    key = shown.casefold()
    if not key:
        return None
    if key in vocab.words or key in vocab.single:
        meaning = vocab.words.get(key) or vocab.single[key]
        return Reading(meaning=meaning, label=f"'{shown}' → {meaning}")
    m = vocab.censored.match(shown)
    if m:
        number = float(m["num"].replace(",", "."))
        sign = vocab.comparator_of.get((m["cmp"] or "").casefold())
        unit = m["unit"].strip() if m["unit"] else None
        return Reading(value=number, comparator=sign, unit=unit, label=f"'{shown}'")
    # words inside a longer text: "positive 1:160", "negative (<4 U/mL)"
    rest = _PUNCT.sub(" ", _TITRE.sub(" ", key))
    found: dict[Meaning, str] = {}
    for pattern, meaning, word in vocab.phrases:
        if pattern.search(rest):
            found.setdefault(meaning, word)
            rest = pattern.sub(" ", rest)
    if len(found) == 1:
        ((meaning, word),) = found.items()
        return Reading(meaning=meaning, label=f"'{shown}' → {meaning} (from '{word}')")
    return None


def read_flag(kb: Knowledge, flag: str) -> Reading | None:
    """The lab's flag: an HL7 v2 table 0078 code, or a word; ``None`` when not understood.

    Repeated flags ("H~A", "L,A") are read together: the first that says low, normal or high
    wins over ``A`` (abnormal, no direction).

    >>> from lowalp.knowledge import load_knowledge
    >>> kb = load_knowledge()
    >>> read_flag(kb, "LL").meaning, read_flag(kb, "n").meaning, read_flag(kb, "H~A").meaning
    ('low', 'normal', 'high')
    """
    vocab = _vocabulary(kb)
    parts = [p.strip() for p in re.split(r"[~,;|]", flag) if p.strip()]
    readings: list[Reading] = []
    for part in parts or [flag.strip()]:
        code = part.upper()
        if code in vocab.flags:
            meaning, label = vocab.flags[code]
            readings.append(Reading(meaning=meaning, label=f"flag {part} ({label})"))
            continue
        word = read_text(kb, part)
        if word is None or word.meaning is None:
            return None
        readings.append(Reading(meaning=word.meaning, label=f"flag '{part}' → {word.meaning}"))
    if not readings:
        return None
    directional = [r for r in readings if r.meaning not in ("abnormal", "indeterminate")]
    meanings = {r.meaning for r in directional}
    if len(meanings) > 1:
        return None
    return directional[0] if directional else readings[0]


def read_sample_comment(text: str, kb: Knowledge) -> list[tuple[str, bool]]:
    """Findings about the sample that a lab's comment states ("sample haemolysed (H index
    150)"), each with whether it is present (False after a negation: "not haemolysed")."""
    q = kb.qualitative
    if q is None or not text.strip():
        return []
    tokens = _PUNCT.sub(" ", text.casefold()).split()
    found: dict[str, bool] = {}
    for rule in q.sample_comments:
        for word in rule.words:
            w = word.casefold().split()
            for i in range(len(tokens) - len(w) + 1):
                if tokens[i : i + len(w)] != w:
                    continue
                before = " ".join(tokens[max(0, i - 2) : i])
                negated = any(
                    re.search(rf"(^|\s){re.escape(n.casefold())}$", before)
                    or re.search(rf"(^|\s){re.escape(n.casefold())}\s\S+$", before)
                    for n in rule.negations
                )
                found[rule.finding] = found.get(rule.finding, False) or not negated
    return list(found.items())
