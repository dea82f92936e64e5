"""An OMOP CDM in a PostgreSQL database as the screen's input (``lowalp screen --db``).

The screen reads the tables it needs through Ibis's PostgreSQL backend and copies the columns
it uses into Parquet files in the run's work folder; from there the run is the one of an OMOP
folder (``--omop``): the same staging, checks and compiled program, so no rule is written
twice. Why a copy rather than running the screen in the database:

- the connection is read-only (``default_transaction_read_only=on``), and PostgreSQL refuses
  even a temporary table in a read-only transaction, while the screen keeps every row once
  with its reason in working tables;
- Ibis builds and compiles the queries (the columns, their types, the LOINC concepts), but
  the rows travel by ``COPY (query) TO STDOUT``: 403,266 measurements in 2.6 s, where Ibis's
  own row fetch took 18 s (synthetic data of 20,000 persons, one server on the same machine;
  2.0 million rows copied in 23 s).

Only the needed columns are copied: measurement (ordered by ``measurement_id``, so that a
row's ``source_row`` is its position in that order), person, and the LOINC rows of concept
that name an analyte lowalp knows. Nothing is written in the database.

Credentials: the password may be in the URL, in ``PGPASSWORD`` or in ``~/.pgpass`` (libpq
reads the last two itself). Every URL shown in a message, an error, the run summary or the
manifest has its password replaced by ``***``, and the password is removed from the server's
error messages before they are shown.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lowalp.errors import InputError, Problem

DEFAULT_SCHEMA = "public"
"""The CDM schema when ``--cdm-schema`` is not given: PostgreSQL's default schema."""

SCHEMES = ("postgresql", "postgres")
CONNECT_TIMEOUT_S = 10
SESSION = {
    "default_transaction_read_only": "on",  # no statement of the session can write
    "DateStyle": "ISO, MDY",  # dates copied as YYYY-MM-DD
    "extra_float_digits": "1",  # numbers copied exactly (shortest round-trip form)
    "TimeZone": "UTC",
}

MEASUREMENT = (
    "person_id",
    "measurement_concept_id",
    "measurement_date",
    "value_as_number",
    "unit_concept_id",
    "unit_source_value",
    "operator_concept_id",
    "value_source_value",
    "range_low",
    "range_high",
)
PERSON = (
    "person_id",
    "gender_concept_id",
    "year_of_birth",
    "month_of_birth",
    "day_of_birth",
    "birth_datetime",
)
"""The columns copied when the table has them (those the screen reads; see
:mod:`lowalp.screen.inputs`)."""

REQUIRED_TABLES = ("measurement", "person")

_SECRET_PARAM = re.compile(r"(?i)((?:^|[?&;\s])password\s*=\s*)('[^']*'|[^&\s]*)")


