"""Read free text into knowledge concepts, each with its assertion, cues and time.

The text is split into sentences (PyRuSH, through medspaCy), each sentence's words are keyed
(:mod:`lowalp.text.words`, abbreviations and equivalents from :mod:`lowalp.text.lexicon`) and
matched against the lexicon — order-tolerant, with a few inserted words allowed and misspellings
corrected by rapidfuzz with a conservative cut-off — and medspaCy's ConText, with the trigger
rules of ``knowledge/text/context_rules.yaml``, decides whether each mention is negated,
uncertain, hypothetical, historical or about a relative. The pipeline is built on first use.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from lowalp.knowledge import Knowledge
from lowalp.knowledge.text_schema import SectionEntry
from lowalp.model import Assertion
from lowalp.text.lexicon import Entry, Lexicon, build_lexicon
from lowalp.text.timing import TimeNote, find_times
from lowalp.text.words import fold, is_dictionary_word

_TWINS = (frozenset({"FINDING", "EVENT"}), frozenset({"FINDING", "RELATIVE"}))
"""Kinds whose phrases may be the same words: a finding and an event ("thyroidectomy"); a
condition of the patient's and the same condition in a relative ("coeliac disease")."""
_FLIPPED: dict[Assertion, Assertion] = {
    "present": "absent",
    "historical": "absent",
    "absent": "present",
}
"""A phrase that itself says "absent" ("anicteric"): affirmed it is absent, negated present."""
_KIND_ORDER = {"FINDING": 0, "MEDICATION": 0, "EVENT": 0, "PANEL": 1, "RELATIVE": 2, "NONE": 3}
"""On a tie between phrases of the same length, the patient's own finding wins."""
_SEVERAL = re.compile(r"[.!?]\s+\S|\n\s*\S")
"""An entry holding more than one sentence (then it is split like a note)."""
ALL_KINDS = frozenset({"FINDING", "MEDICATION", "EVENT", "RELATIVE", "PANEL"})


@dataclass(frozen=True)
class Mention:
    concept: str
    kind: str
    text: str
    """The words of the mention as written."""
    start: int
    end: int
    """Character offsets in the text read."""
    assertion: Assertion
    cues: tuple[str, ...] = ()
    """The trigger words that set the assertion, as written."""
    corrections: tuple[tuple[str, str], ...] = ()
    """Misspelt words read as known ones: (as written, read as)."""
    sentence: str = ""
    times: tuple[TimeNote, ...] = ()
    """Time expressions of the mention's sentence, nearest first."""
    phrase: str = ""
    """The knowledge phrase matched."""
    in_relative: bool = False
    """A trigger for a relative applies to it, even when another (a negation) decides the
    assertion ("no family history of Wilson disease")."""


@dataclass(frozen=True)
class Reading:
    mentions: tuple[Mention, ...]
    unread: tuple[str, ...]
    """Sentences (or the whole text) in which no concept was found."""


def _quiet_imports() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import medspacy  # type: ignore[import-untyped]  # noqa: F401  (registers its components)
        from loguru import logger

    logger.disable("PyRuSH")
    logger.disable("medspacy")


def _nlp(kb: Knowledge) -> Any:
    cached = kb.cache.get("nlp")
    if cached is not None:
        return cached
    _quiet_imports()
    # medspaCy would load its own English trigger rules; lowalp uses only its reviewed ones.
    import spacy
    from medspacy.context import ConTextRule  # type: ignore[import-untyped]

    fresh = spacy.blank("en")
    fresh.add_pipe("medspacy_pyrush")
    fresh.add_pipe("medspacy_context", config={"rules": None})
    context: Any = fresh.get_pipe("medspacy_context")
    context.add(
        [
            ConTextRule(
                r.literal,
                r.category,
                direction=r.direction,
                pattern=r.pattern,
                allowed_types=set(r.types) if r.types else None,
                max_scope=r.max_scope,
            )
            for r in kb.text.rules
        ]
    )
    _add_sectionizer(fresh, kb)
    kb.cache["nlp"] = fresh
    return fresh


