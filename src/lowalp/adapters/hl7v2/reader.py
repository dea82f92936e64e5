"""The adapter: the read loop over the messages of a file, and one case per patient, built
as ``result.cases`` is iterated.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lowalp.adapters.base import ReadOptions, ReadResult, ReadStats
from lowalp.adapters.hl7v2.framing import _messages
from lowalp.adapters.hl7v2.message import _read_message
from lowalp.adapters.hl7v2.state import _MAX_RANGE_WARNINGS, _Patient, _State
from lowalp.errors import InputError, Problem
from lowalp.knowledge import Knowledge
from lowalp.model import Case, Context, LabResult, Patient


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
                text=lab[11],
                flag=lab[12],
                note=lab[13],
                specimen=lab[14],
            )
            for lab in acc.labs
        )
        yield Case(
            id=pid,
            patient=Patient(birth_date=acc.birth_date, sex=acc.sex),
            labs=labs,
            context=Context(notes="\n\n".join(acc.notes)) if acc.notes else Context(),
        )


class _Hl7v2Adapter:
    name = "hl7v2"
    description = "HL7 v2.x ORU^R01 result messages (one, a batch file, or concatenated; MLLP framing allowed)"

    def sniff(self, head: str, path: Path | None) -> bool:
        text = head.lstrip("\ufeff\x0b \t\r\n")
        return text[:3] in ("MSH", "FHS", "BHS") and len(text) > 3 and not text[3].isalnum()

    def read(self, path: Path, options: ReadOptions, knowledge: Knowledge) -> ReadResult:
        return read(path, options, knowledge=knowledge)


def read(path: Path, options: ReadOptions, *, knowledge: Knowledge) -> ReadResult:
    """Read every ORU^R01 message of ``path`` into one case per patient."""
    stats = ReadStats(unit="OBX segments")
    result = ReadResult(cases=[], stats=stats)
    state = _State(knowledge, options, result)
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
    if state.escape_warnings > _MAX_RANGE_WARNINGS:
        state.warn(
            f"… and {state.escape_warnings - _MAX_RANGE_WARNINGS} more escape sequences not read."
        )
    if state.problems:
        state.warn(
            f"{len(state.problems)} problem(s) in {messages - state.good_messages} of {messages} messages; their OBX segments are listed as rejected."
        )
    stats.cases = len(state.patients)
    result.cases = _cases(state.patients)
    return result


ADAPTER = _Hl7v2Adapter()
