"""Read the screen's input into one staged Ibis table (a row per input row, nothing dropped).

Four inputs: OMOP CDM v5.4 MEASUREMENT + PERSON (Parquet or CSV, optionally CONCEPT to map
concepts through their LOINC code), a long measurements file (docs/input-formats.md), a
DuckDB database with measurement and person tables (OMOP concept ids are mapped by
:mod:`lowalp.screen.omop_map`), or a schema of a PostgreSQL database with those tables
(copied to Parquet by :mod:`lowalp.screen.postgres`, then read as an OMOP folder). Every reader gives the same staged columns (:data:`STAGED`);
:mod:`lowalp.screen.rejects` then decides which rows are used and why the others are not, and
converts units.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

from lowalp.errors import InputError, Problem
from lowalp.knowledge import Knowledge
from lowalp.screen import engines
from lowalp.screen.omop_map import OmopMap as OmopMap  # re-exported: the OMOP map's old home
from lowalp.screen.omop_map import load_omop_map as load_omop_map
from lowalp.units import DAYS_PER_YEAR

STAGED = (
    "source_row",  # int64: 0-based row position in the input file (DuckDB table: rowid)
    "person_id",  # int64
    "patient_id",  # string: the input's own id (long format), else the person_id as text
    "person_known",  # bool: the person is in the person table
    "sex",  # 'F' / 'M' / null
    "birth_date",  # date or null
    "analyte",  # analyte id, null when the code is not mapped
    "code",  # the code as given (concept id or LOINC/analyte text)
    "measurement_date",  # date or null
    "value_raw",  # float64 or null (before unit conversion)
    "value_text",  # the value as given when it is not a plain number
    "operator",  # '=' when exact, '<', '>', '<=', '>=', '?' (unmapped) or null (= exact)
    "unit",  # unit text as given (tidied), null when absent
    "ref_low_raw",  # float64, input unit
    "ref_high_raw",  # float64, input unit
)

# ----------------------------------------------------------------------------- input spec


@dataclass
class ScreenInput:
    """Where the measurements come from."""

    kind: Literal["omop", "measurements", "duckdb", "postgres"]
    path: Path
    work_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="lowalp-screen-")))
    columns: dict[str, str] = field(default_factory=dict)
    """A long file: our column name -> the file's (``--column``), as ``lowalp assess`` takes it."""
    url: str | None = None
    """PostgreSQL: the database's ``postgresql://`` URL (``path`` is then not used); it may
    hold a password, so it is shown only through :attr:`label`."""
    cdm_schema: str | None = None
    """PostgreSQL: the schema of the CDM tables (default ``public``)."""

    @classmethod
    def postgres(cls, url: str, cdm_schema: str | None = None) -> ScreenInput:
        from lowalp.screen.postgres import DEFAULT_SCHEMA

        return cls("postgres", Path(), url=url, cdm_schema=cdm_schema or DEFAULT_SCHEMA)

    @property
    def label(self) -> str:
        """The input as shown in messages and the manifest (a URL's password masked)."""
        if self.kind == "postgres":
            from lowalp.screen.postgres import mask_url

            return f"{mask_url(self.url or '')} schema {self.cdm_schema}"
        return str(self.path)

    def local(self, kb: Knowledge, progress: Callable[[str], None] | None = None) -> ScreenInput:
        """What the screen reads: a database's CDM copied to an OMOP folder of the work
        folder (:func:`lowalp.screen.postgres.copy_cdm`); any other input as it is."""
        if self.kind != "postgres":
            return self
        from lowalp.screen.postgres import copy_cdm

        dest = self.work_dir / "cdm"
        copy_cdm(
            self.url or "",
            self.cdm_schema or "public",
            dest,
            sorted(kb.loinc_index),  # only the concept rows of analytes lowalp knows
            progress=progress,
        )
        return ScreenInput("omop", dest, work_dir=self.work_dir)


def _find(folder: Path, stem: str, required: bool) -> Path | None:
    for ext in (".parquet", ".csv"):
        p = folder / f"{stem}{ext}"
        if p.exists():
            return p
    d = folder / stem
    if d.is_dir() and any(d.glob("*.parquet")):
        return d
    if required:
        raise InputError(
            [
                Problem(
                    f"--omop {folder}",
                    f"no {stem} table",
                    hint=f"put {stem}.parquet or {stem}.csv in the folder",
                )
            ]
        )
    return None