def _add_sectionizer(nlp: Any, kb: Knowledge) -> None:
    """medspaCy's Sectionizer with lowalp's headings only (``text/sections.yaml``): a heading
    at the start of a line, followed by a colon or a dash, or alone on its line."""
    from medspacy.section_detection import SectionRule  # type: ignore[import-untyped]

    nlp.add_pipe(
        "medspacy_sectionizer",
        config={
            "rules": None,
            "require_start_line": True,
            "input_span_type": None,
            "span_attrs": None,
        },
    )
    sectionizer: Any = nlp.get_pipe("medspacy_sectionizer")
    rules = []
    for sec in kb.text.sections:
        for title in sec.titles:
            words = [{"LOWER": t.lower_} for t in nlp.make_doc(title)]
            for end in (
                {"ORTH": {"IN": [":", "-", "–"]}},
                {"IS_SPACE": True, "TEXT": {"REGEX": "\n"}},
            ):
                rules.append(SectionRule(title, sec.category, pattern=[*words, end]))
    sectionizer.add(rules)


_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_HEADING_LIKE = re.compile(r"(?<=[.;]\s)[A-Z][A-Za-z /]{0,30}:")
"""Another heading later on a heading's own line ("… HRT (2019). Current: levothyroxine")."""


def _section_scopes(doc: Any, kb: Knowledge) -> list[tuple[int, int, SectionEntry, str]]:
    """Where each heading of a note applies, in characters: the rest of its own line when words
    follow it there, or else the lines below it up to a blank line or the next heading."""
    by_category = {sec.category: sec for sec in kb.text.sections}
    text = doc.text
    heads = [doc[s.title_start].idx for s in doc._.sections if s.category]
    out = []
    for section in doc._.sections:
        sec = by_category.get(section.category or "")
        if sec is None or sec.assertion == "present":
            continue
        title = doc[section.title_start : section.title_end]
        words = [t for t in title if not t.is_space]
        start = words[-1].idx + len(words[-1]) if words else title.end_char
        body_end = (
            doc[section.body_end - 1].idx + len(doc[section.body_end - 1])
            if section.body_end > section.title_end
            else start
        )
        line_end = text.find("\n", start)
        line_end = len(text) if line_end < 0 else line_end
        if text[start:line_end].strip(" \t:-–"):
            # Words after the heading: its own line, up to another heading on that line.
            later = [h for h in heads if start < h < line_end]
            other = _HEADING_LIKE.search(text, start, line_end)
            end = min([line_end, *later, *([other.start()] if other else [])])
        else:
            blank = _BLANK_LINE.search(text, start)
            end = min(body_end, blank.start() if blank else len(text))
        out.append((start, max(start, end), sec, title.text.strip(" \t\n:-–")))
    return out


def read_text(
    text: str,
    kb: Knowledge,
    *,
    kinds: Iterable[str] = ALL_KINDS,
    medication_field: bool = False,
    sentences: bool = False,
) -> Reading:
    """Every concept of the allowed kinds in ``text``, with its assertion.

    ``sentences``: split the text into sentences first (a note); otherwise the text is one
    entry of a list and is read as one sentence. Readings are pure and kept (the last
    ``READ_CACHE_SIZE``, each at most ``READ_CACHE_MAX_CHARS`` long), since the same entries
    recur ("levothyroxine 50 mcg").
    """
    allowed = frozenset(kinds)
    if len(text) > READ_CACHE_MAX_CHARS:
        return _read(text, kb, allowed, medication_field, sentences)
    key = (text, allowed, medication_field, sentences)
    with _CACHE_LOCK:
        cache: OrderedDict[object, Reading] = kb.cache.setdefault("text_reads", OrderedDict())
        hit = cache.get(key)
        if hit is not None:
            cache.move_to_end(key)
            return hit
    reading = _read(text, kb, allowed, medication_field, sentences)
    with _CACHE_LOCK:
        cache[key] = reading
        if len(cache) > READ_CACHE_SIZE:
            cache.popitem(last=False)
    return reading


READ_CACHE_SIZE = 4096
READ_CACHE_MAX_CHARS = 500
"""Only short texts (list entries, which recur) are kept: a cache of notes would hold
megabytes and rarely be hit."""
_CACHE_LOCK = threading.Lock()


