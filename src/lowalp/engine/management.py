"""Choose a cause's management pointers for the case, from the conditions in its knowledge file.

A pointer is shown when every finding of its ``when`` is present and none of its ``unless`` is.
It is urgent while any finding of its ``urgent_when`` is present. The order is: urgent pointers,
then the pointers written for a context that holds (a non-empty ``when``), then the rest, each
group in the file's order. Only a present finding counts: an unknown one neither shows a
``when`` pointer nor hides an ``unless`` one.
"""

from __future__ import annotations

from collections.abc import Mapping

from lowalp.engine.work import FindingState
from lowalp.knowledge import Knowledge
from lowalp.knowledge.schema import Cause
from lowalp.model import Pointer


def select_management(
    cause: Cause, findings: Mapping[str, FindingState], kb: Knowledge | None = None
) -> tuple[Pointer, ...]:
    """The pointers of ``cause`` that hold for these findings, urgent and context ones first.
    With ``kb``, the pointer objects are made once per knowledge and shared (they are frozen).

    >>> from lowalp.knowledge import load_knowledge
    >>> kb = load_knowledge()
    >>> cause = kb.causes["wilson_disease"]
    >>> none = {f: FindingState(f, "unknown") for f in kb.findings}
    >>> any("transplant" in p.text for p in select_management(cause, none))
    False
    >>> alf = none | {"liver_failure_context": FindingState("liver_failure_context", "present")}
    >>> first = select_management(cause, alf)[0]
    >>> first.urgent, "transplant centre" in first.text
    (True, True)
    >>> select_management(cause, alf, kb) == select_management(cause, alf)
    True
    """

    def present(fid: str) -> bool:
        fs = findings.get(fid)
        return fs is not None and fs.state == "present"

    chosen = []
    for m, made in zip(cause.management, _pointers(cause, kb), strict=True):
        if m.when and not all(present(f) for f in m.when):
            continue
        if m.unless and any(present(f) for f in m.unless):
            continue
        chosen.append(made[bool(m.urgent_when) and any(present(f) for f in m.urgent_when)])
    return tuple(sorted(chosen, key=lambda p: (not p.urgent, not p.conditional)))


def _pointers(cause: Cause, kb: Knowledge | None) -> list[tuple[Pointer, Pointer]]:
    """Each management entry of ``cause`` as a pointer, not urgent and urgent (cached on ``kb``).
    Built without re-validation: every field comes from validated knowledge."""
    key = f"management:{cause.id}"
    if kb is not None and key in kb.cache:
        cached: list[tuple[Pointer, Pointer]] = kb.cache[key]
        return cached
    made = [
        (
            Pointer.model_construct(
                text=m.text, sources=tuple(m.sources), urgent=False, conditional=bool(m.when)
            ),
            Pointer.model_construct(
                text=m.text, sources=tuple(m.sources), urgent=True, conditional=bool(m.when)
            ),
        )
        for m in cause.management
    ]
    if kb is not None:
        kb.cache[key] = made
    return made
