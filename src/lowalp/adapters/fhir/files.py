"""Files: one Bundle (JSON), one NDJSON file, or a folder of NDJSON files (a bulk export).

- A **Bundle** file is parsed whole (``utf-8-sig``: a byte-order mark is fine); JSON that does
  not parse is a whole-file error with line and column ("the file may be cut off"). A single
  resource other than a Bundle is read as it is.
- **Bulk NDJSON** (Bulk Data Access IG, "Response - Complete Status"): one resource a line. A
  file is taken as NDJSON from its suffix (``.ndjson``, ``.jsonl``) or when its first non-blank
  line is a JSON document and more lines follow. A folder holds one or several files per
  resource type (``Patient.ndjson``, ``Observation.ndjson``, ``Observation.2.ndjson`` …); they
  are read in name order, Patient files first. A ``manifest.json`` beside them has its
  ``error`` (STU2) and ``outcome`` (4.0 ballot) entries listed as warnings; a manifest that is
  not JSON is ignored with a warning. A line that is not JSON is one rejected record
  (``Observation.ndjson line 7, column 3``); blank lines are skipped.
- Streaming: lines are read one at a time and only a compact tuple per result is kept;
  ``options.progress`` gets bytes done and total (every 1 MB or 0.5 %, whichever is larger).
  A Bundle on an NDJSON line is read entry by entry, so NDJSON of Bundles (one per patient, as
  ``--format fhir`` writes) reads back. A line is searched for a time without a zone only when
  a fast check on its bytes finds one.
"""

from __future__ import annotations

import json
from pathlib import Path

from lowalp.adapters import strict_json
from lowalp.adapters.base import ReadOptions, ReadResult
from lowalp.adapters.fhir.cases import finish
from lowalp.adapters.fhir.dates import NAIVE_IN_TEXT
from lowalp.adapters.fhir.reader import Reader
from lowalp.adapters.fhir.version import MAX_PROBLEMS, check_version
from lowalp.adapters.reasons import NOT_VALID
from lowalp.adapters.sniffing import looks_like_fhir
from lowalp.errors import InputError, Problem
from lowalp.knowledge import Knowledge, load_knowledge


class FhirAdapter:
    name = "fhir"
    description = "FHIR R4 Bundle (JSON) or bulk-export NDJSON (a file or a folder of them)"

    def sniff(self, head: str, path: Path | None) -> bool:
        return looks_like_fhir(head, path)

    def read(self, path: Path, options: ReadOptions, knowledge: Knowledge) -> ReadResult:
        reader = Reader(options, knowledge)
        if path.is_dir():
            files = ndjson_files(path)
            if not files:
                raise InputError([Problem(str(path), "no *.ndjson files in this folder")])
            read_manifest(path, reader)
            total = sum(f.stat().st_size for f in files)
            done = 0
            for f in files:
                done = read_ndjson(f, reader, done, total, f.name)
        elif is_ndjson(path):
            read_ndjson(path, reader, 0, path.stat().st_size, path.name)
        else:
            read_bundle(path, reader, options)
        finish(reader)
        return reader.result


ADAPTER = FhirAdapter()


def read_resource(
    data: dict[str, object],
    *,
    options: ReadOptions | None = None,
    knowledge: Knowledge | None = None,
    source: str = "(resources)",
) -> ReadResult:
    """Read one FHIR resource already in memory (usually a Bundle), as a file would be read.

    For callers that hold the resources themselves (the CDS Hooks service): nothing touches
    the disk, and ``knowledge`` may be other than the bundled one.
    """
    if not isinstance(data, dict) or "resourceType" not in data:
        raise InputError(
            [Problem("(resource)", "not a FHIR resource: no resourceType")], source=source
        )
    reader = Reader(options or ReadOptions(), knowledge or load_knowledge())
    reader.source = source
    top = "" if data.get("resourceType") == "Bundle" else str(data["resourceType"])
    reader.resource(data, top)
    check_version(reader, source)
    finish(reader)
    return reader.result


def read_bundle(path: Path, reader: Reader, options: ReadOptions) -> None:
    """A file holding one JSON resource, usually a Bundle."""
    size = path.stat().st_size
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError([Problem(str(path), "not a UTF-8 text file")]) from None
    data = strict_json.parse(
        text, source=str(path), hint="the file may be cut off (truncated); export it again"
    )
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
    check_version(reader, str(path))


def read_ndjson(path: Path, reader: Reader, done: int, total: int, label: str) -> int:
    """One NDJSON file, line by line; returns the bytes done so far across the folder."""
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
                res = strict_json.parse(raw, prefix=f"{where}, ")
            except InputError as exc:
                reader.result.stats.read += 1
                first = exc.problems[0]
                more = len(exc.problems) - 1
                reason = first.message + (f" (and {more} more on the line)" if more else "")
                reader.reject(first.pointer, reason, first.value, NOT_VALID)
                continue
            reader.resource(res, where, None, NAIVE_IN_TEXT.search(raw) is not None)
            if len(reader.version_problems) >= MAX_PROBLEMS:
                break
    if progress:
        progress(done, total)
    check_version(reader, str(path))
    return done


def ndjson_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("*.ndjson"))
    # Patients first, so that the rest can be related to them as they stream by.
    return sorted(files, key=lambda p: (not p.name.startswith("Patient"), p.name))


def read_manifest(folder: Path, reader: Reader) -> None:
    """The bulk export's ``manifest.json``: its ``error`` and ``outcome`` files, as warnings."""
    path = folder / "manifest.json"
    if not path.exists():
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as exc:  # JSON or UTF-8 errors, digits, nesting
        reader.result.warnings.append(f"{path.name}: not readable as JSON ({exc}); ignored")
        return
    if not isinstance(data, dict):
        reader.result.warnings.append(f"{path.name}: not a JSON object; ignored")
        return
    for key in ("error", "outcome"):
        for i, item in enumerate(data.get(key) or []):
            if isinstance(item, dict):
                reader.result.warnings.append(
                    f"{path.name} {key}[{i}]: the export reported problems "
                    f"({item.get('type', 'OperationOutcome')}, {item.get('url', '?')}, "
                    f"count {item.get('count', '?')})"
                )


def is_ndjson(path: Path) -> bool:
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
        except (ValueError, RecursionError):
            return False
        return any(raw.strip() for raw in fh)
