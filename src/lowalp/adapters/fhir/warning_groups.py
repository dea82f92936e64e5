"""Warnings grouped by kind, so that a million alike warnings print as one line."""

from __future__ import annotations

from typing import Any


class Warnings:
    """Warnings grouped by kind, each with a count and the first few pointers."""

    def __init__(self) -> None:
        self._items: dict[str, list[Any]] = {}

    def add(self, message: str, pointer: str) -> None:
        item = self._items.setdefault(message, [0, []])
        item[0] += 1
        if len(item[1]) < 3:
            item[1].append(pointer)

    def lines(self) -> list[str]:
        out = []
        for message, (count, pointers) in self._items.items():
            more = ", …" if count > len(pointers) else ""
            times = f"{count} times: " if count > 1 else ""
            out.append(f"{message} ({times}{', '.join(pointers)}{more})")
        return out
