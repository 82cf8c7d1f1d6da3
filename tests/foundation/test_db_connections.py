"""SQLite connections outlive a request (bench/PROFILE.md §1).

Django closes a connection at the end of a request unless ``CONN_MAX_AGE`` says
otherwise; opening a SQLite connection (PRAGMAs, Django's SQL functions) was most of
a cheap request's CPU. The test database is in memory (Django never closes those),
so these tests build a connection from the server's own ``_sqlite()`` settings on a
database file and call what Django's request signals call.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import ConnectionHandler

from baas.backups.database import Sqlite
from baas.settings import _sqlite


@pytest.fixture
def file_connection(tmp_path: Path, django_db_blocker: Any) -> Iterator[BaseDatabaseWrapper]:
    """A connection of the server's kind to a file of its own (not the test database)."""
    handler = ConnectionHandler({"default": _sqlite(str(tmp_path / "data.db"))})
    conn = handler["default"]
    with django_db_blocker.unblock():
        yield conn
        conn.close()


def pragma(conn: BaseDatabaseWrapper, name: str) -> object:
    with conn.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


def test_a_request_keeps_its_connection_and_its_pragmas(
    file_connection: BaseDatabaseWrapper,
) -> None:
    conn = file_connection
    conn.close_if_unusable_or_obsolete()  # request_started
    with conn.cursor() as cursor:
        cursor.execute("CREATE TABLE t (x)")
    first = conn.connection
    conn.close_if_unusable_or_obsolete()  # request_finished
    conn.close_if_unusable_or_obsolete()  # the next request_started
    assert conn.connection is first
    assert pragma(conn, "journal_mode") == "wal"
    assert pragma(conn, "foreign_keys") == 1
    assert pragma(conn, "busy_timeout") == 10000
    assert conn.connection is first


def test_a_connection_left_outside_autocommit_is_replaced(
    file_connection: BaseDatabaseWrapper,
) -> None:
    conn = file_connection
    conn.ensure_connection()
    first = conn.connection
    conn.set_autocommit(False)  # a request that failed half-way through a transaction
    conn.close_if_unusable_or_obsolete()
    assert conn.connection is None
    assert pragma(conn, "foreign_keys") == 1  # a new connection, initialised again
    assert conn.connection is not first
    assert conn.get_autocommit()


def test_a_kept_connection_sees_a_restore_in_place(
    file_connection: BaseDatabaseWrapper, tmp_path: Path
) -> None:
    """The restore copies into the live file (backup API): a kept connection reads the copy."""
    conn = file_connection
    with conn.cursor() as cursor:
        cursor.execute("CREATE TABLE t (x)")
        cursor.execute("INSERT INTO t VALUES (1)")
    first = conn.connection
    copy = tmp_path / "copy.db"
    with sqlite3.connect(copy) as db:
        db.execute("CREATE TABLE t (x)")
        db.execute("INSERT INTO t VALUES (2)")
        db.execute("CREATE TABLE u (y)")
    db.close()
    source = sqlite3.connect(copy)
    live = sqlite3.connect(conn.settings_dict["NAME"])
    Sqlite()._copy(source, live)
    source.close()
    live.close()
    with conn.cursor() as cursor:  # the same, kept connection
        cursor.execute("SELECT x FROM t")
        assert cursor.fetchall() == [(2,)]
        cursor.execute("SELECT count(*) FROM u")
        assert cursor.fetchone() == (0,)
    assert conn.connection is first
