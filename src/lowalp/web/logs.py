"""The server's log: lowalp's own lines, and other libraries' only when they matter.

Libraries write what they see: httpx logs every request line (``GET …/Patient/MRN-1``,
``?patient=…``), httpcore and multipart trace headers and bodies at debug level. Whatever level
each library's logger is set to, :class:`Redact` on the server's handler

- drops their records below WARNING (uvicorn's own start-up lines excepted),
- and in every record that is kept, lowalp's included, cuts each URL to its scheme and host,
  and replaces Bearer tokens and anything shaped like a JWT; a traceback is redacted the same
  way.

lowalp's own loggers (``lowalp.*``) never log bodies, names, identifiers, values or tokens in the
first place (see ``lowalp.web.app.Guard``); this is the second line.
"""

from __future__ import annotations

import logging
import re
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
OWN = ("lowalp",)
STARTUP = ("uvicorn", "uvicorn.error")
"""Loggers whose INFO lines are kept (uvicorn's start, stop and worker lines)."""

_URL = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://)(?:[^/\s'\"<>@]*@)?([^/\s'\"<>?#]*)[^\s'\"<>]*")
_BEARER = re.compile(r"(?i)\b(bearer)(\s+|%20|\+)[^\s'\",;]+")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
_PATIENT = re.compile(r"(?i)\b(patient[=/:]|subject[=/:])[^\s&'\",;]+")


def redact(text: str) -> str:
    """URLs to their scheme and host; Bearer tokens, JWTs and patient parameters hidden."""
    text = _URL.sub(lambda m: f"{m.group(1)}{m.group(2)}/…", text)
    text = _BEARER.sub(r"\1 [redacted]", text)
    text = _JWT.sub("[token]", text)
    return _PATIENT.sub(r"\1[redacted]", text)


def _own(name: str) -> bool:
    return any(name == o or name.startswith(o + ".") for o in OWN)


class Redact(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        startup = record.name in STARTUP and record.levelno >= logging.INFO
        if not _own(record.name) and record.levelno < logging.WARNING and not startup:
            return False
        try:
            message = record.getMessage()
        except Exception:  # a library's bad format string: keep the record, not its arguments
            message = str(record.msg)
        record.msg, record.args = redact(message), ()
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, redact(text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def configure_logging(level: str | int = "INFO", stream: object = None) -> logging.Handler:
    """One handler on the root logger, with :class:`Redact`; libraries' noisy loggers set to
    WARNING as well. Returns the handler (tests read what it wrote)."""
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "lowalp", False):
            root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.lowalp = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(Redact())
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "hpack", "multipart", "python_multipart", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
