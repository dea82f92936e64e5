"""One message: its structure checked (MSH first, ORU^R01, every line a segment, PID before
OBX, at least one OBX) and, when it can be read, its PID, OBR, OBX and NTE segments read.

NTE (notes and comments) are read by what they follow, as the ORU^R01 structure places them:
after an OBX, the note of that result; after an OBR, a note on every result of that order
(before the result's own); after PID (or PD1), the patient's notes, which become the case's
``context.notes``. NTE anywhere else is skipped.
"""

from __future__ import annotations

import dataclasses
import re

from lowalp.adapters.hl7v2.encoding import _codec, _Enc, _get
from lowalp.adapters.hl7v2.fields import _comment
from lowalp.adapters.hl7v2.framing import _Message
from lowalp.adapters.hl7v2.segments import _read_obx, _read_pid, _read_spm, _Specimen
from lowalp.adapters.hl7v2.state import _Patient, _State
from lowalp.errors import Problem

_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}")
_ANCHOR = {"PID": "patient", "OBR": "order", "OBX": "result"}
"""What the NTE segments after a segment comment on (ORU^R01 of v2.5.1: PATIENT, ORDER_OBSERVATION
and OBSERVATION groups); after any other segment an NTE is not read."""
_KEEP_ANCHOR = frozenset({"PD1", "PRT"})
_SINGLE_BYTE = frozenset({f"iso8859-{n}" for n in (2, 3, 4, 5, 6, 7, 8, 9, 15)} | {"latin-1"})
"""The MSH-18 character sets a message that is not UTF-8 is read again in: one byte a
character, so a line break or a delimiter is the same byte as in ASCII."""
"""Segments that may stand between PID and its NTEs."""


def _structure(msg: _Message) -> tuple[_Enc, list[Problem]]:
    """The message's delimiters and its structural problems (empty when it can be read)."""
    problems: list[Problem] = []
    first_line, first = msg.segments[0]
    where = f"message {msg.number}"
    enc = _Enc()
    if not first.startswith("MSH") or len(first) < 8:
        problems.append(
            Problem(
                f"{where}, line {first_line}",
                "the message does not start with a MSH segment",
                value=first[:40],
                hint="each ORU^R01 message starts with MSH|^~\\&|…; check for a truncated or garbled file",
            )
        )
        return enc, problems
    sep = first[3]
    chars = first[4:].split(sep, 1)[0]
    fields = first.split(sep)
    enc = _Enc(
        sep,
        chars[0:1] or "^",
        chars[1:2] or "~",
        chars[2:3] or "",
        chars[3:4] or "&",
        # MSH-18 (counted from MSH-1, the separator itself): the first repetition's first component
        _get(fields, 17).split(chars[1:2] or "~", 1)[0].split(chars[0:1] or "^", 1)[0].strip(),
        "latin-1" if msg.latin1 else "utf-8",
    )
    msg_type = enc.comps(_get(fields, 8))
    version = enc.comps(_get(fields, 11))[0]
    if len(fields) < 12 or not msg_type[0] or not version:
        problems.append(
            Problem(
                f"{where}, line {first_line}",
                f"the MSH segment is broken: it has {len(fields) - 1} fields, and MSH-9 (message type) and MSH-12 (version) are required",
                value=first[:60],
                hint="the file may be truncated, or segments may be split across lines",
            )
        )
    elif msg_type[0] != "ORU" or (len(msg_type) > 1 and msg_type[1] not in ("R01", "")):
        problems.append(
            Problem(
                f"{where}, line {first_line}",
                "not an ORU^R01 result message (MSH-9)",
                value=enc.comp.join(msg_type),
                hint="only ORU^R01 observation results are read",
            )
        )
    for lineno, seg in msg.segments[1:]:
        if not _SEGMENT_ID.fullmatch(seg[:3]) or (len(seg) > 3 and seg[3] != sep):
            problems.append(
                Problem(
                    f"{where}, line {lineno}",
                    "not an HL7 segment (a segment starts with a three-character id and the field separator)",
                    value=seg[:40],
                    hint="a line break inside a field splits a segment in two; remove it or escape it",
                )
            )
        elif seg.startswith("MSH"):
            problems.append(Problem(f"{where}, line {lineno}", "a second MSH inside the message"))
    seen_pid = False
    seen_obx = False
    for lineno, seg in msg.segments:
        if seg.startswith("PID"):
            seen_pid = True
        elif seg.startswith("OBX"):
            seen_obx = True
            if not seen_pid:
                problems.append(
                    Problem(
                        f"{where}, line {lineno}",
                        "no PID segment before this OBX: whose result is it?",
                        hint="an ORU^R01 message needs PID (patient identification) before its results",
                    )
                )
                break
    if not seen_obx and not problems:
        problems.append(
            Problem(
                f"{where}, line {msg.segments[-1][0]}",
                "the message has no OBX segment: there is no result to read",
                hint="the message may be truncated",
            )
        )
    return enc, problems