def _read(
    text: str, kb: Knowledge, allowed: frozenset[str], medication_field: bool, sentences: bool
) -> Reading:
    nlp = _nlp(kb)
    doc = nlp.make_doc(text)
    scopes: list[tuple[int, int, SectionEntry, str]] = []
    if kb.text.sections and len(doc) > 1:
        scopes = _section_scopes(nlp.get_pipe("medspacy_sectionizer")(doc), kb)
    if (sentences or _SEVERAL.search(text)) and len(doc) > 1:
        doc = nlp.get_pipe("medspacy_pyrush")(doc)
        # Each sentence is read as a document of its own: ConText's scopes end at the
        # sentence anyway, and its pairing of triggers with mentions grows with the square of
        # their number, so a long note read whole would slow down with every sentence.
        parts = [(sent.as_doc(), sent.start_char) for sent in doc.sents]
    else:
        parts = [(doc, 0)]
    mentions: list[Mention] = []
    unread: list[str] = []
    for part, offset in parts:
        # One entry of a list is one idea, and each part is one sentence.
        for i, token in enumerate(part):
            token.is_sent_start = i == 0
        found, empty = _read_sentence(part, kb, allowed, medication_field)
        if empty and not _only_a_heading(part.text, scopes):
            unread.append(part.text.strip())
        mentions.extend(
            _under_heading(replace(m, start=m.start + offset, end=m.end + offset), scopes)
            for m in found
        )
    return Reading(_patient_or_relative(mentions), tuple(unread))


def _patient_or_relative(mentions: list[Mention]) -> tuple[Mention, ...]:
    """The same words may name the patient's condition and a relative's ("coeliac disease"):
    keep the relative's reading when a relative is named for it, else the patient's."""
    spans: dict[tuple[int, int], set[str]] = {}
    relative: set[tuple[int, int]] = set()
    for m in mentions:
        spans.setdefault((m.start, m.end), set()).add(m.kind)
        if m.in_relative or m.assertion == "family":
            relative.add((m.start, m.end))
    out = []
    for m in mentions:
        span = (m.start, m.end)
        if {"FINDING", "RELATIVE"} <= spans[span]:
            keep = "RELATIVE" if span in relative else "FINDING"
            if m.kind in ("FINDING", "RELATIVE") and m.kind != keep:
                continue
        out.append(m)
    return tuple(out)


def _under_heading(m: Mention, scopes: list[tuple[int, int, SectionEntry, str]]) -> Mention:
    """A mention the sentence itself leaves affirmed takes the reading of the heading above it
    ("STOPPED:" → historical), with the heading among its cues."""
    for start, end, sec, heading in scopes:
        if start <= m.start < end and m.kind in sec.kinds:
            if sec.assertion == "family" and m.kind in ("FINDING", "RELATIVE"):
                m = replace(m, in_relative=True)
            if m.assertion == "present":
                return replace(m, assertion=sec.assertion, cues=(*m.cues, f"{heading}:"))
            return m
    return m


def _only_a_heading(sentence: str, scopes: list[tuple[int, int, SectionEntry, str]]) -> bool:
    words = " ".join(sentence.strip(" \t\n:-–").split()).casefold()
    return any(words == " ".join(h.split()).casefold() for *_, h in scopes)


def _read_sentence(
    doc: Any, kb: Knowledge, allowed: frozenset[str], medication_field: bool
) -> tuple[list[Mention], bool]:
    """The mentions of one sentence (a Doc of its own), and whether it had words but none."""
    from spacy.tokens import Span

    lex = build_lexicon(kb)
    nlp = _nlp(kb)
    spans = _match_sentence(doc[:], lex, allowed, kb, medication_field=medication_field)
    empty = not spans and any(t.is_alpha for t in doc)
    ents = []
    info: dict[tuple[int, int], tuple[Entry, tuple[tuple[str, str], ...]]] = {}
    twins: dict[tuple[int, int], list[Entry]] = {}
    used: set[int] = set()
    for start, end, entry, corr in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if (start, end) in info and info[(start, end)][0].kind != entry.kind:
            twins.setdefault((start, end), []).append(entry)
            continue
        if used & set(range(start, end)):
            continue
        used.update(range(start, end))
        if entry.kind == "NONE":
            continue
        ents.append(Span(doc, start, end, label=entry.kind))
        info[(start, end)] = (entry, corr)
    doc.ents = ents
    doc = nlp.get_pipe("medspacy_context")(doc)
    mentions: list[Mention] = []
    for ent in doc.ents:
        first, corr = info[(ent.start, ent.end)]
        found = [
            m
            for entry in (first, *twins.get((ent.start, ent.end), ()))
            for m in _mention(ent, doc, entry, corr)
        ]
        mentions.extend(found)
    return mentions, empty


