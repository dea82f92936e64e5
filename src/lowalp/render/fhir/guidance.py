"""An assessment as a FHIR R4 Bundle (type ``collection``, https://hl7.org/fhir/R4/bundle.html).

:func:`render_fhir` returns a Bundle holding

- a **GuidanceResponse** (https://hl7.org/fhir/R4/guidanceresponse.html): ``status``
  ``success``, or ``data-required`` when next tests are suggested; ``moduleCanonical`` names
  the lowalp rule set with the knowledge version (``urn:lowalp:knowledge|2026.12.0``);
  ``occurrenceDateTime``; ``reasonCode`` and ``reasonReference`` (the ALP Observation);
  ``outputParameters`` pointing at a contained **Parameters** resource with every cause (id,
  name, probability and its wording), a ``summary`` string, every next test (id, name, expected information gain, why), artifacts
  and the ALP status; one ``dataRequirement`` a next test (type Observation, ``codeFilter`` on
  ``code`` with the LOINC codes of its analytes where the knowledge has them; the element
  ``id`` is the test id, ``_`` written ``-`` as element ids require); ``note`` the summary line and the disclaimer.
- an **Observation** for the ALP itself: status final, LOINC 6768-6, ``valueQuantity`` in U/L
  (UCUM), the ``referenceRange`` the assessment used and an ``interpretation`` from
  v3-ObservationInterpretation (see :func:`interpretation_code`).

Both carry a generated narrative (``text``, R4 invariant dom-6) in the brief report's words:
the GuidanceResponse its summary line, the ALP and its persistence, the causes the brief
report names and its next steps, and the disclaimer (:func:`guidance_narrative`); the
Observation the ALP against its limits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.model import Assessment
from lowalp.render.common import (
    alp_line,
    brief_causes,
    is_low,
    likelihood_word,
    next_steps,
    not_low_note,
    pct,
    persistence_line,
    summary_line,
)
from lowalp.render.fhir.codes import (
    LOINC,
    OBSERVATION_CATEGORY,
    V3_INTERPRETATION,
    element_id,
    listing,
    narrative,
    paragraph,
    quantity,
    urn,
)

MODULE = "urn:lowalp:knowledge"
ALP_LOINC = "6768-6"
ALP_DISPLAY = "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma"


def interpretation_code(value: float | None, lower: float | None, status: str) -> str | None:
    """The v3-ObservationInterpretation code for the ALP.

    ``LL`` is a **lowalp convention**, not a published cut-off: a value below half the lower
    limit is coded ``LL`` ("critically low") so that receiving systems flag it; published
    guidance gives no critical limit for a low ALP.

    >>> interpretation_code(15, 35, "low"), interpretation_code(30, 35, "low")
    ('LL', 'L')
    >>> interpretation_code(60, 35, "normal"), interpretation_code(200, 35, "high")
    ('N', 'H')
    """
    if status == "low":
        if value is not None and lower is not None and value < lower / 2:
            return "LL"
        return "L"
    return {"normal": "N", "high": "H"}.get(status)


_INTERPRETATION_DISPLAY = {"LL": "Critical low", "L": "Low", "N": "Normal", "H": "High"}


def render_fhir(
    a: Assessment,
    *,
    patient_ref: str | None = None,
    knowledge: Knowledge | None = None,
    occurrence: dt.datetime | None = None,
) -> dict[str, Any]:
    """The assessment as a FHIR R4 Bundle (type collection): GuidanceResponse + ALP Observation.

    ``patient_ref`` (``Patient/123``) becomes the ``subject`` of both; without it they have
    none and the case id is kept in ``GuidanceResponse.requestIdentifier``. ``occurrence`` is
    when the assessment was made (now, in UTC, by default).
    """
    kb = knowledge or load_knowledge()
    when = (occurrence or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    subject = {"subject": {"reference": patient_ref}} if patient_ref else {}
    obs_url, gr_url = urn(), urn()
    alp = a.alp

    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "text": narrative(paragraph(alp_line(alp))),
        "status": "final",
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY, "code": "laboratory"}]},
        ],
        "code": {"coding": [{"system": LOINC, "code": ALP_LOINC, "display": ALP_DISPLAY}]},
        **subject,
    }
    if alp.value is not None:
        obs["valueQuantity"] = quantity(alp.value, "U/L")
    else:
        obs["dataAbsentReason"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                    "code": "unknown",
                }
            ]
        }
    if alp.lower_limit is not None or alp.upper_limit is not None:
        rr: dict[str, Any] = {}
        if alp.lower_limit is not None:
            rr["low"] = quantity(alp.lower_limit, "U/L")
        if alp.upper_limit is not None:
            rr["high"] = quantity(alp.upper_limit, "U/L")
        rr["text"] = (
            "the laboratory's range"
            if alp.limit_source == "lab"
            else f"lowalp age/sex interval {alp.limit_source}"
        )
        obs["referenceRange"] = [rr]
    code = interpretation_code(alp.value, alp.lower_limit, alp.status)
    if code:
        obs["interpretation"] = [
            {
                "coding": [
                    {
                        "system": V3_INTERPRETATION,
                        "code": code,
                        "display": _INTERPRETATION_DISPLAY[code],
                    }
                ]
            }
        ]

    params: list[dict[str, Any]] = [
        {"name": "knowledgeVersion", "valueString": a.knowledge_version},
        {"name": "alpStatus", "valueCode": alp.status},
        {"name": "summary", "valueString": summary_line(a)},
    ]
    if alp.persistent is not None:
        params.append({"name": "alpPersistent", "valueBoolean": alp.persistent})
    for art in a.artifacts:
        parts: list[tuple[str, str, Any]] = [
            ("id", "valueCode", art.id),
            ("name", "valueString", art.name),
            ("action", "valueString", art.action),
        ]
        if art.probability is not None:
            parts.append(("probability", "valueDecimal", art.probability))
        params.append(_parameter("artifact", *parts))
    for c in a.causes:
        params.append(
            _parameter(
                "cause",
                ("id", "valueCode", c.id),
                ("name", "valueString", c.name),
                ("probability", "valueDecimal", c.probability),
                ("wording", "valueString", likelihood_word(c.probability, a.wording)),
            )
        )
    requirements: list[dict[str, Any]] = []
    for t in a.next_tests:
        parts = [
            ("id", "valueCode", t.test),
            ("name", "valueString", t.name),
            ("expectedInformationGain", "valueDecimal", t.expected_information_gain),
        ]
        if t.why:
            parts.append(("why", "valueString", t.why))
        parts += [("urgent", "valueBoolean", t.urgent), ("folded", "valueBoolean", t.folded)]
        params.append(_parameter("nextTest", *parts))
        if t.folded:
            continue  # kept among the outputs; only the tests a report shows are data required
        req: dict[str, Any] = {"id": element_id(t.test), "type": "Observation"}
        entry = kb.tests.get(t.test)
        codes = [
            {"system": LOINC, "code": kb.analytes[an].loinc[0], "display": kb.analytes[an].name}
            for an in (entry.analytes if entry else [])
            if an in kb.analytes
        ]
        if codes:
            req["codeFilter"] = [{"path": "code", "code": codes}]
        requirements.append(req)

    guidance: dict[str, Any] = {
        "resourceType": "GuidanceResponse",
        "text": guidance_narrative(a),
        "contained": [{"resourceType": "Parameters", "id": "outputs", "parameter": params}],
        "moduleCanonical": f"{MODULE}|{a.knowledge_version}",
        "status": "data-required" if requirements else "success",
        **subject,
        "occurrenceDateTime": when,
        "reasonCode": [
            {
                "coding": [{"system": LOINC, "code": ALP_LOINC, "display": ALP_DISPLAY}],
                "text": f"Explain a {alp.status} alkaline phosphatase",
            }
        ],
        "reasonReference": [{"reference": obs_url}],
        "note": [{"text": summary_line(a)}, {"text": a.disclaimer}],
        "outputParameters": {"reference": "#outputs"},
    }
    if a.case_id:
        guidance["requestIdentifier"] = {"system": "urn:lowalp:case", "value": a.case_id}
    if requirements:
        guidance["dataRequirement"] = requirements
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": when,
        "entry": [
            {"fullUrl": gr_url, "resource": guidance},
            {"fullUrl": obs_url, "resource": obs},
        ],
    }


def guidance_narrative(a: Assessment) -> dict[str, str]:
    """The GuidanceResponse's narrative: what the brief text report says first (its summary
    line, the ALP, its persistence, the causes it names and its next steps, without the
    findings and citations), and the disclaimer."""
    blocks = [
        paragraph(f"Summary: {summary_line(a)}"),
        paragraph(alp_line(a.alp)),
        paragraph(persistence_line(a.alp)),
    ]
    if not is_low(a):
        blocks.append(paragraph(not_low_note(a)))
    else:
        causes = [
            f"{c.name} — {pct(c.probability)}, {likelihood_word(c.probability, a.wording)}"
            for c, _ in brief_causes(a)
        ]
        blocks.append(
            listing(
                "Possible explanations (decision support, not a diagnosis)", causes, ordered=True
            )
        )
        steps = [f"URGENT: {s.text}" if s.urgent else s.text for s in next_steps(a)]
        blocks.append(listing("Next steps (urgent first)", steps, ordered=True))
    blocks.append(paragraph(a.disclaimer))
    return narrative(*blocks)


def _parameter(name: str, *parts: tuple[str, str, Any]) -> dict[str, Any]:
    """A Parameters.parameter with parts given as (part name, value[x] element, value)."""
    return {"name": name, "part": [{"name": n, kind: value} for n, kind, value in parts]}
