"""Splitting a file into segments and messages: binary chunks, any of ``\\r``, ``\\r\\n``
and ``\\n`` ending a segment, MLLP framing characters removed, and batch segments (FHS,
BHS, BTS, FTS) closing a message and checking the BTS-1 count.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from lowalp.adapters.hl7v2.state import _State

_CHUNK = 1 << 20
_BATCH = {"FHS", "BHS", "BTS", "FTS"}


def _lines(fh: BinaryIO) -> Iterator[tuple[int, bytes, int]]:
    """``(line number, segment bytes, bytes read so far)``; any of \\r, \\r\\n, \\n ends a line."""
    buf = b""
    done = 0
    lineno = 0
    while True:
        chunk = fh.read(_CHUNK)
        done += len(chunk)
        if chunk:
            buf += chunk.replace(b"\x0b", b"").replace(b"\x1c", b"")
            if buf.endswith(b"\r"):  # a \r\n may straddle the chunk boundary
                data, buf = buf[:-1], b"\r"
            else:
                data, buf = buf, b""
        else:
            data, buf = buf, b""
        parts = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        if chunk:
            buf = parts.pop() + buf
        for part in parts:
            lineno += 1
            if part.strip():
                yield lineno, part, done
        if not chunk:
            return


@dataclass
class _Message:
    number: int
    segments: list[tuple[int, str]]
    latin1: bool = False


def _messages(fh: BinaryIO, state: _State, total: int | None) -> Iterator[_Message]:
    progress = state.options.progress
    number = 0
    current: _Message | None = None
    in_batch = 0
    last_report = 0
    for lineno, raw, done in _lines(fh):
        try:
            text = raw.decode("utf-8")
            latin1 = False
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
            latin1 = True
        seg = text[:3]
        if seg in _BATCH and (len(text) == 3 or not text[3].isalnum()):
            if current is not None:
                yield current
                current = None
            if seg == "BHS":
                in_batch = 0
            elif seg == "BTS":
                declared = text[4:].split(text[3:4] or "|", 1)[0].strip() if len(text) > 4 else ""
                if declared.isdigit() and int(declared) != in_batch:
                    state.warn(
                        f"line {lineno}: the batch trailer (BTS-1) declares {declared} messages but {in_batch} were found; the file may be truncated."
                    )
            continue
        if seg == "MSH" or current is None:
            if current is not None:
                yield current
            number += 1
            in_batch += 1
            current = _Message(number, [])
        current.segments.append((lineno, text.rstrip()))
        current.latin1 |= latin1
        if progress and done - last_report >= _CHUNK:
            last_report = done
            progress(done, total)
    if current is not None:
        yield current
