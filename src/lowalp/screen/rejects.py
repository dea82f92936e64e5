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
    "f_analyte_id": "int64",
    "factor": "float64",
    "p_lo": "float64",
    "p_hi": "float64",
}


def analyte_ids(kb: Knowledge) -> dict[str, int]:
    """A small integer for each analyte of the knowledge: the working table of the rows keeps
    the analyte as this number (an integer is cheaper to write, compare and group by than its
    name); :func:`used_rows` gives the name back."""
    return {a: i for i, a in enumerate(sorted(kb.analytes))}


def _unit_table(kb: Knowledge, pairs: Any) -> Any:
    """(analyte, unit as written, analyte id, factor or None, plausible low, plausible high)
    for each distinct pair of ``pairs`` (a DataFrame: analyte, unit with "" for none)."""
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]

    single = single_scale_analytes(kb)
    ids = analyte_ids(kb)
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
        rows.append((a, str(u), ids[a], f, analyte.plausible[0], analyte.plausible[1]))
    df = pd.DataFrame(rows, columns=list(UNIT_TABLE_SCHEMA))
    return df.astype(
        {"f_analyte": "string", "f_unit": "string", "f_analyte_id": "int64"}
        | dict.fromkeys(("factor", "p_lo", "p_hi"), "float64")
    )


def _finite(x: Any) -> Any:
    import ibis  # type: ignore[import-untyped,unused-ignore]

    return ibis.ifelse(x.isnan() | x.isinf(), ibis.null().cast("float64"), x)


def classify(staged: Any, kb: Knowledge, units: Any = None) -> Any:
    """The staged table plus ``value``, ``ref_low``, ``ref_high`` (canonical) and ``reason``.

    ``units``: a table of the (analyte, unit) of every staged row, when the input gives one
    cheaper to read than ``staged`` (:attr:`lowalp.screen.inputs.Staging.units`).

    Repeats are found separately (:func:`duplicates`, :func:`rejected_rows`). Also
    ``analyte_id`` (:func:`analyte_ids`), ``censored`` and ``reason_id`` (the reason as its
    position in :data:`REASONS`), which :func:`work_rows` keeps.
    """
    import ibis  # type: ignore[import-untyped,unused-ignore]

    # The units as written, each distinct (analyte, unit) pair once, read by the rule of
    # ``lowalp assess`` (lowalp.units.factor: spaces, micro signs, the reviewed synonyms) into
    # a small table with the factor to the canonical unit (none: an unknown unit, rejected)
    # and the analyte's plausible range; a missing unit is read as the canonical one only for
    # an analyte whose every unit has the same scale.
    u = staged if units is None else units
    pairs = u.select("analyte", unit=u.unit.fill_null("")).distinct().to_pandas()
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
    checks = (
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
    )
    # Most rows pass every check: a row that plainly passes them (a known unit, a plausible
    # value, no operator but '=', a usable printed range, dated after birth) is let through by
    # one conjunction before the checks are tried in order for the others. The conjunction
    # implies that no check applies: both engines order NaN above every number, so a NaN value
    # or lower limit fails it, and a NaN upper limit passes it only where the check reads that
    # limit as none.
    plain = (
        factor.notnull()
        & j.person_known
        & j.measurement_date.notnull()
        & (j.operator.isnull() | (j.operator == "="))
        & (value >= p_lo)
        & (value <= p_hi)
        & (j.ref_low_raw.isnull() | (j.ref_low_raw >= 0))
        & (j.ref_high_raw.isnull() | (j.ref_high_raw >= 0))
        & (j.ref_low_raw.isnull() | j.ref_high_raw.isnull() | (j.ref_low_raw <= j.ref_high_raw))
        & (j.birth_date.isnull() | (j.measurement_date >= j.birth_date))
    )
    no_reason = ibis.null().cast("int8")
    reason_id = ibis.ifelse(
        plain,
        no_reason,
        ibis.cases(
            *((cond, ibis.literal(REASONS.index(r), "int8")) for cond, r in checks),
            else_=no_reason,
        ),
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
        reason=reason_name(reason_id),
        analyte_id=j.f_analyte_id,
        censored=censored_alp,
        reason_id=reason_id,
    )
    return c


def reason_name(reason_id: Any) -> Any:
    """The reason of :data:`REASONS` numbered ``reason_id`` (null: none)."""
    import ibis  # type: ignore[import-untyped,unused-ignore]

    return reason_id.substitute(dict(enumerate(REASONS)), else_=ibis.null().cast("string"))


