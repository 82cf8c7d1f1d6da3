"""Reading a live instance's database and storage directly (no API in between).

What the crash tests check after a SIGKILL: every row as stored, the physical schema
of every runtime table against its collection, and the files on disk.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baas.collections import naming
from baas.collections.columns import is_join_field
from baas.collections.fields import get_field_type
from baas.collections.fields.multi import as_list
from tests.reliability.live import Instance


@dataclass
class Collection:
    id: str
    name: str
    type: str
    fields: list[dict[str, Any]]

    def file_fields(self) -> list[dict[str, Any]]:
        return [f for f in self.fields if f["type"] == "file"]


class Inspector:
    def __init__(self, live: Instance):
        self.url = live.env.get("DATABASE_URL") or ""
        self.sqlite_path = live.data_dir / "data.db"
        self.storage = live.data_dir / "storage"

    @property
    def vendor(self) -> str:
        return "postgresql" if self.url.startswith(("postgres", "pgsql")) else "sqlite"

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        if self.vendor == "sqlite":
            with closing(
                sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True, timeout=10)
            ) as db:
                yield db.cursor()
        else:
            import psycopg

            with psycopg.connect(self.url, connect_timeout=5) as db, db.cursor() as cursor:
                yield cursor

    def collections(self) -> list[Collection]:
        with self.cursor() as cursor:
            cursor.execute('SELECT "id", "name", "type", "fields" FROM "_collections"')
            rows = cursor.fetchall()
        return [
            Collection(i, n, t, json.loads(f) if isinstance(f, str) else f) for i, n, t, f in rows
        ]

    def collection(self, name: str) -> Collection:
        return next(c for c in self.collections() if c.name == name)

    def records(self, collection: Collection) -> list[dict[str, Any]]:
        """Every row, decoded into wire values by the field types (join fields left out)."""
        fields = [
            f for f in collection.fields if not is_join_field(f) and get_field_type(f["type"])
        ]
        columns = ", ".join(f'"{naming.column_name(f)}"' for f in fields)
        with self.cursor() as cursor:
            cursor.execute(f'SELECT {columns} FROM "{naming.table_name(collection.id)}"')
            raw = cursor.fetchall()
        out = []
        for values in raw:
            row = {}
            for field, value in zip(fields, values, strict=True):
                field_type = get_field_type(field["type"])
                assert field_type is not None
                row[field["name"]] = field_type.from_db(field, value)
            out.append(row)
        return out

    def tables(self) -> set[str]:
        with self.cursor() as cursor:
            if self.vendor == "sqlite":
                cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            else:
                cursor.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                )
            return {row[0] for row in cursor.fetchall()}

    def columns(self, table: str) -> set[str]:
        with self.cursor() as cursor:
            if self.vendor == "sqlite":
                cursor.execute(f'PRAGMA table_info("{table}")')
                return {row[1] for row in cursor.fetchall()}
            cursor.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = %s",
                [table],
            )
            return {row[0] for row in cursor.fetchall()}

    def integrity(self) -> str:
        if self.vendor != "sqlite":
            return "ok"
        with self.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            return str(cursor.fetchone()[0])

    # ---- files ------------------------------------------------------------------------------

    def stored(self, collection: Collection) -> dict[str, set[str]]:
        """record folder -> file names in it (thumb folders left out)."""
        root = self.storage / collection.id
        if not root.is_dir():
            return {}
        return {
            folder.name: {p.name for p in folder.iterdir() if p.is_file()}
            for folder in root.iterdir()
            if folder.is_dir()
        }


def schema_problems(inspector: Inspector) -> list[str]:
    """Every field has its column (or join table); every runtime table has a collection."""
    problems = []
    tables = inspector.tables()
    expected_tables: set[str] = set()
    for collection in inspector.collections():
        if collection.type == "view":
            continue
        table = naming.table_name(collection.id)
        expected_tables.add(table)
        if table not in tables:
            problems.append(f"{collection.name}: no table {table}")
            continue
        columns = inspector.columns(table)
        for field in collection.fields:
            if is_join_field(field):
                join = naming.join_table_name(collection.id, field["id"])
                expected_tables.add(join)
                if join not in tables:
                    problems.append(f"{collection.name}.{field['name']}: no join table")
            elif get_field_type(field["type"]) and naming.column_name(field) not in columns:
                problems.append(
                    f"{collection.name}.{field['name']}: no column {naming.column_name(field)}"
                )
    strays = {t for t in tables if t.startswith(("c_", "r_"))} - expected_tables
    problems += [f"table {t} belongs to no collection" for t in sorted(strays)]
    return problems


def file_problems(inspector: Inspector, collection: Collection) -> tuple[list[str], set[str]]:
    """Referenced files that are missing (problems), and stored files nothing references."""
    problems: list[str] = []
    stored = inspector.stored(collection)
    referenced: set[str] = set()
    for row in inspector.records(collection):
        for field in collection.file_fields():
            for name in as_list(row.get(field["name"])):
                path = f"{row['id']}/{name}"
                referenced.add(path)
                if name not in stored.get(row["id"], set()):
                    problems.append(f"{collection.name} {path}: referenced, not stored")
    on_disk = {f"{folder}/{name}" for folder, names in stored.items() for name in names}
    return problems, on_disk - referenced


def storage_root_entries(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir()) if path.is_dir() else []
