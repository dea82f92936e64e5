"""Which staged rows the screen uses, and one reason for each row it does not.

Every input row ends up either used or rejected (``rows read = used + rejected``). Values and
printed ranges of used rows are converted to the analyte's canonical unit: each distinct unit
written for an analyte is read once by the rule ``lowalp assess`` uses
(:func:`lowalp.units.factor`, with knowledge/analytes.yaml's ``units`` and ``unit_synonyms``),
and a unit it cannot read is rejected, never guessed. A second result for the same person, analyte and day
is rejected too (the first by input row is kept), as ``lowalp assess`` does for a long file.
"""

from __future__ import annotations

from typing import Any

from lowalp.adapters.reasons import MISSING_DATE
from lowalp.errors import UnitError
from lowalp.knowledge import Knowledge
from lowalp.screen.inputs import single_scale_analytes
from lowalp.units import factor as unit_factor

# The reasons, in the order they are checked (a row gets the first that applies).
UNMAPPED = "unmapped concept or code"
NO_PERSON = "person not in person table"
NO_DATE = MISSING_DATE  # the reason the readers of `lowalp assess` give the same row
OPERATOR = "operator not '=' (censored result)"
TEXT_VALUE = "text value"
NO_VALUE = "missing value"
UNKNOWN_UNIT = "unknown unit"
IMPOSSIBLE = "impossible value"
BAD_RANGE = "printed range not usable (negative, or low above high)"
BEFORE_BIRTH = "date before birth"
DUPLICATE = "duplicate row"
SAME_DAY = "second result the same day (the first is kept)"
REASONS = (
    UNMAPPED,
    NO_PERSON,
    NO_DATE,
    OPERATOR,
    TEXT_VALUE,
    NO_VALUE,
    UNKNOWN_UNIT,
    IMPOSSIBLE,
    BAD_RANGE,
    BEFORE_BIRTH,
    DUPLICATE,
    SAME_DAY,
)

UNIT_TABLE_SCHEMA = {
    "f_analyte": "string",
    "f_unit": "string",
    "factor": "float64",
    "p_lo": "float64",
    "p_hi": "float64",
}


def _unit_table(kb: Knowledge, pairs: Any) -> Any:
    """(analyte, unit as written, factor or None, plausible low, plausible high) for each
    distinct pair of ``pairs`` (a DataFrame: analyte, unit with "" for none)."""
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]

    single = single_scale_analytes(kb)
    rows = []
    for a, u in zip(pairs["analyte"], pairs["unit"], strict=True):
        analyte = kb.analytes.get(a) if isinstance(a, str) else None
        if analyte is None:
            continue
        f: float | None
        if not str(u).strip():
            f = 1.0 if a in single else None
        else:
            try:
                f = unit_factor(analyte, str(u), kb.unit_synonyms)
            except UnitError:
                f = None
        rows.append((a, str(u), f, analyte.plausible[0], analyte.plausible[1]))
    df = pd.DataFrame(rows, columns=list(UNIT_TABLE_SCHEMA))
    return df.astype(
        {"f_analyte": "string", "f_unit": "string"}
        | dict.fromkeys(("factor", "p_lo", "p_hi"), "float64")
    )


def _finite(x: Any) -> Any:
    import ibis  # type: ignore[import-untyped,unused-ignore]

    return ibis.ifelse(x.isnan() | x.isinf(), ibis.null().cast("float64"), x)


