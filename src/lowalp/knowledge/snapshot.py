"""A precompiled copy of the loaded bundled knowledge, so that a new process need not re-read it.

Reading and validating the knowledge files takes most of a cold ``lowalp assess``; unpickling
the result takes a small fraction of that. The snapshot is a pickle in the cache folder
(``LOWALP_CACHE_DIR``, else ``$XDG_CACHE_HOME/lowalp``, else ``~/.cache/lowalp``; an empty
``LOWALP_CACHE_DIR`` turns the snapshot off). Its name is a hash of everything it depends on:
the contents of every file in the knowledge folder (the data and the schema code beside it),
the size and modification time of every other module of lowalp, lowalp's version and the
Python and pydantic versions. A change to any of them gives a new name, so a snapshot is never
used stale. It is written atomically (a temporary file renamed into place); a folder that
cannot be written, or a snapshot that cannot be read, only means the knowledge is loaded
from its files as usual. Only a file owned by the current user is read.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lowalp.knowledge import Knowledge

PREFIX = "knowledge-"
SUFFIX = ".pickle"
_SKIP = ("__pycache__",)


def cache_dir() -> Path | None:
    """The folder snapshots go in, or None when they are turned off."""
    own = os.environ.get("LOWALP_CACHE_DIR")
    if own is not None:
        return Path(own) if own.strip() else None
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "lowalp"


def _files(folder: Traversable, prefix: str = "") -> Iterator[tuple[str, Traversable]]:
    for item in sorted(folder.iterdir(), key=lambda t: t.name):
        if item.name in _SKIP:
            continue
        name = f"{prefix}{item.name}"
        if item.is_dir():
            yield from _files(item, f"{name}/")
        elif item.is_file():
            yield name, item


def key(root: Traversable | Path) -> str:
    """The hash that names the snapshot of the knowledge folder ``root`` (see the module)."""
    import pydantic

    import lowalp

    h = hashlib.sha256()
    h.update(
        f"lowalp {lowalp.__version__}\0python {sys.version}\0pydantic {pydantic.VERSION}\0".encode()
    )
    for name, item in _files(root):
        data = item.read_bytes()
        h.update(f"{name}\0{len(data)}\0".encode())
        h.update(data)
    package = Path(lowalp.__file__).parent
    for path in sorted(package.rglob("*.py")):
        if any(part in _SKIP for part in path.parts):
            continue
        st = path.stat()
        h.update(
            f"{path.relative_to(package).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\0".encode()
        )
    return h.hexdigest()[:32]


def load_or_build(root: Traversable | Path, build: Callable[[], Knowledge]) -> Knowledge:
    """The knowledge of ``root`` from its snapshot when there is a current one, else ``build()``
    (and a snapshot of it written for the next process, if the cache folder allows)."""
    from lowalp.knowledge import Knowledge

    folder = cache_dir()
    if folder is None:
        return build()
    try:
        target = folder / f"{PREFIX}{key(root)}{SUFFIX}"
    except OSError:
        return build()
    kb = _read(target, Knowledge)
    if kb is not None:
        return kb
    kb = build()
    _write(target, kb)
    return kb


def _read(target: Path, kind: type[Knowledge]) -> Knowledge | None:
    try:
        with target.open("rb") as fh:
            if hasattr(os, "getuid") and os.fstat(fh.fileno()).st_uid != os.getuid():
                return None
            kb = pickle.load(fh)
    except FileNotFoundError:
        return None
    except Exception:  # a damaged or foreign snapshot: load from the files
        return None
    return kb if isinstance(kb, kind) else None


def _write(target: Path, kb: Knowledge) -> None:
    try:
        data = pickle.dumps(replace(kb, cache={}), protocol=pickle.HIGHEST_PROTOCOL)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=SUFFIX, dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except Exception:  # a folder that cannot be written: no snapshot, no harm
        return
    for old in target.parent.glob(f"{PREFIX}*{SUFFIX}"):
        if old != target:
            with contextlib.suppress(OSError):
                old.unlink(missing_ok=True)