def _mention(ent: Any, doc: Any, entry: Entry, corr: tuple[tuple[str, str], ...]) -> list[Mention]:
    assertion = _assertion(ent)
    if entry.polarity == "negated_only" and assertion != "absent":
        return []
    if entry.polarity == "negative":
        assertion = _FLIPPED.get(assertion, assertion)
    sent = ent.sent
    times = find_times(sent.text)
    offset = ent.start_char - sent.start_char
    times_sorted = tuple(sorted(times, key=lambda t: (abs(t.start - offset), t.start < offset)))
    modifiers = _outside(ent)
    cues = tuple(
        dict.fromkeys(doc[m.modifier_span[0] : m.modifier_span[1]].text for m in modifiers)
    )
    in_relative = any(m.category == "FAMILY" for m in modifiers)
    return [
        Mention(
            in_relative=in_relative,
            concept=entry.concept,
            kind=entry.kind,
            text=ent.text,
            start=ent.start_char,
            end=ent.end_char,
            assertion=assertion,
            cues=cues,
            corrections=corr,
            sentence=sent.text.strip(),
            times=times_sorted,
            phrase=entry.phrase,
        )
    ]


def assertion_at(text: str, kb: Knowledge, start: int, end: int, label: str) -> Assertion:
    """The assertion of the words at ``text[start:end]`` read as a mention of kind ``label``
    (for a medicine found by the drug dictionary rather than the lexicon)."""
    nlp = _nlp(kb)
    doc = nlp.make_doc(text)
    for i, token in enumerate(doc):
        token.is_sent_start = i == 0
    span = doc.char_span(start, end, label=label, alignment_mode="expand")
    if span is None:
        return "present"
    doc.ents = [span]
    doc = nlp.get_pipe("medspacy_context")(doc)
    return _assertion(doc.ents[0])


_ORDER: tuple[tuple[str, Assertion], ...] = (
    ("NEGATED_EXISTENCE", "absent"),
    ("FAMILY", "family"),
    ("OTHER_EXPERIENCER", "other"),
    ("HYPOTHETICAL", "hypothetical"),
    ("POSSIBLE_EXISTENCE", "uncertain"),
    ("HISTORICAL", "historical"),
)


def _outside(ent: Any) -> list[Any]:
    """The ConText modifiers of a mention, less any trigger inside the mention's own words
    ("Coombs-negative haemolysis" is not a negated haemolysis) and any trigger separated from
    the mention by a scope-ending word ("drug holiday; now on Prolia").

    The second check repeats ConText's termination rule: medspaCy 1.3 skips it for a trigger
    whose scope was cut short by ``max_scope`` (its span-overlap test misses a scope that lies
    inside the terminating word's).
    """
    graph = ent.doc._.context_graph
    stops = [m.modifier_span for m in graph.modifiers if m.category == "TERMINATE"]
    out = []
    for m in ent._.modifiers:
        start, end = m.modifier_span
        if end > ent.start and start < ent.end:
            continue
        if end <= ent.start and any(end <= s and e <= ent.start for s, e in stops):
            continue
        if start >= ent.end and any(ent.end <= s and e <= start for s, e in stops):
            continue
        out.append(m)
    return out


def _assertion(ent: Any) -> Assertion:
    categories = {m.category for m in _outside(ent)}
    for category, assertion in _ORDER:
        if category in categories:
            return assertion
    return "present"


