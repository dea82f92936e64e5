"""Free text -> knowledge ids, through reviewed synonym lists.

Text and synonyms are compared as lower-case word sequences, longest phrase first, so
"Microgynon 30" finds the drug "microgynon" and "Roux-en-Y gastric bypass" is not read as the
shorter "bypass". A leading negation ("no", "denies", "without", "stopped") marks the phrase as
absent instead of present.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_TOKEN = re.compile(r"[a-z0-9µ]+")
NEGATIONS: tuple[tuple[str, ...], ...] = (
    ("no",),
    ("not",),
    ("denies",),
    ("without",),
    ("negative", "for"),
    ("stopped",),
    ("discontinued",),
    ("never",),
    ("absent",),
)


def tokens(text: str) -> tuple[str, ...]:
    """Lower-case word tokens, accents folded.

    >>> tokens("Kayser–Fleischer rings")
    ('kayser', 'fleischer', 'rings')
    """
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return tuple(_TOKEN.findall(folded.replace("\u03bc", "µ")))


@dataclass(frozen=True)
class Match:
    ids: tuple[str, ...]
    phrases: tuple[str, ...]
    negated: bool


class PhraseIndex:
    """Finds known phrases inside free text."""

    def __init__(self, phrases: Mapping[str, Iterable[str]]) -> None:
        self._by_phrase: dict[tuple[str, ...], str] = {}
        for ident, syns in phrases.items():
            for syn in (ident.replace("_", " "), *syns):
                key = tokens(syn)
                if key:
                    self._by_phrase.setdefault(key, ident)
        self._max = max((len(k) for k in self._by_phrase), default=0)

    def owner(self, phrase: str) -> str | None:
        return self._by_phrase.get(tokens(phrase))

    def find(self, text: str) -> Match:
        toks = tokens(text)
        negated = False
        for neg in NEGATIONS:
            if toks[: len(neg)] == neg:
                negated = True
                toks = toks[len(neg) :]
                break
        ids: list[str] = []
        found: list[str] = []
        i = 0
        while i < len(toks):
            for size in range(min(self._max, len(toks) - i), 0, -1):
                ident = self._by_phrase.get(toks[i : i + size])
                if ident is not None:
                    if ident not in ids:
                        ids.append(ident)
                        found.append(" ".join(toks[i : i + size]))
                    i += size
                    break
            else:
                i += 1
        return Match(tuple(ids), tuple(found), negated)

    def phrases(self) -> list[str]:
        return [" ".join(k) for k in self._by_phrase]
