"""Closed schemas for the text knowledge (``knowledge/text/``): how free text is read.

The ConText trigger rules, the abbreviations, the groups of interchangeable words, the HPO
synonyms taken from the ontology, and the matcher's settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, field_validator

from lowalp.knowledge.schema import HpoId, Id, Strict

Category = Literal[
    "NEGATED_EXISTENCE",
    "POSSIBLE_EXISTENCE",
    "HISTORICAL",
    "HYPOTHETICAL",
    "FAMILY",
    "OTHER_EXPERIENCER",
    "TERMINATE",
    "PSEUDO",
]
MentionType = Literal["FINDING", "MEDICATION", "EVENT", "RELATIVE", "PANEL"]


class ContextRuleEntry(Strict):
    literal: str = Field(min_length=1)
    category: Category
    direction: Literal["FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO"]
    pattern: list[dict[str, Any]] | None = None
    types: list[MentionType] | None = None
    max_scope: int | None = Field(default=None, ge=1)

    @field_validator("pattern")
    @classmethod
    def _words_are_text(cls, pattern: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        def walk(node: object) -> None:
            if isinstance(node, bool):
                raise ValueError(
                    f"{node!r} in a pattern: YAML reads bare no/on/off/yes as true/false; quote the word"
                )
            if isinstance(node, dict):
                for v in node.values():
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)

        walk(pattern)
        return pattern


class ContextRulesFile(Strict):
    sources: list[Id]
    rules: list[ContextRuleEntry] = Field(min_length=1)


class Abbreviation(Strict):
    abbr: str = Field(min_length=1)
    expansion: str = Field(min_length=1)
    case: Literal["any", "exact"] = "any"
    """``exact``: matched only as written (upper case), for abbreviations that are also words."""
    when: Literal["any", "medication"] = "any"
    """``medication``: expanded only in a medication entry ("T4" there is levothyroxine)."""


class AbbreviationsFile(Strict):
    abbreviations: list[Abbreviation]


class EquivalentsFile(Strict):
    groups: list[list[str]]


class HpoTerm(Strict):
    id: HpoId
    name: str
    synonyms: list[str] = Field(default_factory=list)


class HpoFile(Strict):
    source: Id
    release: str
    """The HPO release the names were taken from (``hp/releases/YYYY-MM-DD``)."""
    terms: list[HpoTerm]


class DrugNamesFile(Strict):
    source: Id
    medicines: dict[Id, list[str]]
    """Other names (brands, INN spellings) of each medication finding's medicines."""


class LabNames(Strict):
    any: list[str] = Field(default_factory=list)
    """Names matched in any case ("haemoglobin", "alk phos")."""
    exact: list[str] = Field(default_factory=list)
    """Names matched only as written ("Hb", "K+", "Ca")."""


class LabNamesFile(Strict):
    names: dict[Id, LabNames]


class MatchingSettings(Strict):
    max_inserted_words: int = Field(ge=0, le=6)
    """Words allowed between the words of a phrase ("bilateral incomplete atypical femoral shaft
    fractures" meets "atypical femoral fracture")."""
    fuzzy_min_length: int = Field(ge=4)
    """Shorter words are never corrected as misspellings."""
    fuzzy_cutoff: float = Field(gt=50, le=100)
    """rapidfuzz ratio (0–100) a misspelt word needs to be read as a known word."""
    stopwords: list[str]
    """Words left out when phrases are compared ("loss of teeth" ~ "teeth loss")."""
    clause_breaks: list[str]
    """Words and signs a phrase never spans (negations, "but", commas …)."""
    course_end_min_days: float = Field(default=90, ge=0)
    """A course whose written end lies fewer days before the index ALP is still read as taken
    (a year alone is placed mid-year, so its end is uncertain by months)."""
    max_note_chars: int = Field(default=50000, ge=1000)
    """Longest note read (characters); the rest is left out, with a warning."""
    max_entry_chars: int = Field(default=2000, ge=100)
    """Longest list entry read (characters); the rest is left out, with a warning."""
    not_concepts: list[str] = Field(default_factory=list)
    """Phrases read as nothing ("hay fever"), so the finding inside them is not matched."""


class SectionEntry(Strict):
    """A note heading and how the mentions under it are read (``text/sections.yaml``)."""

    category: Id
    assertion: Literal["present", "historical", "family", "hypothetical"]
    """``present``: a heading that changes nothing but ends the heading before it."""
    kinds: list[MentionType] = Field(min_length=1)
    titles: list[str] = Field(min_length=1)


class SectionsFile(Strict):
    sources: list[Id]
    sections: list[SectionEntry]

    @field_validator("sections")
    @classmethod
    def _titles_once(cls, sections: list[SectionEntry]) -> list[SectionEntry]:
        seen: dict[str, str] = {}
        for sec in sections:
            for title in sec.titles:
                key = " ".join(title.casefold().split())
                if key in seen:
                    raise ValueError(f"title {title!r} is in both {seen[key]} and {sec.category}")
                seen[key] = sec.category
        return sections


@dataclass(frozen=True)
class TextKnowledge:
    rules: tuple[ContextRuleEntry, ...] = ()
    rule_sources: tuple[str, ...] = ()
    abbreviations: tuple[Abbreviation, ...] = ()
    equivalents: tuple[tuple[str, ...], ...] = ()
    hpo: dict[str, HpoTerm] = field(default_factory=dict)
    hpo_release: str = ""
    hpo_source: str = ""
    matching: MatchingSettings | None = None
    drug_names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lab_names: dict[str, LabNames] = field(default_factory=dict)
    drug_names_source: str = ""
    sections: tuple[SectionEntry, ...] = ()
    section_sources: tuple[str, ...] = ()
