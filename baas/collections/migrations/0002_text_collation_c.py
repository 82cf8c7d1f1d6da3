"""Text columns of existing runtime tables become ``COLLATE "C"`` (PostgreSQL only).

New tables get it from ``dynamic.text_collation()``; this brings tables made before
that change in line, so their indexes serve the compiler's ``COLLATE "C"`` sorts
(bench/PROFILE.md §2). ``ALTER COLUMN … TYPE`` rebuilds the column's indexes. A
column it cannot change (one a view collection's query depends on) keeps its
collation: results are the same, only that index can't serve a sort.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, migrations, transaction

log = logging.getLogger("baas.schema")

COLUMNS = """
SELECT c.table_name, c.column_name, c.data_type, c.character_maximum_length
FROM information_schema.columns c
JOIN information_schema.tables t
  ON t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
  AND (c.table_name LIKE %s OR c.table_name LIKE %s)
  AND c.data_type IN ('text', 'character varying')
  AND c.collation_name IS DISTINCT FROM 'C'
ORDER BY c.table_name, c.column_name
"""


def collate_text_columns(connection: Any) -> list[str]:
    """ALTER every runtime text column to ``COLLATE "C"``; the ``table.column`` names done."""
    if connection.vendor != "postgresql":
        return []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(COLUMNS, ["c\\_%", "r\\_%"])
        rows = cursor.fetchall()
    done = []
    for table, column, data_type, length in rows:
        type_sql = "text" if data_type == "text" else f"varchar({int(length)})"
        try:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.execute(
                    f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)}"
                    f' TYPE {type_sql} COLLATE "C"'
                )
        except DatabaseError as exc:
            log.warning("%s.%s keeps its collation: %s", table, column, exc)
            continue
        done.append(f"{table}.{column}")
    return done


def forwards(apps: Any, schema_editor: Any) -> None:
    collate_text_columns(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("baas_collections", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
