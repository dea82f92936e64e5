"""The record that flows through the engine's stages, filled in one stage at a time."""

from __future__ import annotations

from dataclasses import dataclass, field

from lowalp.knowledge import Knowledge
from lowalp.model import (
    AlpStatus,
    Artifact,
    CauseResult,
    Measurement,
    NextTest,
    ScoreResult,
    State,
    quick_init,
)
from lowalp.normalise import Normalised


@quick_init
@dataclass(frozen=True, slots=True)
class FindingState:
    id: str
    state: State
    detail: str = ""
    applicable: bool = True
    """False when the finding does not apply to this person (an adult-only threshold for a
    child …): then it is neither evidence nor a reason to suggest a test."""
    set_aside: bool = False
    """True when a result exists but a gate of the finding (``uninformative_when``) makes it
    unreadable: the state is unknown, and no test is suggested to settle it."""


@dataclass(frozen=True)
class Series:
    """What the persistence stage learnt from the ALP series."""

    persistent: bool | None
    reason: str
    fall_from_normal: bool | None
    normal_on_record: bool | None
    fall_detail: str = ""
    normal_detail: str = ""
    """Why earlier normal values were not counted as a normal value on record (borderline)."""


@dataclass(frozen=True)
class Work:
    kb: Knowledge
    case: Normalised
    alp: AlpStatus | None = None
    alp_series: tuple[tuple[Measurement, str, float | None], ...] = ()
    """Each ALP measurement with its status and the lower limit it was judged by, oldest first."""
    series: Series | None = None
    findings: dict[str, FindingState] = field(default_factory=dict)
    artifacts: tuple[Artifact, ...] = ()
    causes: tuple[CauseResult, ...] = ()
    scores: tuple[ScoreResult, ...] = ()
    next_tests: tuple[NextTest, ...] = ()
    warnings: tuple[str, ...] = ()


def outside_age_or_sex(
    age: float | None,
    sex: str | None,
    age_min: float | None,
    age_max: float | None,
    sex_needed: str | None,
    verb: str,
) -> str | None:
    """Why a person is outside an age or sex bound (``verb``: "applies", "the rule was measured"),
    or ``None``; an unknown age or sex is outside a bound that needs it."""
    age_note = " (age unknown)" if age is None else ""
    if age_min is not None and (age is None or age < age_min):
        return f"{verb} from age {age_min:g}{age_note}"
    if age_max is not None and (age is None or age >= age_max):
        return f"{verb} below age {age_max:g}{age_note}"
    if sex_needed is not None and sex != sex_needed:
        return f"{verb} to sex {sex_needed}" + (" (sex unknown)" if sex is None else "")
    return None
