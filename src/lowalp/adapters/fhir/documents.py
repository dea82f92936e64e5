"""Clinical notes: plain-text ``DocumentReference`` attachments and ``Composition`` sections.

Both give ``context.notes``, free text as a clinician wrote it (several documents joined by a
blank line, in the order read). Only what is simple to read is read:

- ``DocumentReference`` with ``status`` ``current`` (``docStatus``, when given, ``final`` or
  ``amended``): each ``content.attachment`` whose ``contentType`` is ``text/plain`` and whose
  ``data`` is inline (base64; the ``charset`` of the content type, else UTF-8). An attachment
  only linked (``url``), or of another type (PDF, HTML, CDA), is not fetched or parsed: a
  document without a plain-text attachment is rejected with its content types.
- ``Composition`` with ``status`` ``final`` or ``amended``: the narrative ``text.div`` of each
  ``section`` (nested sections too), the markup removed, each after its ``title``.

Other statuses are rejected with the reason.
"""

from __future__ import annotations

import base64
import binascii
import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from lowalp.adapters.fhir.pointers import at
from lowalp.adapters.reasons import STATUS_NOT_USED, TEXT_NOT_UNDERSTOOD, TYPE_NOT_USED

if TYPE_CHECKING:
    from lowalp.adapters.fhir.reader import Reader

USED_DOCUMENT_STATUS = ("current",)
USED_DOC_STATUS = ("final", "amended")
USED_COMPOSITION_STATUS = ("final", "amended")
CHARSET = re.compile(r";\s*charset=\"?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
MAX_NOTE = 200_000
"""Characters of notes kept per patient: the reader of notes needs no more."""


def read_document_reference(
    reader: Reader, res: dict[str, Any], prefix: str, full_url: str | None
) -> None:
    status, doc_status = res.get("status"), res.get("docStatus")
    if status not in USED_DOCUMENT_STATUS or (doc_status and doc_status not in USED_DOC_STATUS):
        field, value = (
            ("status", status) if status not in USED_DOCUMENT_STATUS else ("docStatus", doc_status)
        )
        reader.reject(
            at(prefix, field),
            f"{field} {value!r}: only current documents, final or amended, are read",
            value,
            STATUS_NOT_USED,
        )
        return
    if not reader.valid(res, prefix):
        return
    texts: list[str] = []
    kinds: list[str] = []
    for i, content in enumerate(res.get("content") or []):
        attachment = content.get("attachment") or {}
        kind = str(attachment.get("contentType") or "no content type")
        if not kind.lower().startswith("text/plain") or not attachment.get("data"):
            kinds.append(kind if attachment.get("data") else f"{kind}, linked only")
            continue
        where = at(prefix, f"content[{i}].attachment.data")
        try:
            raw = base64.b64decode(attachment["data"], validate=True)
        except (binascii.Error, ValueError):
            reader.reject(where, "attachment data is not base64")
            return
        m = CHARSET.search(kind)
        try:
            texts.append(raw.decode(m.group(1) if m else "utf-8"))
        except (LookupError, UnicodeDecodeError):
            reader.reject(where, f"attachment text is not {m.group(1) if m else 'UTF-8'}")
            return
    text = "\n\n".join(t.strip() for t in texts if t.strip())
    if not text:
        reader.reject(
            at(prefix, "content"),
            "no plain-text attachment given inline (only text/plain data is read)",
            ", ".join(kinds) or None,
            TYPE_NOT_USED,
        )
        return
    add_note(reader, res, prefix, text)


def read_composition(
    reader: Reader, res: dict[str, Any], prefix: str, full_url: str | None
) -> None:
    status = res.get("status")
    if status not in USED_COMPOSITION_STATUS:
        reader.reject(
            at(prefix, "status"),
            f"status {status!r}: only final and amended compositions are read",
            status,
            STATUS_NOT_USED,
        )
        return
    if not reader.valid(res, prefix):
        return
    parts: list[str] = []
    sections(res.get("section") or [], parts)
    text = "\n\n".join(parts)
    if not text:
        reader.reject(
            at(prefix, "section"), "composition without section text", None, TEXT_NOT_UNDERSTOOD
        )
        return
    add_note(reader, res, prefix, text)


def sections(items: list[Any], out: list[str]) -> None:
    for section in items:
        if not isinstance(section, dict):
            continue
        body = narrative_text(((section.get("text") or {}).get("div")) or "")
        title = str(section.get("title") or "").strip()
        if body:
            out.append(f"{title}: {body}" if title else body)
        sections(section.get("section") or [], out)


def add_note(reader: Reader, res: dict[str, Any], prefix: str, text: str) -> None:
    data = reader.patient((res.get("subject") or {}).get("reference"), prefix)
    data.notes = [*(data.notes or []), text[:MAX_NOTE]]
    reader.used()


class _Text(HTMLParser):
    """The text of an XHTML narrative: block elements end a line, markup dropped."""

    BLOCKS = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def narrative_text(div: str) -> str:
    """``<div><p>Bone pain since <b>May</b>.</p></div>`` -> ``Bone pain since May.``"""
    parser = _Text()
    parser.feed(div)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)
