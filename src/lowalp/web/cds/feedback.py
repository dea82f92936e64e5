"""The feedback endpoint's body (CDS Hooks 2.0 "Feedback") and the counts kept from it.

Only counts are kept (per service: accepted, overridden, and override reason codes), in memory,
and only counts are logged: never card ids, comments or anything about the patient.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from lowalp.errors import Problem
from lowalp.web.cds.cards import OVERRIDE_REASONS

log = logging.getLogger("lowalp.web.cds")

OUTCOMES = ("accepted", "overridden")
_KNOWN_REASONS = frozenset(code for code, _ in OVERRIDE_REASONS)


@dataclass(frozen=True)
class FeedbackItem:
    outcome: str
    reason_code: str | None


def parse_feedback(body: Any) -> list[FeedbackItem] | list[Problem]:
    if not isinstance(body, dict) or not isinstance(body.get("feedback"), list):
        return [Problem("feedback", "required: a list of feedback items")]
    items: list[FeedbackItem] = []
    problems: list[Problem] = []
    for i, raw in enumerate(body["feedback"]):
        at = f"feedback[{i}]"
        if not isinstance(raw, dict):
            problems.append(Problem(at, "must be an object"))
            continue
        if not isinstance(raw.get("card"), str) or not raw["card"]:
            problems.append(Problem(f"{at}.card", "required: the card's uuid"))
        outcome = raw.get("outcome")
        if outcome not in OUTCOMES:
            problems.append(
                Problem(f"{at}.outcome", "must be accepted or overridden", _text(outcome))
            )
        when = raw.get("outcomeTimestamp")
        if when is not None and not isinstance(when, str):
            problems.append(Problem(f"{at}.outcomeTimestamp", "must be an RFC 3339 string"))
        accepted = raw.get("acceptedSuggestions")
        if accepted is not None and not isinstance(accepted, list):
            problems.append(Problem(f"{at}.acceptedSuggestions", "must be a list"))
        code = None
        reason = raw.get("overrideReason")
        if reason is not None:
            if not isinstance(reason, dict):
                problems.append(Problem(f"{at}.overrideReason", "must be an object"))
            else:
                coding = reason.get("reason")
                if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                    code = coding["code"][:64]
        if isinstance(outcome, str) and outcome in OUTCOMES:
            items.append(FeedbackItem(outcome, code))
    return problems or items


def _text(value: Any) -> str | None:
    return value[:40] if isinstance(value, str) else None


@dataclass
class FeedbackCounts:
    by_service: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, service_id: str, items: list[FeedbackItem]) -> None:
        counts = self.by_service.setdefault(service_id, Counter())
        for item in items:
            counts[item.outcome] += 1
            if item.reason_code:
                known = item.reason_code in _KNOWN_REASONS
                counts[f"reason:{item.reason_code if known else 'other'}"] += 1
        log.info(
            "CDS feedback for %s: %d item(s); totals accepted=%d overridden=%d",
            service_id,
            len(items),
            counts["accepted"],
            counts["overridden"],
        )

    def snapshot(self) -> dict[str, dict[str, int]]:
        return {k: dict(v) for k, v in self.by_service.items()}
