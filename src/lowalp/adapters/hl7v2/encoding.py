"""The HL7 v2 delimiter grammar (v2.5.1 chapter 2, sections 2.5-2.7): the delimiters a MSH
declares, escape sequences, and field and component access that never fails on a short
segment.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class _Enc:
    """The delimiters a MSH declares (HL7 v2.5.1 section 2.5.4)."""

    field: str = "|"
    comp: str = "^"
    rep: str = "~"
    esc: str = "\\"
    sub: str = "&"

    def unescape(self, text: str) -> str:
        if not self.esc or self.esc not in text:
            return text
        e = self.esc
        for code, char in (
            ("F", self.field),
            ("S", self.comp),
            ("T", self.sub),
            ("R", self.rep),
            ("E", self.esc),
        ):
            text = text.replace(f"{e}{code}{e}", char)
        return text

    def comps(self, value: str) -> list[str]:
        """Components of the first repetition."""
        return value.split(self.rep, 1)[0].split(self.comp)


def _get(fields: list[str], n: int) -> str:
    return fields[n] if n < len(fields) else ""


def _at(items: list[str], n: int) -> str:
    return items[n] if n < len(items) else ""
