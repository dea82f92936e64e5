"""``Patient`` [patient.html], and the compact record kept per patient while reading.

``birthDate`` (partial dates become the first day, with a warning) and ``gender`` (female ->
F, male -> M, other/unknown -> not known, with a warning). Resources are grouped by
``subject``: ``Patient/123``, an absolute URL ending so (``…/Patient/123/_history/2`` too), or
a ``urn:uuid:`` that a Patient entry's ``fullUrl`` carries.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lowalp.adapters.fhir.medications import MedicationUse
from lowalp.adapters.fhir.observations import Obs
from lowalp.adapters.fhir.pointers import at
from lowalp.model import EventRecord, FindingRecord, Sex

if TYPE_CHECKING:
    from lowalp.adapters.fhir.reader import Reader

GENDER: dict[str, Sex] = {"female": "F", "male": "M"}
PATIENT_REF = re.compile(r"(?:^|/)Patient/([^/]+)(?:/_history/.*)?$")


@dataclass
class PatientData:
    key: str
    ident: str
    birth_date: dt.date | None = None
    sex: Sex | None = None
    seen_resource: bool = False
    labs: list[Obs] = field(default_factory=list)
    medications: list[MedicationUse] | None = None
    findings: list[str | FindingRecord] | None = None
    events: list[EventRecord] | None = None
    notes: list[str] | None = None


def read_patient(reader: Reader, res: dict[str, Any], prefix: str, full_url: str | None) -> None:
    if not reader.valid(res, prefix):
        return
    pid = res.get("id") or (full_url or "").removeprefix("urn:uuid:") or "unknown"
    data = reader.patient(f"Patient/{pid}", prefix)
    if full_url:
        reader.aliases[full_url] = data.key
    data.seen_resource = True
    if "birthDate" in res:
        data.birth_date, note = reader.date(res["birthDate"])
        if note:
            reader.warn.add(f"birth date {note}", at(prefix, "birthDate"))
    data.sex = GENDER.get(res.get("gender") or "")
    if res.get("gender") in ("other", "unknown"):
        reader.warn.add(f"gender {res['gender']!r}: sex taken as not known", at(prefix, "gender"))
    reader.used()
