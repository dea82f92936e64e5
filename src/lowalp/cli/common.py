"""Small helpers shared by the commands."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import TextIO

from lowalp.errors import InputError, Problem
from lowalp.knowledge import Knowledge, load_knowledge


def knowledge_from(args: argparse.Namespace) -> Knowledge:
    return load_knowledge(getattr(args, "knowledge", None))


def use_color(choice: str, stream: TextIO) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def say(message: str) -> None:
    print(f"lowalp: {message}", file=sys.stderr)


class Progress:
    """A one-line progress display on standard error, only when it is a terminal."""

    def __init__(self, label: str, *, enabled: bool) -> None:
        self.label = label
        self.enabled = enabled and sys.stderr.isatty()
        self._last = 0.0
        self._shown = False

    def __call__(self, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.2 and (total is None or done < total):
            return
        self._last = now
        mb = done / 1e6
        text = f"{self.label}: {mb:,.1f} MB"
        if total:
            text += f" of {total / 1e6:,.1f} MB ({100 * done / total:.0f}%)"
        sys.stderr.write("\r" + text.ljust(60))
        sys.stderr.flush()
        self._shown = True

    def done(self) -> None:
        if self._shown:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()


def column_mapping(pairs: list[str]) -> dict[str, str]:
    """``--column OURS=THEIRS`` options as a mapping; every malformed pair is reported."""
    out: dict[str, str] = {}
    problems = []
    for pair in pairs:
        ours, sep, theirs = pair.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            problems.append(
                Problem(
                    "--column",
                    "expected OURS=THEIRS",
                    value=pair,
                    hint="e.g. --column patient_id=MRN",
                )
            )
            continue
        out[ours.strip()] = theirs.strip()
    if problems:
        raise InputError(problems)
    return out
