"""A throwaway PostgreSQL server for the tests: initdb into a fresh folder, started on a free
port of the loopback address and a Unix socket in that folder, stopped and deleted at the end.

initdb refuses to run as root, so when the tests run as root the server runs as an
unprivileged user (``postgres`` if the system has one, else ``nobody``). The superuser
connects through the socket without a password (``trust`` on the socket only); TCP
connections need the password of a login role (``scram-sha-256``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def bindir() -> Path | None:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl), or None."""
    candidates: list[str] = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    if shutil.which("initdb"):
        candidates.append(str(Path(os.path.realpath(shutil.which("initdb") or "")).parent))
    for c in candidates:
        if c and (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    folder: Path
    port: int
    superuser: str

    @property
    def socket_dir(self) -> str:
        return str(self.folder)

    def connect(self, dbname: str = "postgres") -> Any:
        """A superuser connection through the socket (autocommit)."""
        import psycopg

        return psycopg.connect(
            host=self.socket_dir,
            port=self.port,
            user=self.superuser,
            dbname=dbname,
            autocommit=True,
        )

    def url(self, user: str, dbname: str, password: str | None = None) -> str:
        auth = f"{user}:{password}" if password is not None else user
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{dbname}"


def _as_user(user: str | None) -> dict[str, Any]:
    if user is None:
        return {}
    pw = pwd.getpwnam(user)
    home = {"HOME": tempfile.gettempdir()}
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": [], "env": os.environ | home}


@contextmanager
def server() -> Iterator[Server]:
    """A running server for the duration of the ``with`` block."""
    bins = bindir()
    if bins is None:
        raise RuntimeError("no PostgreSQL server programs (initdb, pg_ctl)")
    run_as: str | None = None
    if os.geteuid() == 0:
        run_as = next(
            (u for u in ("postgres", "nobody") if _has_user(u)), None
        )  # initdb refuses root
        if run_as is None:
            raise RuntimeError("running as root and no unprivileged user to run PostgreSQL")
    # a folder of its own directly under the temp dir: the server's user must reach it
    folder = Path(tempfile.mkdtemp(prefix="lowalp-pg-"))
    data = folder / "data"
    owner = run_as or pwd.getpwuid(os.geteuid()).pw_name
    if run_as is not None:
        pw = pwd.getpwnam(run_as)
        os.chown(folder, pw.pw_uid, pw.pw_gid)
    port = _free_port()
    kw = _as_user(run_as)
    started = False
    try:
        subprocess.run(
            [str(bins / "initdb"), "-D", str(data), "-U", owner, "--auth-local=trust",
             "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C"],
            check=True, capture_output=True, **kw,
        )  # fmt: skip
        opts = (
            f"-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={folder} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        subprocess.run(
            [str(bins / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(folder / "log"),
             "-w", "-t", "60", "start"],
            check=True, capture_output=True, **kw,
        )  # fmt: skip
        started = True
        yield Server(folder, port, owner)
    finally:
        if started:
            subprocess.run(
                [str(bins / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                capture_output=True, **kw,
            )  # fmt: skip
        for _ in range(3):
            shutil.rmtree(folder, ignore_errors=True)
            if not folder.exists():
                break
            time.sleep(0.2)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


_PG_TYPES = {
    "int64": "bigint",
    "int32": "integer",
    "double": "double precision",
    "float": "real",
    "string": "text",
    "large_string": "text",
    "date32[day]": "date",
    "bool": "boolean",
}


def load_parquet(con: Any, schema: str, table: str, path: Path) -> int:
    """A Parquet file copied into ``schema.table`` (created) in file order; its row count."""
    import io

    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq
    from psycopg import sql

    t = pq.read_table(path)
    cols = []
    for f in t.schema:
        typ = str(f.type)
        pg = "timestamp" if typ.startswith("timestamp") else _PG_TYPES[typ]
        cols.append(sql.SQL("{} {}").format(sql.Identifier(f.name), sql.SQL(pg)))
    name = sql.Identifier(schema, table)
    con.execute(sql.SQL("CREATE TABLE {} ({})").format(name, sql.SQL(", ").join(cols)))
    buf = io.BytesIO()
    pcsv.write_csv(t, buf, pcsv.WriteOptions(include_header=False, quoting_style="needed"))
    copy = sql.SQL("COPY {} FROM STDIN (FORMAT csv)").format(name)
    with con.cursor() as cur, cur.copy(copy) as c:
        c.write(buf.getvalue())
    return int(t.num_rows)
