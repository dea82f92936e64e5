"""The PID, SPM and OBX segment readers: the patient of a message, a specimen's id and
collection time, and one OBX (with its specimen and OBR times) into a compact lab, a
superseding correction, or a rejected record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lowalp.adapters.base import Rejected
from lowalp.adapters.hl7v2.encoding import _at, _Enc, _get
from lowalp.adapters.hl7v2.fields import _STATUS_REASON, _USED_STATUS, _date, _flag, _value
from lowalp.adapters.hl7v2.state import _MAX_RANGE_WARNINGS, _Lab, _Patient, _State
from lowalp.adapters.reasons import (
    CODE_NOT_IDENTIFIED,
    NOT_VALID,
    REPEATED,
    STANDARD_CODE_NOT_USED,
    STANDARD_CODE_REASON,
    STATUS_NOT_USED,
    VALUE_NOT_USABLE,
    is_loinc,
)
from lowalp.model import Sex

_LOINC_SYSTEMS = {"LN", "LOINC", "http://loinc.org", "2.16.840.1.113883.6.1"}

_Specimen = tuple[str | None, str]
"""A specimen (SPM): its id (SPM-2) and its collection time as written (SPM-17, first
component: the start of the range)."""


def _read_spm(fields: list[str], enc: _Enc) -> _Specimen:
    """SPM-2 (EIP: placer's id ^ filler's id, each an EI ``id&namespace&…``): the filler's
    (the laboratory's) id, else the placer's; its namespace, when given, follows in brackets
    (``S-1001 (GHH LAB)``), as two labs may number their specimens alike. SPM-17 (DR) gives
    the collection time."""
    ident: str | None = None
    comps = enc.comps(_get(fields, 2))
    for ei in (_at(comps, 1), _at(comps, 0)):
        subs = ei.split(enc.sub)
        own = enc.unescape(subs[0]).strip()
        if own:
            namespace = enc.unescape(_at(subs, 1)).strip()
            ident = f"{own} ({namespace})" if namespace else own
            break
    collected = enc.comps(_get(fields, 17))[0].split(enc.sub)[0].strip()
    return ident, collected


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


def _read_obx(
    fields: list[str],
    enc: _Enc,
    state: _State,
    patient: _Patient,
    msg_no: int,
    k: int,
    obr_no: int,
    obr_fields: list[str],
    note: str | None = None,
    specimen: _Specimen | None = None,
) -> None:
    """One OBX; ``note`` is the text of the NTE segments of its order and of its own,
    ``specimen`` the SPM it was measured in (when the message says)."""
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
        state.reject(f"{ptr}-11", reason, status or None, STATUS_NOT_USED if status else NOT_VALID)
        return
    # OBX-3 code
    code3 = enc.comps(_get(fields, 3))
    found = _resolve(code3, enc, state)
    if isinstance(found, _NotUsed):
        state.reject(f"{ptr}-3", found.reason, _get(fields, 3), found.category)
        return
    analyte, loinc, default_unit = found
    # OBX-6 units
    units = enc.comps(_get(fields, 6))
    unit = enc.unescape(units[0].strip() or (units[1].strip() if len(units) > 1 else ""))
    unit = unit or default_unit or ""
    # OBX-5 value (with OBX-2 type and OBX-8 flags)
    value = _value(_get(fields, 2).strip().upper(), _get(fields, 5), fields, enc)
    if isinstance(value, str):
        state.reject(f"{ptr}-5", value, enc.unescape(_get(fields, 5)) or None, VALUE_NOT_USABLE)
        return
    number, qualifier, text = value
    flag = _flag(fields, enc)
    # OBX-7 reference range
    raw_range = enc.unescape(enc.comps(_get(fields, 7))[0].strip())
    ref_low, ref_high = state.range(raw_range, unit)
    if raw_range and ref_low is None and ref_high is None:
        state.range_warnings += 1
        if state.range_warnings <= _MAX_RANGE_WARNINGS:
            state.warn(
                f"{ptr}-7: reference range {raw_range!r} is not a clear low-high form; not used."
            )
    # observation time: OBX-14, else the specimen's collection (SPM-17), else OBR-7, else OBR-22
    when = enc.comps(_get(fields, 14))[0].strip()
    when_ptr = f"{ptr}-14"
    if not when and specimen is not None and specimen[1]:
        when, when_ptr = specimen[1], f"{ptr}, SPM-17"
    if not when:
        for n in (7, 22):
            when = enc.comps(_get(obr_fields, n))[0].strip()
            if when:
                when_ptr = f"{ptr}, OBR[{obr_no}]-{n}"
                break
    date: dt.date | None = None
    if when:
        got = _date(when)
        if not isinstance(got, dt.date):
            state.reject(when_ptr, f"observation time is {got}", when, VALUE_NOT_USABLE)
            return
        date = state.dates.setdefault(got, got)
    spec_id = specimen[0] if specimen is not None else None
    key = hash((analyte, when, _get(fields, 4).strip(), spec_id))
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
        text,
        state.intern(flag) if flag else None,
        note,
        spec_id,
    )
    stats = state.result.stats
    if status in ("C", "A"):
        for i, old in enumerate(patient.labs):
            if old[10] == key:
                patient.labs[i] = lab
                stats.read += 1
                if stats.set_aside(REPEATED):
                    state.result.rejected.append(
                        Rejected(
                            f"message {old[8]}, OBX[{old[9]}]",
                            f"superseded by the {'corrected' if status == 'C' else 'amended'} result at {ptr} (OBX-11 = {status})",
                            None,
                            REPEATED,
                        )
                    )
                return
    patient.labs.append(lab)
    stats.read += 1
    stats.used += 1


@dataclass(frozen=True)
class _NotUsed:
    """Why an OBX-3 code is not used, and the category of that reason."""

    reason: str
    category: str


def _resolve(
    code: list[str], enc: _Enc, state: _State
) -> tuple[str, str | None, str | None] | _NotUsed:
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
        return _NotUsed("no observation code (OBX-3 is empty)", CODE_NOT_IDENTIFIED)
    for c, s in triplets:
        if s in _LOINC_SYSTEMS and c in state.kb.loinc_index:
            return state.kb.loinc_index[c], c, None
    cmap = state.options.code_map
    if cmap is not None:
        for c, s in triplets:
            entry = cmap.lookup(c, s or None)
            if entry is not None:
                return entry.analyte, None, entry.unit
    if any(s in _LOINC_SYSTEMS and is_loinc(c) for c, s in triplets):
        return _NotUsed(STANDARD_CODE_REASON, STANDARD_CODE_NOT_USED)
    return _NotUsed("unknown code; add it to a --code-map file", CODE_NOT_IDENTIFIED)