def mask_url(url: str) -> str:
    """``url`` with its password (in the user part or a ``password=`` parameter) as ``***``.

    >>> mask_url("postgresql://ann:s3cret@db.example:5432/cdm?sslmode=require")
    'postgresql://ann:***@db.example:5432/cdm?sslmode=require'
    >>> mask_url("postgresql://ann@db/cdm?password=s3cret&sslmode=require")
    'postgresql://ann@db/cdm?password=***&sslmode=require'
    >>> mask_url("postgresql://ann@db/cdm")
    'postgresql://ann@db/cdm'
    """
    m = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)([^/?#]*)(.*)$", url, re.DOTALL)
    if m is None:
        return _SECRET_PARAM.sub(r"\1***", url)
    scheme, netloc, rest = m.groups()
    if "@" in netloc:
        auth, host = netloc.rsplit("@", 1)
        if ":" in auth:
            auth = auth.split(":", 1)[0] + ":***"
        netloc = f"{auth}@{host}"
    return scheme + netloc + _SECRET_PARAM.sub(r"\1***", rest)


def _password(url: str) -> str | None:
    try:
        from psycopg.conninfo import conninfo_to_dict

        value = conninfo_to_dict(url).get("password")
    except Exception:
        value = urlsplit(url).password
    return str(value) if value else None


def scrub(text: str, url: str) -> str:
    """``text`` with the URL's password, wherever it occurs, replaced by ``***``."""
    secret = _password(url)
    if secret:
        text = text.replace(secret, "***")
        from urllib.parse import quote

        text = text.replace(quote(secret, safe=""), "***")
    return text.replace(url, mask_url(url))


def check_url(url: str) -> None:
    """A ``postgresql://`` URL, or an error that names the problem (without the password)."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in SCHEMES:
        raise InputError(
            [
                Problem(
                    "--db",
                    "not a PostgreSQL URL",
                    value=mask_url(url),
                    hint="postgresql://user@host:port/dbname (the password from PGPASSWORD "
                    "or ~/.pgpass)",
                )
            ]
        )


def _where(url: str, schema: str) -> str:
    return f"--db {mask_url(url)} --cdm-schema {schema}"


def connect(url: str) -> Any:
    """A read-only Ibis connection to the database of ``url``."""
    check_url(url)
    try:
        import ibis  # type: ignore[import-untyped,unused-ignore]
        import psycopg
        from psycopg.conninfo import conninfo_to_dict, make_conninfo
    except ModuleNotFoundError as exc:
        raise InputError(
            [
                Problem(
                    "--db",
                    f"the PostgreSQL client is not installed ({exc.name})",
                    hint="pip install 'lowalp[screen]'",
                )
            ]
        ) from None
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise InputError(
            [Problem("--db", f"not a usable URL: {scrub(str(exc), url)}", value=mask_url(url))]
        ) from None
    ours = " ".join(f"-c {k}={v.replace(' ', '')}" for k, v in SESSION.items())
    extra = {"options": f"{params.get('options') or ''} {ours}".strip()}  # ours last: they win
    for key, value in (("connect_timeout", CONNECT_TIMEOUT_S), ("application_name", "lowalp")):
        if key not in params:
            extra[key] = str(value)
    try:
        raw = psycopg.connect(make_conninfo(url, **extra), autocommit=True)
    except psycopg.Error as exc:
        detail = scrub(" ".join(str(exc).split()), url)
        raise InputError(
            [
                Problem(
                    f"--db {mask_url(url)}",
                    f"cannot connect to the PostgreSQL server: {detail}",
                    hint="check the host, port, database name and user; a password comes from "
                    "the URL, PGPASSWORD or ~/.pgpass",
                )
            ]
        ) from None
    return ibis.postgres.from_connection(raw)


def tables(con: Any, url: str, schema: str) -> dict[str, str]:
    """The tables and views of ``schema`` the screen may read (name -> kind), or an error
    naming the missing schema or table."""
    with con.con.cursor() as cur:
        found = cur.execute(
            "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %s", (schema,)
        ).fetchone()
        if found is None:
            names = [
                str(r[0])
                for r in cur.execute(
                    "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname NOT LIKE 'pg\\_%%' "
                    "AND nspname <> 'information_schema' ORDER BY 1"
                ).fetchall()
            ]
            raise InputError(
                [
                    Problem(
                        _where(url, schema),
                        f"no schema {schema!r} in the database",
                        hint=f"give the CDM's schema with --cdm-schema; found: "
                        f"{', '.join(names) or 'none'}",
                    )
                ]
            )
        rows = cur.execute(
            "SELECT c.relname, c.relkind FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
            (schema,),
        ).fetchall()
    kinds = {"r": "table", "p": "table", "v": "view", "m": "view", "f": "foreign table"}
    found_tables = {str(name): kinds[str(kind)] for name, kind in rows}
    missing = [t for t in REQUIRED_TABLES if t not in found_tables]
    if missing:
        raise InputError(
            [
                Problem(
                    _where(url, schema),
                    f"no {name} table in schema {schema!r}",
                    hint=f"OMOP CDM v5.4 {name}; found: "
                    f"{', '.join(sorted(found_tables))[:300] or 'no tables'}",
                )
                for name in missing
            ]
        )
    return found_tables


def copy_cdm(
    url: str,
    schema: str,
    dest: Path,
    loinc_codes: list[str],
    *,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """measurement.parquet, person.parquet and (when the schema has one) concept.parquet in
    ``dest``, copied from ``schema`` of the database at ``url``; the rows copied by table."""
    import psycopg

    con = connect(url)
    try:
        found = tables(con, url, schema)
        dest.mkdir(parents=True, exist_ok=True)
        # the queries first (Ibis reads the tables' columns), then every copy in one
        # read-only transaction: the tables as they were at one moment
        exprs: dict[str, Any] = {}
        for name, wanted in (("measurement", MEASUREMENT), ("person", PERSON)):
            t = _table(con, url, schema, name)
            exprs[name] = _columns(
                t, wanted, order="measurement_id" if name == "measurement" else None
            )
        if "concept" in found:
            t = _table(con, url, schema, "concept")
            if {"concept_id", "vocabulary_id", "concept_code"} <= set(t.columns):
                exprs["concept"] = t.filter(
                    (t.vocabulary_id == "LOINC") & t.concept_code.isin(loinc_codes)
                ).select(
                    concept_id=t.concept_id.cast("int64"),
                    vocabulary_id=t.vocabulary_id.cast("string"),
                    concept_code=t.concept_code.cast("string"),
                )
        raw = con.con
        raw.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        raw.read_only = True
        with raw.transaction():
            for name, expr in exprs.items():
                if progress and name != "concept":
                    progress(f"copying {schema}.{name} from {mask_url(url)}")
                _copy_csv(con, url, schema, name, expr, dest / f"{name}.csv")
        return {name: _to_parquet(expr, dest, name) for name, expr in exprs.items()}
    finally:
        with contextlib.suppress(Exception):
            con.disconnect()
        for f in dest.glob("*.csv"):
            f.unlink(missing_ok=True)


def _table(con: Any, url: str, schema: str, name: str) -> Any:
    try:
        return con.table(name, database=schema)
    except Exception as exc:
        raise InputError(
            [
                Problem(
                    _where(url, schema),
                    f"{name} cannot be read: {scrub(' '.join(str(exc).split()), url)[:300]}",
                )
            ]
        ) from None


def _columns(t: Any, wanted: tuple[str, ...], *, order: str | None) -> Any:
    """The wanted columns the table has; exact decimals as float64 (as the screen reads them),
    date-times without their time zone (read in UTC)."""
    out: dict[str, Any] = {}
    for name in wanted:
        if name not in t.columns:
            continue
        col = t[name]
        typ = col.type()
        if typ.is_decimal():
            col = col.cast("float64")
        elif typ.is_timestamp() and typ.timezone is not None:
            col = col.cast("timestamp")
        out[name] = col
    if order and order in t.columns:  # kept: the ORDER BY must be the outermost clause
        return t.select(**({order: t[order]} | out)).order_by(order)
    return t.select(**out)


def _copy_csv(con: Any, url: str, schema: str, name: str, expr: Any, csv: Path) -> None:
    """``expr``'s rows through ``COPY (…) TO STDOUT`` as CSV into ``csv``."""
    import psycopg

    query = f"COPY ({con.compile(expr)}) TO STDOUT (FORMAT csv, HEADER true)"  # Ibis's SQL
    try:
        with csv.open("wb") as f, con.con.cursor() as cur, cur.copy(query) as copy:
            for chunk in copy:
                f.write(chunk)
    except psycopg.Error as exc:
        raise InputError(
            [
                Problem(
                    _where(url, schema),
                    f"{name} cannot be read: {scrub(' '.join(str(exc).split()), url)[:300]}",
                    hint="the user needs USAGE on the schema and SELECT on the table",
                )
            ]
        ) from None


def _to_parquet(expr: Any, dest: Path, name: str) -> int:
    """``name``.csv of ``dest`` to ``name``.parquet with the types Ibis gives the columns
    (DuckDB, in file order); its row count."""
    import duckdb  # type: ignore[import-untyped,unused-ignore]
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]
    from ibis.backends.sql.datatypes import DuckDBType  # type: ignore[import-untyped,unused-ignore]

    csv = dest / f"{name}.csv"
    types = {c: DuckDBType.to_string(t) for c, t in expr.schema().items()}
    local = duckdb.connect(config={"autoinstall_known_extensions": False})
    try:
        local.execute("SET preserve_insertion_order = true")
        rel = local.read_csv(
            str(csv), header=True, columns=types, allow_quoted_nulls=False, quotechar='"'
        )
        rel.write_parquet(str(dest / f"{name}.parquet"))
    finally:
        local.close()
        csv.unlink(missing_ok=True)
    return int(pq.ParquetFile(dest / f"{name}.parquet").metadata.num_rows)
