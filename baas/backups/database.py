"""Consistent database snapshots and in-place restores, one class per vendor (STYLE §1).

SQLite: SQLite's online backup API copies the live database in one step, a
consistent snapshot while writers go on (WAL). A restore runs the same API the other
way, into the live file: other connections see the old or the new content, never a
mix, and the destination keeps its WAL mode.

PostgreSQL: ``pg_dump`` in plain SQL, run inside a snapshot that we export from a
REPEATABLE READ transaction, so the dump and the list of referenced files read the
same instant. A restore feeds ``psql --single-transaction`` a prelude that drops every
table, view and sequence of the schema, then the dump: all of it or nothing. We chose
pg_dump over a Python-level dump because it restores everything exactly (indexes,
constraints, view collections, sequences, Django's own tables) with no second copy
of our DDL rules to keep in step.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Protocol

from django.db import connection

from baas.collections import naming
from baas.collections.fields import get_field_type
from baas.collections.fields.multi import as_list

log = logging.getLogger("baas.backups")

DUMP_TIMEOUT = 3600
LOCK_WAIT = 30.0
RESTORE_LOCK_TIMEOUT = "30s"
LIBPQ_KEYWORDS = (
    "dbname",
    "user",
    "host",
    "port",
    "connect_timeout",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "application_name",
    "options",
    "service",
)


class DatabaseBackupError(Exception):
    """The snapshot or the restore failed; the message is for the log."""


class Vendor(Protocol):
    name: str

    def snapshot(self, target: Path) -> set[str]:
        """Write a consistent copy to ``target``; the storage paths its records reference."""
        ...

    def check(self, source: Path) -> None:
        """Raise ``DatabaseBackupError`` if ``source`` cannot be restored here."""
        ...

    def restore(self, source: Path) -> None:
        """Replace the live database's content with ``source``."""
        ...


def lock_wait() -> float:
    """Seconds a SQLite backup or restore waits for a lock (``BAAS_BACKUP_LOCK_WAIT``)."""
    from django.conf import settings

    return float(getattr(settings, "BAAS_BACKUP_LOCK_WAIT", LOCK_WAIT))


def referenced_files(cursor: Any) -> set[str]:
    """``<collectionId>/<recordId>/<name>`` of every file a record references.

    Works on any DB-API cursor over our tables (a live connection or a snapshot), so
    the backup can check it holds every file its database needs.
    """
    cursor.execute('SELECT "id", "type", "fields" FROM "_collections"')
    collections = cursor.fetchall()
    found: set[str] = set()
    file_type = get_field_type("file")
    assert file_type is not None
    for collection_id, kind, fields in collections:
        if kind == "view":
            continue
        if isinstance(fields, str | bytes):
            fields = json.loads(fields)
        file_fields = [f for f in fields if f.get("type") == "file"]
        if not file_fields:
            continue
        columns = ", ".join(f'"{naming.column_name(f)}"' for f in file_fields)
        cursor.execute(f'SELECT "id", {columns} FROM "{naming.table_name(collection_id)}"')
        while rows := cursor.fetchmany(500):
            for record_id, *values in rows:
                for field, raw in zip(file_fields, values, strict=True):
                    for name in as_list(file_type.from_db(field, raw)):
                        found.add(f"{collection_id}/{record_id}/{name}")
    return found


# ---- SQLite ------------------------------------------------------------------------------


