"""Schema-editor plumbing shared by every runtime DDL change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

LOCK_TIMEOUT = "5s"


def _sqlite_editor_class() -> type[BaseDatabaseSchemaEditor]:
    base = connection.SchemaEditorClass

    class InTransactionSqliteEditor(base):  # type: ignore[misc, valid-type]
        """Django's SQLite editor refuses to run inside ``atomic()`` because it wants to
        switch foreign-key enforcement off, which SQLite cannot do mid-transaction.
        Runtime tables declare no foreign keys on SQLite (see ``dynamic.db_constraints``),
        so that switch has nothing to protect and the change can stay atomic."""

        def __enter__(self):  # type: ignore[no-untyped-def]
            return BaseDatabaseSchemaEditor.__enter__(self)

        def __exit__(self, exc_type, exc_value, traceback):  # type: ignore[no-untyped-def]
            BaseDatabaseSchemaEditor.__exit__(self, exc_type, exc_value, traceback)

    return InTransactionSqliteEditor


def _postgresql_editor_class() -> type[BaseDatabaseSchemaEditor]:
    from baas.collections.fields.autodate import AutodateColumn

    base = connection.SchemaEditorClass

    class PostgresEditor(base):  # type: ignore[misc, valid-type]
        """An autodate column's default index is ``(column NULLS FIRST)``: the compiler
        sorts ``ASC NULLS FIRST`` / ``DESC NULLS LAST`` (SQLite's order), which a plain
        ``(column)`` index serves in neither direction on PostgreSQL. No
        ``text_pattern_ops`` twin: nothing runs ``LIKE`` on it."""

        def _field_indexes_sql(self, model, field):  # type: ignore[no-untyped-def]
            if isinstance(field, AutodateColumn) and field.db_index:
                return [self._create_index_sql(model, fields=[field], col_suffixes=["NULLS FIRST"])]
            return super()._field_indexes_sql(model, field)

    return PostgresEditor


@contextmanager
def schema_editor() -> Iterator[BaseDatabaseSchemaEditor]:
    """A schema editor for use inside the caller's ``transaction.atomic()``."""
    if connection.vendor == "sqlite":
        editor = _sqlite_editor_class()(connection, atomic=False)
    else:
        with connection.cursor() as cursor:
            # DDL waits at most this long for locks held by running queries, so a
            # schema change can never queue every reader behind it for long.
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            # Deferred foreign-key checks queued earlier in this transaction would
            # make ALTER TABLE fail ("pending trigger events"): run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        editor = _postgresql_editor_class()(connection, atomic=False)
    with editor:
        yield editor


def quote(name: str) -> str:
    return connection.ops.quote_name(name)