def _read_message(msg: _Message, state: _State) -> None:
    enc, problems = _structure(msg)
    where = f"message {msg.number}"
    if problems:
        state.problems.extend(problems)
        reason = "message rejected: " + "; ".join(
            f"{p.message} ({p.pointer.split(', ')[-1]})" for p in problems
        )
        obx = [seg for _, seg in msg.segments if seg.startswith("OBX")]
        if obx:
            for k, _ in enumerate(obx, start=1):
                state.reject(f"{where}, OBX[{k}]", reason)
        else:
            state.reject(where, reason)
        return
    state.good_messages += 1
    if msg.latin1:
        enc = _declared(msg, enc, state, where)
    sep = enc.field
    patient: _Patient | None = None
    obr_no = 0
    obr_fields: list[str] = []
    order_notes: list[str] = []
    anchor = ""
    k = 0
    segments = [seg for _, seg in msg.segments[1:]]
    specimens = _specimens(segments, enc, state, where) if _has_spm(segments) else {}
    for i, seg in enumerate(segments):
        sid = seg[:3]
        if sid == "NTE":
            if anchor == "patient" and patient is not None:
                text = _comment(seg.split(sep), enc)
                if text:
                    patient.notes.append(text)
                if enc.notes:
                    _flush(enc, state, f"{where}, PID, NTE-3")
            elif anchor == "order":
                text = _comment(seg.split(sep), enc)
                if text:
                    order_notes.append(text)
                if enc.notes:
                    _flush(enc, state, f"{where}, OBR[{obr_no}], NTE-3")
            continue  # an OBX reads its own NTEs below
        if sid not in _KEEP_ANCHOR:
            anchor = _ANCHOR.get(sid, "")
        if sid == "OBX":
            k += 1
            assert patient is not None
            own = []
            j = i + 1
            while j < len(segments) and segments[j].startswith("NTE"):
                own.append(_comment(segments[j].split(sep), enc))
                j += 1
            note = "\n\n".join(n for n in (*order_notes, *own) if n) or None
            _read_obx(
                seg.split(sep),
                enc,
                state,
                patient,
                msg.number,
                k,
                obr_no,
                obr_fields,
                note,
                specimens.get(i),
            )
            if enc.notes:
                _flush(enc, state, f"{where}, OBX[{k}]")
        elif sid == "PID":
            patient = _read_pid(seg.split(sep), enc, state, where)
            if enc.notes:
                _flush(enc, state, f"{where}, PID")
        elif sid == "OBR":
            obr_no += 1
            obr_fields = seg.split(sep)
            order_notes = []


def _declared(msg: _Message, enc: _Enc, state: _State, where: str) -> _Enc:
    """A message that is not valid UTF-8 read again in the single-byte character set MSH-18
    names (``8859/7`` …); as Latin-1, as it was read, when MSH-18 names none or another."""
    codec = _codec(enc.charset)
    if codec in _SINGLE_BYTE and codec != "latin-1":
        try:
            segments = [(n, seg.encode("latin-1").decode(codec)) for n, seg in msg.segments]
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
        else:
            msg.segments = segments
            state.warn(f"{where}: not valid UTF-8; read as {enc.charset} (MSH-18).")
            return dataclasses.replace(enc, read_as=codec)
    state.warn(f"{where}: not valid UTF-8; read as Latin-1.")
    return enc


def _flush(enc: _Enc, state: _State, pointer: str) -> None:
    """What the escape sequences of a segment left unread, as warnings with its pointer."""
    if enc.notes:
        for note in dict.fromkeys(enc.notes):
            state.escape_warning(f"{pointer}: {note}.")
        enc.notes.clear()


def _has_spm(segments: list[str]) -> bool:
    return any(seg.startswith("SPM") for seg in segments)


def _specimens(segments: list[str], enc: _Enc, state: _State, where: str) -> dict[int, _Specimen]:
    """The specimen (SPM) of each OBX, by its index in ``segments``.

    ORU^R01 of v2.5.1 (7.3.1) puts the SPECIMEN group (SPM, then the OBX about that specimen)
    after the OBSERVATION groups of its order: an OBX after an SPM is of that specimen; an OBX
    before it is of its order's specimen when the order (OBR) has exactly one. With two or more
    the message does not say which result came from which, and their specimen stays unknown."""
    out: dict[int, _Specimen] = {}
    before: list[int] = []
    found: list[_Specimen] = []
    current: _Specimen | None = None
    order = 0
    spm_no = 0

    def close() -> None:
        if len(found) == 1:
            for i in before:
                out[i] = found[0]
        elif len(found) > 1 and before:
            state.warn(
                f"{where}, OBR[{order}]: {len(found)} specimens (SPM) and {len(before)} result(s) before them; "
                "which result is from which specimen is not said, so their specimen is unknown."
            )

    for i, seg in enumerate(segments):
        sid = seg[:3]
        if sid == "OBR" or sid == "PID":
            close()
            before, found, current = [], [], None
            order += sid == "OBR"
        elif sid == "SPM":
            spm_no += 1
            current = _read_spm(seg.split(enc.field), enc)
            found.append(current)
            if enc.notes:
                _flush(enc, state, f"{where}, SPM[{spm_no}]")
        elif sid == "OBX":
            if current is not None:
                out[i] = current
            else:
                before.append(i)
    close()
    return out
