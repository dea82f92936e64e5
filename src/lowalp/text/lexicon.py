"""The phrases lowalp can read, as word keys, with the concept each names.

Built once per knowledge base from the findings' synonyms and HPO terms, the medicines' drug
names, the event synonyms and the family-history findings' ``relatives``; the abbreviations and
equivalent-word groups of ``knowledge/text/`` are applied to the phrases and to the text alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lowalp.knowledge import Knowledge
from lowalp.knowledge.schema import ClinicalFinding, MedicationFinding
from lowalp.knowledge.text_schema import Abbreviation
from lowalp.text.words import fold, word_key

Kind = str  # "FINDING" | "MEDICATION" | "EVENT" | "RELATIVE"
_RAW = re.compile(r"[^\W_]+|'s\b|[#/+&]|[^\w\s]", re.UNICODE)


def raw_tokens(text: str) -> list[str]:
    """Words and signs of a phrase, as the matcher splits them.

    >>> raw_tokens("Kayser-Fleischer rings, s/p CABG")
    ['Kayser', '-', 'Fleischer', 'rings', ',', 's', '/', 'p', 'CABG']
    """
    return _RAW.findall(text)


@dataclass(frozen=True)
class Entry:
    concept: str
    kind: Kind
    phrase: str
    keys: tuple[str, ...]
    """Content word keys, in the phrase's order."""
    polarity: str = "plain"
    """``plain``; ``negative``: the phrase itself says the concept is absent ("anicteric");
    ``negated_only``: a broader phrase that counts only when negated ("no fractures")."""


@dataclass
class Lexicon:
    entries: list[Entry] = field(default_factory=list)
    by_key: dict[str, list[int]] = field(default_factory=dict)
    vocabulary: set[str] = field(default_factory=set)
    abbreviations: dict[tuple[str, ...], Abbreviation] = field(default_factory=dict)
    abbreviation_max: int = 0
    equivalents: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    equivalent_max: int = 0
    spanning: list[int] = field(default_factory=list)
    """Entries whose words include a clause break ("Coombs-negative"): matched across breaks."""
    stopwords: frozenset[str] = frozenset()
    breaks: frozenset[str] = frozenset()

    _fuzzy: list[str] | None = None

    def fuzzy_vocabulary(self) -> list[str]:
        """The words a misspelling may be read as (alphabetic, five letters or more)."""
        if self._fuzzy is None:
            self._fuzzy = sorted(w for w in self.vocabulary if len(w) >= 5 and w.isalpha())
        return self._fuzzy

    # ------------------------------------------------------------------ keys
    def expand(self, words: Sequence[str], *, medication: bool = False) -> list[tuple[str, int]]:
        """Abbreviations expanded: (word, index of the source word) pairs."""
        out: list[tuple[str, int]] = []
        i = 0
        lowered = [fold(w) for w in words]
        while i < len(words):
            for size in range(min(self.abbreviation_max, len(words) - i), 0, -1):
                ab = self.abbreviations.get(tuple(lowered[i : i + size]))
                if ab is None:
                    continue
                if ab.when == "medication" and not medication:
                    continue
                written = "".join(words[i : i + size])
                if ab.case == "exact" and written != "".join(raw_tokens(ab.abbr)).upper():
                    continue
                out.extend((w, i) for w in raw_tokens(ab.expansion))
                i += size
                break
            else:
                out.append((words[i], i))
                i += 1
        return out

    def keys(self, pairs: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
        """Word keys with equivalents applied; stopwords dropped; breaks kept as ``|``."""
        keyed: list[tuple[str, int]] = []
        for w, src in pairs:
            low = fold(w)
            if low in self.breaks:
                keyed.append(("|" + word_key(w), src))
            elif low in self.stopwords or (not low.isalnum() and low not in ("#", "+")):
                continue
            else:
                keyed.append((word_key(w), src))
        out: list[tuple[str, int]] = []
        i = 0
        while i < len(keyed):
            for size in range(min(self.equivalent_max, len(keyed) - i), 0, -1):
                seq = tuple(k for k, _ in keyed[i : i + size])
                canon = self.equivalents.get(seq)
                if canon is not None:
                    src = keyed[i][1]
                    out.extend((c, src) for c in canon)
                    i += size
                    break
            else:
                out.append(keyed[i])
                i += 1
        return out

    def phrase_keys(self, phrase: str, *, medication: bool = False) -> tuple[str, ...]:
        pairs = self.expand(raw_tokens(phrase), medication=medication)
        return tuple(k.lstrip("|") for k, _ in self.keys(pairs) if k.lstrip("|"))

    # ------------------------------------------------------------------ building
    def add(
        self, concept: str, kind: Kind, phrases: Iterable[str], polarity: str = "plain"
    ) -> None:
        for phrase in phrases:
            keys = self.phrase_keys(phrase, medication=kind == "MEDICATION")
            if not keys:
                continue
            if any(e.keys == keys and e.kind == kind for e in self._same_first(keys)):
                continue
            self.entries.append(Entry(concept, kind, phrase, keys, polarity))
            n = len(self.entries) - 1
            for k in set(keys):
                self.by_key.setdefault(k, []).append(n)
            self.vocabulary.update(keys)
            if any(k in self.breaks for k in keys):
                self.spanning.append(n)

    def _same_first(self, keys: tuple[str, ...]) -> list[Entry]:
        return [self.entries[i] for i in self.by_key.get(keys[0], ())]


def build_lexicon(kb: Knowledge) -> Lexicon:
    """The lexicon of a knowledge base (built once, kept in ``kb.cache``)."""
    cached = kb.cache.get("lexicon")
    if isinstance(cached, Lexicon):
        return cached
    text = kb.text
    assert text.matching is not None
    lex = Lexicon(
        stopwords=frozenset(fold(w) for w in text.matching.stopwords),
        breaks=frozenset(fold(w) for w in text.matching.clause_breaks),
    )
    for ab in text.abbreviations:
        key = tuple(fold(w) for w in raw_tokens(ab.abbr))
        lex.abbreviations[key] = ab
        lex.abbreviation_max = max(lex.abbreviation_max, len(key))
    # Equivalents: every member reads as the group's first entry.
    for group in text.equivalents:
        canon = lex.phrase_keys(group[0])
        for member in group:
            seq = lex.phrase_keys(member)
            if seq and seq != canon:
                lex.equivalents[seq] = canon
                lex.equivalent_max = max(lex.equivalent_max, len(seq))
    for f in kb.findings.values():
        if isinstance(f, ClinicalFinding):
            phrases = [*f.synonyms]
            excluded = {fold(x) for x in f.hpo_exclude}
            for hp in f.hpo:
                term = text.hpo.get(hp)
                if term is not None:
                    phrases.extend(
                        p for p in (term.name, *term.synonyms) if fold(p) not in excluded
                    )
            lex.add(f.id, "FINDING", phrases)
            lex.add(f.id, "FINDING", f.absent_synonyms, "negative")
            lex.add(f.id, "FINDING", f.negated_broader, "negated_only")
            lex.add(f.id, "RELATIVE", f.relatives)
        elif isinstance(f, MedicationFinding):
            lex.add(f.id, "MEDICATION", [*f.drugs, *text.drug_names.get(f.id, ())])
    for e in kb.events.values():
        lex.add(e.id, "EVENT", [e.id.replace("_", " "), *e.synonyms])
    for panel in kb.panels.values():
        lex.add(panel.id, "PANEL", panel.names)
    lex.add("", "NONE", text.matching.not_concepts)
    kb.cache["lexicon"] = lex
    return lex