def _match_sentence(
    sent: Any, lex: Lexicon, allowed: frozenset[str], kb: Knowledge, *, medication_field: bool
) -> list[tuple[int, int, Entry, tuple[tuple[str, str], ...]]]:
    words = [t.text for t in sent]
    pairs = lex.expand(words, medication=medication_field)
    keyed = lex.keys(pairs)
    settings = kb.text.matching
    assert settings is not None
    corrections: dict[int, tuple[str, str]] = {}
    slots: list[tuple[str, int]] = []
    for key, src in keyed:
        if not key.startswith("|") and key not in lex.vocabulary:
            fixed = _correct(words[src], key, lex, settings.fuzzy_min_length, settings.fuzzy_cutoff)
            if fixed is not None:
                corrections[len(slots)] = (words[src], fixed)
                key = fixed
        slots.append((key, src))
    out: list[tuple[int, int, Entry, tuple[tuple[str, str], ...]]] = []
    # clauses: runs of slots between breaks
    clause: list[tuple[int, str, int]] = []
    for i, (key, src) in enumerate([*slots, ("|", -1)]):
        if key.startswith("|"):
            out.extend(
                _match_clause(clause, lex, allowed, settings.max_inserted_words, corrections)
            )
            clause = []
        else:
            clause.append((i, key, src))
    if lex.spanning:
        whole = [(i, key.lstrip("|"), src) for i, (key, src) in enumerate(slots)]
        for hit in _match_clause(
            whole, lex, allowed, settings.max_inserted_words, corrections, only=lex.spanning
        ):
            if not any(hit[0] < e and s < hit[1] for s, e, _, _ in out):
                out.append(hit)
    base = sent.start
    return [(base + s, base + e, entry, corr) for s, e, entry, corr in out]


def _match_clause(
    clause: Sequence[tuple[int, str, int]],
    lex: Lexicon,
    allowed: frozenset[str],
    gap: int,
    corrections: dict[int, tuple[str, str]],
    only: Sequence[int] | None = None,
) -> list[tuple[int, int, Entry, tuple[tuple[str, str], ...]]]:
    if not clause:
        return []
    keys = [k for _, k, _ in clause]
    have = Counter(keys)
    candidates: set[int] = set()
    if only is not None:
        candidates.update(only)
    else:
        for k in have:
            candidates.update(lex.by_key.get(k, ()))
    scored: list[tuple[tuple[int, int, int, int], int, int, Entry]] = []
    for n in candidates:
        entry = lex.entries[n]
        if entry.kind not in allowed and entry.kind != "NONE":
            continue
        need = Counter(entry.keys)
        if any(have[k] < c for k, c in need.items()):
            continue
        window = _window(keys, need, len(entry.keys) + (gap if len(entry.keys) > 1 else 0))
        if window is None:
            continue
        s, e = window
        scored.append(((-len(entry.keys), e - s, _KIND_ORDER.get(entry.kind, 9), s), s, e, entry))
    scored.sort(key=lambda x: x[0])
    taken: set[int] = set()
    out = []
    for _, s, e, entry in scored:
        if taken & set(range(s, e)):
            continue
        taken.update(range(s, e))
        srcs = [clause[i][2] for i in range(s, e)]
        corr = tuple(corrections[clause[i][0]] for i in range(s, e) if clause[i][0] in corrections)
        out.append((min(srcs), max(srcs) + 1, entry, corr))
        # The same words may name a finding and an event at once ("thyroidectomy": a past
        # neck operation and the operation itself): each is read, with the same assertion.
        for _, s2, e2, other in scored:
            twin = (s2, e2) == (s, e) and frozenset({entry.kind, other.kind}) in _TWINS
            if twin and other.polarity == entry.polarity == "plain":
                out.append((min(srcs), max(srcs) + 1, other, corr))
    return out


def _window(keys: Sequence[str], need: Counter[str], limit: int) -> tuple[int, int] | None:
    """The shortest run of ``keys`` (at most ``limit`` long) that holds every needed key."""
    best: tuple[int, int] | None = None
    n = len(keys)
    for s in range(n):
        if keys[s] not in need:
            continue
        got: Counter[str] = Counter()
        for e in range(s, min(n, s + limit)):
            if keys[e] in need:
                got[keys[e]] += 1
            if all(got[k] >= c for k, c in need.items()):
                if best is None or (e + 1 - s) < (best[1] - best[0]):
                    best = (s, e + 1)
                break
    return best


def _correct(word: str, key: str, lex: Lexicon, min_length: int, cutoff: float) -> str | None:
    if len(word) < min_length or not word.isalpha() or is_dictionary_word(word):
        return None
    vocab = lex.fuzzy_vocabulary()
    from rapidfuzz import fuzz, process

    hit = process.extractOne(fold(word), vocab, scorer=fuzz.ratio, score_cutoff=cutoff)
    return None if hit is None else str(hit[0])
