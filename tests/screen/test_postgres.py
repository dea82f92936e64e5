"""lowalp screen --db against a real PostgreSQL server (started here, stopped at the end):
the same work-list as the same tables given as Parquet files, a read-only connection, the
password never shown, errors that name the missing schema or table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("ibis")
pytest.importorskip("duckdb")
psycopg = pytest.importorskip("psycopg")

from tests.screen import pg_server  # noqa: E402

from lowalp.cli import main  # noqa: E402
from lowalp.errors import InputError  # noqa: E402
from lowalp.screen import postgres  # noqa: E402
from lowalp.screen.inputs import ScreenInput  # noqa: E402
from lowalp.screen.runner import run_screen  # noqa: E402

pytestmark = [
    pytest.mark.skipif(
        pg_server.bindir() is None,
        reason="no PostgreSQL server programs (initdb, pg_ctl): install Debian's postgresql "
        "package (scripts/install-system-deps.sh does)",
    ),
    pytest.mark.filterwarnings(r"ignore:fetch_arrow_table\(\) is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(r"ignore:The 'future.infer_string' option is deprecated"),
]

PASSWORD = "Pg-s3cret-7f2a"  # the reader's password: it must appear in no output
SCHEMA = "cdm54"
TABLES = ("measurement", "person", "concept")


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthetic OMOP tables from `lowalp synth`, with more dirty rows than the default."""
    out = tmp_path_factory.mktemp("synth")
    argv = ["synth", "--persons", "400", "--dirty", "0.03", "--seed", "7", "--out", str(out)]
    assert main([*argv, "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def pg(synth: Path) -> Iterator[pg_server.Server]:
    """A server with database ``lab``: the synthetic tables in schema ``cdm54``, a schema
    ``partial`` without a measurement table, and a login role ``reader`` (password
    :data:`PASSWORD`) that may read both."""
    with pg_server.server() as server:
        admin = server.connect()
        admin.execute("CREATE DATABASE lab")
        admin.close()
        con = server.connect("lab")
        con.execute(f"CREATE SCHEMA {SCHEMA}")
        for table in TABLES:
            pg_server.load_parquet(con, SCHEMA, table, synth / f"{table}.parquet")
        _ohdsi_types(con)
        con.execute("CREATE SCHEMA partial")
        pg_server.load_parquet(con, "partial", "person", synth / "person.parquet")
        con.execute("CREATE SCHEMA closed")  # reader may read person, not measurement
        for table in ("measurement", "person"):
            con.execute(f"CREATE TABLE closed.{table} (LIKE {SCHEMA}.{table})")
        con.execute(f"CREATE ROLE reader LOGIN PASSWORD '{PASSWORD}'")
        con.execute("GRANT USAGE ON SCHEMA closed TO reader")
        con.execute("GRANT SELECT ON closed.person TO reader")
        for schema in (SCHEMA, "ohdsi", "partial"):
            con.execute(f"GRANT USAGE ON SCHEMA {schema} TO reader")
            con.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO reader")
        con.close()
        yield server


def _ohdsi_types(con: Any) -> None:
    """Schema ``ohdsi``: the same rows with the column types of the OHDSI DDL for PostgreSQL
    (integer ids, NUMERIC values, varchar(50) texts), a birth date-time with a time zone and
    ``person`` as a view."""
    con.execute("CREATE SCHEMA ohdsi")
    con.execute(
        "CREATE TABLE ohdsi.measurement AS SELECT measurement_id::integer, "
        "person_id::integer, measurement_concept_id::integer, measurement_date, "
        "measurement_datetime, measurement_type_concept_id::integer, "
        "operator_concept_id::integer, value_as_number::numeric, unit_concept_id::integer, "
        "unit_source_value::varchar(50), range_low::numeric, range_high::numeric, "
        "measurement_source_value::varchar(50), value_source_value::varchar(50) "
        f"FROM {SCHEMA}.measurement ORDER BY measurement_id DESC"  # stored in another order
    )
    con.execute(
        "CREATE TABLE ohdsi.person_t AS SELECT person_id::integer, "
        "gender_concept_id::integer, year_of_birth::integer, month_of_birth::integer, "
        "day_of_birth::integer, birth_datetime AT TIME ZONE 'UTC' AS birth_datetime "
        f"FROM {SCHEMA}.person"
    )
    con.execute("CREATE VIEW ohdsi.person AS SELECT * FROM ohdsi.person_t")
    con.execute(
        "CREATE TABLE ohdsi.concept AS SELECT concept_id::integer, "
        "concept_name::varchar(255), vocabulary_id::varchar(20), concept_code::varchar(50) "
        f"FROM {SCHEMA}.concept"
    )


def _relations(server: pg_server.Server) -> list[tuple[str, str]]:
    con = server.connect("lab")
    try:
        rows = con.execute(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', "
            "'information_schema', 'pg_toast') ORDER BY 1, 2"
        ).fetchall()
    finally:
        con.close()
    return [(str(a), str(b)) for a, b in rows]


def test_the_database_gives_the_worklist_of_the_same_tables_as_parquet(
    pg: pg_server.Server, synth: Path, tmp_path: Path
) -> None:
    """Every column of the work-list and of the rejects is the same from the database as from
    the Parquet files the database was loaded from; nothing is created in the database."""
    before = _relations(pg)
    from_db = run_screen(
        ScreenInput.postgres(pg.url("reader", "lab", PASSWORD), SCHEMA), tmp_path / "db"
    )
    from_files = run_screen(ScreenInput("omop", synth), tmp_path / "files")
    assert len(from_files.worklist) > 10
    assert from_files.counts["rows_rejected"] > 10
    pd.testing.assert_frame_equal(from_db.worklist, from_files.worklist)
    pd.testing.assert_frame_equal(from_db.rejects, from_files.rejects)
    for name in ("worklist.parquet", "rejects.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "db" / name), pd.read_parquet(tmp_path / "files" / name)
        )
    for key in ("rows_read", "rows_used", "rows_rejected", "rejected_by_reason", "persistent"):
        assert from_db.counts[key] == from_files.counts[key]
    assert from_db.counts["timings"]["copy_s"] > 0
    assert _relations(pg) == before


def test_the_column_types_of_the_ohdsi_ddl_give_the_same_worklist(
    pg: pg_server.Server, synth: Path, tmp_path: Path
) -> None:
    """NUMERIC values read as the same numbers, integer ids, a time-zoned birth date-time, a
    view for person, a table stored in another order (read in measurement_id order)."""
    url = pg.url("reader", "lab", PASSWORD)
    from_db = run_screen(ScreenInput.postgres(url, "ohdsi"), tmp_path / "db", verify=0)
    from_files = run_screen(ScreenInput("omop", synth), tmp_path / "files", verify=0)
    pd.testing.assert_frame_equal(from_db.worklist, from_files.worklist)
    # a rejected value as written: PostgreSQL's double-to-NUMERIC copy above keeps 15
    # significant digits (-1.5230000000000001 becomes -1.523), the rest is the same
    a, b = from_db.rejects, from_files.rejects
    pd.testing.assert_frame_equal(a.drop(columns="value"), b.drop(columns="value"))
    num_a, num_b = pd.to_numeric(a.value, errors="coerce"), pd.to_numeric(b.value, errors="coerce")
    assert (num_a.isna() == num_b.isna()).all()
    assert ((num_a - num_b).abs().fillna(0) <= 1e-9 * num_b.abs().fillna(0)).all()
    assert (a.value[num_a.isna()] == b.value[num_b.isna()]).all()


def test_the_connection_is_read_only(pg: pg_server.Server) -> None:
    con = postgres.connect(pg.url("reader", "lab", PASSWORD))
    try:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            con.raw_sql("CREATE TEMP TABLE lowalp_probe (a int)")
        assert con.raw_sql("SHOW default_transaction_read_only").fetchone()[0] == "on"
    finally:
        con.disconnect()


def _all_output(capsys: pytest.CaptureFixture[str], folder: Path) -> str:
    captured = capsys.readouterr()
    text = captured.out + captured.err
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            text += f.read_bytes().decode("utf-8", "replace")
            if f.suffix == ".parquet":
                text += pd.read_parquet(f).to_csv()
    return text


def test_the_password_is_never_shown(
    pg: pg_server.Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not in the progress lines, the run summary, the work-list files or the manifest (which
    names the database with the password masked), nor in a refused login's error."""
    out = tmp_path / "out"
    url = pg.url("reader", "lab", PASSWORD)
    assert main(["screen", "--db", url, "--cdm-schema", SCHEMA, "--out", str(out)]) == 0
    text = _all_output(capsys, out)
    assert "reader:***@" in text  # the progress names the database
    assert PASSWORD not in text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["input"] == {
        "kind": "postgres",
        "url": f"postgresql://reader:***@127.0.0.1:{pg.port}/lab",
        "schema": SCHEMA,
    }
    wrong = "Wrong-" + PASSWORD
    bad = pg.url("reader", "lab", wrong) + f"?password={wrong}"
    assert main(["screen", "--db", bad, "--cdm-schema", SCHEMA, "--out", str(out)]) != 0
    err = capsys.readouterr().err
    assert "cannot connect" in err
    assert "password authentication failed" in err
    assert wrong not in err
    assert PASSWORD not in err
    assert main(["screen", "--db", bad, "--cdm-schema", SCHEMA, "--explain"]) != 0
    assert wrong not in capsys.readouterr().err


def test_a_password_from_pgpassword_or_pgpass(
    pg: pg_server.Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libpq's usual ways: the PGPASSWORD variable, then a password file."""
    url = pg.url("reader", "lab")
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    a = run_screen(ScreenInput.postgres(url, SCHEMA), tmp_path / "a", verify=0)
    monkeypatch.delenv("PGPASSWORD")
    with pytest.raises(InputError, match="cannot connect"):
        run_screen(ScreenInput.postgres(url, SCHEMA), tmp_path / "none", verify=0)
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:{pg.port}:lab:reader:{PASSWORD}\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    b = run_screen(ScreenInput.postgres(url, SCHEMA), tmp_path / "b", verify=0)
    pd.testing.assert_frame_equal(a.worklist, b.worklist)


def test_a_missing_schema_or_table_is_named(pg: pg_server.Server, tmp_path: Path) -> None:
    url = pg.url("reader", "lab", PASSWORD)
    with pytest.raises(InputError, match=r"no schema 'cdm' in the database") as exc:
        run_screen(ScreenInput.postgres(url, "cdm"), tmp_path / "o")
    assert SCHEMA in str(exc.value)
    assert PASSWORD not in str(exc.value)
    with pytest.raises(InputError, match=r"no measurement table in schema 'partial'") as exc:
        run_screen(ScreenInput.postgres(url, "partial"), tmp_path / "o")
    assert PASSWORD not in str(exc.value)
    assert not (tmp_path / "o" / "worklist.parquet").exists()
    with pytest.raises(InputError, match=r"measurement cannot be read: .*permission denied"):
        run_screen(ScreenInput.postgres(url, "closed"), tmp_path / "o")


def test_a_server_that_cannot_be_reached(tmp_path: Path) -> None:
    port = pg_server._free_port()  # nothing listens there
    with pytest.raises(InputError, match="cannot connect to the PostgreSQL server") as exc:
        run_screen(
            ScreenInput.postgres(f"postgresql://reader:{PASSWORD}@127.0.0.1:{port}/lab"),
            tmp_path / "o",
        )
    assert PASSWORD not in str(exc.value)
    assert "reader:***@" in str(exc.value)


def test_the_options_go_together(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "o")
    assert main(["screen", "--omop", str(tmp_path), "--cdm-schema", "x", "--out", out]) != 0
    assert "--cdm-schema" in capsys.readouterr().err
    assert main(["screen", "--db", f"mysql://u:{PASSWORD}@h/db", "--out", out]) != 0
    err = capsys.readouterr().err
    assert "not a PostgreSQL URL" in err
    assert PASSWORD not in err


def test_urls_are_masked() -> None:
    assert postgres.mask_url("postgresql://u:p%40ss@h/db") == "postgresql://u:***@h/db"
    assert postgres.mask_url("postgres://h/db?user=u&password=x&sslmode=require") == (
        "postgres://h/db?user=u&password=***&sslmode=require"
    )
    assert postgres.scrub("failed for p@ss", "postgresql://u:p%40ss@h/db") == "failed for ***"
