"""The screen's outputs as one set: staged, moved in together, marked complete.

Every file is first written to a staging folder inside the output folder (``.lowalp-partial-…``,
the same file system, so moving is a rename). At the end the previous run's ``manifest.json``
is removed first, the new files are renamed into place, and the new manifest (inputs, counts,
knowledge version, finished at) is written last, itself through a temporary name. A screen
that stops early (an error, Ctrl-C) removes its staging folder and leaves the previous outputs
as they were; a folder without ``manifest.json`` holds no complete run.

CSV files are written for spreadsheets: a text cell that begins with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is prefixed with a single quote (OWASP's rule against formula
injection); numbers, negative ones too, stay numbers. Parquet keeps every value as it is.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lowalp.adapters.spreadsheet import neutralise

if TYPE_CHECKING:
    from lowalp.knowledge import Knowledge
    from lowalp.screen.inputs import ScreenInput

MANIFEST = "manifest.json"
STAGING_PREFIX = ".lowalp-partial-"


def staging(out: Path) -> Path:
    """A new, empty staging folder inside ``out``."""
    return Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))


def discard(staged: Path) -> None:
    shutil.rmtree(staged, ignore_errors=True)


def publish(staged: Path, out: Path, manifest: dict[str, Any]) -> None:
    """Move every staged file into ``out`` (replacing the previous run's) and write the
    manifest last; the staging folder is removed."""
    (out / MANIFEST).unlink(missing_ok=True)
    names = sorted(p.name for p in staged.iterdir())
    manifest["outputs"] = names
    for name in names:
        target = out / name
        if target.is_dir() and not (staged / name).is_dir():
            shutil.rmtree(target)
        os.replace(staged / name, target)
    tmp = staged / MANIFEST
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, out / MANIFEST)
    discard(staged)


def manifest(src: ScreenInput, counts: dict[str, Any], kb: Knowledge) -> dict[str, Any]:
    """What a complete run says of itself."""
    from lowalp import __version__

    keep = ("rows_read", "rows_used", "rows_rejected", "persons_screened")
    return {
        "complete": True,
        "program": f"lowalp {__version__}",
        "knowledge_version": kb.version,
        "input": _input(src),
        "counts": {k: counts[k] for k in (*keep, "persons_on_worklist", "persistent")},
        "checked_against_assess": {
            "persons": counts.get("persons_checked_against_assess", 0),
            "disagreeing": counts.get("screen_assess_disagreements", 0),
            "first_disagreeing_persons": counts.get("disagreeing_persons", []),
        },
        "rejected_by_reason": counts.get("rejected_by_reason", {}),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _input(src: ScreenInput) -> dict[str, str]:
    """The input as the manifest names it: a file's name, or a database's URL (password
    masked) and CDM schema."""
    if src.kind == "postgres":
        from lowalp.screen.postgres import mask_url

        return {"kind": src.kind, "url": mask_url(src.url or ""), "schema": src.cdm_schema or ""}
    return {"kind": src.kind, "path": src.path.name}


def write_csv(frame: Any, path: Path) -> None:
    """A DataFrame as CSV with text cells neutralised for spreadsheets (numbers untouched)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or str(out[column].dtype) in ("string", "str"):
            out[column] = out[column].map(lambda v: neutralise(v) if isinstance(v, str) else v)
    out.to_csv(path, index=False)


def write_batches(batches: Any, path: Path) -> None:
    """Record batches to one Parquet file, a batch at a time."""
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    writer = pq.ParquetWriter(str(path), batches.schema)
    try:
        for batch in _batches(batches):
            writer.write_batch(batch)
    finally:
        writer.close()


def _batches(reader: Any) -> Iterable[Any]:
    yield from reader
