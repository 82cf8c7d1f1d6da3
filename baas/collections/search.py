"""Full-text search: the ``searchable`` option of text and editor fields (docs/search.md).

Storage, kept by ``SchemaService`` through ``sync_storage`` / ``drop_storage``:

- PostgreSQL: one GIN expression index per collection over
  ``to_tsvector('simple', <searchable columns>)`` (editor HTML has its tags stripped).
  The search condition repeats that expression, so the planner uses the index; the
  rank is ``ts_rank`` of the same vector.
- SQLite: an FTS5 table ``s_<collectionId>_<signature>`` holding a copy of the
  searchable columns, kept in sync by triggers on the records table. Its rowids come
  from a map table (``…_ids``: rowid INTEGER PRIMARY KEY, record id) rather than from
  the records table: those tables have no INTEGER PRIMARY KEY, so their implicit
  rowids are renumbered by Django's table remake (every SQLite schema change) and may
  be by ``VACUUM`` (a restore), which would silently detach an external-content
  index. Rank: FTS5's ``bm25``.

The physical names carry a signature of the searchable columns and their types, so a
schema change that leaves them as they were costs nothing, and any other change (or
a remake of the records table that dropped the triggers) rebuilds the index.

Search text is never handed to a query parser: it is split into words here
(letters and digits), and each word becomes a quoted FTS5 term / a ``tsquery`` lexeme.
Every word must match; a word ending in ``*`` matches as a prefix.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from django.db import connection

from baas.api.errors import BadRequest, field_error
from baas.collections import naming
from baas.collections.ddl import quote

OPTION = "searchable"
SEARCHABLE_TYPES = ("text", "editor")
MAX_SEARCH_LENGTH = 500
MAX_WORDS = 32
CONFIG = "simple"  # the same word splitting and no stemming on both databases
# Python's \w minus "_": SQLite's unicode61 and PostgreSQL's parser both split on "_".
_WORD = re.compile(r"([^\W_]+)(\*?)")
_TAG = "<[^>]*>"
_OWN_SUFFIX = re.compile(r"[0-9a-f]{10}(_ids|_ai|_ad|_au)?")


# ---- the field option ----------------------------------------------------------------


def normalize_option(submitted: dict[str, Any], out: dict[str, Any]) -> None:
    """Shown on the wire only when set (the peer has no such key)."""
    value = submitted.get(OPTION)
    if value is not None and value is not False:
        out[OPTION] = value


def option_errors(field: dict[str, Any]) -> dict[str, Any]:
    value = field.get(OPTION)
    if value is None:
        return {}
    if value is not True:
        return {OPTION: field_error("validation_invalid_value", "Must be a boolean.")}
    if field.get("primaryKey"):
        return {
            OPTION: field_error("validation_invalid_value", "The id field cannot be searchable.")
        }
    return {}


def searchable_fields(collection: Any) -> list[dict[str, Any]]:
    """A hidden field is never searched: a search for a word only it holds would tell a
    caller, by the records it finds, a value the caller may not read."""
    if collection.is_view:
        return []
    return [
        f
        for f in collection.fields
        if f["type"] in SEARCHABLE_TYPES
        and f.get(OPTION) is True
        and not f.get("primaryKey")
        and not f.get("hidden")
    ]


# ---- physical names ----------------------------------------------------------------------


def _signature(fields: list[dict[str, Any]]) -> str:
    text = ";".join(f"{naming.column_name(f)}:{f['type']}" for f in fields)
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def _prefix(collection: Any) -> str:
    """``s_<collectionId>_``: every search object of the collection starts with it
    (a long id is hashed, so that names stay within PostgreSQL's 63 characters)."""
    cid = collection.id
    if len(cid) > 40:
        cid = hashlib.sha1(cid.encode()).hexdigest()[:16]
    return f"s_{cid}_"


@dataclass(frozen=True)
class Names:
    index: str  # PostgreSQL index / SQLite FTS5 table
    ids: str  # SQLite map table: FTS rowid -> record id

    def trigger(self, event: str) -> str:
        return f"{self.index}_{event}"


def names(collection: Any, fields: list[dict[str, Any]]) -> Names:
    base = _prefix(collection) + _signature(fields)
    return Names(index=base, ids=base + "_ids")


# ---- storage, called by SchemaService inside its transaction ----------------------------


def sync_storage(collection: Any) -> None:
    """Make the search storage match the collection's searchable fields."""
    fields = searchable_fields(collection)
    wanted = names(collection, fields) if fields else None
    if wanted is not None and _complete(collection, wanted):
        return
    drop_storage(collection)
    if wanted is None:
        return
    if connection.vendor == "postgresql":
        _create_postgres(collection, fields, wanted)
    else:
        _create_sqlite(collection, fields, wanted)


def prepare_change(current: Any, changed: Any) -> None:
    """Before a schema change's DDL: if the searchable columns change, the old storage
    goes first (SQLite refuses to drop a column that a trigger reads)."""
    before, after = searchable_fields(current), searchable_fields(changed)
    if before and _signature(before) != _signature(after):
        drop_storage(current)


def _is_mine(collection: Any, name: str) -> bool:
    """One of this collection's search objects (not a collection whose id extends this one)."""
    prefix = _prefix(collection)
    return name.startswith(prefix) and bool(_OWN_SUFFIX.fullmatch(name[len(prefix) :]))


def drop_storage(collection: Any) -> None:
    """Remove every search object of the collection (any signature)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
                " AND tablename = %s",
                [naming.table_name(collection.id)],
            )
            for (name,) in cursor.fetchall():
                if _is_mine(collection, name):
                    cursor.execute(f"DROP INDEX IF EXISTS {quote(name)}")
            return
        cursor.execute("SELECT type, name, sql FROM sqlite_master")
        found = [(kind, name, sql or "") for kind, name, sql in cursor.fetchall()]
        for kind, name, sql in found:
            if not _is_mine(collection, name):
                continue
            if kind == "trigger":
                cursor.execute(f"DROP TRIGGER IF EXISTS {quote(name)}")
            elif kind == "table" and (
                name.endswith("_ids") or sql.upper().startswith("CREATE VIRTUAL TABLE")
            ):
                cursor.execute(f"DROP TABLE IF EXISTS {quote(name)}")  # with FTS5's shadow tables


def _complete(collection: Any, wanted: Names) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = %s",
                [wanted.index],
            )
            return cursor.fetchone() is not None
        expected = {wanted.index, wanted.ids, *(wanted.trigger(e) for e in ("ai", "ad", "au"))}
        marks = ", ".join(["%s"] * len(expected))
        cursor.execute(f"SELECT name FROM sqlite_master WHERE name IN ({marks})", list(expected))
        return {r[0] for r in cursor.fetchall()} == expected


def _pg_document(fields: list[dict[str, Any]], alias: str | None) -> str:
    parts = []
    for field in fields:
        column = quote(naming.column_name(field))
        if alias:
            column = f"{quote(alias)}.{column}"
        if field["type"] == "editor":
            column = f"regexp_replace({column}, '{_TAG}', ' ', 'g')"
        parts.append(f"coalesce({column}, '')")
    joined = " || ' ' || ".join(parts)
    return f"to_tsvector('{CONFIG}'::regconfig, {joined})"


def _create_postgres(collection: Any, fields: list[dict[str, Any]], wanted: Names) -> None:
    table = quote(naming.table_name(collection.id))
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE INDEX {quote(wanted.index)} ON {table} USING GIN ({_pg_document(fields, None)})"
        )


def _create_sqlite(collection: Any, fields: list[dict[str, Any]], wanted: Names) -> None:
    table = quote(naming.table_name(collection.id))
    fts, ids = quote(wanted.index), quote(wanted.ids)
    columns = [quote(naming.column_name(f)) for f in fields]
    listed = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    rowid_of = f"(SELECT rowid FROM {ids} WHERE id = %s.{quote('id')})"
    statements = [
        f"CREATE TABLE {ids} (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE)",
        f"CREATE VIRTUAL TABLE {fts} USING fts5({listed}, tokenize = 'unicode61 remove_diacritics 0')",
        f"INSERT INTO {ids} (id) SELECT id FROM {table}",
        f"INSERT INTO {fts} (rowid, {listed}) SELECT m.rowid, {', '.join('t.' + c for c in columns)}"
        f" FROM {ids} AS m JOIN {table} AS t ON t.id = m.id",
        # OR IGNORE and the DELETE: a map row left behind (e.g. by a REPLACE, which
        # fires no delete trigger) is reused rather than failing the insert.
        f"CREATE TRIGGER {quote(wanted.trigger('ai'))} AFTER INSERT ON {table} BEGIN"
        f" INSERT OR IGNORE INTO {ids} (id) VALUES (new.id);"
        f" DELETE FROM {fts} WHERE rowid = {rowid_of % 'new'};"
        f" INSERT INTO {fts} (rowid, {listed}) VALUES ({rowid_of % 'new'}, {new}); END",
        f"CREATE TRIGGER {quote(wanted.trigger('ad'))} AFTER DELETE ON {table} BEGIN"
        f" DELETE FROM {fts} WHERE rowid = {rowid_of % 'old'};"
        f" DELETE FROM {ids} WHERE id = old.id; END",
        f"CREATE TRIGGER {quote(wanted.trigger('au'))} AFTER UPDATE OF id, {listed} ON {table} BEGIN"
        f" DELETE FROM {fts} WHERE rowid = {rowid_of % 'old'};"
        f" UPDATE {ids} SET id = new.id WHERE id = old.id;"
        f" INSERT INTO {fts} (rowid, {listed}) VALUES ({rowid_of % 'new'}, {new}); END",
    ]
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


# ---- the search condition ----------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    where: str
    params: list[Any]
    rank: str  # an ORDER BY term, best match first
    rank_params: list[Any]


def parse_words(text: str) -> list[tuple[str, bool]]:
    """``[(word, prefix)]``; anything but letters, digits and a trailing ``*`` is a separator."""
    if len(text) > MAX_SEARCH_LENGTH:
        raise BadRequest(f"The search text must be at most {MAX_SEARCH_LENGTH} characters.")
    words = [(m.group(1).lower(), bool(m.group(2))) for m in _WORD.finditer(text)]
    if not words:
        raise BadRequest("The search text has no words to look for.")
    if len(words) > MAX_WORDS:
        raise BadRequest(f"The search text may have at most {MAX_WORDS} words.")
    return words


def compile_search(collection: Any, text: str) -> Search:
    """The condition and rank for ``?search=`` (400 when the collection has nothing to search)."""
    fields = searchable_fields(collection)
    if not fields:
        raise BadRequest("The collection has no searchable fields.")
    words = parse_words(text)
    found = names(collection, fields)
    if connection.vendor == "postgresql":
        query = " & ".join(f"'{w}'" + (":*" if prefix else "") for w, prefix in words)
        document = _pg_document(fields, "t")
        tsquery = f"to_tsquery('{CONFIG}'::regconfig, %s)"
        return Search(
            f"{document} @@ {tsquery}", [query], f"ts_rank({document}, {tsquery}) DESC", [query]
        )
    match = " ".join(f'"{w}"' + ("*" if prefix else "") for w, prefix in words)
    fts, ids = quote(found.index), quote(found.ids)
    where = (
        f"{quote('t')}.{quote('id')} IN (SELECT m.id FROM {ids} AS m"
        f" JOIN {fts} ON {fts}.rowid = m.rowid WHERE {fts} MATCH %s)"
    )
    rank = (
        f"(SELECT bm25({fts}) FROM {fts} WHERE {fts} MATCH %s AND {fts}.rowid ="
        f" (SELECT rowid FROM {ids} WHERE id = {quote('t')}.{quote('id')}))"
    )
    return Search(where, [match], rank, [match])
