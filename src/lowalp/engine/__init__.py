"""The engine: an ordered tuple of pure stages over one immutable work record.

Each stage takes a :class:`~lowalp.engine.work.Work` and returns a new one; a stage can be run,
tested or left out alone. ``STAGES`` is the order :func:`lowalp.engine.assess.assess` runs.
"""

from __future__ import annotations

from lowalp.engine.alp_status import alp_status
from lowalp.engine.artifacts import artifacts
from lowalp.engine.findings import findings
from lowalp.engine.next_tests import next_tests
from lowalp.engine.persistence import persistence
from lowalp.engine.published_scores import published_scores
from lowalp.engine.score import score

STAGES = (alp_status, persistence, findings, score, artifacts, published_scores, next_tests)

__all__ = ["STAGES"]