def classify(staged: Any, kb: Knowledge) -> Any:
    """The staged table plus ``value``, ``ref_low``, ``ref_high`` (canonical) and ``reason``.

    Duplicates are marked separately (:func:`duplicates`, :func:`finish`).
    """
    import ibis  # type: ignore[import-untyped,unused-ignore]

    # The units as written, each distinct (analyte, unit) pair once, read by the rule of
    # ``lowalp assess`` (lowalp.units.factor: spaces, micro signs, the reviewed synonyms) into
    # a small table with the factor to the canonical unit (none: an unknown unit, rejected)
    # and the analyte's plausible range; a missing unit is read as the canonical one only for
    # an analyte whose every unit has the same scale.
    pairs = staged.select("analyte", unit=staged.unit.fill_null("")).distinct().to_pandas()
    factors = ibis.memtable(_unit_table(kb, pairs), schema=UNIT_TABLE_SCHEMA)
    s = staged.mutate(unit_key=staged.unit.fill_null(""))
    j = s.left_join(factors, (s.analyte == factors.f_analyte) & (s.unit_key == factors.f_unit))
    factor = j.factor
    value = j.value_raw * factor
    # a printed limit that is NaN or infinite (pandas' missing value) is no limit: the age/sex
    # interval judges the value instead
    ref_low = _finite(j.ref_low_raw) * factor
    ref_high = _finite(j.ref_high_raw) * factor
    p_lo = j.p_lo
    p_hi = j.p_hi
    text_value = j.value_text.strip().nullif("").notnull()
    # An ALP reported as "<x" is kept as censored, as `assess` reads it (low when x is at or
    # below the lower limit, otherwise unknown); other censored results are not used.
    censored_alp = (j.analyte == "alp") & j.operator.isin(["<", "<="])
    reason = ibis.cases(
        (j.analyte.isnull(), UNMAPPED),
        (~j.person_known, NO_PERSON),
        (j.measurement_date.isnull(), NO_DATE),
        (j.operator.notnull() & (j.operator != "=") & ~censored_alp, OPERATOR),
        (j.value_raw.isnull() & text_value, TEXT_VALUE),
        (j.value_raw.isnull(), NO_VALUE),
        (factor.isnull(), UNKNOWN_UNIT),
        ((value < p_lo) | (value > p_hi) | value.isnan(), IMPOSSIBLE),
        (
            (j.ref_low_raw < 0)
            | (j.ref_high_raw < 0)
            | (ref_low.notnull() & ref_high.notnull() & (ref_low > ref_high)),
            BAD_RANGE,
        ),
        (j.birth_date.notnull() & (j.measurement_date < j.birth_date), BEFORE_BIRTH),
        else_=ibis.null().cast("string"),
    )
    c = j.select(
        "source_row",
        "person_id",
        "patient_id",
        "sex",
        "birth_date",
        "analyte",
        "code",
        "measurement_date",
        "value_raw",
        "value_text",
        "unit",
        "ref_low_raw",
        "ref_high_raw",
        value=value,
        ref_low=ref_low,
        ref_high=ref_high,
        censor=ibis.ifelse(censored_alp, "<", ibis.null().cast("string")),
        reason=reason,
    )
    return c


def duplicates(rows: Any) -> Any:
    """(source_row, reason) of the rows that repeat a person, analyte and day already in.

    ``rows``: the classified rows (those with a ``reason`` are left out) or the rows used
    (:func:`used_view`). A group-by finds the few repeated keys first, so the window only sorts
    those rows.
    """
    import ibis  # type: ignore[import-untyped,unused-ignore]

    keys = ["person_id", "analyte", "measurement_date"]
    ok = rows.filter(rows.reason.isnull()) if "reason" in rows.columns else rows
    dup_keys = ok.group_by(keys).agg(n=ok.count()).filter(lambda t: t.n > 1).drop("n")
    cand = ok.semi_join(dup_keys, keys)
    w = ibis.window(group_by=[cand[k] for k in keys], order_by=cand.source_row)
    marked = cand.mutate(rn=ibis.row_number().over(w), first_value=cand.value.first().over(w))
    marked = marked.filter(marked.rn > 0)
    return marked.select(
        "source_row",
        dup_reason=ibis.ifelse(marked.value == marked.first_value, DUPLICATE, SAME_DAY),
    )


def finish(classified: Any, dups: Any) -> Any:
    """The classified rows with the duplicate reasons filled in."""
    out = classified.left_join(dups, "source_row")
    return out.select(
        *[x for x in classified.columns if x != "reason"],
        reason=out.reason.fill_null(out.dup_reason),
    )


def rejects_view(classified: Any) -> Any:
    """The rejects file's rows: input position, person, reason and the raw values."""
    r = classified.filter(classified.reason.notnull())
    return r.select(
        source_row=r.source_row,
        person_id=r.person_id,
        patient_id=r.patient_id,
        reason=r.reason,
        code=r.code,
        date=r.measurement_date.cast("string"),
        value=r.value_raw.cast("string").fill_null(r.value_text),
        unit=r.unit,
        ref_low=r.ref_low_raw,
        ref_high=r.ref_high_raw,
    ).order_by("source_row")


def used_view(classified: Any) -> Any:
    """The normalised long table of the screen (canonical units)."""
    u = classified.filter(classified.reason.isnull())
    return u.select(
        "person_id",
        "patient_id",
        "sex",
        birth_date=u.birth_date.cast("date"),
        measurement_date=u.measurement_date.cast("date"),
        analyte=u.analyte,
        value=u.value,
        ref_low=u.ref_low,
        ref_high=u.ref_high,
        censor=u.censor,
        source_row=u.source_row,
    )