def _as_parquet(path: Path, work: Path, name: str) -> Path:
    """A CSV table copied to ``name``.parquet in the work folder, every column as text (each
    cell is parsed by the staging expression, so a bad cell rejects its row)."""
    if path.suffix.lower() == ".csv":
        dest = work / f"{name}.parquet"
        if dest.exists():  # copied before in this run (the work folder is the run's own)
            return dest
        return engines.csv_to_parquet(path, dest, all_text=True)
    return path


def stage(con: Any, src: ScreenInput, kb: Knowledge, omop: OmopMap | None = None) -> Any:
    """The staged table (columns :data:`STAGED`) for ``src`` on backend ``con``."""
    return stage_with_people(con, src, kb, omop)[0]


PEOPLE = ("person_id", "patient_id", "sex", "birth_date")
"""The columns of the people table (:func:`stage_with_people`)."""


class Staging(NamedTuple):
    """What :func:`stage_with_people` reads: the staged rows, the people table and the
    (analyte, unit) of every row, read without the person table (repeats included: the
    pairs are what :func:`lowalp.screen.rejects.classify` needs, a query of the input alone)."""

    rows: Any
    people: Any
    units: Any


def stage_with_people(
    con: Any, src: ScreenInput, kb: Knowledge, omop: OmopMap | None = None, *, only: Any = None
) -> Staging:
    """The staged table (:func:`stage`) and the people table: one row per person of the
    input (columns :data:`PEOPLE`) with the values the staged rows carry for that person, so
    that a table of rows need keep only ``person_id``.

    ``only``: a table with a ``source_row`` column; the staged rows may then be limited to
    those (an OMOP measurement table is filtered before it is staged; a long file, whose
    persons are numbered over all its rows, is not: the caller joins)."""
    if src.kind == "omop":
        return _stage_omop(con, src, kb, omop or load_omop_map(kb), only)
    if src.kind == "duckdb":
        return _stage_duckdb(con, src, kb, omop or load_omop_map(kb), only)
    return _stage_long(con, src, kb)


# ----------------------------------------------------------------------------- OMOP


def _concept_map(con: Any, src: ScreenInput, kb: Knowledge, omop: OmopMap) -> dict[int, str]:
    """concept_id -> analyte: omop.yaml first, then the concept table's LOINC codes."""
    mapping = {cid: c.analyte for cid, c in omop.concepts.items()}
    concept = _find(src.path, "concept", required=False) if src.path.is_dir() else None
    if concept is not None:
        t = engines.read_parquet_plain(
            con, _as_parquet(concept, src.work_dir, "concept"), "lowalp_concept"
        )
        codes = list(kb.loinc_index)
        hits = (
            t.filter(t.vocabulary_id.cast("string") == "LOINC")
            .filter(t.concept_code.cast("string").isin(codes))
            .select(concept_id=t.concept_id.cast("int64"), code=t.concept_code.cast("string"))
            .to_pandas()
        )
        for cid, code in zip(hits.concept_id, hits.code, strict=True):
            mapping.setdefault(int(cid), kb.loinc_index[code])
    return mapping


def _stage_omop(
    con: Any, src: ScreenInput, kb: Knowledge, omop: OmopMap, only: Any = None
) -> Staging:
    folder = src.path
    meas_path = _as_parquet(
        _find(folder, "measurement", True),  # type: ignore[arg-type]
        src.work_dir,
        "measurement",
    )
    person_path = _as_parquet(_find(folder, "person", True), src.work_dir, "person")  # type: ignore[arg-type]
    m = engines.read_parquet(con, meas_path, "lowalp_measurement")
    p = engines.read_parquet_plain(con, person_path, "lowalp_person")
    return _omop_expr(
        con, m, p, _concept_map(con, src, kb, omop), omop, source_row="file_row_number", only=only
    )


