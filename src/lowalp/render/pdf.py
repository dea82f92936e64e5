"""The HTML report printed to PDF by a headless Chromium.

The PDF is the same page :func:`lowalp.render.html.render_html` writes, laid out by the report's
own print stylesheet, so the paper version never drifts from the screen version. Chromium runs
once per document, headless, with a fresh empty profile, no network services and no sandbox
(CI runs as root); the HTML is loaded from a private temporary folder. Nothing is kept.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from lowalp.errors import LowAlpError

if TYPE_CHECKING:
    from lowalp.model import Assessment
    from lowalp.render.html import Audience, Detail

DEFAULT_CHROMIUM = "/usr/bin/chromium"
"""Debian's package, which ``make test`` installs."""
ENV_VAR = "LOWALP_CHROMIUM"
"""Set it to use another Chromium or Chrome binary."""
TIMEOUT_SECONDS = 60.0
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-pdf-header-footer",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


class PdfError(LowAlpError):
    """The PDF could not be made."""


class PdfUnavailable(PdfError):
    """No Chromium to print with."""


def find_chromium() -> str | None:
    """The Chromium binary to use: ``$LOWALP_CHROMIUM``, Debian's, or one on ``PATH``."""
    configured = os.environ.get(ENV_VAR)
    candidates = [configured] if configured else [DEFAULT_CHROMIUM, "chromium", "chromium-browser"]
    for name in candidates:
        found = shutil.which(name) if name else None
        if found:
            return found
    return None


def html_to_pdf(
    html: str, *, chromium: str | None = None, timeout: float = TIMEOUT_SECONDS
) -> bytes:
    """Print ``html`` (a complete, self-contained document) to PDF and return its bytes.

    Raises :class:`PdfUnavailable` when no Chromium is installed and :class:`PdfError` when
    Chromium fails or takes longer than ``timeout`` seconds.
    """
    binary = chromium or find_chromium()
    if binary is None:
        raise PdfUnavailable(
            f"PDF output needs Chromium and none was found (looked for ${ENV_VAR}, "
            f"{DEFAULT_CHROMIUM} and chromium on PATH); install it with "
            "'apt-get install chromium' or print the HTML report from a browser"
        )
    with tempfile.TemporaryDirectory(prefix="lowalp-pdf-") as tmp:
        folder = Path(tmp)
        page, out, profile = folder / "report.html", folder / "report.pdf", folder / "profile"
        page.write_text(html, encoding="utf-8")
        profile.mkdir()
        command = [
            *_lower_priority(),
            binary,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                timeout=timeout,
                check=False,
                env={**os.environ, "HOME": str(folder)},
            )
        except subprocess.TimeoutExpired:
            raise PdfError(f"Chromium took longer than {timeout:g} s to print the PDF") from None
        except OSError as exc:
            raise PdfUnavailable(f"Chromium could not be started ({binary}): {exc}") from None
        data = out.read_bytes() if out.exists() else b""
        if not data.startswith(b"%PDF"):
            tail = done.stderr.decode("utf-8", errors="replace").strip().splitlines()[-3:]
            raise PdfError(
                f"Chromium exited with status {done.returncode} without writing a PDF"
                + (f": {' / '.join(tail)}" if tail else "")
            )
        return data


NICENESS = 10
"""Chromium prints at a lower CPU priority, so that a server printing PDFs keeps answering
everything else (health checks, assessments) first on a busy machine."""


def _lower_priority() -> list[str]:
    nice = shutil.which("nice")
    return [nice, "-n", str(NICENESS)] if nice else []


def render_pdf(
    a: Assessment, *, audience: Audience = "clinician", detail: Detail = "brief"
) -> bytes:
    """The report for ``a`` as PDF bytes (see :func:`html_to_pdf`): the brief report (one or
    two pages), or with ``detail="full"`` every piece of evidence."""
    from lowalp.render.html import render_html

    return html_to_pdf(render_html(a, audience=audience, detail=detail))
