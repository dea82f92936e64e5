"""What each service does with a checked request: get the data, assess, make cards.

``patient-view``: the data (prefetch, else fetched) -> a Case -> an assessment -> one card when
the ALP is low. ``order-select``: only when a selected draft MedicationRequest is a
bisphosphonate or denosumab (the knowledge's ``med_bisphosphonate`` / ``med_denosumab``
synonyms) is the patient's data looked at; a low ALP then gives a warning card.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

from lowalp import assess
from lowalp.knowledge import Knowledge
from lowalp.model import Assessment
from lowalp.text.reader import read_text
from lowalp.web.cds import cards, prefetch
from lowalp.web.cds.discovery import ORDER_SELECT, PATIENT_VIEW, REQUIRED_KEYS
from lowalp.web.cds.fhir_client import FhirAccess, fetch_all
from lowalp.web.cds.fhir_guard import allowed_server, guarded_transport
from lowalp.web.cds.request import HookRequest
from lowalp.web.settings import WebSettings

log = logging.getLogger("lowalp.web.cds")

ANTIRESORPTIVE_FINDINGS = ("med_bisphosphonate", "med_denosumab")


class PreconditionFailed(Exception):
    """Required data could not be had (412); the message names the keys, nothing else."""


@dataclass
class CallContext:
    kb: Knowledge
    templates: dict[str, str]
    base_url: str
    transport: httpx.AsyncBaseTransport | None = None
    unavailable: list[str] = field(default_factory=list)
    settings: WebSettings = field(default_factory=WebSettings)
    issuer: str | None = None
    """The verified ``iss`` of the call (None in unsigned development mode)."""


async def patient_assessment(req: HookRequest, ctx: CallContext) -> Assessment | None:
    """The assessment of the patient in ``context.patientId``, or None without an ALP."""
    got = prefetch.gather(req.prefetch, ctx.templates)
    if got.outcomes:
        log.info("CDS prefetch held %d OperationOutcome(s)", got.outcomes)
    server = None
    if got.missing and req.fhir_server:
        server = allowed_server(ctx.settings, ctx.issuer, req.fhir_server)
        if server is None:  # nothing is contacted; the answer is as if it had failed
            log.warning("CDS fhirServer not among the caller's configured servers: not used")
    if got.missing and server is not None:
        try:
            queries = {k: prefetch.resolve(ctx.templates[k], req.context) for k in got.missing}
        except prefetch.TemplateError:
            queries = {}
        fetched = await fetch_all(
            FhirAccess(server, req.access_token),
            queries,
            transport=ctx.transport or guarded_transport(ctx.settings),
            seconds=ctx.settings.cds_fetch_seconds,
            max_bytes=ctx.settings.cds_fhir_max_bytes,
        )
        got.data.update(fetched)
        got.missing = [k for k in got.missing if k not in fetched]
    lacking = [k for k in REQUIRED_KEYS if k in got.missing]
    if lacking:
        raise PreconditionFailed(", ".join(lacking))
    ctx.unavailable = list(got.missing)
    entries, outcomes = prefetch.resources(got.data[k] for k in ctx.templates if k in got.data)
    if outcomes:
        log.info("CDS search results held %d OperationOutcome(s)", outcomes)
    case = prefetch.to_case(entries, req.patient_id, knowledge=ctx.kb)
    if case is None:
        return None
    return assess(case, knowledge=ctx.kb)


async def patient_view(req: HookRequest, ctx: CallContext) -> list[dict[str, Any]]:
    a = await patient_assessment(req, ctx)
    if a is None:
        return []
    return cards.patient_view_cards(
        a, ctx.kb, patient_id=req.patient_id, base_url=ctx.base_url, unavailable=ctx.unavailable
    )


async def order_select(req: HookRequest, ctx: CallContext) -> list[dict[str, Any]]:
    drug = selected_antiresorptive(req.context, ctx.kb)
    if drug is None:
        return []
    a = await patient_assessment(req, ctx)
    if a is None or a.alp.status != "low":
        return []
    return [
        cards.antiresorptive_card(
            a,
            ctx.kb,
            drug=drug,
            patient_id=req.patient_id,
            base_url=ctx.base_url,
            unavailable=ctx.unavailable,
        )
    ]


HANDLERS = {PATIENT_VIEW: patient_view, ORDER_SELECT: order_select}


def selected_antiresorptive(context: dict[str, Any], kb: Knowledge) -> str | None:
    """The name, as ordered, of the first selected draft MedicationRequest that the core's
    medicine reader (lowalp.text) reads as an antiresorptive, or None."""
    orders = context.get("draftOrders") or {}
    resources: list[dict[str, Any]] = [
        e["resource"]
        for e in orders.get("entry") or []
        if isinstance(e, dict) and isinstance(e.get("resource"), dict)
    ]
    medications = {
        f"Medication/{r.get('id')}": r for r in resources if r.get("resourceType") == "Medication"
    }
    selections = context.get("selections")
    for res in resources:
        if res.get("resourceType") != "MedicationRequest":
            continue
        if selections and f"MedicationRequest/{res.get('id')}" not in selections:
            continue
        for text in _medication_texts(res, medications):
            reading = read_text(text, kb, kinds={"MEDICATION"}, medication_field=True)
            for m in reading.mentions:
                if m.concept in ANTIRESORPTIVE_FINDINGS and m.assertion == "present":
                    return m.text
    return None


def _concept_texts(concept: Any) -> list[str]:
    if not isinstance(concept, dict):
        return []
    texts = [concept["text"]] if isinstance(concept.get("text"), str) else []
    for coding in concept.get("coding") or []:
        if isinstance(coding, dict) and isinstance(coding.get("display"), str):
            texts.append(coding["display"])
    return texts


def _medication_texts(res: dict[str, Any], medications: dict[str, dict[str, Any]]) -> list[str]:
    texts = _concept_texts(res.get("medicationCodeableConcept"))
    ref = res.get("medicationReference")
    if isinstance(ref, dict):
        target = ref.get("reference")
        if isinstance(ref.get("display"), str):
            texts.append(ref["display"])
        if isinstance(target, str) and target.startswith("#"):
            for c in res.get("contained") or []:
                if isinstance(c, dict) and c.get("id") == target[1:]:
                    texts += _concept_texts(c.get("code"))
        elif isinstance(target, str) and target in medications:
            texts += _concept_texts(medications[target].get("code"))
    return texts