def _duckdb_tables(con: Any) -> dict[str, str]:
    """Table and view names of a DuckDB database's main schema, with their kind (``BASE
    TABLE``, ``VIEW`` …); ibis 12's ``list_tables`` calls a cursor method that duckdb 2 no
    longer has."""
    rows = con.raw_sql(
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_catalog = current_database()"
    ).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def _stage_duckdb(
    con: Any, src: ScreenInput, kb: Knowledge, omop: OmopMap, only: Any = None
) -> Staging:
    if engines.is_spark(con):
        raise InputError([Problem("--duckdb", "a DuckDB database needs --engine duckdb")])
    tables = _duckdb_tables(con)
    for name in ("measurement", "person"):
        if name not in tables:
            raise InputError(
                [
                    Problem(
                        f"--duckdb {src.path}",
                        f"no {name} table",
                        hint=f"found: {', '.join(sorted(tables)) or 'no tables'}",
                    )
                ]
            )
    for name in ("measurement", "person", "concept"):
        if tables.get(name, "BASE TABLE") != "BASE TABLE":
            raise InputError(
                [
                    Problem(
                        f"--duckdb {src.path}",
                        f"{name} is a {tables[name].lower()}, not a table: the screen reads "
                        "only tables (a view runs the database's own query, which may read "
                        "other files)",
                        hint=f"materialise it: CREATE TABLE {name} AS SELECT * FROM …",
                    )
                ]
            )
    # a view rather than con.sql(): ibis 12's schema probe for ad-hoc SQL calls a cursor method
    # that duckdb 2 no longer has (a fixed statement: no name or path is written into it)
    con.raw_sql(
        "CREATE OR REPLACE TEMP VIEW lowalp_measurement AS "
        'SELECT rowid AS lowalp_rowid, * FROM main."measurement"'
    )
    m = con.table("lowalp_measurement")
    p = con.table("person")
    mapping = {cid: c.analyte for cid, c in omop.concepts.items()}
    if "concept" in tables:
        t = con.table("concept")
        hits = (
            t.filter((t.vocabulary_id == "LOINC") & t.concept_code.isin(list(kb.loinc_index)))
            .select("concept_id", "concept_code")
            .to_pandas()
        )
        for cid, code in zip(hits.concept_id, hits.concept_code, strict=True):
            mapping.setdefault(int(cid), kb.loinc_index[code])
    return _omop_expr(con, m, p, mapping, omop, source_row="lowalp_rowid", only=only)


def _omop_expr(
    con: Any,
    m: Any,
    p: Any,
    concepts: dict[int, str],
    omop: OmopMap,
    *,
    source_row: str,
    only: Any = None,
) -> Staging:
    import ibis  # type: ignore[import-untyped,unused-ignore]

    _require(m, "measurement", MEASUREMENT_COLUMNS)
    _require(p, "person", PERSON_COLUMNS)
    if only is not None:
        m = m.semi_join(only, m[source_row] == only.source_row)
    cols = set(m.columns)
    pcols = set(p.columns)

    def mcol(name: str, typ: str) -> Any:
        return m[name] if name in cols else ibis.null().cast(typ)

    gender = {k: v.sex for k, v in omop.gender.items()}
    sex = _num(p.gender_concept_id).substitute(gender, else_=ibis.null().cast("string"))
    year = _num(p.year_of_birth)
    month = _num(p.month_of_birth) if "month_of_birth" in pcols else ibis.null().cast("int64")
    day = _num(p.day_of_birth) if "day_of_birth" in pcols else ibis.null().cast("int64")
    # Year only: 1 July of that year (mid-year); month only: the 15th.
    bd = ibis.date(year, month.fill_null(7), day.fill_null(ibis.ifelse(month.isnull(), 1, 15)))
    if "birth_datetime" in pcols:
        bd = _date(p.birth_datetime).fill_null(bd)
    persons = p.select(
        lowalp_pid=_num(p.person_id),
        sex=sex,
        birth_date=ibis.ifelse(year.isnull(), ibis.null().cast("date"), bd),
        person_known=ibis.literal(True),
        lowalp_ptext=p.person_id.cast("string"),
    )
    # one row a person: a person listed twice in the person table is read once
    people = persons.group_by(person_id=persons.lowalp_pid).agg(
        patient_id=persons.lowalp_ptext.max(),
        sex=persons.sex.max(),
        birth_date=persons.birth_date.max(),
    )
    j = m.left_join(persons, _num(m.person_id) == persons.lowalp_pid)

    # the concept map as a small table joined once (a CASE over every concept would be
    # evaluated branch by branch on every row)
    table = ibis.memtable(
        {"c_id": list(concepts), "c_analyte": list(concepts.values())},
        schema={"c_id": "int64", "c_analyte": "string"},
    )
    j = j.mutate(lowalp_cid=_num(j.measurement_concept_id))
    j = j.left_join(table, j.lowalp_cid == table.c_id)
    concept_id = j.lowalp_cid
    analyte = j.c_analyte
    units = {k: v.unit for k, v in omop.units.items()}

    def unit_of(t: Any) -> Any:
        """The unit as written: the unit concept's, else the source value."""
        cid = _num(t.unit_concept_id) if "unit_concept_id" in cols else ibis.null().cast("int64")
        given = t.unit_source_value.cast("string") if "unit_source_value" in cols else None
        name = cid.substitute(units, else_=ibis.null().cast("string"))
        return name.fill_null(given if given is not None else ibis.null().cast("string"))

    unit = unit_of(j)
    # the (analyte, unit) pairs, read from the distinct codes of the measurement table alone
    # (the person join only repeats rows, it adds no pair): the names are built for those
    # few codes, not for every row
    codes = ("measurement_concept_id", "unit_concept_id", "unit_source_value")
    mc = m.select(*(c for c in codes if c in cols)).distinct()
    mc = mc.mutate(lowalp_cid=_num(mc.measurement_concept_id))
    mc = mc.left_join(table, mc.lowalp_cid == table.c_id)
    pairs = mc.select(analyte=mc.c_analyte, unit=unit_of(mc))
    ops = {k: v.operator for k, v in omop.operators.items()}
    op_cid = _num(mcol("operator_concept_id", "int64"))
    operator = ibis.ifelse(
        op_cid.isnull(), ibis.null().cast("string"), op_cid.substitute(ops, else_="?")
    )
    date = _date(j.measurement_date)
    value = _num(j.value_as_number, "float64")
    # a value_as_number that is not a number is kept as text: its row is rejected as a text
    # value, the screen goes on
    given_text = mcol("value_source_value", "string").cast("string")
    as_text = j.value_as_number.cast("string").strip().nullif("")
    value_text = ibis.cases(  # the text is read only where no number was
        (value.notnull(), given_text), else_=as_text.fill_null(given_text)
    )
    staged = j.select(
        source_row=j[source_row].cast("int64"),
        person_id=_num(j.person_id),
        patient_id=j.person_id.cast("string"),
        person_known=j.person_known.fill_null(False),
        sex=j.sex,
        birth_date=j.birth_date,
        analyte=analyte,
        code=concept_id.cast("string"),
        measurement_date=date,
        value_raw=value,
        value_text=value_text,
        operator=operator,
        unit=unit,
        ref_low_raw=_num(mcol("range_low", "float64"), "float64"),
        ref_high_raw=_num(mcol("range_high", "float64"), "float64"),
    )
    return Staging(staged, people, pairs)


