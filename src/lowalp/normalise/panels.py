"""Panels reported in words ("LFTs normal", "bone profile normal", "coeliac screen negative").

A panel reported normal (or negative) vouches for each analyte knowledge/panels.yaml lists for
it, and for nothing else: the ALP is never among them. Each becomes a result with qualifier
``normal`` (``negative`` for a panel reported negative) and ``reported_in_words`` set to the
words, so the report shows where it came from. A number for the same analyte near the same time
always wins (the engine prefers results not reported in words, see
:mod:`lowalp.engine.findings`), and a panel reported abnormal says nothing about any one
analyte, so it gives no result.

Two ways in: a lab entry ``{"panel": "LFTs", "qualifier": "normal"}`` (or ``"text": "WNL"``)
in the case, read by :func:`panel_drafts` with the entry's day or date; and a panel named in
free text, for which the caller resolves the name with :func:`find_panel` and builds the results
with :func:`panel_results`.
"""

from __future__ import annotations

from lowalp.knowledge import Knowledge, panel_key
from lowalp.model import LabResult, Measurement, NotUnderstood, Qualifier
from lowalp.normalise.labs import Draft
from lowalp.normalise.qualitative import read_text

VOUCHING: dict[str, Qualifier] = {"normal": "normal", "negative": "negative"}
"""Verdicts on a whole panel that say something about each of its analytes."""


def find_panel(kb: Knowledge, text: str) -> str | None:
    """The id of the panel a name stands for (any case, abbreviations, plural), or ``None``.

    >>> from lowalp.knowledge import load_knowledge
    >>> kb = load_knowledge()
    >>> find_panel(kb, "LFTs"), find_panel(kb, "full blood count"), find_panel(kb, "U&Es")
    ('liver_function', 'full_blood_count', 'urea_electrolytes')
    >>> find_panel(kb, "sunshine") is None
    True
    """
    index: dict[str, str] | None = kb.cache.get("panel_names")
    if index is None:
        index = {panel_key(n): p.id for p in kb.panels.values() for n in p.names}
        kb.cache["panel_names"] = index
    return index.get(panel_key(text))


def verdict_of(kb: Knowledge, verdict: str) -> Qualifier | None:
    """A verdict on a panel ("normal", "WNL", "unremarkable", "negative") as the qualifier each
    of its analytes gets, or ``None`` when it says nothing about any one of them."""
    reading = read_text(kb, verdict)
    if reading is None or reading.meaning is None:
        return None
    return VOUCHING.get(reading.meaning)


def panel_results(
    kb: Knowledge,
    panel_id: str,
    verdict: str,
    pointer: str,
    *,
    t: float | None = None,
    words: str | None = None,
) -> list[Measurement]:
    """One result per analyte of the panel, as the engine reads them; ``[]`` when the verdict
    does not vouch for each analyte ("abnormal", "deranged").

    ``t`` is the day relative to the index ALP (``None``: drawn with it); ``words`` is what the
    note said ("LFTs normal"), shown in the report. Raises ``KeyError`` for an unknown panel id
    (resolve names with :func:`find_panel`).

    >>> from lowalp.knowledge import load_knowledge
    >>> kb = load_knowledge()
    >>> [(m.analyte, m.qualifier) for m in panel_results(kb, "bone_profile", "normal", "context.notes")]
    [('calcium', 'normal'), ('phosphate', 'normal'), ('albumin', 'normal')]
    """
    panel = kb.panels[panel_id]
    q = verdict_of(kb, verdict)
    if q is None:
        return []
    said = words or f"{panel.label} {verdict}"
    return [
        Measurement(
            analyte=a,
            value=None,
            unit=kb.analytes[a].canonical_unit,
            qualifier=q,
            t=t,
            pointer=pointer,
            original=f"{q} (from '{said}')",
            reported_in_words=said,
        )
        for a in panel.analytes
    ]


def panel_drafts(
    i: int, lab: LabResult, kb: Knowledge, not_understood: list[NotUnderstood], warnings: list[str]
) -> list[Draft]:
    """A case's lab entry that names a panel instead of an analyte."""
    pointer = f"labs[{i}]"
    name = lab.panel or ""
    if lab.analyte is not None or lab.loinc is not None:
        not_understood.append(
            NotUnderstood(
                pointer=pointer,
                value=name,
                reason="a result names either an analyte or a panel, not both; result not used",
            )
        )
        return []
    panel_id = find_panel(kb, name)
    if panel_id is None:
        import difflib

        names = {n: p.id for p in kb.panels.values() for n in p.names}
        close = difflib.get_close_matches(name, list(names), n=3, cutoff=0.6)
        not_understood.append(
            NotUnderstood(
                pointer=f"{pointer}.panel",
                value=name,
                reason="panel not known to lowalp (knowledge/panels.yaml); result not used",
                suggestions=tuple(close),
            )
        )
        return []
    said = lab.text.strip() if lab.text and lab.text.strip() else (lab.qualifier or "")
    q = verdict_of(kb, said) if said else None
    if q is None:
        not_understood.append(
            NotUnderstood(
                pointer=pointer,
                value=f"{name} {said}".strip(),
                reason=(
                    "a panel is read only when reported normal or negative (an abnormal panel "
                    "does not say which result); give the results one by one"
                ),
            )
        )
        return []
    if lab.value is not None:
        warnings.append(f"{pointer}: a panel has no single value; {lab.value:g} was ignored.")
    panel = kb.panels[panel_id]
    words = f"{name} {said}"
    return [
        Draft(
            lab,
            pointer,
            a,
            None,
            kb.analytes[a].canonical_unit,
            None,
            None,
            f"{q} (from '{words}')",
            qualifier=q,
            read_as=f"{panel.label} reported {said}: each of its tests taken as {q}",
            reported_in_words=words,
        )
        for a in panel.analytes
    ]
