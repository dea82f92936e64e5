"""The server's runtime folder: state its workers share (the CDS ``jti`` replay store).

``lowalp serve --runtime-dir DIR`` names it; without the option a new private folder is made
for the run and removed when the server stops (``jti`` values then survive a worker's
restart, not the server's). A folder given is made if missing, and must be a real folder (not a
symbolic link) owned by the user running the server, with no access for others.
"""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import tempfile
from pathlib import Path

from lowalp.errors import InputError, Problem


def prepare(folder: Path | None) -> Path:
    """The runtime folder, made or checked."""
    if folder is None:
        made = Path(tempfile.mkdtemp(prefix="lowalp-run-"))  # mode 0700
        atexit.register(shutil.rmtree, made, ignore_errors=True)
        return made
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.lstat()
    problem = None
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        problem = "is not a folder (a symbolic link is not accepted)"
    elif info.st_uid != os.getuid():
        problem = "belongs to another user"
    elif info.st_mode & 0o077:
        problem = "is open to other users"
    if problem:
        raise InputError(
            [Problem("--runtime-dir", problem, value=str(folder), hint=f"chmod 700 {folder}")]
        )
    return folder
