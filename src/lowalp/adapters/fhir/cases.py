"""From the per-patient records to cases, built only as the iteration reaches them.

One case per patient with at least one usable result, ``Case.id`` the Patient id. Records
filed under a Patient's ``fullUrl`` (a ``urn:uuid:`` subject) are merged into that patient.
A patient without usable results gives no case, and one without a Patient resource has age and
sex not known; both are said in the warnings. The reference range of each result is chosen
here, once the patient's sex and birth date are known.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lowalp.adapters.fhir.patients import PatientData
from lowalp.adapters.fhir.ranges import choose_range
from lowalp.model import Case, Context, LabResult, MedicationRecord, Patient

if TYPE_CHECKING:
    from lowalp.adapters.fhir.reader import Reader


def finish(reader: Reader) -> None:
    """Merge aliases, write the warnings and the case count, and set the lazy cases."""
    for alias, key in list(reader.aliases.items()):
        if alias in reader.patients and alias != key:
            extra = reader.patients.pop(alias)
            target = reader.patients[key]
            target.labs.extend(extra.labs)
            for kind in ("medications", "findings", "events", "notes"):
                more = getattr(extra, kind)
                if more is not None:
                    setattr(target, kind, [*(getattr(target, kind) or []), *more])
    with_labs = [p for p in reader.patients.values() if p.labs]
    for p in reader.patients.values():
        if not p.labs:
            reader.result.warnings.append(
                f"{p.key}: no usable lab results, so no case for this patient"
            )
        elif not p.seen_resource and p.key != "unknown":
            reader.result.warnings.append(
                f"{p.key}: no Patient resource in the input; age and sex are not known"
            )
    reader.result.warnings.extend(reader.warn.lines())
    reader.result.stats.cases = len(with_labs)
    reader.result.cases = CaseIterable(with_labs, reader.medication_names)


def build_case(p: PatientData, medication_names: dict[str, str]) -> Case:
    """The case of one patient (``medication_names`` resolves Medication references)."""
    labs = []
    for o in p.labs:
        low, high = choose_range(o.ranges, p.sex, p.birth_date, o.date)
        labs.append(
            LabResult(
                analyte=o.analyte,
                value=o.value,
                unit=o.unit,
                qualifier=o.qualifier,
                ref_low=low,
                ref_high=high,
                date=o.date,
                specimen=o.specimen,
                text=o.text,
                flag=o.flag,
                note=o.note,
            )
        )
    meds = None
    if p.medications is not None:
        meds = tuple(
            MedicationRecord(
                name=medication_names.get(m.name, m.name) if m.ref else m.name,
                status=m.status,
                start=m.start,
                end=m.end,
                duration_days=m.duration_days,
            )
            for m in p.medications
        )
    return Case(
        id=p.ident,
        patient=Patient(birth_date=p.birth_date, sex=p.sex),
        labs=tuple(labs),
        context=Context(
            medications=meds,
            findings=None if p.findings is None else tuple(p.findings),
            events=None if p.events is None else tuple(p.events),
            notes="\n\n".join(p.notes) if p.notes else None,
        ),
    )


class CaseIterable:
    """Builds each case only when the iteration reaches it, from the compact records, so that
    millions of results are never held as full models at once. Iterating again builds again."""

    def __init__(self, patients: list[PatientData], medication_names: dict[str, str]) -> None:
        self._patients = patients
        self._medication_names = medication_names

    def __iter__(self) -> Iterator[Case]:
        return (build_case(p, self._medication_names) for p in self._patients)

    def __len__(self) -> int:
        return len(self._patients)
