"""FHIR R4 input: a Bundle (JSON) or bulk-export NDJSON (one file, or a folder of them).

What is read, and how (FHIR R4 4.0.1, https://hl7.org/fhir/R4/ , resource pages named in brackets):

- **Bundle** [bundle.html] of type ``collection``, ``searchset``, ``transaction`` or ``batch`` (other
  types are read the same way, with a warning). Each ``entry.resource`` is one record; pointers
  look like ``entry[3].resource.valueQuantity.unit``. Search entries of mode ``outcome`` and
  every ``OperationOutcome`` have their issues listed as warnings.
- **Bulk NDJSON** (Bulk Data Access IG, "Response - Complete Status"): one resource a line;
  a folder holds one or several files per resource type (``Patient.ndjson``,
  ``Observation.ndjson``, ``Observation.2.ndjson`` …). Patient files are read first. A
  ``manifest.json`` beside them has its ``error`` (STU2) and ``outcome`` (4.0 ballot) entries
  listed as warnings. Lines are read one at a time and only a compact tuple per result is kept;
  ``options.progress`` gets bytes done and total. A Bundle on an NDJSON line is read entry by
  entry (so NDJSON of Bundles, one per patient, reads back).
- Each resource is validated with the ``fhir.resources.R4B`` models (R4 JSON reads with R4B for
  every element used here; the top-level ``fhir.resources`` classes are R5), then our own checks.

Per resource type:

- ``Observation`` [observation.html]: only ``status`` final / amended / corrected is used.
  ``code.coding`` with system ``http://loinc.org`` gives the analyte through the knowledge's
  LOINC index; other codings go through ``options.code_map`` (matched with their system).
  ``valueQuantity`` gives value and unit (``unit`` as printed, else ``code``; not converted:
  the core normaliser converts). A unit the knowledge does not accept for the analyte is
  rejected here, with the pointer to ``valueQuantity.unit``. ``comparator`` ``<``/``<=`` gives
  the censored qualifier ``<``, ``>``/``>=`` gives ``>``. ``valueCodeableConcept``,
  ``valueString`` or, without a value, ``interpretation`` give a qualifier
  (v3-ObservationInterpretation ``L``/``LL`` low, ``N`` normal, ``H``/``HH`` high, ``POS``/``NEG``;
  SNOMED 10828004 positive / 260385009 negative). ``referenceRange`` is chosen for the patient:
  ``appliesTo`` SNOMED 248153007 (male) / 248152002 (female) and ``age`` (a Range in ``a``, ``mo``,
  ``wk`` or ``d``, compared with the completed age in that unit at the result's date, bounds
  inclusive) must match; the most specific match wins; otherwise a range without ``appliesTo``
  and ``age``; otherwise none (the engine then uses its own age/sex table). Ranges whose
  ``type`` is not ``normal`` are not used.
- Time: ``effectiveDateTime``, else ``effectivePeriod.start``, else ``effectiveInstant``, else
  ``issued`` (with a warning). lowalp works in days, so a timestamp becomes **the calendar date
  written in it, in its own offset** (``2024-03-01T23:30:00-05:00`` is 1 March, the date where
  the sample was taken, not 2 March UTC). Partial dates (``2024``, ``2024-03``) become the first
  day, with a warning. A time without a time zone is not valid FHIR (fhir.resources rejects it);
  it is accepted with a warning and its date as written is used.
- ``Patient``: ``birthDate`` (partial dates become the first day, with a warning) and
  ``gender`` (female -> F, male -> M, other/unknown -> not known).
- ``MedicationStatement`` (status ``active`` or ``completed``: taken now or recently; every other
  status is rejected with the reason) and ``MedicationRequest`` (status ``active`` or
  ``completed``) -> ``context.medications`` as free text: ``medicationCodeableConcept.text``,
  else its first coding's ``display``, else a referenced or contained ``Medication``'s code.
  ``Medication`` resources are used as the lookup for those references.
- ``Condition`` -> ``context.findings`` free text (``code.text`` or display). Used when
  ``clinicalStatus`` is active / recurrence / relapse (or absent); ``verificationStatus``
  ``refuted`` is read as an absent finding ("no …").
- ``Procedure`` (status ``completed`` or ``in-progress``) -> ``context.events`` with its date
  (``performedDateTime`` / ``performedPeriod.start``). SNOMED CT codes known for sure:
  232717009 coronary artery bypass grafting -> cardiac_surgery, 63697000 cardiopulmonary bypass
  operation -> cardiopulmonary_bypass, 116859006 transfusion of blood product and 5447007
  transfusion -> transfusion. Otherwise the text is matched against the knowledge's event
  synonyms (plasma exchange, valve replacement …); a procedure that matches nothing is rejected.
- ``List`` with ``emptyReason`` ``nilknown`` and a code for medications (LOINC 10160-0 or
  list-example-use-codes ``medications``), problems (11450-4 / ``problems``) or procedures
  (47519-4) says "none known": the case then has an empty list there instead of "not told".
- Every other resource type is rejected with "resource type not used".

Observations, and the other resources, are grouped by ``subject`` (``Patient/123``, an absolute
URL ending so, or a ``urn:uuid:`` that a Patient entry's ``fullUrl`` carries): one case per
patient, ``Case.id`` the Patient id. Resources without a subject go to the patient ``unknown``.

A whole-file problem raises :class:`~lowalp.errors.InputError`: JSON that does not parse (with
line and column), a Bundle that fails R4B validation, or a resource shaped like an earlier FHIR
version (DSTU2/STU3-only elements or resource types, or ``meta.profile``/``fhirVersion`` naming
one) that fails R4B validation.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from lowalp.adapters.base import ReadOptions, ReadResult, ReadStats, Rejected
from lowalp.errors import InputError, Problem
from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.matching import PhraseIndex
from lowalp.model import Case, Context, EventRecord, LabResult, Patient, Qualifier, Sex
from lowalp.units import clean_unit, suggest_unit, unit_can_be_assumed

name = "fhir"

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
INSTALL = "pip install 'lowalp[fhir]'"

USED_OBSERVATION_STATUS = ("final", "amended", "corrected")
USED_MEDICATION_STATUS = ("active", "completed")
USED_PROCEDURE_STATUS = ("completed", "in-progress")
ACTIVE_CONDITION = ("active", "recurrence", "relapse")
BUNDLE_TYPES = ("collection", "searchset", "transaction", "batch")

SEX_BY_SNOMED: dict[str, Sex] = {"248153007": "M", "248152002": "F"}
GENDER: dict[str, Sex] = {"female": "F", "male": "M"}
INTERPRETATION: dict[str, Qualifier] = {
    "L": "low",
    "LL": "low",
    "N": "normal",
    "H": "high",
    "HH": "high",
    "POS": "positive",
    "NEG": "negative",
    "DET": "positive",
    "ND": "negative",
}
SNOMED_QUALIFIER: dict[str, Qualifier] = {"10828004": "positive", "260385009": "negative"}
WORD_QUALIFIER: dict[str, Qualifier] = {
    "low": "low",
    "normal": "normal",
    "high": "high",
    "positive": "positive",
    "negative": "negative",
    "detected": "positive",
    "not detected": "negative",
    "pos": "positive",
    "neg": "negative",
}
COMPARATOR: dict[str, Qualifier] = {"<": "<", "<=": "<", ">": ">", ">=": ">"}
PROCEDURE_EVENTS: dict[str, str] = {
    "232717009": "cardiac_surgery",  # Coronary artery bypass grafting (procedure)
    "63697000": "cardiopulmonary_bypass",  # Cardiopulmonary bypass operation (procedure)
    "116859006": "transfusion",  # Transfusion of blood product (procedure)
    "5447007": "transfusion",  # Transfusion (procedure)
}
LIST_KINDS = {
    "10160-0": "medications",
    "medications": "medications",
    "11450-4": "findings",
    "problems": "findings",
    "47519-4": "events",
}
AGE_UNITS = {"a": 365.25, "mo": 365.25 / 12, "wk": 7.0, "d": 1.0}

# Resource types and elements that exist only in DSTU2/STU3: a failure on them means the wrong
# FHIR version, not one bad record.
OLD_TYPES = frozenset(
    {
        "MedicationOrder",
        "DiagnosticOrder",
        "ProcedureRequest",
        "ReferralRequest",
        "DeviceUseRequest",
        "Order",
        "OrderResponse",
        "ProcessRequest",
        "ProcessResponse",
        "EligibilityRequest",
    }
)
OLD_ELEMENTS = frozenset(
    {
        "context",
        "comment",
        "comments",
        "related",
        "taken",
        "reasonNotTaken",
        "wasNotTaken",
        "reasonForUse",
        "notDone",
        "notDoneReason",
        "definition",
        "assertedDate",
        "abatementBoolean",
        "dateRecorded",
        "patient",
        "animal",
        "notTaken",
    }
)
OLD_VERSION = re.compile(r"stu3|dstu2|dstu|/3\.0|/1\.0|/1\.8|/0\.", re.IGNORECASE)
_NAIVE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(\.\d+)?)?$")
_NAIVE_IN_TEXT = re.compile(rb'"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?"')
_PATIENT_REF = re.compile(r"(?:^|/)Patient/([^/]+)(?:/_history/.*)?$")
_CENSORED = re.compile(r"^\s*(<=?|>=?)\s*(\d+(?:\.\d+)?)\s*(\S.*)?$")


class Range(NamedTuple):
    """One ``referenceRange`` in compact form."""

    low: float | None
    high: float | None
    sex: str | None
    """F, M, None (applies to everyone) or "?" (applies to a group we cannot test)."""
    age_low: float | None
    age_high: float | None
    age_unit: str


class Obs(NamedTuple):
    """One usable Observation, compact (millions may be held)."""

    analyte: str
    value: float | None
    unit: str | None
    qualifier: Qualifier | None
    ranges: tuple[Range, ...]
    date: dt.date | None
    specimen: str | None


@dataclass
class PatientData:
    key: str
    ident: str
    birth_date: dt.date | None = None
    sex: Sex | None = None
    seen_resource: bool = False
    labs: list[Obs] = field(default_factory=list)
    medications: list[str | tuple[str, str]] | None = None
    findings: list[str] | None = None
    events: list[EventRecord] | None = None


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


def _models() -> Callable[[str], Any]:
    try:
        from fhir.resources.R4B import get_fhir_model_class
    except ImportError:
        raise InputError(
            [
                Problem(
                    "(fhir)",
                    "reading FHIR needs the fhir.resources package",
                    hint=f"install it with: {INSTALL}",
                )
            ]
        ) from None
    return get_fhir_model_class


def _pointer(prefix: str, loc: tuple[int | str, ...]) -> str:
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _sep(prefix: str) -> str:
    """``entry[3].resource`` + ``.status``; ``Observation.ndjson line 5`` + ``, status``."""
    if not prefix:
        return ""
    if " line " in prefix and not prefix.endswith("resource"):
        return prefix + ", "
    return prefix + "."


def _at(prefix: str, path: str) -> str:
    return _sep(prefix) + path


class Reader:
    """Reads resources into per-patient compact records. One instance per ``read`` call."""

    def __init__(self, options: ReadOptions, kb: Knowledge) -> None:
        self.options = options
        self.kb = kb
        self.model = _models()
        self.result = ReadResult(cases=[], stats=ReadStats(unit="resources"))
        self.warn = Warnings()
        self.patients: dict[str, PatientData] = {}
        self.aliases: dict[str, str] = {}
        self.medication_names: dict[str, str] = {}
        self.version_problems: list[Problem] = []
        self.version_hint: str | None = None
        self.source: str | None = None
        """The file being read (for whole-file errors)."""
        self._events = PhraseIndex({e.id: e.synonyms for e in kb.events.values()})
        self._dates: dict[str, tuple[dt.date | None, str | None]] = {}
        self._ranges: dict[tuple[Range, ...], tuple[Range, ...]] = {}
        self._units: dict[str, str] = {}

    # ------------------------------------------------------------------ bookkeeping

    def reject(self, pointer: str, reason: str, value: object = None) -> None:
        self.result.stats.rejected += 1
        shown = None if value is None else str(value)
        self.result.rejected.append(Rejected(pointer, reason, shown))

    def used(self) -> None:
        self.result.stats.used += 1

    def patient(self, ref: str | None, pointer: str) -> PatientData:
        if not ref:
            self.warn.add("no subject: grouped under the patient 'unknown'", pointer)
            ref = "unknown"
        m = _PATIENT_REF.search(ref)
        key = f"Patient/{m.group(1)}" if m else ref
        data = self.patients.get(key)
        if data is None:
            ident = m.group(1) if m else ref.removeprefix("urn:uuid:")
            data = self.patients[key] = PatientData(key, ident)
        return data

    # ------------------------------------------------------------------ resources

    def resource(
        self, res: Any, prefix: str, full_url: str | None = None, naive: bool = True
    ) -> None:
        """One resource; ``prefix`` points at it (``entry[3].resource``). ``naive`` False says
        the text holds no time without a zone (a fast check done on the raw line)."""
        if not isinstance(res, dict):
            self.result.stats.read += 1
            self.reject(prefix, "not a FHIR resource (a JSON object with resourceType)")
            return
        rtype = res.get("resourceType")
        if rtype == "Bundle":
            self.bundle(res, prefix, naive)
            return
        self.result.stats.read += 1
        if rtype in OLD_TYPES:
            self.version_problems.append(
                Problem(
                    _at(prefix, "resourceType"),
                    f"{rtype} exists only in FHIR DSTU2/STU3, not in R4",
                )
            )
            self.reject(prefix, "resource type of an earlier FHIR version", rtype)
            return
        handler = self.handlers.get(str(rtype))
        if handler is None:
            if rtype == "OperationOutcome":
                self.outcome(res, prefix)
            self.reject(prefix, "resource type not used", rtype)
            return
        if naive:
            self._fix_naive_times(res, prefix)
        if not self.validate(res, str(rtype), prefix):
            return
        handler(self, res, prefix, full_url)

    def validate(self, res: dict[str, Any], rtype: str, prefix: str) -> bool:
        from pydantic import ValidationError

        hint = self._version_hint(res)
        try:
            self.model(rtype).model_validate(res)
        except ValidationError as exc:
            errors = exc.errors()
            old = [e for e in errors if self._old_shape(e)]
            if old or hint:
                self.version_hint = self.version_hint or hint
                for e in old or errors:
                    if e["type"] == "extra_forbidden":
                        what = "not an element of R4; it belongs to DSTU2/STU3"
                    elif e in old:
                        what = "a plain code here is the DSTU2/STU3 form; R4 has a CodeableConcept"
                    else:
                        what = f"not valid FHIR R4 ({e['msg'].lower()}); {hint}"
                    self.version_problems.append(
                        Problem(_at(prefix, _pointer("", tuple(e["loc"]))), what)
                    )
            first = errors[0]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            value = first.get("input") if first["type"] != "missing" else None
            self.reject(
                _at(prefix, _pointer("", tuple(first["loc"]))) if first["loc"] else prefix,
                f"not valid FHIR R4: {first['msg'].lower()}{more}",
                value if isinstance(value, str | int | float) else None,
            )
            return False
        return True

    @staticmethod
    def _old_shape(error: Any) -> bool:
        loc = error["loc"]
        if not loc:
            return False
        head = loc[0]
        if error["type"] == "extra_forbidden" and head in OLD_ELEMENTS:
            return True
        # STU3 Condition.clinicalStatus / verificationStatus were plain codes.
        return head in ("clinicalStatus", "verificationStatus") and isinstance(
            error.get("input"), str
        )

    @staticmethod
    def _version_hint(res: dict[str, Any]) -> str | None:
        version = res.get("fhirVersion")
        if isinstance(version, str) and not version.startswith("4."):
            return f"it says fhirVersion {version}"
        meta = res.get("meta")
        profiles = meta.get("profile") if isinstance(meta, dict) else None
        for p in profiles if isinstance(profiles, list) else []:
            if isinstance(p, str) and OLD_VERSION.search(p):
                return f"its meta.profile names an earlier FHIR version ({p})"
        return None

    def _fix_naive_times(self, res: Any, prefix: str, path: str = "") -> None:
        """A dateTime with a time but no zone: keep the date as written, warn (not valid FHIR)."""
        items = res.items() if isinstance(res, dict) else enumerate(res)
        for k, v in items:
            if isinstance(v, str):
                m = _NAIVE_TIME.match(v)
                if m:
                    res[k] = f"{m.group(1)}T{m.group(2)}{m.group(3) or ':00'}Z"
                    where = f"{path}.{k}" if isinstance(k, str) else f"{path}[{k}]"
                    self.warn.add(
                        "a time without a time zone (not valid FHIR): its date as written was used",
                        _at(prefix, where.lstrip(".")),
                    )
            elif isinstance(v, dict | list) and k not in ("text", "extension"):
                sub = f"{path}.{k}" if isinstance(k, str) else f"{path}[{k}]"
                self._fix_naive_times(v, prefix, sub)

    def outcome(self, res: dict[str, Any], prefix: str) -> None:
        for i, issue in enumerate(res.get("issue") or []):
            if not isinstance(issue, dict):
                continue
            text = issue.get("diagnostics") or (issue.get("details") or {}).get("text") or ""
            self.result.warnings.append(
                f"{_at(prefix, f'issue[{i}]')}: the server reported {issue.get('severity', '?')} "
                f"{issue.get('code', '')}: {text}".rstrip(": ")
            )

    def bundle(self, res: dict[str, Any], prefix: str, naive: bool = True) -> None:
        hint = self._version_hint(res)
        if hint:
            self.version_hint = hint
        shell = {k: v for k, v in res.items() if k != "entry"}
        from pydantic import ValidationError

        try:
            self.model("Bundle").model_validate(shell)
        except ValidationError as exc:
            raise InputError(
                [
                    Problem(
                        _pointer(prefix, tuple(e["loc"])), f"not a valid FHIR R4 Bundle: {e['msg']}"
                    )
                    for e in exc.errors()
                ],
                source=self.source,
            ) from None
        btype = res.get("type")
        if btype not in BUNDLE_TYPES:
            self.result.warnings.append(
                f"{prefix or 'Bundle'}: Bundle type {btype!r} read like a collection"
            )
        entries = res.get("entry") or []
        inner = f"{prefix} " if prefix else ""
        for i, entry in enumerate(entries):
            where = f"{inner}entry[{i}]"
            if not isinstance(entry, dict) or "resource" not in entry:
                self.result.stats.read += 1
                method = (
                    (entry.get("request") or {}).get("method") if isinstance(entry, dict) else None
                )
                self.reject(where, "entry without a resource", method)
                continue
            self.resource(entry["resource"], f"{where}.resource", entry.get("fullUrl"), naive)

    # ------------------------------------------------------------------ Patient

    def read_patient(self, res: dict[str, Any], prefix: str, full_url: str | None) -> None:
        pid = res.get("id") or (full_url or "").removeprefix("urn:uuid:") or "unknown"
        data = self.patient(f"Patient/{pid}", prefix)
        if full_url:
            self.aliases[full_url] = data.key
        data.seen_resource = True
        if "birthDate" in res:
            data.birth_date, note = self.date(res["birthDate"])
            if note:
                self.warn.add(f"birth date {note}", _at(prefix, "birthDate"))
        data.sex = GENDER.get(res.get("gender") or "")
        if res.get("gender") in ("other", "unknown"):
            self.warn.add(
                f"gender {res['gender']!r}: sex taken as not known", _at(prefix, "gender")
            )
        self.used()

    # ------------------------------------------------------------------ Observation

    def read_observation(self, res: dict[str, Any], prefix: str, full_url: str | None) -> None:
        status = res.get("status")
        if status not in USED_OBSERVATION_STATUS:
            self.reject(
                _at(prefix, "status"),
                f"status {status!r}: only final, amended and corrected results are used",
                status,
            )
            return
        found = self.analyte(res.get("code") or {})
        if isinstance(found, Rejected):
            self.reject(_at(prefix, found.pointer), found.reason, found.value)
            return
        analyte, map_unit = found
        value: float | None = None
        unit: str | None = None
        qualifier: Qualifier | None = None
        q = res.get("valueQuantity")
        if q is not None:
            if q.get("value") is None:
                self.reject(_at(prefix, "valueQuantity.value"), "valueQuantity without a value")
                return
            value = float(q["value"])
            comparator = q.get("comparator")
            if comparator:
                qualifier = COMPARATOR[comparator]
            unit_or_reject = self.unit(analyte, q, map_unit, prefix)
            if isinstance(unit_or_reject, Rejected):
                self.reject(unit_or_reject.pointer, unit_or_reject.reason, unit_or_reject.value)
                return
            unit = unit_or_reject
        elif "valueCodeableConcept" in res:
            qualifier = _concept_qualifier(res["valueCodeableConcept"])
            if qualifier is None:
                self.reject(
                    _at(prefix, "valueCodeableConcept"),
                    "coded value not understood (expected positive/negative/low/normal/high)",
                    _concept_text(res["valueCodeableConcept"]),
                )
                return
        elif "valueString" in res:
            text = str(res["valueString"]).strip()
            m = _CENSORED.match(text)
            if m:
                qualifier = COMPARATOR[m.group(1)]
                value = float(m.group(2))
                unit = m.group(3) or map_unit
            else:
                qualifier = WORD_QUALIFIER.get(text.lower())
            if qualifier is None:
                self.reject(
                    _at(prefix, "valueString"),
                    "text value not understood (expected e.g. '<5', 'positive', 'low')",
                    text,
                )
                return
        elif any(k.startswith("value") for k in res):
            kind = next(k for k in res if k.startswith("value"))
            self.reject(
                _at(prefix, kind), f"{kind} is not used (only Quantity, CodeableConcept, String)"
            )
            return
        else:
            for concept in res.get("interpretation") or []:
                qualifier = _interpretation(concept)
                if qualifier:
                    break
            if qualifier is None:
                absent = _concept_text(res.get("dataAbsentReason") or {})
                if absent:
                    self.reject(_at(prefix, "dataAbsentReason"), "no value", absent)
                else:
                    self.reject(_at(prefix, "value[x]"), "no value and no interpretation")
                return
        when, note, where = self.when(res)
        if note:
            self.warn.add(note, _at(prefix, where))
        ranges = self.ranges(res.get("referenceRange") or [], analyte, unit, prefix)
        specimen = (res.get("specimen") or {}).get("reference")
        subject = (res.get("subject") or {}).get("reference")
        self.patient(subject, prefix).labs.append(
            Obs(analyte, value, unit, qualifier, ranges, when, specimen)
        )
        self.used()

    def analyte(self, code: dict[str, Any]) -> tuple[str, str | None] | Rejected:
        codings = [c for c in code.get("coding") or [] if c.get("code")]
        for c in codings:
            if c.get("system") == LOINC and c["code"] in self.kb.loinc_index:
                return self.kb.loinc_index[c["code"]], None
        cmap = self.options.code_map
        if cmap is not None:
            for c in codings:
                hit = cmap.lookup(c["code"], c.get("system"))
                if hit:
                    return hit.analyte, hit.unit
        shown = ", ".join(f"{c.get('system', '')}|{c['code']}" for c in codings) or code.get("text")
        return Rejected("code", "unknown code; add it to a --code-map file", shown)

    def unit(
        self, analyte_id: str, q: dict[str, Any], map_unit: str | None, prefix: str
    ) -> str | Rejected | None:
        analyte = self.kb.analytes[analyte_id]
        syn = self.kb.unit_synonyms
        printed, code = q.get("unit"), q.get("code")
        for candidate, path in ((printed, "unit"), (code, "code")):
            if candidate and clean_unit(candidate, syn) in analyte.units:
                if path == "code":
                    self.warn.add(
                        f"printed unit {printed!r} not known; the UCUM code was used",
                        _at(prefix, "valueQuantity.unit"),
                    )
                return self._units.setdefault(candidate, candidate)
        if printed or code:
            bad = printed or code
            suggestion = suggest_unit(str(bad), analyte, syn)
            hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
            return Rejected(
                _at(prefix, "valueQuantity.unit" if printed else "valueQuantity.code"),
                f"unit not known for {analyte.name}; accepted: {', '.join(analyte.units)}{hint}",
                bad,
            )
        if map_unit:
            return map_unit
        if unit_can_be_assumed(analyte):
            return None
        return Rejected(
            _at(prefix, "valueQuantity.unit"),
            f"no unit: {analyte.name} is reported in several units ({', '.join(analyte.units)})",
        )

    def _scale(self, analyte_id: str, unit: str | None) -> float | None:
        """The unit's factor for the analyte (None when unknown): ranges in a unit of the same
        scale as the value (U/L and IU/L) are used as they are, without conversion."""
        if unit is None:
            return None
        return self.kb.analytes[analyte_id].units.get(clean_unit(unit, self.kb.unit_synonyms))

    def date(self, text: Any) -> tuple[dt.date | None, str | None]:
        """The calendar date written in a FHIR date/dateTime/instant, and a note if partial."""
        if not isinstance(text, str):
            return None, "not a date"
        hit = self._dates.get(text)
        if hit is None:
            hit = self._dates[text] = _parse_date(text)
            if len(self._dates) > 100_000:
                self._dates.clear()
        return hit

    def when(self, res: dict[str, Any]) -> tuple[dt.date | None, str | None, str]:
        for key in ("effectiveDateTime", "effectivePeriod", "effectiveInstant", "issued"):
            raw = res.get(key)
            if raw is None:
                continue
            if key == "effectivePeriod":
                raw = raw.get("start")
                key = "effectivePeriod.start"
                if raw is None:
                    continue
            date, note = self.date(raw)
            if key == "issued":
                note = "no effective time: the issued date was used" + (f"; {note}" if note else "")
            return date, note, key
        return (
            None,
            "no effective time or issued date: the result's date is unknown",
            "effective[x]",
        )

    def ranges(
        self, items: list[Any], analyte_id: str, unit: str | None, prefix: str
    ) -> tuple[Range, ...]:
        out: list[Range] = []
        scale = self._scale(analyte_id, unit)
        for i, rr in enumerate(items):
            where = _at(prefix, f"referenceRange[{i}]")
            types = {c.get("code") for c in (rr.get("type") or {}).get("coding") or []}
            if types and "normal" not in types:
                self.warn.add("reference range of a type other than 'normal' not used", where)
                continue
            bounds: list[float | None] = []
            ok = True
            for side in ("low", "high"):
                b = rr.get(side)
                if b is None or b.get("value") is None:
                    bounds.append(None)
                    continue
                bu = b.get("unit") or b.get("code")
                if ok and bu and unit and bu != unit and scale != self._scale(analyte_id, bu):
                    self.warn.add(
                        "reference range in another unit than the value: not used",
                        _at(where, side),
                    )
                    ok = False
                bounds.append(float(b["value"]))
            if not ok or (bounds[0] is None and bounds[1] is None):
                continue
            sex: str | None = None
            for concept in rr.get("appliesTo") or []:
                codes = [c.get("code") for c in concept.get("coding") or []]
                hit = next((SEX_BY_SNOMED[c] for c in codes if c in SEX_BY_SNOMED), None)
                sex = hit or "?"
                if hit is None:
                    break
            age = rr.get("age") or {}
            age_low = (age.get("low") or {}).get("value")
            age_high = (age.get("high") or {}).get("value")
            bound = age.get("low") or age.get("high") or {}
            age_unit = bound.get("code") or bound.get("unit") or "a"
            if age and age_unit not in AGE_UNITS:
                self.warn.add(
                    f"reference range age unit {age_unit!r} not understood; range not used", where
                )
                continue
            out.append(
                Range(
                    bounds[0],
                    bounds[1],
                    sex,
                    None if age_low is None else float(age_low),
                    None if age_high is None else float(age_high),
                    age_unit,
                )
            )
        key = tuple(out)
        return self._ranges.setdefault(key, key)

    # ------------------------------------------------------------------ context resources

    def read_medication(self, res: dict[str, Any], prefix: str, full_url: str | None) -> None:
        text = _concept_text(res.get("code") or {})
        if text:
            for key in (f"Medication/{res.get('id')}", full_url):
                if key:
                    self.medication_names[key] = text
        self.used()

    def read_medication_use(self, res: dict[str, Any], prefix: str, full_url: str | None) -> None:
        status = res.get("status")
        if status not in USED_MEDICATION_STATUS:
            self.reject(
                _at(prefix, "status"),
                f"status {status!r}: only active and completed medicines are used",
                status,
            )
            return
        text: str | tuple[str, str] | None = _concept_text(
            res.get("medicationCodeableConcept") or {}
        )
        if not text:
            ref = res.get("medicationReference") or {}
            target = ref.get("reference") or ""
            if target.startswith("#"):
                contained: dict[str, Any] = next(
                    (c for c in res.get("contained") or [] if c.get("id") == target[1:]), {}
                )
                text = _concept_text(contained.get("code") or {}) or ref.get("display")
            elif target:
                text = ("ref", target) if not ref.get("display") else ref["display"]
            else:
                text = ref.get("display")
        if not text:
            self.reject(_at(prefix, "medication[x]"), "medicine without a name or code text")
            return
        data = self.patient((res.get("subject") or {}).get("reference"), prefix)
        data.medications = [*(data.medications or []), text]
        self.used()

    def read_condition(self, res: dict[str, Any], prefix: str, full_url: str | None) -> None:
        clinical = _codes(res.get("clinicalStatus"))
        verification = _codes(res.get("verificationStatus"))
        if "entered-in-error" in verification:
            self.reject(_at(prefix, "verificationStatus"), "entered in error")
            return
        if clinical and not clinical & set(ACTIVE_CONDITION):
            self.reject(
                _at(prefix, "clinicalStatus"),
                "condition not active (only active, recurrence and relapse are used)",
                ", ".join(sorted(clinical)),
            )
            return
        text = _concept_text(res.get("code") or {})
        if not text:
            self.reject(_at(prefix, "code"), "condition without text or display")
            return
        if "refuted" in verification:
            text = f"no {text}"
        data = self.patient((res.get("subject") or {}).get("reference"), prefix)
        data.findings = [*(data.findings or []), text]
        self.used()

    def read_procedure(self, res: dict[str, Any], prefix: str, full_url: str | None) -> None:
        status = res.get("status")
        if status not in USED_PROCEDURE_STATUS:
            self.reject(
                _at(prefix, "status"),
                f"status {status!r}: only completed and in-progress procedures are used",
                status,
            )
            return
        code = res.get("code") or {}
        ids = [
            PROCEDURE_EVENTS[c["code"]]
            for c in code.get("coding") or []
            if c.get("system") == SNOMED and c.get("code") in PROCEDURE_EVENTS
        ]
        if not ids:
            for text in [code.get("text"), *(c.get("display") for c in code.get("coding") or [])]:
                if text:
                    m = self._events.find(text)
                    if m.ids and not m.negated:
                        ids = list(m.ids)
                        break
        if not ids:
            self.reject(
                _at(prefix, "code"),
                "procedure not one lowalp reasons about (surgery, bypass, transfusion, plasma exchange …)",
                _concept_text(code),
            )
            return
        raw = res.get("performedDateTime") or (res.get("performedPeriod") or {}).get("start")
        date, note = self.date(raw) if raw else (None, "no performed date: its timing is unknown")
        if note:
            self.warn.add(f"procedure {note}" if raw else note, _at(prefix, "performed[x]"))
        data = self.patient((res.get("subject") or {}).get("reference"), prefix)
        data.events = [
            *(data.events or []),
            *(EventRecord(event=i, date=date) for i in dict.fromkeys(ids)),
        ]
        self.used()

    def read_list(self, res: dict[str, Any], prefix: str, full_url: str | None) -> None:
        kinds = {LIST_KINDS[c] for c in _codes(res.get("code")) if c in LIST_KINDS}
        empty = "nilknown" in _codes(res.get("emptyReason"))
        if len(kinds) != 1 or not empty or res.get("entry"):
            self.reject(
                prefix,
                "resource type not used (only an empty 'nil known' List of medications, problems or procedures is read)",
                "List",
            )
            return
        data = self.patient((res.get("subject") or {}).get("reference"), prefix)
        kind = kinds.pop()
        if getattr(data, kind) is None:
            setattr(data, kind, [])
        self.used()

    handlers: ClassVar[dict[str, Callable[[Reader, dict[str, Any], str, str | None], None]]] = {
        "Patient": read_patient,
        "Observation": read_observation,
        "Medication": read_medication,
        "MedicationStatement": read_medication_use,
        "MedicationRequest": read_medication_use,
        "Condition": read_condition,
        "Procedure": read_procedure,
        "List": read_list,
    }

    # ------------------------------------------------------------------ output

    def check_version(self, source: str) -> None:
        if not self.version_problems:
            return
        why = f"; {self.version_hint}" if self.version_hint else ""
        problems = self.version_problems[:20]
        if len(self.version_problems) > 20:
            problems.append(Problem("", f"… and {len(self.version_problems) - 20} more"))
        problems.append(
            Problem(
                "",
                f"this looks like an earlier FHIR version (DSTU2/STU3){why}",
                hint="lowalp reads FHIR R4; convert the data to R4 first (for example with the HL7 FHIR version converter)",
            )
        )
        raise InputError(problems, source=source)

    def finish(self) -> None:
        for alias, key in list(self.aliases.items()):
            if alias in self.patients and alias != key:
                extra = self.patients.pop(alias)
                target = self.patients[key]
                target.labs.extend(extra.labs)
                for kind in ("medications", "findings", "events"):
                    more = getattr(extra, kind)
                    if more is not None:
                        setattr(target, kind, [*(getattr(target, kind) or []), *more])
        with_labs = [p for p in self.patients.values() if p.labs]
        for p in self.patients.values():
            if not p.labs:
                self.result.warnings.append(
                    f"{p.key}: no usable lab results, so no case for this patient"
                )
            elif not p.seen_resource and p.key != "unknown":
                self.result.warnings.append(
                    f"{p.key}: no Patient resource in the input; age and sex are not known"
                )
        self.result.warnings.extend(self.warn.lines())
        self.result.stats.cases = len(with_labs)
        self.result.cases = _CaseIterable(self, with_labs)

    def case(self, p: PatientData) -> Case:
        labs = []
        for o in p.labs:
            low, high = _choose_range(o.ranges, p.sex, p.birth_date, o.date)
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
                )
            )
        meds = None
        if p.medications is not None:
            meds = tuple(
                m if isinstance(m, str) else self.medication_names.get(m[1], m[1])
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
            ),
        )


class _CaseIterable:
    """Builds each case only when the iteration reaches it, from the compact records, so that
    millions of results are never held as full models at once. Iterating again builds again."""

    def __init__(self, reader: Reader, patients: list[PatientData]) -> None:
        self._reader = reader
        self._patients = patients

    def __iter__(self) -> Iterator[Case]:
        return (self._reader.case(p) for p in self._patients)

    def __len__(self) -> int:
        return len(self._patients)


# ----------------------------------------------------------------------------- helpers


def _parse_date(text: str) -> tuple[dt.date | None, str | None]:
    try:
        if len(text) == 4:
            return dt.date(int(text), 1, 1), f"partial date {text!r} taken as {text}-01-01"
        if len(text) == 7:
            return (
                dt.date(int(text[:4]), int(text[5:7]), 1),
                f"partial date {text!r} taken as {text}-01",
            )
        # The calendar date as written, i.e. in the timestamp's own offset.
        return dt.date.fromisoformat(text[:10]), None
    except ValueError:
        return None, f"date {text!r} not understood"


def _codes(concept: Any) -> set[str]:
    if not isinstance(concept, dict):
        return set()
    return {str(c.get("code")) for c in concept.get("coding") or [] if c.get("code")}


def _concept_text(concept: Any) -> str | None:
    if not isinstance(concept, dict):
        return None
    if concept.get("text"):
        return str(concept["text"])
    for c in concept.get("coding") or []:
        if c.get("display"):
            return str(c["display"])
    return None


def _interpretation(concept: dict[str, Any]) -> Qualifier | None:
    for c in concept.get("coding") or []:
        hit = INTERPRETATION.get(str(c.get("code")))
        if hit:
            return hit
    return None


def _concept_qualifier(concept: dict[str, Any]) -> Qualifier | None:
    for c in concept.get("coding") or []:
        code = str(c.get("code"))
        if c.get("system") == SNOMED and code in SNOMED_QUALIFIER:
            return SNOMED_QUALIFIER[code]
        if c.get("system") == V3_INTERPRETATION and code in INTERPRETATION:
            return INTERPRETATION[code]
    text = (_concept_text(concept) or "").strip().lower()
    return WORD_QUALIFIER.get(text)


def _age_in(unit: str, birth: dt.date, at: dt.date) -> float:
    """Completed age in the unit (years and months by the calendar)."""
    if unit == "a":
        years = at.year - birth.year - ((at.month, at.day) < (birth.month, birth.day))
        return float(years)
    if unit == "mo":
        months = (at.year - birth.year) * 12 + at.month - birth.month - (at.day < birth.day)
        return float(months)
    return float((at - birth).days // int(AGE_UNITS[unit]))


def _choose_range(
    ranges: tuple[Range, ...], sex: Sex | None, birth: dt.date | None, at: dt.date | None
) -> tuple[float | None, float | None]:
    """The range that fits the patient best: appliesTo and age must match; most specific wins;
    else one without qualifiers; else none."""
    best: Range | None = None
    best_score = -1
    for r in ranges:
        score = 0
        if r.sex is not None:
            if r.sex != sex:
                continue
            score += 1
        if r.age_low is not None or r.age_high is not None:
            if birth is None or at is None:
                continue
            age = _age_in(r.age_unit, birth, at)
            if (r.age_low is not None and age < r.age_low) or (
                r.age_high is not None and age > r.age_high
            ):
                continue
            score += 1
        if score > best_score:
            best, best_score = r, score
    return (best.low, best.high) if best else (None, None)


def _json_error(exc: json.JSONDecodeError, source: str) -> InputError:
    return InputError(
        [
            Problem(
                f"line {exc.lineno}, column {exc.colno}",
                f"not valid JSON: {exc.msg}",
                hint="the file may be cut off (truncated); export it again",
            )
        ],
        source=source,
    )


def _ndjson_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("*.ndjson"))
    # Patients first, so that the rest can be related to them as they stream by.
    return sorted(files, key=lambda p: (not p.name.startswith("Patient"), p.name))


def _manifest(folder: Path, reader: Reader) -> None:
    path = folder / "manifest.json"
    if not path.exists():
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        reader.result.warnings.append(f"{path.name}: not readable as JSON ({exc}); ignored")
        return
    for key in ("error", "outcome"):
        for i, item in enumerate(data.get(key) or []):
            if isinstance(item, dict):
                reader.result.warnings.append(
                    f"{path.name} {key}[{i}]: the export reported problems "
                    f"({item.get('type', 'OperationOutcome')}, {item.get('url', '?')}, "
                    f"count {item.get('count', '?')})"
                )


def _is_ndjson(path: Path) -> bool:
    if path.suffix.lower() in (".ndjson", ".jsonl"):
        return True
    with path.open("rb") as fh:
        first = b""
        for raw in fh:
            if raw.strip():
                first = raw
                break
        try:
            json.loads(first)
        except ValueError:
            return False
        return any(raw.strip() for raw in fh)


class _FhirAdapter:
    name = "fhir"
    description = "FHIR R4 Bundle (JSON) or bulk-export NDJSON (a file or a folder of them)"

    def sniff(self, head: str, path: Path | None) -> bool:
        if path is not None and path.is_dir():
            return any(path.glob("*.ndjson"))
        text = head.lstrip("\ufeff \t\r\n")
        return text.startswith("{") and '"resourceType"' in text

    def read(self, path: Path, options: ReadOptions) -> ReadResult:
        kb = load_knowledge()
        reader = Reader(options, kb)
        if path.is_dir():
            files = _ndjson_files(path)
            if not files:
                raise InputError([Problem(str(path), "no *.ndjson files in this folder")])
            _manifest(path, reader)
            total = sum(f.stat().st_size for f in files)
            done = 0
            for f in files:
                done = self._ndjson(f, reader, done, total, f.name)
        elif _is_ndjson(path):
            self._ndjson(path, reader, 0, path.stat().st_size, path.name)
        else:
            self._bundle(path, reader, options)
        reader.finish()
        return reader.result

    def _bundle(self, path: Path, reader: Reader, options: ReadOptions) -> None:
        size = path.stat().st_size
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise InputError([Problem(str(path), "not a UTF-8 text file")]) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _json_error(exc, str(path)) from None
        del text
        if options.progress:
            options.progress(size, size)
        if not isinstance(data, dict) or "resourceType" not in data:
            raise InputError(
                [Problem("(file)", "not a FHIR resource: no resourceType")], source=str(path)
            )
        top = "" if data.get("resourceType") == "Bundle" else str(data["resourceType"])
        reader.source = str(path)
        reader.resource(data, top)
        reader.check_version(str(path))

    def _ndjson(self, path: Path, reader: Reader, done: int, total: int, label: str) -> int:
        progress = reader.options.progress
        step = max(total // 200, 1 << 20)
        mark = done + step
        reader.source = str(path)
        with path.open("rb") as fh:
            for lineno, raw in enumerate(fh, start=1):
                done += len(raw)
                if progress and done >= mark:
                    progress(done, total)
                    mark = done + step
                if not raw.strip():
                    continue
                where = f"{label} line {lineno}"
                try:
                    res = json.loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    reader.result.stats.read += 1
                    col = f", column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
                    reader.reject(f"{where}{col}", f"not valid JSON: {exc}")
                    continue
                reader.resource(res, where, None, _NAIVE_IN_TEXT.search(raw) is not None)
                if len(reader.version_problems) >= 20:
                    break
        if progress:
            progress(done, total)
        reader.check_version(str(path))
        return done


ADAPTER = _FhirAdapter()
