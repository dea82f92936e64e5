"""Medicines lowalp's own lexicon does not name, recognised through a drug dictionary.

The drug-named-entity-recognition package ships a dictionary of drug names, brands and
spellings (loaded on first use, about two seconds). A brand lowalp does not list is read as its
generic name ("Evista" → raloxifene), which is then looked up again; a recognised medicine that
the knowledge does not link to a low ALP is understood as such instead of "not understood".
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

from lowalp.text.lexicon import raw_tokens


@functools.lru_cache(maxsize=1)
def _finder() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from drug_named_entity_recognition import (  # type: ignore[import-untyped]
            find_drugs,
        )
    return find_drugs


def named_medicines(text: str) -> list[tuple[str, str]]:
    """(generic name, words as written) of each medicine the dictionary finds in ``text``."""
    words = [w for w in raw_tokens(text) if w.isalnum()]
    if not words:
        return []
    found = _finder()(words, is_ignore_case=True)
    out: list[tuple[str, str]] = []
    for data, start, end in found:
        name = str(data.get("name", "")).strip()
        if name and name not in [n for n, _ in out]:
            out.append((name, " ".join(words[start:end])))
    return out
