"""The HL7 v2 delimiter grammar (v2.5.1 chapter 2, sections 2.5-2.7): the delimiters a MSH
declares, escape sequences, and field and component access that never fails on a short
segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

_SEQUENCES = r"[FSTRE]|\.br|\.sp\d*|\.[a-z]{2}[+-]?\d*|H|N"
"""Delimiter escapes, and the formatting commands of FT text (2.7.6: ``.br`` and ``.sp`` end
a line; the others, and highlighting ``H``/``N``, are dropped)."""


@cache
def _escapes(esc: str) -> re.Pattern[str]:
    e = re.escape(esc)
    return re.compile(f"{e}({_SEQUENCES}){e}")


@dataclass(frozen=True, slots=True)
class _Enc:
    """The delimiters a MSH declares (HL7 v2.5.1 section 2.5.4)."""

    field: str = "|"
    comp: str = "^"
    rep: str = "~"
    esc: str = "\\"
    sub: str = "&"

    def unescape(self, text: str) -> str:
        """Escape sequences replaced in one pass, left to right (``\\E\\`` is the escape
        character itself, so what follows it starts no sequence)."""
        if not self.esc or self.esc not in text:
            return text
        chars = {"F": self.field, "S": self.comp, "T": self.sub, "R": self.rep, "E": self.esc}

        def one(m: re.Match[str]) -> str:
            code = m.group(1)
            if code in chars:
                return chars[code]
            return "\n" if code.startswith((".br", ".sp")) else ""

        return _escapes(self.esc).sub(one, text)

    def comps(self, value: str) -> list[str]:
        """Components of the first repetition."""
        return value.split(self.rep, 1)[0].split(self.comp)


def _get(fields: list[str], n: int) -> str:
    return fields[n] if n < len(fields) else ""


def _at(items: list[str], n: int) -> str:
    return items[n] if n < len(items) else ""
