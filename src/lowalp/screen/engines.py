"""The query engines the screen runs on: DuckDB (embedded, the default) and Apache Spark.

Both are reached through Ibis, so the screen is one expression tree compiled for either
backend. Only the readers differ: each input row gets ``source_row``, its 0-based position in
the file (DuckDB ``file_row_number``, Spark ``_metadata.row_index``), so rejects point back at
the input and ties are broken the same way on both engines.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

from lowalp.errors import InputError, Problem

ENGINES = ("duckdb", "spark")
SCREEN_EXTRA = "pip install 'lowalp[screen]'"
SPARK_EXTRA = "pip install 'lowalp[spark]' (and Java 17)"


def _missing(what: str, hint: str) -> InputError:
    return InputError([Problem("--engine", f"{what} is not installed", hint=hint)])


def connect(
    engine: str = "duckdb",
    spark_master: str | None = None,
    *,
    memory_limit: str | None = None,
    temp_directory: str | Path | None = None,
    threads: int | None = None,
    database: str | Path | None = None,
    work_database: str | Path | None = None,
) -> Any:
    """An Ibis backend: DuckDB in memory by default, or a local/remote Spark session.

    DuckDB gets a memory limit (default: half the machine's memory, at most 8 GB) and a temp
    directory to spill to, so a 100M-row screen stays bounded; it never installs an extension.
    ``work_database``: a file for the working tables (created, and deleted with the work
    folder), so that tables larger than the memory limit stay on disk. An input ``database``
    is opened read-only with external access (files, network) and
    extension autoloading off.
    """
    if engine not in ENGINES:
        raise InputError(
            [Problem("--engine", f"unknown engine {engine!r}", hint="duckdb or spark")]
        )
    try:
        import ibis  # type: ignore[import-untyped,unused-ignore]
    except ModuleNotFoundError:
        raise _missing("the screen extra (ibis, duckdb)", SCREEN_EXTRA) from None
    if engine == "duckdb":
        if memory_limit is not None and not _MEMORY.fullmatch(memory_limit.strip()):
            raise InputError(
                [
                    Problem(
                        "--memory-limit",
                        f"not a memory size: {memory_limit!r}",
                        hint="a number and a unit, e.g. 1GB or 512MB",
                    )
                ]
            )
        limit = memory_limit or _default_memory_limit()
        tmp = Path(temp_directory or tempfile.gettempdir()) / "lowalp-duckdb-spill"
        tmp.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {"memory_limit": limit, "temp_directory": str(tmp)}
        if threads:
            kwargs["threads"] = threads
        kwargs["autoinstall_known_extensions"] = False  # nothing is fetched from the network
        # the screen orders what it writes itself (by input row, person, priority), so DuckDB
        # need not keep rows in insertion order: large aggregates and inserts can then spill
        kwargs["preserve_insertion_order"] = False
        if database is not None:
            # the input database's own code (views, macros) cannot reach a file, the network
            # or an extension: the screen reads its tables and writes outputs from Python
            # (given before temp_directory, which duckdb would otherwise refuse to set)
            locked = {"enable_external_access": False, "autoload_known_extensions": False}
            return ibis.duckdb.connect(str(database), read_only=True, **(locked | kwargs))
        if work_database is not None:
            # the screen's own working tables in a file of the run's work folder: DuckDB's
            # buffer manager keeps them on disk beyond the memory limit
            return ibis.duckdb.connect(str(work_database), **kwargs)
        return ibis.duckdb.connect(**kwargs)
    return ibis.pyspark.connect(session=spark_session(spark_master))


_MEMORY = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


def _default_memory_limit() -> str:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "4GB"
    gb = max(1, min(8, int(total / 2**30 / 2)))
    return f"{gb}GB"


LOOPBACK = "127.0.0.1"
_LOCAL_MASTER = re.compile(r"local(\[(\*|\d+)(,\d+)?\])?")  # local, local[*], local[4], local[4,2]


def is_local_master(master: str | None) -> bool:
    """True for Spark's in-process masters: ``local``, ``local[*]``, ``local[N]``, ``local[N,F]``
    and no master at all (the default, ``local[*]``).

    >>> [is_local_master(m) for m in (None, "local", "local[*]", "local[4]", "spark://h:7077")]
    [True, True, True, True, False]
    """
    return not master or _LOCAL_MASTER.fullmatch(master) is not None


def spark_config(master: str | None = None) -> dict[str, str]:
    """The session settings for ``master`` (default ``local[*]``): UTC, modest memory, no UI.

    A local master binds the driver to the loopback address; a remote master (``spark://``,
    ``yarn``, ``k8s://``) keeps Spark's own driver address, which the cluster can reach.
    """
    config = {
        "spark.master": master or "local[*]",
        "spark.app.name": "lowalp-screen",
        "spark.sql.session.timeZone": "UTC",
    }
    if is_local_master(master):
        config["spark.driver.host"] = LOOPBACK
        config["spark.driver.bindAddress"] = LOOPBACK
    config |= {
        "spark.driver.memory": "3g",
        "spark.sql.shuffle.partitions": "8",
        "spark.ui.enabled": "false",
        "spark.sql.ansi.enabled": "false",
    }
    return config


def spark_session(master: str | None = None) -> Any:
    """A Spark session: local[*] by default, UTC, modest memory, quiet logs (see
    :func:`spark_config`); a local session listens on the loopback address only."""
    try:
        from pyspark.sql import SparkSession
    except ModuleNotFoundError:
        raise _missing("pyspark", SPARK_EXTRA) from None
    if is_local_master(master):
        os.environ.setdefault("SPARK_LOCAL_IP", LOOPBACK)
    if "JAVA_HOME" not in os.environ:
        for candidate in ("/usr/lib/jvm/java-17-openjdk-amd64", "/usr/lib/jvm/java-17-openjdk"):
            if Path(candidate).is_dir():
                os.environ["JAVA_HOME"] = candidate
                break
    builder = SparkSession.builder
    for key, value in spark_config(master).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def is_spark(con: Any) -> bool:
    return str(getattr(con, "name", "")) == "pyspark"


def read_parquet(con: Any, path: str | Path, name: str) -> Any:
    """A Parquet file as an Ibis table with ``file_row_number`` (0-based row position)."""
    path = str(path)
    if is_spark(con):
        from pyspark.sql import functions as F

        df = con._session.read.parquet(path)
        df = df.select("*", F.col("_metadata.row_index").alias("file_row_number"))
        df.createOrReplaceTempView(name)
        return con.table(name)
    return con.read_parquet(path, table_name=name, file_row_number=True)


def read_parquet_plain(con: Any, path: str | Path, name: str) -> Any:
    if is_spark(con):
        df = con._session.read.parquet(str(path))
        df.createOrReplaceTempView(name)
        return con.table(name)
    return con.read_parquet(str(path), table_name=name)


def csv_to_parquet(path: str | Path, dest: Path, *, all_text: bool = False) -> Path:
    """Copy a CSV file to Parquet in file order (DuckDB streams it: memory stays bounded).

    ``all_text``: every column as text (the reader then parses each cell, so one text cell in
    a numeric column rejects its row instead of stopping the copy). Paths are passed as
    values, never written into SQL."""
    import duckdb  # type: ignore[import-untyped,unused-ignore]

    con = duckdb.connect(config={"autoinstall_known_extensions": False})
    try:
        con.execute("SET preserve_insertion_order = true")
        rel = con.read_csv(str(path), header=True, sample_size=20480, all_varchar=all_text)
        rel.write_parquet(str(dest))
    except duckdb.Error as exc:
        raise InputError(
            [Problem(str(path), f"not readable as CSV: {str(exc).splitlines()[0]}")]
        ) from None
    finally:
        con.close()
    return dest
