"""Is the low ALP persistent, did it fall from a normal value, is any normal value on record?

The rule's numbers live in knowledge/settings.yaml (``persistence``).
"""

from __future__ import annotations

from dataclasses import replace

from lowalp.engine.work import Series, Work


def persistence(work: Work) -> Work:
    rule = work.kb.settings.persistence
    margin = work.kb.settings.clearly_normal.margin
    judged = [(m.t or 0.0, status, m.value, low) for m, status, low in work.alp_series]
    clear = {i: _clearly_normal(s, v, low, margin) for i, (_, s, v, low) in enumerate(judged)}
    series = [(t, s, v) for t, s, v, _ in judged if s != "unknown"]
    clearly = [clear[i] for i, (_, s, _, _) in enumerate(judged) if s != "unknown"]
    if not series:
        result = Series(None, "no ALP value that could be judged", None, None)
        return _done(work, result)
    t_index, index_status, index_value = series[-1]
    earlier = series[:-1]
    normal_on_record: bool | None = any(clearly[: len(earlier)]) if earlier else None
    borderline = [
        v for (_, s, v), c in zip(earlier, clearly, strict=False) if s == "normal" and not c
    ]
    if index_status != "low":
        result = Series(False, "the latest ALP is not low", None, normal_on_record)
        return _done(work, result)

    run = [series[-1]]
    for item in reversed(earlier):
        if item[1] != "low":
            break
        run.append(item)
    run.reverse()
    before_run = series[: len(series) - len(run)]
    span = t_index - run[0][0]
    fall: bool | None
    fall_detail = ""
    if before_run:
        last_t, _, last_value = before_run[-1]
        fall = clearly[len(before_run) - 1]
        fall_text = f"normal {t_index - last_t:g} days before the current low run"
        if last_value and index_value is not None:
            change = (index_value - last_value) / last_value * 100
            fall_detail = f"{last_value:g} → {index_value:g} U/L ({change:+.0f}%) over {t_index - last_t:g} days"
            if not fall:
                fall_detail += (
                    f"; {last_value:g} U/L was only just above its lower limit (borderline, "
                    f"less than {margin:.0%} above), so it is not counted as a fall from normal"
                )
    else:
        fall = False if earlier else None
        fall_text = ""

    persistent: bool | None
    if len(run) >= rule.min_low_values and span >= rule.min_span_days:
        persistent = True
        reason = f"{len(run)} low values over {span:g} days with no normal value between them"
    elif before_run:
        persistent = False
        reason = f"the ALP was {fall_text}"
    elif len(run) >= 2:
        persistent = None
        reason = (
            f"{len(run)} low values only {span:g} days apart; the rule needs "
            f"{rule.min_span_days:g} days between the first and last"
        )
    else:
        persistent = None
        reason = "a single ALP value: persistence cannot be judged yet"
    normal_detail = ""
    if borderline and not normal_on_record:
        normal_detail = (
            "earlier values only just above the lower limit ("
            + ", ".join(f"{v:g}" for v in borderline if v is not None)
            + f" U/L, less than {margin:.0%} above) are borderline, not a normal value on record"
        )
    return _done(
        work, Series(persistent, reason, fall, normal_on_record, fall_detail, normal_detail)
    )


def _clearly_normal(status: str, value: float | None, lower: float | None, margin: float) -> bool:
    """A normal or high result, at least ``margin`` above its lower limit when both are known."""
    if status == "high":
        return True
    if status != "normal":
        return False
    return value is None or lower is None or value >= lower * (1 + margin)


def _done(work: Work, series: Series) -> Work:
    assert work.alp is not None
    alp = work.alp.model_copy(
        update={"persistent": series.persistent, "persistence_reason": series.reason}
    )
    return replace(work, series=series, alp=alp)
