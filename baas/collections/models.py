"""The system table that holds every collection's schema (DESIGN §4).

Records themselves live in runtime tables built by ``SchemaService``; see
``naming`` for their physical names and ``dynamic`` for their model classes.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import models
from django.db.models.base import ModelState
from django.db.models.functions import Lower

BASE, AUTH, VIEW = "base", "auth", "view"
TYPES = (BASE, AUTH, VIEW)
RULE_NAMES = ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")
AUTH_RULE_NAMES = ("authRule", "manageRule")

USERS_ID = "_pb_users_auth_"
SUPERUSERS_ID = "pbc_3142635823"
SUPERUSERS = "_superusers"


class Collection(models.Model):
    id = models.CharField(primary_key=True, max_length=100)
    name = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=10, default=BASE)
    system = models.BooleanField(default=False)
    fields = models.JSONField(default=list)
    indexes = models.JSONField(default=list)
    # The API rules, keyed by their wire names (listRule ... deleteRule, and for
    # auth collections authRule and manageRule). A missing key or None = superusers only.
    rules = models.JSONField(default=dict)
    # Type-specific options as on the wire: auth options (passwordAuth, otp, ...), viewQuery.
    options = models.JSONField(default=dict)
    schema_version = models.PositiveBigIntegerField(default=1)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "_collections"
        constraints = [models.UniqueConstraint(Lower("name"), name="collection_name_ci_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_auth(self) -> bool:
        return self.type == AUTH

    @property
    def is_view(self) -> bool:
        return self.type == VIEW

    @property
    def is_superusers(self) -> bool:
        return self.id == SUPERUSERS_ID

    def rule(self, name: str) -> str | None:
        return self.rules.get(name)

    def field(self, name: str) -> dict[str, Any] | None:
        for field in self.fields:
            if field["name"] == name:
                return field
        return None

    def field_by_id(self, field_id: str) -> dict[str, Any] | None:
        for field in self.fields:
            if field["id"] == field_id:
                return field
        return None


# ---- per-process lookup cache (bench/PROFILE.md §4) ------------------------------------
#
# Every records, files and token-authenticated request looked its collection up through
# the ORM (twice when signed in). The cache keeps every collection of the database,
# checked on each lookup against a *token* of the ``_collections`` table read with one
# plain query: the row count, the sum of ``schema_version`` (bumped by every schema and
# rule change) and the newest ``updated`` (set by every save). A change committed by any
# process, on any server, changes the token, so the next lookup in every process reloads
# (a restore from a backup as well). Inside a transaction of our own (a schema change
# in progress) lookups go to the database, so nothing uncommitted is ever cached.
# Lookups return a copy of their own: callers may assign to it freely.

_TOKEN_SQL = (
    'SELECT COUNT(*), COALESCE(SUM("schema_version"), 0), MAX("updated") FROM "_collections"'
)


_JSON_ATTRS = ("fields", "indexes", "rules", "options")


class _Snapshot:
    __slots__ = ("by_id", "by_name", "token")

    def __init__(self, token: tuple[Any, ...], rows: list[Collection]):
        import orjson

        self.token = token
        # Each collection with its JSON attributes serialised once: a lookup's private
        # copy is one ``orjson.loads`` of these bytes.
        entries = [(c, orjson.dumps([getattr(c, attr) for attr in _JSON_ATTRS])) for c in rows]
        self.by_id = {c.id: (c, blob) for c, blob in entries}
        self.by_name = {c.name.lower(): (c, blob) for c, blob in entries}


_snapshot: _Snapshot | None = None


def _connection() -> Any:
    """This thread's default connection, taken once per lookup (each ``connection.x``
    goes through Django's connection proxy and a thread-local)."""
    from django.db import DEFAULT_DB_ALIAS, connections

    return connections[DEFAULT_DB_ALIAS]


def _in_own_transaction(connection: Any = None) -> bool:
    if connection is None:
        connection = _connection()
    # TestCase's own atomic blocks (the test's outer transaction) do not count.
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _copy(entry: tuple[Collection, bytes]) -> Collection:
    import orjson

    found, blob = entry
    copy = Collection.__new__(Collection)
    attrs = copy.__dict__
    attrs.update(found.__dict__)
    state = copy._state = ModelState()
    state.adding = False
    state.db = found._state.db
    attrs["fields"], attrs["indexes"], attrs["rules"], attrs["options"] = orjson.loads(blob)
    return copy


# A read-only request (GET/HEAD: nothing in it changes a schema) checks the token once:
# its later lookups (the signed-in record's collection, then the one it reads) use the
# snapshot its first lookup checked. ``AuthMiddleware`` opens and closes that window; a
# collection saved or deleted in this thread meanwhile (a hook, say) closes it early.
_request = threading.local()


def read_only_request(active: bool) -> None:
    _request.active = active
    _request.checked = None


def _schema_saved(**kwargs: Any) -> None:
    _request.checked = None


def _current(connection: Any = None) -> _Snapshot:
    global _snapshot
    reuse = getattr(_request, "active", False)
    if reuse and _request.checked is not None:
        return _request.checked  # type: ignore[no-any-return]
    if connection is None:
        connection = _connection()
    with connection.cursor() as cursor:
        cursor.execute(_TOKEN_SQL)
        row = cursor.fetchone()
    token = tuple(row)
    snapshot = _snapshot
    if snapshot is None or snapshot.token != token:
        snapshot = _Snapshot(token, list(Collection.objects.all()))
        _snapshot = snapshot
    if reuse:
        _request.checked = snapshot
    return snapshot


def lookup(id_or_name: str) -> Collection | None:
    """The collection with this id, else this name (any case), or None."""
    connection = _connection()
    if _in_own_transaction(connection):
        from django.db.models import Q

        return Collection.objects.filter(Q(id=id_or_name) | Q(name__iexact=id_or_name)).first()
    snapshot = _current(connection)
    found = snapshot.by_id.get(id_or_name) or snapshot.by_name.get(id_or_name.lower())
    return _copy(found) if found is not None else None


def lookup_id(collection_id: str) -> Collection | None:
    """The collection with exactly this id, or None."""
    connection = _connection()
    if _in_own_transaction(connection):
        return Collection.objects.filter(id=collection_id).first()
    found = _current(connection).by_id.get(collection_id)
    return _copy(found) if found is not None else None


def current_token(collection: Collection) -> tuple[Any, ...] | None:
    """The token of the snapshot ``collection`` was copied from, while this copy is
    unchanged and no transaction of our own is open; else None.

    Something derived from the schema alone (a compiled rule) may be kept under this
    token: any committed schema change anywhere changes it. A copy whose fields, rules,
    indexes or options were edited in memory (a dry run) does not match its entry.
    """
    import orjson

    snapshot = _snapshot
    if snapshot is None:
        return None
    entry = snapshot.by_id.get(collection.id)
    if entry is None or _in_own_transaction():
        return None
    found, blob = entry
    if (
        collection.schema_version != found.schema_version
        or collection.updated != found.updated
        or collection.name != found.name
        or collection.type != found.type
        or orjson.dumps([getattr(collection, attr) for attr in _JSON_ATTRS]) != blob
    ):
        return None
    return snapshot.token


def forget_cache() -> None:
    """Drop the snapshot (a restore in this process; tests)."""
    global _snapshot
    _snapshot = None
    _request.checked = None


models.signals.post_save.connect(_schema_saved, sender=Collection, dispatch_uid="baas_schema_saved")
models.signals.post_delete.connect(
    _schema_saved, sender=Collection, dispatch_uid="baas_schema_deleted"
)