def duplicates(rows: Any) -> Any:
    """(source_row, dup_reason) of the rows that repeat a person, analyte and day already in.

    ``rows``: the working table (:func:`work_rows`) or the classified rows (those with a
    reason are left out), or the rows used (:func:`used_view`). The keys that occur more than
    once are found first by a group-by over the key (every key of a row kept is known: a row
    without a person, an analyte or a date has a reason), so that the window, over the same
    key, sorts only the candidate rows, found by a join to those few keys.
    """
    import ibis  # type: ignore[import-untyped,unused-ignore]

    keys = ["person_id", "analyte_id" if "analyte_id" in rows.columns else "analyte"]
    keys.append("measurement_date")
    ok = rows
    for reason in ("reason_id", "reason"):
        if reason in rows.columns:
            ok = rows.filter(rows[reason].isnull())
            break
    hot = ok.group_by(keys).agg(n=ok.count())
    hot = hot.filter(hot.n > 1).drop("n")
    cand = ok.semi_join(hot, keys)
    w = ibis.window(group_by=[cand[k] for k in keys], order_by=cand.source_row)
    marked = cand.mutate(rn=ibis.row_number().over(w), first_value=cand.value.first().over(w))
    marked = marked.filter(marked.rn > 0)
    return marked.select(
        "source_row",
        dup_reason=ibis.ifelse(marked.value == marked.first_value, DUPLICATE, SAME_DAY),
    )


def rejected_rows(rows: Any, dups: Any) -> Any:
    """(source_row, reason) of every rejected row: those :func:`classify` gave a reason
    (``rows``: :func:`work_rows`) and the repeats (:func:`duplicates`). A small table: the
    rejects file joins it back to the staged input for the raw values."""
    r = rows.filter(rows.reason_id.notnull())
    r = r.select("source_row", reason=reason_name(r.reason_id))
    return r.union(dups.select("source_row", reason=dups.dup_reason))


def rejects_file(staged: Any, rejected: Any) -> Any:
    """The rejects file's rows (:func:`rejects_view`): the staged input's raw values of the
    rows in ``rejected`` (:func:`rejected_rows`)."""
    s = staged.drop("operator", "person_known", "sex", "birth_date", "analyte")
    return rejects_view(s.inner_join(rejected, "source_row"))


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


USED = (
    "person_id",
    "patient_id",
    "sex",
    "birth_date",
    "measurement_date",
    "analyte",
    "value",
    "ref_low",
    "ref_high",
    "censor",
    "source_row",
)
"""The columns of the rows used (:func:`used_view`, :func:`used_rows`)."""


def used_view(classified: Any) -> Any:
    """The normalised long table of the screen (canonical units): the rows used, repeats
    included (see :func:`duplicates`)."""
    u = classified.filter(classified.reason.isnull())
    return u.select(
        *USED[:3],
        birth_date=u.birth_date.cast("date"),
        measurement_date=u.measurement_date.cast("date"),
        **{c: u[c] for c in USED[5:]},
    )


def work_rows(classified: Any) -> Any:
    """What one pass over the input keeps of each row: the columns the screen reads later
    but those of the person (:func:`used_rows` reads them from the people table), the analyte
    and the reason as numbers (:func:`analyte_ids`, :data:`REASONS`; null when
    used) and ``censored`` for the censor mark. The rejected rows' raw values are read again
    from the input, for those rows only (:func:`rejects_file`)."""
    u = classified
    return u.select(
        "person_id",
        measurement_date=u.measurement_date.cast("date"),
        analyte_id=u.analyte_id,
        value=u.value,
        ref_low=u.ref_low,
        ref_high=u.ref_high,
        censored=u.censored,
        source_row=u.source_row,
        reason_id=u.reason_id,
    )


def used_rows(
    rows: Any,
    dups: Any,
    people: Any,
    kb: Knowledge,
    analytes: Any = None,
    persons: Any = None,
) -> Any:
    """The rows used (columns :data:`USED`) from the working table ``rows``
    (:func:`work_rows`) less the repeats ``dups`` (:func:`duplicates`), with the person's
    columns from ``people`` (:func:`lowalp.screen.inputs.stage_with_people`); only those of
    ``analytes`` (names) and of the ``persons`` table (a ``person_id`` column), when given.
    The rows are chosen before the analyte's name is read back from its number."""
    import ibis  # type: ignore[import-untyped,unused-ignore]

    ids = analyte_ids(kb)
    u = rows.filter(rows.reason_id.isnull())
    if analytes is not None:
        u = u.filter(u.analyte_id.isin([ids[a] for a in analytes if a in ids]))
    if persons is not None:
        u = u.semi_join(persons, "person_id")
    u = u.anti_join(dups, "source_row")
    # the names by a join to a small table (a CASE of every analyte would test each in turn)
    names = ibis.memtable(
        {"n_id": list(ids.values()), "n_analyte": list(ids)},
        schema={"n_id": "int64", "n_analyte": "string"},
    )
    u = u.inner_join(names, u.analyte_id == names.n_id)
    u = u.inner_join(people, "person_id")
    return u.select(
        "person_id",
        "patient_id",
        "sex",
        birth_date=u.birth_date.cast("date"),
        measurement_date=u.measurement_date,
        analyte=u.n_analyte,
        value=u.value,
        ref_low=u.ref_low,
        ref_high=u.ref_high,
        censor=ibis.ifelse(u.censored, "<", ibis.null().cast("string")),
        source_row=u.source_row,
    )
