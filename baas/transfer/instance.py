"""The instance's own tables beside the collections, carried by ``baas export``/``import``.

Application settings (secrets included), API keys (hashes only), second factors
(TOTP secrets, recovery codes, passkeys), webhooks (with their signing secrets) and
push devices: without them a move to production would lose the configuration and lock
users out of their second factor. History (logs, jobs, webhook deliveries, push
outcomes) stays behind.

Rows go through Django's serializers (``python`` form, one JSON line each), sorted by
primary key in Python so both databases write the same bytes; loading saves them
``raw``, upserting by primary key with their own dates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from django.apps import apps
from django.core import serializers
from django.core.management.color import no_style
from django.db import connection
from django.db.models import Model

from baas.transfer.report import Report

SYSTEM_DIR = "system"
MODELS = (
    "baas_settings_api.AppSettings",
    "baas_auth.ApiKey",
    "baas_auth.SecondFactor",
    "baas_webhooks.Webhook",
    "baas_push.Device",
)
JSON_OPTIONS = orjson.OPT_SORT_KEYS


def instance_models() -> list[type[Model]]:
    found = []
    for label in MODELS:
        try:
            found.append(apps.get_model(label))
        except LookupError:  # an app this build does not install
            continue
    return found


def _path(root: Path, model: type[Model]) -> Path:
    return root / SYSTEM_DIR / f"{model._meta.label}.jsonl"


def export_tables(out_dir: Path, report: Report) -> None:
    (out_dir / SYSTEM_DIR).mkdir(parents=True, exist_ok=True)
    for model in instance_models():
        rows: list[dict[str, Any]] = serializers.serialize("python", model._default_manager.all())
        rows.sort(key=lambda row: str(row["pk"]))
        with _path(out_dir, model).open("wb") as handle:
            for row in rows:
                handle.write(orjson.dumps(row, option=JSON_OPTIONS) + b"\n")
        report.progress(f"  {model._meta.db_table}: {len(rows)} rows")


def import_tables(root: Path, report: Report) -> None:
    loaded = []
    for model in instance_models():
        path = _path(root, model)
        if not path.is_file():
            continue
        rows = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
        for item in serializers.deserialize("python", rows):
            item.save()  # raw: an upsert by primary key, dates as given
        loaded.append(model)
        report.progress(f"  {model._meta.db_table}: {len(rows)} rows")
    _reset_sequences(loaded)


def _reset_sequences(models: list[type[Model]]) -> None:
    """Explicit integer ids leave PostgreSQL's sequences behind: the next insert would clash."""
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
