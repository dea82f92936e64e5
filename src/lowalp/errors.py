"""Every error lowalp raises, in one tree.

::

    LowAlpError                   base of everything lowalp raises on purpose
    ├── KnowledgeError            a knowledge file is missing, malformed or inconsistent
    │                             (names the file and the key path)
    ├── InputError                a case or file cannot be used; lists every problem found,
    │                             each with a pointer into the input (``labs[3].unit``)
    └── UnitError                 a unit is unknown or cannot be converted for an analyte

Clinical uncertainty is never an exception: it is a finding in the assessment. Front ends
translate these errors into messages and exit codes (CLI) or one JSON error shape (web).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class LowAlpError(Exception):
    """Base class of every error lowalp raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where, what was there, why, and how to fix it."""

    pointer: str
    message: str
    value: object = None
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.pointer}: {self.message}" if self.pointer else self.message
        if self.value is not None:
            text += f" (got {self.value!r})"
        if self.hint:
            text += f"; {self.hint}"
        return text

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"pointer": self.pointer, "message": self.message}
        if self.value is not None:
            out["value"] = self.value
        if self.hint:
            out["hint"] = self.hint
        return out


class InputError(LowAlpError):
    """The input cannot be used. ``problems`` lists every problem, not just the first."""

    def __init__(self, problems: Iterable[Problem], *, source: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.source = source
        where = f"{source}: " if source else ""
        count = len(self.problems)
        head = f"{where}{count} problem{'s' if count != 1 else ''} in the input"
        super().__init__(head + "\n" + "\n".join(f"  - {p}" for p in self.problems))


class KnowledgeError(LowAlpError):
    """A knowledge file is invalid. Names the file and the key path."""

    def __init__(self, file: str, messages: Sequence[str] | str) -> None:
        self.file = file
        self.messages: tuple[str, ...] = (
            (messages,) if isinstance(messages, str) else tuple(messages)
        )
        super().__init__(f"{file}: " + "; ".join(self.messages))


class UnitError(LowAlpError):
    """A unit is unknown for an analyte, or cannot be converted."""

    def __init__(self, analyte: str, unit: str, accepted: Sequence[str], suggestion: str | None):
        self.analyte = analyte
        self.unit = unit
        self.accepted = tuple(accepted)
        self.suggestion = suggestion
        text = f"unit {unit!r} is not known for {analyte}; accepted: {', '.join(accepted)}"
        if suggestion:
            text += f"; closest: {suggestion!r}"
        super().__init__(text)
