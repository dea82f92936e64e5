"""Prefetch: which keys the EHR sent, what is missing, and the resources turned into a Case.

CDS Hooks semantics (2.0, "Prefetch"): a key that is **absent** means the EHR did not try, so
the service fetches it itself; a key that is **null** means the EHR tried and there is no data.
A key whose value is an ``OperationOutcome`` means the EHR's own fetch failed: treated as absent.

The resources become a :class:`~lowalp.model.Case` through the FHIR adapter
(:mod:`lowalp.adapters.fhir`): they are gathered into one ``collection`` Bundle, written to a
private temporary file and read with ``lowalp.adapters.load(path, format="fhir")``, so the CDS
service reads FHIR exactly as ``lowalp assess`` does (status filters, LOINC index, units,
reference ranges chosen by age and sex; each result's flag, text and note; medicines with their
status and dates, conditions and family history with their assertion, procedures as context).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from lowalp.errors import Problem
from lowalp.knowledge import Knowledge
from lowalp.model import Case

log = logging.getLogger("lowalp.web.cds")

_TOKEN = re.compile(r"\{\{\s*([A-Za-z.]+)\s*\}\}")


class TemplateError(Exception):
    """A template token the request does not provide."""


def resolve(template: str, context: Mapping[str, Any]) -> str:
    """Fill ``{{context.x}}`` tokens with the request's context, URL-encoded.

    >>> resolve("Patient/{{context.patientId}}", {"patientId": "a b"})
    'Patient/a%20b'
    """

    def fill(m: re.Match[str]) -> str:
        name = m.group(1)
        if not name.startswith("context.") or name.count(".") != 1:
            raise TemplateError(name)
        value = context.get(name.removeprefix("context."))
        if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
            raise TemplateError(name)
        return quote(str(value), safe="")

    return _TOKEN.sub(fill, template)


@dataclass
class Gathered:
    """What the prefetch held, key by key."""

    data: dict[str, Any] = field(default_factory=dict)
    """key -> resource or Bundle, or None (the EHR has no data)."""
    missing: list[str] = field(default_factory=list)
    """Keys to fetch: absent, or an OperationOutcome."""
    outcomes: int = 0
    """OperationOutcomes seen (whole keys or search entries)."""


def check_prefetch(prefetch: Any) -> list[Problem]:
    """Structural problems of the request's ``prefetch`` member (each -> 400)."""
    if prefetch is None:
        return []
    if not isinstance(prefetch, dict):
        return [Problem("prefetch", "must be an object of key -> FHIR resource or null")]
    problems = []
    for key, value in prefetch.items():
        if value is None:
            continue
        if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
            problems.append(
                Problem(f"prefetch.{key}", "must be a FHIR resource (with resourceType) or null")
            )
        elif value["resourceType"] == "Bundle" and not isinstance(value.get("entry", []), list):
            problems.append(Problem(f"prefetch.{key}.entry", "must be a list"))
    return problems


def gather(prefetch: Mapping[str, Any] | None, keys: Iterable[str]) -> Gathered:
    out = Gathered()
    given = prefetch or {}
    for key in keys:
        if key not in given:
            out.missing.append(key)
            continue
        value = given[key]
        if isinstance(value, dict) and value.get("resourceType") == "OperationOutcome":
            out.outcomes += 1
            out.missing.append(key)
            continue
        out.data[key] = value
    return out


def resources(values: Iterable[Any]) -> tuple[list[dict[str, Any]], int]:
    """Entries for one collection Bundle from resources and search Bundles (duplicates by
    type and id dropped, OperationOutcome entries counted and left out)."""
    entries: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    outcomes = 0
    dropped = 0

    def add(res: Any, full_url: Any = None) -> None:
        nonlocal outcomes, dropped
        rtype = res.get("resourceType") if isinstance(res, dict) else None
        if not isinstance(rtype, str):
            dropped += 1  # not a FHIR resource: nothing to read
            return
        if rtype == "OperationOutcome":
            outcomes += 1
            return
        if rtype == "Bundle":
            for entry in res.get("entry") or []:
                if isinstance(entry, dict):
                    add(entry.get("resource"), entry.get("fullUrl"))
            return
        rid = res.get("id")
        if isinstance(rid, str):
            if (rtype, rid) in seen:
                return
            seen.add((rtype, rid))
        item: dict[str, Any] = {"resource": res}
        if isinstance(full_url, str) and full_url:
            item["fullUrl"] = full_url
        entries.append(item)

    for value in values:
        add(value)
    if dropped:
        log.info("CDS prefetch entries without a resourceType: %d", dropped)
    return entries, outcomes


def to_case(
    entries: list[dict[str, Any]], patient_id: str, knowledge: Knowledge | None = None
) -> Case | None:
    """The case of ``patient_id`` read from the resources by the FHIR adapter, or None when
    they hold no usable lab result for that patient. Read in memory: patient data never
    reaches the disk."""
    from lowalp.adapters.fhir.files import read_resource

    if not entries:
        return None
    bundle: dict[str, object] = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    result = read_resource(bundle, knowledge=knowledge, source="CDS prefetch")
    cases = list(result.cases)
    if result.rejected:
        log.info("CDS resources not used: %d", len(result.rejected))
    for case in cases:
        if case.id == patient_id:
            return case
    if len(cases) == 1 and cases[0].id in (None, "unknown"):
        return cases[0]  # results without a subject: the prefetch is for this patient
    if cases:
        log.warning("CDS prefetch held results for other patients only: ignored")
    return None