MEASUREMENT_COLUMNS = ("person_id", "measurement_concept_id", "measurement_date", "value_as_number")
PERSON_COLUMNS = ("person_id", "gender_concept_id", "year_of_birth")
"""The OMOP CDM v5.4 columns the screen needs (the CDM makes them required, but value)."""


def _require(t: Any, table: str, needed: tuple[str, ...]) -> None:
    missing = [c for c in needed if c not in t.columns]
    if missing:
        raise InputError(
            [
                Problem(
                    f"{table} table",
                    f"missing column(s): {', '.join(missing)}",
                    hint=f"OMOP CDM v5.4 {table} needs {', '.join(needed)}; "
                    f"found: {', '.join(t.columns)[:300]}",
                )
            ]
        )


def _num(x: Any, typ: str = "int64") -> Any:
    """A number column; text (an OMOP table read from CSV) parsed, null where it is not one."""
    return x.try_cast(typ) if x.type().is_string() else x.cast(typ)


def _date(x: Any) -> Any:
    return x.try_cast("date") if x.type().is_string() else x.cast("date")


# ----------------------------------------------------------------------------- long format


def _stage_long(con: Any, src: ScreenInput, kb: Knowledge) -> Staging:
    import ibis  # type: ignore[import-untyped,unused-ignore]

    path = src.path
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise InputError(
            [Problem("--measurements", "a long .csv or .parquet file is needed", value=str(path))]
        )
    from lowalp.adapters.csv_long.columns import resolve_columns
    from lowalp.adapters.csv_long.values import SEX_WORDS

    t = engines.read_parquet(con, _as_parquet(path, src.work_dir, "long"), "lowalp_long")
    # the file's columns matched to ours as `lowalp assess` matches them (names, aliases,
    # --column mappings, the same errors)
    header = [c for c in t.columns if c != "file_row_number"]
    position = resolve_columns(header, src.columns)
    lower = {ours: header[i] for ours, i in position.items()}
    if "loinc" not in lower and "analyte" not in lower:
        raise InputError(
            [
                Problem(
                    "--measurements",
                    "a 'code' column needs a --code-map, which lowalp screen does not read",
                    hint="give LOINC codes in a 'loinc' column or analyte ids in 'analyte'",
                )
            ]
        )

    def col(name: str, typ: str = "string") -> Any:
        return t[lower[name]] if name in lower else ibis.null().cast(typ)

    def as_text(x: Any) -> Any:
        return x.cast("string").strip().nullif("")

    def as_date(x: Any) -> Any:
        if x.type().is_string() or x.type().is_null():
            return as_text(x).substr(0, 10).try_cast("date")
        return x.cast("date")

    def as_float(x: Any) -> Any:
        if x.type().is_numeric():
            return x.cast("float64")
        return as_text(x).try_cast("float64")

    codes = {a: a for a in kb.analytes} | dict(kb.loinc_index)
    code_text = as_text(col("analyte")).fill_null(as_text(col("loinc")))
    analyte = code_text.substitute(codes, else_=ibis.null().cast("string"))
    sex_text = as_text(col("sex")).lower()
    sex = sex_text.substitute(dict(SEX_WORDS), else_=ibis.null().cast("string"))
    pid_text = as_text(col("patient_id"))
    value = col("value")
    value_text = as_text(value)
    op = (
        value_text.re_extract(r"^(<=|>=|<|>|≤|≥)", 1).nullif("")
        if not value.type().is_numeric()
        else ibis.null().cast("string")
    )
    # "<5": the operator and the number (kept for a censored ALP, rejected for the others)
    num = ibis.ifelse(
        op.notnull(),
        value_text.re_replace(r"^(<=|>=|<|>|≤|≥)\s*", "").try_cast("float64"),
        as_float(value),
    )
    base = t.select(
        source_row=t.file_row_number.cast("int64"),
        patient_id=pid_text,
        sex0=sex,
        bd0=as_date(col("birth_date")),
        age0=as_float(col("age")) if "age" in lower else ibis.null().cast("float64"),
        analyte=analyte,
        code=code_text,
        measurement_date=as_date(col("date")),
        value_raw=num,
        value_text=ibis.ifelse(num.isnull(), value_text, ibis.null().cast("string")),
        operator=ibis.ifelse(
            op.isnull(), ibis.null().cast("string"), op.substitute({"≤": "<=", "≥": ">="}, else_=op)
        ),
        unit=as_text(col("unit")),
        ref_low_raw=as_float(col("ref_low", "float64")),
        ref_high_raw=as_float(col("ref_high", "float64")),
    )
    # Per patient: the first sex and birth date by row, the highest age; a person_id by rank.
    people = (
        base.filter(base.patient_id.notnull())
        .group_by("patient_id")
        .agg(
            sex=base.sex0.first(order_by=base.source_row, include_null=False),
            bd=base.bd0.first(order_by=base.source_row, include_null=False),
            age=base.age0.max(),
            first_row=base.source_row.min(),
        )
    )
    people = people.mutate(
        person_id=ibis.row_number().over(order_by=people.first_row).cast("int64") + 1
    )
    # With an age but no birth date: the birth date that gives that age at the newest ALP.
    alp_max = (
        base.filter(base.analyte == "alp")
        .group_by("patient_id")
        .agg(index_date=base.measurement_date.max())
    )
    p = people.left_join(alp_max, "patient_id")
    from_age = p.index_date - (p.age * DAYS_PER_YEAR).round().cast("int64").as_interval("D")
    birth = p.bd.fill_null(
        ibis.ifelse(p.age.notnull(), from_age.cast("date"), ibis.null().cast("date"))
    )
    persons = p.select(person_id=p.person_id, patient_id=p.patient_id, sex=p.sex, birth_date=birth)
    j = base.left_join(persons, "patient_id")
    staged = j.select(
        source_row=j.source_row,
        person_id=j.person_id,
        patient_id=j.patient_id,
        person_known=j.patient_id.notnull(),
        sex=j.sex,
        birth_date=j.birth_date,
        analyte=j.analyte,
        code=j.code,
        measurement_date=j.measurement_date,
        value_raw=j.value_raw,
        value_text=j.value_text,
        operator=j.operator,
        unit=j.unit,
        ref_low_raw=j.ref_low_raw,
        ref_high_raw=j.ref_high_raw,
    )
    return Staging(staged, persons, base.select("analyte", "unit"))


def single_scale_analytes(kb: Knowledge) -> frozenset[str]:
    from lowalp.units import unit_can_be_assumed

    return frozenset(a.id for a in kb.analytes.values() if unit_can_be_assumed(a))
