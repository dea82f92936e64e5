"""One JSON error shape for every error the API and the CDS Hooks service return.

::

    {"error": {"status": 422, "title": "The case was rejected",
               "detail": "3 problems in the input",
               "problems": [{"pointer": "labs[1].value", "message": "…", "value": "x",
                             "hint": "…"}]}}
"""

from __future__ import annotations

import re
from typing import Any

from lowalp.errors import Problem

_UPLOAD_WORDS = (
    (
        re.compile(r"could not tell the format \(tried [^)]*\)"),
        "its format was not recognised (lowalp reads case JSON, FHIR JSON or NDJSON, "
        "HL7 v2 ORU messages, CSV and Parquet)",
    ),
    (
        re.compile(r"rename the columns, or map them with --column ours=theirs \(e\.g\. [^)]*\)"),
        "rename the file's columns to these names and upload it again",
    ),
    (re.compile(r"--column (\S+)=(\S+)"), r"column \2"),
    (
        re.compile(r"add it to a --code-map file"),
        "give the result a LOINC code or one of lowalp's analyte names (a file of local codes "
        "cannot be uploaded with it)",
    ),
    (
        re.compile(r"name it with --input-format"),
        "save it with a name ending .json, .ndjson, .hl7, .csv, .tsv or .parquet",
    ),
    (re.compile(r"--input-format (\w+)"), r"the \1 file"),
    (re.compile(r"--input-format"), "the file's format"),
)
CLI_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]+")
"""A command-line option as the readers' messages name it (``--code-map``)."""


def upload_words(text: str) -> str:
    """A reader's message as the web upload says it: the readers are shared with the command
    line, whose messages name its options (``--code-map``, ``--column``) and its readers'
    names (``case-json``, ``hl7v2``); the upload page has neither, so each is said as what to
    do with the file instead."""
    for pattern, words in _UPLOAD_WORDS:
        text = pattern.sub(words, text)
    return text


def error_body(
    status: int, title: str, detail: str = "", problems: list[Problem] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status, "title": title}
    if detail:
        body["detail"] = detail
    body["problems"] = [p.to_dict() for p in problems or []]
    return {"error": body}
