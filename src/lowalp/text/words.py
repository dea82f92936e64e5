"""Word keys: the form in which text and the knowledge's phrases are compared.

A word's key is its lower-case, accent-folded lemma (``teeth`` → ``tooth``, ``lost`` → ``lose``)
with British and American spellings folded together (``anaemia`` and ``anemia`` → ``anemia``).
Lemmas come from lemminflect's dictionary, which ships inside its package.
"""

from __future__ import annotations

import functools
import unicodedata
import warnings

_POS_ORDER = ("NOUN", "VERB", "ADJ", "ADV", "AUX")


def fold(text: str) -> str:
    """Lower case without accents.

    >>> fold("Café–Über")
    'cafe–uber'
    """
    folded = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


@functools.lru_cache(maxsize=1)
def _lemmas() -> object:
    with warnings.catch_warnings():
        # spaCy 3.7, imported by lemminflect, uses a name Click 8.2 deprecated.
        warnings.simplefilter("ignore", DeprecationWarning)
        import lemminflect  # type: ignore[import-untyped]
    return lemminflect


@functools.lru_cache(maxsize=131072)
def lemma_options(word: str) -> dict[str, tuple[str, ...]]:
    """The dictionary's lemmas of a word by part of speech (empty for words it does not know)."""
    lemminflect = _lemmas()
    found: dict[str, tuple[str, ...]] = lemminflect.getAllLemmas(word)  # type: ignore[attr-defined]
    return found


def is_dictionary_word(word: str) -> bool:
    """Whether the English dictionary knows the word (then it is never read as a misspelling)."""
    return bool(lemma_options(fold(word)))


@functools.lru_cache(maxsize=131072)
def word_key(word: str) -> str:
    """The key a word is compared by.

    >>> [word_key(w) for w in ("Teeth", "lost", "fractures", "Anaemia", "anemia", "coeliac")]
    ['tooth', 'lose', 'fracture', 'anemia', 'anemia', 'celiac']
    """
    w = fold(word)
    if not w.isalpha():
        return w
    options = lemma_options(w)
    key = w
    for pos in _POS_ORDER:
        if options.get(pos):
            key = options[pos][0]
            break
    return spelling_fold(key)


def spelling_fold(word: str) -> str:
    """Fold British spellings onto American ones in longer words (ae/oe → e, -our → -or).

    >>> spelling_fold("haemolysis"), spelling_fold("oestrogen"), spelling_fold("behaviour"), spelling_fold("toe")
    ('hemolysis', 'estrogen', 'behavior', 'toe')
    """
    if len(word) < 6:
        return word
    word = word.replace("ae", "e").replace("oe", "e")
    if word.endswith("our"):
        word = word[:-3] + "or"
    return word
