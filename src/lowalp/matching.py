"""Word tokens for comparing the knowledge's phrases with each other.

The knowledge loader uses :func:`tokens` to refuse a phrase that two findings share. Free text
itself is read by :mod:`lowalp.text` (lemmatised keys, abbreviations, ConText assertions).
"""

from __future__ import annotations

import re
import unicodedata

_TOKEN = re.compile(r"[a-z0-9µ]+")


def tokens(text: str) -> tuple[str, ...]:
    """Lower-case word tokens, accents folded.

    >>> tokens("Kayser–Fleischer rings")
    ('kayser', 'fleischer', 'rings')
    """
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return tuple(_TOKEN.findall(folded.replace("\u03bc", "µ")))
