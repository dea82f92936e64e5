"""An assessment as CDS Hooks cards (2.0 "Card Attributes").

Every card has a ``uuid``, a ``summary`` under 140 characters (one line, cut between words with
an ellipsis, see :func:`~lowalp.render.common.clip`), an ``indicator`` (``info``, or
``warning`` for a pre-analytical artefact, a probable hypophosphatasia or an antiresorptive
ordered despite a low ALP; never ``critical``), a Markdown ``detail`` ending with the
disclaimer, a ``source`` labelled with the knowledge version, suggestions to order the next
tests as draft ``ServiceRequest``s with LOINC codes (``selectionBehavior: any``), and
``overrideReasons``. Optional members are left out rather than sent empty.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from lowalp.knowledge import Knowledge
from lowalp.model import Assessment, CauseResult, NextTest
from lowalp.render.common import (
    alp_line,
    clip,
    likelihood_word,
    num,
    pct,
    persistence_line,
    shown_tests,
    summary_line,
    urgent_actions,
)
from lowalp.render.fhir.codes import narrative, paragraph

LOINC = "http://loinc.org"
HPP = "hypophosphatasia"
HPP_WARNING = 0.4
"""Hypophosphatasia at this probability or above makes the card a warning."""
DETAIL_CAUSES = 3
SUGGESTED_TESTS = 3
SUMMARY_MAX = 139
OVERRIDE_SYSTEM = "urn:lowalp:cds-override-reason"
OVERRIDE_REASONS = (
    ("cause-known", "The cause of the low ALP is already known"),
    ("already-investigated", "Already investigated or being investigated"),
    ("not-relevant-now", "Not relevant to this encounter"),
    ("disagree", "Disagree with the suggestion"),
)

_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}<>#|~])")


def md(text: str) -> str:
    r"""Text made inert in Markdown (no emphasis, links or HTML from data).

    >>> md("<b>x</b> *y*")
    '\\<b\\>x\\</b\\> \\*y\\*'
    """
    return _MD_SPECIAL.sub(r"\\\1", text.replace("&", "&amp;"))


def _uuid() -> str:
    return str(uuid.uuid4())


def _source(kb: Knowledge, base_url: str) -> dict[str, Any]:
    return {"label": f"lowalp {kb.version}", "url": f"{base_url}/"}


def _override_reasons() -> list[dict[str, str]]:
    return [{"system": OVERRIDE_SYSTEM, "code": c, "display": d} for c, d in OVERRIDE_REASONS]


def _links(base_url: str) -> list[dict[str, str]]:
    return [
        {
            "label": "Open lowalp for the full report (enter or upload the case)",
            "url": f"{base_url}/",
            "type": "absolute",
        }
    ]


def loinc_codes(kb: Knowledge, test_id: str) -> list[tuple[str, str]]:
    """(LOINC code, analyte name) for each analyte of a test that has one."""
    test = kb.tests.get(test_id)
    if test is None:
        return []
    out = []
    for analyte_id in test.analytes:
        analyte = kb.analytes.get(analyte_id)
        if analyte is not None and analyte.loinc:
            out.append((analyte.loinc[0], analyte.name))
    return out


def order_suggestion(kb: Knowledge, test_id: str, name: str, patient_id: str) -> dict[str, Any]:
    actions = [
        {
            "type": "create",
            "description": f"Order {analyte} (LOINC {code})",
            "resource": {
                "resourceType": "ServiceRequest",
                "text": narrative(paragraph(f"Proposed order: {analyte} (LOINC {code})")),
                "status": "draft",
                "intent": "proposal",
                "category": [
                    {
                        "coding": [
                            {
                                "system": "http://snomed.info/sct",
                                "code": "108252007",
                                "display": "Laboratory procedure",
                            }
                        ]
                    }
                ],
                "code": {"coding": [{"system": LOINC, "code": code, "display": analyte}]},
                "subject": {"reference": f"Patient/{patient_id}"},
            },
        }
        for code, analyte in loinc_codes(kb, test_id)
    ]
    return {"label": f"Order: {name}", "uuid": _uuid(), "actions": actions}


def _suggestions(
    kb: Knowledge, tests: list[NextTest] | list[str], patient_id: str
) -> list[dict[str, Any]]:
    out = []
    for t in tests:
        test_id = t if isinstance(t, str) else t.test
        entry = kb.tests.get(test_id)
        if entry is None or not loinc_codes(kb, test_id):
            continue  # history, examination and specialist tests have no orderable code
        out.append(order_suggestion(kb, test_id, entry.name, patient_id))
        if len(out) == SUGGESTED_TESTS:
            break
    return out


def _why(c: CauseResult, n: int = 2) -> str:
    supports = sorted(
        (e for e in c.evidence if e.effect == "supports" and e.state != "unknown"),
        key=lambda e: -e.weight,
    )[:n]
    return "; ".join(md(e.label) for e in supports)


def _not_fetched(missing: list[str]) -> str:
    if not missing:
        return ""
    return (
        "\n\n_Not available to lowalp for this card: "
        + md(", ".join(missing))
        + " (treated as not known)._"
    )


def patient_view_cards(
    a: Assessment,
    kb: Knowledge,
    *,
    patient_id: str,
    base_url: str,
    unavailable: list[str] | None = None,
) -> list[dict[str, Any]]:
    """One card when the ALP is low, none otherwise."""
    if a.alp.status != "low" or not a.causes:
        return []
    hpp = next((c for c in a.causes if c.id == HPP), None)
    urgent = urgent_actions(a)
    warning = (
        bool(a.artifacts) or bool(urgent) or (hpp is not None and hpp.probability >= HPP_WARNING)
    )
    lines = [f"**{md(alp_line(a.alp))}**", "", md(persistence_line(a.alp))]
    for art in a.artifacts:
        lines += ["", f"**Check the sample first: {md(art.name)}.** {md(art.action)}"]
    if urgent:
        lines += ["", "**Urgent: act on these first**", ""]
        lines += [f"- {md(text)}" for text, _ in urgent]
    lines += ["", "**Possible causes, most likely first**", ""]
    for i, c in enumerate(a.causes[:DETAIL_CAUSES], start=1):
        why = _why(c)
        lines.append(
            f"{i}. **{md(c.name)}**: {pct(c.probability)} ({likelihood_word(c.probability, a.wording)})"
            + (f". Why: {why}" if why else "")
        )
    shown = shown_tests(a)
    listed = shown[: max(SUGGESTED_TESTS, sum(t.urgent for t in shown))]  # every urgent one
    if listed:
        lines += ["", "**Next tests**", ""]
        lines += [f"- {'**Urgent:** ' if t.urgent else ''}{md(t.name)}" for t in listed]
    lines += ["", f"_{md(a.disclaimer)}_ Knowledge version {md(kb.version)}."]
    card: dict[str, Any] = {
        "uuid": _uuid(),
        "summary": clip(summary_line(a), SUMMARY_MAX),
        "indicator": "warning" if warning else "info",
        "detail": "\n".join(lines) + _not_fetched(unavailable or []),
        "source": _source(kb, base_url),
    }
    suggestions = _suggestions(kb, shown, patient_id)
    if suggestions:
        card["suggestions"] = suggestions
        card["selectionBehavior"] = "any"
    card["overrideReasons"] = _override_reasons()
    card["links"] = _links(base_url)
    return [card]


def antiresorptive_card(
    a: Assessment,
    kb: Knowledge,
    *,
    drug: str,
    patient_id: str,
    base_url: str,
    unavailable: list[str] | None = None,
) -> dict[str, Any]:
    """The warning for a bisphosphonate or denosumab selected while the ALP is low."""
    cause = kb.causes[HPP]
    hpp = next((c for c in a.causes if c.id == HPP), None)
    # the hypophosphatasia pointers on antiresorptives that hold for this patient, with sources
    advice = [
        p
        for p in (hpp.pointers if hpp is not None else ())
        if re.search(r"antiresorptive|bisphosphonate|denosumab", p.text, re.IGNORECASE)
    ]
    cited = list(dict.fromkeys(sid for p in advice for sid in p.sources)) or list(cause.sources)
    shown = f"{num(a.alp.value)} U/L" if a.alp.value is not None else a.alp.reported or "low"
    head = f"Low ALP ({shown}): exclude hypophosphatasia before starting "
    summary = clip((head + drug).strip(), SUMMARY_MAX)
    lines = [
        f"**{md(alp_line(a.alp))}**",
        "",
        md(persistence_line(a.alp)),
        "",
        f"An order for {md(drug)} (an antiresorptive) was selected while the ALP is low, "
        "and a low ALP can point to hypophosphatasia.",
    ]
    for p in advice:
        lines += ["", md(p.text)]
    if hpp is not None:
        lines += [
            "",
            f"Hypophosphatasia from the data on record: {pct(hpp.probability)} "
            f"({likelihood_word(hpp.probability, a.wording)}).",
        ]
    lines += ["", "**Sources**", ""]
    for sid in cited:
        src = kb.sources.get(sid)
        if src is None:
            continue
        text = md(src.citation)
        lines.append(f"- [{md(sid)}] {text}" + (f" <{src.url}>" if src.url else ""))
    lines += ["", f"_{md(a.disclaimer)}_ Knowledge version {md(kb.version)}."]
    card: dict[str, Any] = {
        "uuid": _uuid(),
        "summary": summary,
        "indicator": "warning",
        "detail": "\n".join(lines) + _not_fetched(unavailable or []),
        "source": _source(kb, base_url),
    }
    preferred = [t for t in shown_tests(a) if HPP in t.causes]
    deferred = {t.test for t in a.next_tests if t.deferred_by}  # not now (acute illness)
    suggestions = _suggestions(kb, preferred, patient_id) or _suggestions(
        kb, [t for t in cause.next_tests if t not in deferred], patient_id
    )
    if suggestions:
        card["suggestions"] = suggestions
        card["selectionBehavior"] = "any"
    card["overrideReasons"] = _override_reasons()
    card["links"] = _links(base_url)
    return card
