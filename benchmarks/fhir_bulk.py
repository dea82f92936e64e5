"""Reading a hospital-shaped FHIR bulk export: resources/s, ms per resource, peak RSS, and
what was used and set aside by category.

Generates (or takes, with ``--input``) a bulk export: one NDJSON file per resource type, as a
Bulk Data server writes it (Patient, Observation, Condition, MedicationRequest,
MedicationAdministration, Procedure, Encounter). Each patient has the mix an outside
generator gives: about 30 laboratory and vital-sign Observations with standard LOINC codes
of which only a few are analytes lowalp uses, a result under a local code, Conditions coded in
SNOMED CT and ICD-10 (some named by text lowalp reads, one refuted), medicines as RxNorm
requests and inpatient administrations, a procedure and an encounter. The export is written to
a temporary folder outside the repository (or ``--keep DIR``), read with the ``fhir`` adapter,
and the numbers printed. Asserts nothing.

    python benchmarks/fhir_bulk.py [--patients 2000] [--gigabytes 1.0] [--keep DIR]
    python benchmarks/fhir_bulk.py --input EXPORT_DIR
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

from lowalp.adapters.base import ReadOptions
from lowalp.adapters.fhir import ADAPTER
from lowalp.adapters.fhir import reader as fhir_reader
from lowalp.knowledge import load_knowledge
from lowalp.text.reader import read_text

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"

USED = [  # (LOINC, unit, low value, high value, reference low, high)
    ("6768-6", "U/L", 15, 140, 35, 104),
    ("1751-7", "g/dL", 2.8, 5.2, 3.5, 5.2),
    ("17861-6", "mg/dL", 8.0, 10.8, 8.6, 10.3),
    ("2823-3", "mmol/L", 3.2, 5.6, 3.5, 5.1),
    ("718-7", "g/dL", 9.0, 16.5, 12.0, 16.0),
]
CANDIDATES = [  # standard LOINC codes of a routine chemistry, blood count and vital signs
    ("2345-7", "mg/dL", "Glucose"),
    ("2093-3", "mg/dL", "Cholesterol"),
    ("2571-8", "mg/dL", "Triglyceride"),
    ("2085-9", "mg/dL", "HDL cholesterol"),
    ("13457-7", "mg/dL", "LDL cholesterol"),
    ("4548-4", "%", "Hemoglobin A1c"),
    ("789-8", "10*6/uL", "Erythrocytes"),
    ("4544-3", "%", "Hematocrit"),
    ("785-6", "pg", "MCH"),
    ("786-4", "g/dL", "MCHC"),
    ("21000-5", "fL", "RDW"),
    ("8867-4", "/min", "Heart rate"),
    ("8480-6", "mm[Hg]", "Systolic blood pressure"),
    ("8462-4", "mm[Hg]", "Diastolic blood pressure"),
    ("9279-1", "/min", "Respiratory rate"),
    ("8310-5", "Cel", "Body temperature"),
    ("29463-7", "kg", "Body weight"),
    ("8302-2", "cm", "Body height"),
    ("59408-5", "%", "Oxygen saturation"),
    ("72514-3", "{score}", "Pain severity"),
    ("33914-3", "mL/min/{1.73_m2}", "eGFR"),
    ("2947-0", "mmol/L", "Sodium [blood]"),
    ("6298-4", "mmol/L", "Potassium [blood]"),
    ("1920-8", "U/L", "AST"),
    ("1742-6", "U/L", "ALT"),
]
CONDITIONS = [  # (SNOMED, ICD-10-CM, text, verification)
    ("38341003", "I10", "Essential (primary) hypertension", "confirmed"),
    ("396331005", "K90.0", "Celiac disease", "confirmed"),
    ("271737000", "D64.9", "Anemia, unspecified", "confirmed"),
    ("44054006", "E11.9", "Type 2 diabetes mellitus without complications", "confirmed"),
    ("88518009", "E83.01", "Wilson's disease", "refuted"),
]
MEDICINES = [
    ("314076", "lisinopril 10 MG Oral Tablet"),
    ("197361", "amlodipine 5 MG Oral Tablet"),
    ("310325", "ferrous sulfate 325 MG Oral Tablet"),
    ("197319", "alendronate 70 MG Oral Tablet"),
]


def unused_codes() -> list[tuple[str, str, str]]:
    """The candidates none of which is an analyte lowalp reads (checked against the knowledge)."""
    index = load_knowledge().loinc_index
    return [c for c in CANDIDATES if c[0] not in index]


def dump(fh: TextIO, res: dict[str, Any]) -> int:
    line = json.dumps(res, separators=(",", ":")) + "\n"
    fh.write(line)
    return len(line)


def quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def observation(
    rid: str, pid: str, day: str, code: dict[str, Any], value: dict[str, Any], status: str
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "meta": {
            "profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab"]
        },
        "status": status,
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": code,
        "subject": {"reference": f"Patient/{pid}"},
        "encounter": {"reference": f"Encounter/e-{pid}"},
        "effectiveDateTime": f"{day}T08:15:00+01:00",
        "issued": f"{day}T12:00:00+01:00",
        "valueQuantity": value,
    }


def write_patient(files: dict[str, TextIO], rnd: random.Random, i: int, unused: list[Any]) -> int:
    pid = f"p{i}"
    day = f"2024-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
    n = 0
    n += dump(
        files["Patient"],
        {
            "resourceType": "Patient",
            "id": pid,
            "name": [{"family": f"Family{i}", "given": ["Test"]}],
            "gender": rnd.choice(("female", "male")),
            "birthDate": f"{rnd.randint(1935, 2005)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
        },
    )
    n += dump(
        files["Encounter"],
        {
            "resourceType": "Encounter",
            "id": f"e-{pid}",
            "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
            "subject": {"reference": f"Patient/{pid}"},
            "period": {"start": f"{day}T07:00:00+01:00", "end": f"{day}T18:00:00+01:00"},
        },
    )
    obs = files["Observation"]
    for k, (code, unit, lo, hi, rlo, rhi) in enumerate(USED):
        res = observation(
            f"o{i}-{k}",
            pid,
            day,
            {"coding": [{"system": LOINC, "code": code}]},
            quantity(round(rnd.uniform(lo, hi), 1), unit),
            "final",
        )
        res["referenceRange"] = [{"low": quantity(rlo, unit), "high": quantity(rhi, unit)}]
        n += dump(obs, res)
    for k, (code, unit, name) in enumerate(unused):
        coding = {"system": LOINC, "code": code, "display": name}
        res = observation(
            f"o{i}-u{k}",
            pid,
            day,
            {"coding": [coding], "text": name},
            quantity(round(rnd.uniform(1, 200), 1), unit),
            "final",
        )
        n += dump(obs, res)
    local = {"coding": [{"system": "urn:oid:1.2.840.114350.1.13.99", "code": "VITB6"}]}
    n += dump(obs, observation(f"o{i}-l", pid, day, local, quantity(30.0, "nmol/L"), "final"))
    cond = files["Condition"]
    for k, (snomed, icd, text, verification) in enumerate(CONDITIONS):
        if rnd.random() < 0.5:
            continue
        n += dump(
            cond,
            {
                "resourceType": "Condition",
                "id": f"c{i}-{k}",
                "clinicalStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                            "code": "active",
                        }
                    ]
                },
                "verificationStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                            "code": verification,
                        }
                    ]
                },
                "code": {
                    "coding": [
                        {"system": SNOMED, "code": snomed, "display": text},
                        {"system": ICD10, "code": icd, "display": text},
                    ],
                    "text": text,
                },
                "subject": {"reference": f"Patient/{pid}"},
                "onsetDateTime": "2020-03-01",
            },
        )
    rx, name = MEDICINES[i % len(MEDICINES)]
    med = {"coding": [{"system": RXNORM, "code": rx, "display": name}], "text": name}
    n += dump(
        files["MedicationRequest"],
        {
            "resourceType": "MedicationRequest",
            "id": f"mr{i}",
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": med,
            "subject": {"reference": f"Patient/{pid}"},
            "authoredOn": "2023-01-10",
        },
    )
    for k in range(3):
        n += dump(
            files["MedicationAdministration"],
            {
                "resourceType": "MedicationAdministration",
                "id": f"ma{i}-{k}",
                "status": "completed" if k < 2 else "not-done",
                "medicationCodeableConcept": med,
                "subject": {"reference": f"Patient/{pid}"},
                "effectiveDateTime": f"{day}T0{k + 8}:00:00+01:00",
                "dosage": {"route": {"text": "oral"}, "dose": {"value": 1, "unit": "tablet"}},
            },
        )
    n += dump(
        files["Procedure"],
        {
            "resourceType": "Procedure",
            "id": f"pr{i}",
            "status": "completed",
            "code": {
                "coding": [{"system": SNOMED, "code": "73761001", "display": "Colonoscopy"}],
                "text": "Colonoscopy",
            },
            "subject": {"reference": f"Patient/{pid}"},
            "performedDateTime": "2022-05-04",
        },
    )
    return n


TYPES = (
    "Patient",
    "Encounter",
    "Observation",
    "Condition",
    "MedicationRequest",
    "MedicationAdministration",
    "Procedure",
)


def generate(folder: Path, patients: int | None, gigabytes: float | None, seed: int = 7) -> int:
    """Write the export; stop after ``patients`` or once ``gigabytes`` are written."""
    rnd = random.Random(seed)
    unused = unused_codes()
    limit = int(gigabytes * 1e9) if gigabytes else None
    written = 0
    files = {t: (folder / f"{t}.ndjson").open("w", encoding="utf-8") for t in TYPES}
    try:
        i = 0
        while (patients is None or i < patients) and (limit is None or written < limit):
            written += write_patient(files, rnd, i, unused)
            i += 1
    finally:
        for fh in files.values():
            fh.close()
    return i


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--patients", type=int, help="patients to generate (default 2000)")
    ap.add_argument("--gigabytes", type=float, help="generate until the export is this large")
    ap.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    ap.add_argument("--input", type=Path, help="read this export instead of generating one")
    args = ap.parse_args()

    if args.input:
        folder = args.input
    else:
        folder = args.keep or Path(tempfile.mkdtemp(prefix="lowalp-fhir-bulk-"))
        folder.mkdir(parents=True, exist_ok=True)
    try:
        if not args.input:
            t0 = time.perf_counter()
            patients = args.patients if args.patients or args.gigabytes else 2000
            n = generate(folder, patients, args.gigabytes)
            print(f"generated {n} patients in {time.perf_counter() - t0:.0f} s in {folder}")
        size = sum(p.stat().st_size for p in folder.glob("*.ndjson"))
        print(f"export: {size / 1e6:,.0f} MB")
        kb = load_knowledge()
        t0 = time.perf_counter()
        read_text("coeliac disease", kb)  # the clinical-text reader's one-time start
        print(f"clinical-text reader started in {time.perf_counter() - t0:.1f} s (not counted)")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        last = [time.perf_counter()]

        def progress(done: int, total: int | None) -> None:
            now = time.perf_counter()
            if now - last[0] > 30:
                last[0] = now
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(f"  {done / (total or 1):5.1%}, peak RSS {rss:.0f} MiB", file=sys.stderr)

        validated = [0]
        validate = fhir_reader.validate

        def counting(*args: Any) -> bool:
            validated[0] += 1
            return bool(validate(*args))

        fhir_reader.validate = counting  # type: ignore[assignment]
        t0, cpu0 = time.perf_counter(), time.process_time()
        result = ADAPTER.read(folder, ReadOptions(progress=progress), kb)
        t_read = time.perf_counter() - t0
        t1 = time.perf_counter()
        n_labs = sum(len(c.labs) for c in result.cases)
        t_cases = time.perf_counter() - t1
        elapsed = t_read + t_cases
        cpu = time.process_time() - cpu0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        stats = result.stats
        print(stats.summary())
        for category, count in getattr(stats, "by_category", {}).items():
            print(f"  {count:>10,}  {category}")
        print(f"lab results in cases: {n_labs:,}")
        print(f"read: {t_read:.1f} s, building cases: {t_cases:.1f} s")
        print(
            f"throughput: {stats.read / elapsed:,.0f} resources/s, "
            f"{elapsed / max(stats.read, 1) * 1000:.4f} ms per resource, "
            f"{size / 1e6 / elapsed:.1f} MB/s"
        )
        print(
            f"CPU time: {cpu:.1f} s, {cpu / max(stats.read, 1) * 1000:.4f} ms per resource "
            "(less sensitive than wall time to other work on the machine)"
        )
        print(f"resources validated: {validated[0]:,} of {stats.read:,}")
        print(f"peak RSS: {peak / 1024:.0f} MiB (before reading: {rss_before / 1024:.0f} MiB)")
    finally:
        if not args.input and args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
