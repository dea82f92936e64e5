"""HL7 v2.x ORU^R01 result messages: one message, a batch file, or messages simply concatenated.

What is read (HL7 v2.5.1 chapter 7, with the field mappings of the HL7 v2-to-FHIR IG 1.0.0):

- PID-3 patient identifier (first repetition, CX.1; PID-2 when PID-3 is empty, as v2.3 feeds
  do), PID-7 birth date (DTM; a time part is ignored; a partial date gives no birth date and a
  warning), PID-8 sex (``F``/``M``; ``O``, ``U``, ``A``, ``N`` give ``None``).
- OBX-3 code: LOINC from the primary or the alternate triplet whose coding system is ``LN``;
  otherwise the local code (with its coding-system component) through ``options.code_map``;
  otherwise the record is rejected ("unknown code; add it to a --code-map file").
- OBX-2/OBX-5 value: ``NM`` a number; ``SN`` ``<^5`` / ``>^100`` / ``^45`` (``<=`` and ``>=``
  are read as ``<`` and ``>``: the model knows only censored values); SN ranges (``^60^-^80``)
  and ratios are rejected; ``ST``/``TX`` only when the text is a plain number (``45``, ``<5``)
  or a qualifier word (``Positive``, ``Negative``, ``Low`` …); other text ("Hemolyzed") is
  rejected with the text shown. A decimal comma is ambiguous and rejected.
- OBX-6 units: the first component as printed (``U/L^^UCUM`` -> ``U/L``; the text component
  when the first is empty). Units are never converted or guessed here: the core normaliser
  does that through the knowledge's synonym table. A code-map entry's unit is used only when
  OBX-6 is empty.
- OBX-7 reference range: parsed into ``ref_low``/``ref_high`` only in the unambiguous forms
  ``40-129``, ``40 - 129``, ``40-129 U/L`` (the unit equal to OBX-6), ``>40`` (low only),
  ``<5`` (high only); anything else is kept out and named in ``result.warnings``.
- OBX-8 flags (table 0078, repeating): when OBX-5 is empty, ``L``/``LL`` -> qualifier
  ``low``, ``H``/``HH`` -> ``high``, ``N`` -> ``normal``, ``POS``/``NEG``; with a numeric
  value the value is kept and the flags are not needed.
- OBX-11 status (table 0085, mapped per the IG ConceptMap ObservationResultStatus): ``F``,
  ``C`` (corrected) and ``A`` (amended) are used; ``P`` (preliminary), ``X`` (cancelled),
  ``D``/``W`` (entered in error), every other code and an empty OBX-11 are rejected with the
  reason. A ``C``/``A``
  result supersedes an earlier result of the same patient, code, time and OBX-4 sub-id in the
  same file; the earlier one is then listed as rejected ("superseded").
- Observation time: OBX-14, falling back to OBR-7 (collection) and then OBR-22 (result
  time). ``YYYYMMDD[HHMM[SS[.S]]][+/-ZZZZ]``; the date is the local calendar date as written
  (a time zone offset is not applied: we work in days, and the clinician's day is the lab's
  local day). A time without a day (``202603``) or an impossible date rejects the record (the
  pointer names the field used: ``message 1, OBX[3], OBR[1]-7``); no time at all leaves the
  result undated (the normaliser then says so).
- NTE (comments), Z-segments, PV1, ORC, SPM and every other segment are skipped: they are
  structure, not records, and are not counted.

Records and counts. A *record* is one OBX segment: ``stats.read`` counts OBX segments and
each is used (a lab of a case) or rejected (listed with a pointer such as
``message 2, OBX[5]-6``; OBX numbering is 1-based by position within the message, not OBX-1).
PID, OBR and the rest are not records. A message that is broken (no MSH first, a line that is
not a segment, no PID before an OBX, a MSH without message type or version, not ORU^R01, no
OBX at all) is rejected as a whole: each of its OBX segments is one rejected record (reason
"message rejected: …"), and a broken message without any OBX counts as one record, itself
rejected. So ``read == used + rejected`` always holds. When no message of the file is usable
the whole file is refused with :class:`~lowalp.errors.InputError` listing every problem with
its message number and line, and a hint.

Cases. One :class:`~lowalp.model.Case` per patient (PID-3) across all messages in the file,
``Case.id`` = the identifier. ORU carries results only: medications, events and findings do not
travel, so ``context`` stays empty. Specimen ids are not read.

Streaming. The file is read in binary chunks and split into segments (``\\r``, ``\\r\\n`` and
``\\n`` all end a segment; MLLP framing characters ``\\x0b``/``\\x1c`` are removed), messages are
parsed one at a time, and only compact per-patient tuples are kept; Cases are built as
``result.cases`` is iterated. ``options.progress`` is called with bytes read. Each line is
decoded as UTF-8, or Latin-1 when it is not UTF-8 (with a warning).

Why a small parser of our own rather than a library. Both candidates were run on the samples
in ``tests/data/hl7v2`` (see the README there):

- ``hl7apy`` 1.3.5 parsed every well-formed sample (v2.3 and v2.5.1, Z-segments, short
  segments, NTE after OBX) but managed about 64 messages (~320 OBX) a second, so the
  million-OBX file of the benchmark would take most of an hour; it raises
  ``UnsupportedVersion`` when segments end in ``\\n``, and ``obx.obx_8`` silently gives only
  the first repetition of the flags.
- ``hl7`` (python-hl7) 0.4.5 was ~30 times faster but raised ``IndexError`` on 6 of the 9
  sample messages (any segment shorter than the field asked for: OBX without OBX-14, a v2.3
  PID), returns a field as ``str`` or as a list depending on its content (``obx[5][0][0]``
  is the first *character* of ``98``), and its last release is from 2022.

What we need is only the delimiter grammar of HL7 v2.5.1 chapter 2 (sections 2.5-2.7:
segments, fields, repetitions, components, escape sequences ``\\F\\ \\S\\ \\T\\ \\R\\ \\E\\``)
for a dozen fields, with our own rules for each field — which the research note recommends
anyway. That is a few dozen lines, has no dependency (the ``[hl7]`` extra is not needed), never
fails on short segments, reads the delimiters each MSH declares, and is fast enough to stream.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from lowalp.adapters.base import ReadOptions, ReadResult, ReadStats, Rejected
from lowalp.errors import InputError, Problem
from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.model import Case, LabResult, Patient, Qualifier, Sex

name = "hl7v2"

_CHUNK = 1 << 20
_MAX_RANGE_WARNINGS = 20
_BATCH = {"FHS", "BHS", "BTS", "FTS"}
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_CENSORED = re.compile(r"(<=|>=|<|>)\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))")
_RANGE = re.compile(
    r"([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*[-–]\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:\s+(\S.*))?"
)
_DTM = re.compile(
    r"(\d{4})(\d{2})?(\d{2})?(?:\d{2}(?:\d{2}(?:\d{2}(?:\.\d{1,4})?)?)?)?([+-]\d{4})?"
)
_LOINC_SYSTEMS = {"LN", "LOINC", "http://loinc.org", "2.16.840.1.113883.6.1"}
_USED_STATUS = {"F", "C", "A"}
_STATUS_REASON = {
    "P": "preliminary result (OBX-11 = P); only final (F), corrected (C) and amended (A) results are used",
    "X": "cancelled: the result was not obtained (OBX-11 = X)",
    "D": "deleted: entered in error (OBX-11 = D)",
    "W": "wrong: entered in error (OBX-11 = W)",
}
_FLAG_QUALIFIER: dict[str, Qualifier] = {
    "L": "low",
    "LL": "low",
    "H": "high",
    "HH": "high",
    "N": "normal",
    "POS": "positive",
    "NEG": "negative",
}
_WORD_QUALIFIER: dict[str, Qualifier] = {
    "low": "low",
    "high": "high",
    "normal": "normal",
    "within normal limits": "normal",
    "wnl": "normal",
    "positive": "positive",
    "pos": "positive",
    "detected": "positive",
    "reactive": "positive",
    "negative": "negative",
    "neg": "negative",
    "not detected": "negative",
    "non-reactive": "negative",
    "nonreactive": "negative",
}
_TEXT_TYPES = {"ST", "TX", "FT", ""}
_CODED_TYPES = {"CWE", "CE", "CNE"}

# A compact lab: analyte, loinc, value, unit, qualifier, ref_low, ref_high, date,
# message number, OBX number, supersede key (the hash of analyte, raw time and OBX-4 sub-id:
# a small int instead of a tuple of strings keeps a million results in a few hundred MB).
_Lab = tuple[
    str,
    str | None,
    float | None,
    str | None,
    Qualifier | None,
    float | None,
    float | None,
    dt.date | None,
    int,
    int,
    int,
]


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


@dataclass
class _Patient:
    birth_date: dt.date | None = None
    sex: Sex | None = None
    labs: list[_Lab] = field(default_factory=list)


@dataclass
class _State:
    kb: Knowledge
    options: ReadOptions
    result: ReadResult
    patients: dict[str, _Patient] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    good_messages: int = 0
    range_warnings: int = 0
    strings: dict[str, str] = field(default_factory=dict)
    dates: dict[dt.date, dt.date] = field(default_factory=dict)
    ranges: dict[tuple[str, str], tuple[float | None, float | None]] = field(default_factory=dict)

    def intern(self, s: str) -> str:
        return self.strings.setdefault(s, s)

    def range(self, raw: str, unit: str) -> tuple[float | None, float | None]:
        """:func:`_range`, cached: labs print few distinct ranges, and sharing the floats
        saves memory."""
        key = (raw, unit)
        got = self.ranges.get(key)
        if got is None:
            got = _range(raw, unit)
            if len(self.ranges) < 100_000:
                self.ranges[key] = got
        return got

    def warn(self, text: str) -> None:
        self.result.warnings.append(text)

    def reject(self, pointer: str, reason: str, value: str | None = None) -> None:
        self.result.rejected.append(Rejected(pointer, reason, value))
        self.result.stats.read += 1
        self.result.stats.rejected += 1


# ----------------------------------------------------------------------------- framing


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


# ----------------------------------------------------------------------------- one message


def _get(fields: list[str], n: int) -> str:
    return fields[n] if n < len(fields) else ""


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
    enc = _Enc(
        sep,
        chars[0:1] or "^",
        chars[1:2] or "~",
        chars[2:3] or "",
        chars[3:4] or "&",
    )
    fields = first.split(sep)
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
        state.warn(f"{where}: not valid UTF-8; read as Latin-1.")
    sep = enc.field
    patient: _Patient | None = None
    obr_no = 0
    obr_fields: list[str] = []
    k = 0
    for _, seg in msg.segments[1:]:
        sid = seg[:3]
        if sid == "OBX":
            k += 1
            assert patient is not None
            _read_obx(seg.split(sep), enc, state, patient, msg.number, k, obr_no, obr_fields)
        elif sid == "PID":
            patient = _read_pid(seg.split(sep), enc, state, where)
        elif sid == "OBR":
            obr_no += 1
            obr_fields = seg.split(sep)


def _read_pid(fields: list[str], enc: _Enc, state: _State, where: str) -> _Patient:
    pid = enc.unescape(enc.comps(_get(fields, 3))[0].strip())
    if not pid:
        pid = enc.unescape(enc.comps(_get(fields, 2))[0].strip())
    if not pid:
        pid = f"{where} (no patient id)"
        state.warn(f"{where}, PID-3: no patient identifier; its results form a case of their own.")
    birth: dt.date | None = None
    raw_birth = enc.comps(_get(fields, 7))[0].strip()
    if raw_birth:
        got = _date(raw_birth)
        if isinstance(got, dt.date):
            birth = got
        else:
            state.warn(f"{where}, PID-7: birth date {raw_birth!r} is {got}; age unknown.")
    sex_code = enc.comps(_get(fields, 8))[0].strip().upper()
    sex: Sex | None = "F" if sex_code == "F" else "M" if sex_code == "M" else None
    acc = state.patients.get(pid)
    if acc is None:
        acc = state.patients[pid] = _Patient(birth, sex)
    else:
        if birth and acc.birth_date and birth != acc.birth_date:
            state.warn(
                f"{where}, PID-7: patient {pid} has birth date {birth} here but {acc.birth_date} earlier; the earlier one is kept."
            )
        if sex and acc.sex and sex != acc.sex:
            state.warn(
                f"{where}, PID-8: patient {pid} has sex {sex} here but {acc.sex} earlier; the earlier one is kept."
            )
        acc.birth_date = acc.birth_date or birth
        acc.sex = acc.sex or sex
    return acc


def _date(raw: str) -> dt.date | str:
    """A DTM/TS as a date, or why not."""
    m = _DTM.fullmatch(raw)
    if not m:
        return "not an HL7 date/time (YYYYMMDD[HHMM[SS]][+ZZZZ])"
    if m.group(3) is None:
        return "a partial date without a day"
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return "not a valid calendar date"


def _read_obx(
    fields: list[str],
    enc: _Enc,
    state: _State,
    patient: _Patient,
    msg_no: int,
    k: int,
    obr_no: int,
    obr_fields: list[str],
) -> None:
    where = f"message {msg_no}"
    ptr = f"{where}, OBX[{k}]"
    # OBX-11 result status
    status = _get(fields, 11).strip().upper()
    if status not in _USED_STATUS:
        reason = _STATUS_REASON.get(status) or (
            "no result status (OBX-11 is empty; the segment may be truncated)"
            if not status
            else f"result status {status!r} is not final, corrected or amended"
        )
        state.reject(f"{ptr}-11", reason, status or None)
        return
    # OBX-3 code
    code3 = enc.comps(_get(fields, 3))
    found = _resolve(code3, enc, state)
    if isinstance(found, str):
        state.reject(f"{ptr}-3", found, _get(fields, 3))
        return
    analyte, loinc, default_unit = found
    # OBX-6 units
    units = enc.comps(_get(fields, 6))
    unit = enc.unescape(units[0].strip() or (units[1].strip() if len(units) > 1 else ""))
    unit = unit or default_unit or ""
    # OBX-5 value (with OBX-2 type and OBX-8 flags)
    value = _value(_get(fields, 2).strip().upper(), _get(fields, 5), fields, enc)
    if isinstance(value, str):
        state.reject(f"{ptr}-5", value, enc.unescape(_get(fields, 5)) or None)
        return
    number, qualifier = value
    # OBX-7 reference range
    raw_range = enc.unescape(enc.comps(_get(fields, 7))[0].strip())
    ref_low, ref_high = state.range(raw_range, unit)
    if raw_range and ref_low is None and ref_high is None:
        state.range_warnings += 1
        if state.range_warnings <= _MAX_RANGE_WARNINGS:
            state.warn(
                f"{ptr}-7: reference range {raw_range!r} is not a clear low-high form; not used."
            )
    # observation time: OBX-14, else OBR-7, else OBR-22
    when = ""
    when_ptr = f"{ptr}-14"
    for src, n, p in (
        (fields, 14, f"{ptr}-14"),
        (obr_fields, 7, f"{ptr}, OBR[{obr_no}]-7"),
        (obr_fields, 22, f"{ptr}, OBR[{obr_no}]-22"),
    ):
        when = enc.comps(_get(src, n))[0].strip()
        if when:
            when_ptr = p
            break
    date: dt.date | None = None
    if when:
        got = _date(when)
        if not isinstance(got, dt.date):
            state.reject(when_ptr, f"observation time is {got}", when)
            return
        date = state.dates.setdefault(got, got)
    key = hash((analyte, when, _get(fields, 4).strip()))
    lab: _Lab = (
        state.intern(analyte),
        state.intern(loinc) if loinc else None,
        number,
        state.intern(unit) if unit else None,
        qualifier,
        ref_low,
        ref_high,
        date,
        msg_no,
        k,
        key,
    )
    stats = state.result.stats
    if status in ("C", "A"):
        for i, old in enumerate(patient.labs):
            if old[10] == key:
                patient.labs[i] = lab
                state.result.rejected.append(
                    Rejected(
                        f"message {old[8]}, OBX[{old[9]}]",
                        f"superseded by the {'corrected' if status == 'C' else 'amended'} result at {ptr} (OBX-11 = {status})",
                    )
                )
                stats.read += 1
                stats.rejected += 1
                return
    patient.labs.append(lab)
    stats.read += 1
    stats.used += 1


def _resolve(code: list[str], enc: _Enc, state: _State) -> tuple[str, str | None, str | None] | str:
    """OBX-3 -> (analyte, loinc, default unit), or the reason it cannot be used."""
    triplets = [
        (c.strip(), s.strip())
        for c, s in (
            (enc.unescape(_at(code, 0)), _at(code, 2)),
            (enc.unescape(_at(code, 3)), _at(code, 5)),
        )
        if c.strip()
    ]
    if not triplets:
        return "no observation code (OBX-3 is empty)"
    for c, s in triplets:
        if s in _LOINC_SYSTEMS and c in state.kb.loinc_index:
            return state.kb.loinc_index[c], c, None
    cmap = state.options.code_map
    if cmap is not None:
        for c, s in triplets:
            entry = cmap.lookup(c, s or None)
            if entry is not None:
                return entry.analyte, None, entry.unit
    loincs = [c for c, s in triplets if s in _LOINC_SYSTEMS]
    if loincs:
        return f"LOINC {loincs[0]} is not an analyte lowalp uses; if it is one, add it to a --code-map file"
    return "unknown code; add it to a --code-map file"


def _at(items: list[str], n: int) -> str:
    return items[n] if n < len(items) else ""


def _value(
    vtype: str, raw: str, fields: list[str], enc: _Enc
) -> tuple[float | None, Qualifier | None] | str:
    """OBX-5 as (number, qualifier), or the reason it cannot be used."""
    if vtype == "SN":
        parts = enc.comps(raw)
        comparator, num1 = _at(parts, 0).strip(), _at(parts, 1).strip()
        sep2, num2 = _at(parts, 2).strip(), _at(parts, 3).strip()
        if not any((comparator, num1, sep2, num2)):
            return _flags(fields, enc)
        if sep2 or num2:
            kind = "a range" if sep2 in ("-", "") else "a ratio or a categorical value"
            return f"the value is {kind} ({num1}{sep2}{num2}), not a single result"
        if not _NUMBER.fullmatch(num1):
            return "structured numeric value without a number (SN component 2)"
        if comparator in ("", "="):
            return float(num1), None
        if comparator in ("<", "<="):
            return float(num1), "<"
        if comparator in (">", ">="):
            return float(num1), ">"
        return f"SN comparator {comparator!r} cannot be used"
    text = enc.unescape(raw.split(enc.rep, 1)[0]).strip()
    if not text:
        return _flags(fields, enc)
    if vtype in ("NM", *_TEXT_TYPES):
        if _NUMBER.fullmatch(text):
            return float(text), None
        m = _CENSORED.fullmatch(text)
        if m:
            return float(m.group(2)), "<" if m.group(1).startswith("<") else ">"
        if vtype == "NM":
            return "not a number (OBX-2 is NM)"
        word = _WORD_QUALIFIER.get(text.lower())
        if word:
            return None, word
        return "text result, not a number or a qualifier lowalp can use"
    if vtype in _CODED_TYPES:
        comps = text.split(enc.comp)
        for c in comps[:2]:
            word = _WORD_QUALIFIER.get(c.strip().lower()) or _FLAG_QUALIFIER.get(c.strip().upper())
            if word:
                return None, word
        return "coded result that is not a qualifier lowalp can use"
    return f"value type {vtype!r} (OBX-2) is not a lab value lowalp reads"


def _flags(fields: list[str], enc: _Enc) -> tuple[None, Qualifier] | str:
    flags = [f.split(enc.comp)[0].strip().upper() for f in _get(fields, 8).split(enc.rep)]
    for f in flags:
        if f in _FLAG_QUALIFIER:
            return None, _FLAG_QUALIFIER[f]
    shown = enc.rep.join(x for x in flags if x)
    if shown:
        return f"no value (OBX-5 is empty) and the flags ({shown}) do not say low, normal or high"
    return "no value (OBX-5 is empty) and no flag (OBX-8)"


def _range(raw: str, unit: str) -> tuple[float | None, float | None]:
    if not raw:
        return None, None
    m = _RANGE.fullmatch(raw)
    if m:
        if m.group(3) is not None and m.group(3).strip() != unit:
            return None, None
        low, high = float(m.group(1)), float(m.group(2))
        return (low, high) if low <= high else (None, None)
    c = _CENSORED.fullmatch(raw)
    if c:
        return (
            (float(c.group(2)), None) if c.group(1).startswith(">") else (None, float(c.group(2)))
        )
    return None, None


# ----------------------------------------------------------------------------- the adapter


def _cases(patients: dict[str, _Patient]) -> Iterator[Case]:
    while patients:
        pid = next(iter(patients))
        acc = patients.pop(pid)
        labs = tuple(
            LabResult(
                analyte=lab[0],
                loinc=lab[1],
                value=lab[2],
                unit=lab[3],
                qualifier=lab[4],
                ref_low=lab[5],
                ref_high=lab[6],
                date=lab[7],
            )
            for lab in acc.labs
        )
        yield Case(id=pid, patient=Patient(birth_date=acc.birth_date, sex=acc.sex), labs=labs)


class _Hl7v2Adapter:
    name = "hl7v2"
    description = "HL7 v2.x ORU^R01 result messages (one, a batch file, or concatenated; MLLP framing allowed)"

    def sniff(self, head: str, path: Path | None) -> bool:
        text = head.lstrip("\ufeff\x0b \t\r\n")
        return text[:3] in ("MSH", "FHS", "BHS") and len(text) > 3 and not text[3].isalnum()

    def read(self, path: Path, options: ReadOptions) -> ReadResult:
        return read(path, options)


def read(path: Path, options: ReadOptions, *, knowledge: Knowledge | None = None) -> ReadResult:
    """Read every ORU^R01 message of ``path`` into one case per patient."""
    stats = ReadStats(unit="OBX segments")
    result = ReadResult(cases=[], stats=stats)
    state = _State(knowledge or load_knowledge(), options, result)
    try:
        total: int | None = path.stat().st_size
        fh = path.open("rb")
    except OSError as exc:
        raise InputError([Problem(str(path), f"cannot read the file: {exc.strerror}")]) from None
    messages = 0
    with fh:
        for msg in _messages(fh, state, total):
            messages += 1
            _read_message(msg, state)
    if options.progress:
        options.progress(total or 0, total)
    if messages == 0:
        raise InputError(
            [
                Problem(
                    str(path),
                    "no HL7 message found",
                    hint="an ORU^R01 message starts with MSH|^~\\&|",
                )
            ],
            source=str(path),
        )
    if state.good_messages == 0:
        raise InputError(state.problems, source=str(path))
    if state.range_warnings > _MAX_RANGE_WARNINGS:
        state.warn(
            f"… and {state.range_warnings - _MAX_RANGE_WARNINGS} more reference ranges (OBX-7) not in a clear low-high form."
        )
    if state.problems:
        state.warn(
            f"{len(state.problems)} problem(s) in {messages - state.good_messages} of {messages} messages; their OBX segments are listed as rejected."
        )
    stats.cases = len(state.patients)
    result.cases = _cases(state.patients)
    return result


ADAPTER = _Hl7v2Adapter()