class Sqlite:
    """The online backup API over a connection of our own to the database file.

    Not Django's connection: a connection with an open write transaction cannot be a
    backup source (SQLite answers LOCKED for ever), and the restore must not disturb
    the thread's connection state. Python retries a busy step without end; the
    progress callback gives up after ``lock_wait()`` seconds instead.
    """

    name = "sqlite"

    def _open(self) -> sqlite3.Connection:
        name = str(connection.settings_dict["NAME"])
        return sqlite3.connect(name, uri=name.startswith("file:"), timeout=lock_wait())

    def _copy(self, source: sqlite3.Connection, target: sqlite3.Connection) -> None:
        wait = lock_wait()
        deadline = time.monotonic() + wait

        def progress(status: int, remaining: int, total: int) -> None:
            if (
                status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
                and time.monotonic() > deadline
            ):
                raise DatabaseBackupError(f"the database stayed locked for {wait} s")

        source.backup(target, progress=progress, sleep=0.05)

    def snapshot(self, target: Path) -> set[str]:
        with _closing(self._open()) as live, _closing(sqlite3.connect(target)) as copy:
            self._copy(live, copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file in the zip
            return referenced_files(copy.cursor())

    def check(self, source: Path) -> None:
        try:
            with _closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as db:
                if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    raise DatabaseBackupError("data.db fails SQLite's quick_check")
                tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            raise DatabaseBackupError(f"data.db is not a usable SQLite database: {exc}") from None
        missing = {"_collections", "django_migrations"} - tables
        if missing:
            raise DatabaseBackupError(f"data.db has no {', '.join(sorted(missing))} table")

    def restore(self, source: Path) -> None:
        with _closing(self._open()) as live, _closing(sqlite3.connect(source)) as copy:
            page_size = live.execute("PRAGMA page_size").fetchone()[0]
            if copy.execute("PRAGMA page_size").fetchone()[0] != page_size:
                # A WAL database only takes a backup of its own page size.
                copy.execute("PRAGMA journal_mode=DELETE")
                copy.execute(f"PRAGMA page_size={int(page_size)}")
                copy.execute("VACUUM")
            self._copy(copy, live)
        connection.close()  # this thread's next query reads the new content


class _closing:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        return self.db

    def __exit__(self, *exc: object) -> None:
        self.db.close()


# ---- PostgreSQL ------------------------------------------------------------------------

# Drops what the dump will create (and whatever came after the backup), in the same
# transaction as the dump's own statements.
DROP_EVERYTHING = """
SET lock_timeout = '%(lock_timeout)s';
DO $baas$
DECLARE item record;
BEGIN
  FOR item IN
    SELECT c.relname, c.relkind FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('v', 'm')
  LOOP
    EXECUTE format('DROP %%s IF EXISTS %%I CASCADE',
      CASE item.relkind WHEN 'v' THEN 'VIEW' ELSE 'MATERIALIZED VIEW' END, item.relname);
  END LOOP;
  FOR item IN
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  LOOP
    EXECUTE format('DROP TABLE IF EXISTS %%I CASCADE', item.relname);
  END LOOP;
  FOR item IN
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind = 'S'
  LOOP
    EXECUTE format('DROP SEQUENCE IF EXISTS %%I CASCADE', item.relname);
  END LOOP;
END
$baas$;
"""


class Postgres:
    name = "postgresql"

    def _params(self) -> dict[str, Any]:
        params = connection.get_connection_params()
        return {k: params[k] for k in LIBPQ_KEYWORDS if params.get(k) not in (None, "")}

    def _conninfo(self) -> str:
        from psycopg.conninfo import make_conninfo

        return make_conninfo(**self._params())

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        password = connection.get_connection_params().get("password")
        if password:
            env["PGPASSWORD"] = str(password)  # never on the command line (ps shows it)
        return env

    def _tool(self, name: str) -> str:
        found = shutil.which(name)
        if found is None:
            raise DatabaseBackupError(
                f"{name} is not installed: PostgreSQL backups need the PostgreSQL client "
                "tools (Debian: apt-get install postgresql-client)"
            )
        return found

    def snapshot(self, target: Path) -> set[str]:
        """pg_dump inside our exported snapshot, with every table share-locked first.

        pg_dump takes its locks only after it starts: a column dropped between our
        snapshot and its locks makes its COPY fail ("column does not exist"). Holding
        ACCESS SHARE on every table from before the snapshot closes that gap (pg_dump
        would hold the same locks anyway). A table created meanwhile is retried.
        """
        for attempt in range(1, 4):
            try:
                return self._snapshot(target)
            except DatabaseBackupError as exc:
                if attempt == 3 or "does not exist" not in str(exc):
                    raise
                log.info("pg_dump met a concurrent schema change; again: %s", exc)
        raise AssertionError("unreachable")

    def _snapshot(self, target: Path) -> set[str]:
        import psycopg
        from psycopg import sql

        pg_dump = self._tool("pg_dump")
        params = self._params()
        password = connection.get_connection_params().get("password")
        with psycopg.connect(**params, password=password, autocommit=True) as db:
            tables = [
                row[0]
                for row in db.execute(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
                )
            ]
        with psycopg.connect(**params, password=password, autocommit=False) as db:
            db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            db.execute(f"SET LOCAL lock_timeout = '{RESTORE_LOCK_TIMEOUT}'")
            if tables:  # before the first query that takes the transaction's snapshot
                names = sql.SQL(", ").join(sql.Identifier(t) for t in tables)
                db.execute(sql.SQL("LOCK TABLE {} IN ACCESS SHARE MODE").format(names))
            row = db.execute("SELECT pg_export_snapshot()").fetchone()
            assert row is not None
            self._run(
                [
                    pg_dump,
                    f"--dbname={self._conninfo()}",
                    f"--snapshot={row[0]}",
                    "--format=plain",
                    "--no-owner",
                    "--no-privileges",
                    f"--file={target}",
                ]
            )
            referenced = referenced_files(db.cursor())
            db.rollback()
        return referenced

    def check(self, source: Path) -> None:
        with open(source, "rb") as dump:
            head = dump.read(4096)
        if b"PostgreSQL database dump" not in head:
            raise DatabaseBackupError("database.sql is not a pg_dump plain-text dump")

    def restore(self, source: Path) -> None:
        psql = self._tool("psql")
        with tempfile.NamedTemporaryFile("w", suffix=".sql", dir=source.parent) as prelude:
            prelude.write(DROP_EVERYTHING % {"lock_timeout": RESTORE_LOCK_TIMEOUT})
            prelude.flush()
            self._run(
                [
                    psql,
                    "--no-psqlrc",
                    "--quiet",
                    "--single-transaction",
                    "--set=ON_ERROR_STOP=1",
                    f"--dbname={self._conninfo()}",
                    f"--file={prelude.name}",
                    f"--file={source}",
                ]
            )
        connection.close()

    def _run(self, args: list[str]) -> None:
        try:
            done = subprocess.run(
                args,
                env=self._env(),
                capture_output=True,
                text=True,
                timeout=DUMP_TIMEOUT,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise DatabaseBackupError(f"{Path(args[0]).name} timed out") from None
        if done.returncode != 0:
            raise DatabaseBackupError(
                f"{Path(args[0]).name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}"
            )


VENDORS: dict[str, type[Sqlite] | type[Postgres]] = {"sqlite": Sqlite, "postgresql": Postgres}


def current_vendor() -> Sqlite | Postgres:
    vendor = VENDORS.get(connection.vendor)
    if vendor is None:  # pragma: no cover - settings only configure these two
        raise DatabaseBackupError(f"backups do not support the {connection.vendor} database")
    return vendor()
