"""Is the low ALP persistent, did it fall from a normal value, is any normal value on record?

The rule's numbers live in knowledge/settings.yaml (``persistence``).
"""

from __future__ import annotations

from dataclasses import replace

from lowalp.engine.work import Series, Work


def persistence(work: Work) -> Work:
    rule = work.kb.settings.persistence
    series = [(m.t or 0.0, status, m.value) for m, status in work.alp_series if status != "unknown"]
    if not series:
        result = Series(None, "no ALP value that could be judged", None, None)
        return _done(work, result)
    t_index, index_status, index_value = series[-1]
    earlier = series[:-1]
    normal_on_record: bool | None = (
        any(s in ("normal", "high") for _, s, _ in earlier) if earlier else None
    )
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
        fall = True
        fall_text = f"normal {t_index - last_t:g} days before the current low run"
        if last_value and index_value is not None:
            change = (index_value - last_value) / last_value * 100
            fall_detail = f"{last_value:g} → {index_value:g} U/L ({change:+.0f}%) over {t_index - last_t:g} days"
    else:
        fall = False if earlier else None
        fall_text = ""

    persistent: bool | None
    if len(run) >= rule.min_low_values and span >= rule.min_span_days:
        persistent = True
        reason = f"{len(run)} low values over {span:g} days with no normal value between them"
    elif fall:
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
    return _done(work, Series(persistent, reason, fall, normal_on_record, fall_detail))


def _done(work: Work, series: Series) -> Work:
    assert work.alp is not None
    alp = work.alp.model_copy(
        update={"persistent": series.persistent, "persistence_reason": series.reason}
    )
    return replace(work, series=series, alp=alp)
