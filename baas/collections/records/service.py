"""RecordService: every read and write of records, with the collection's rules (DESIGN §5)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import DatabaseError, DataError, connection, transaction

from baas.api.errors import ApiError, BadRequest, Forbidden, NotFound, ValidationFailed, field_error
from baas.api.listing import Page
from baas.auth.context import AuthContext
from baas.collections import search
from baas.collections.columns import is_join_field
from baas.collections.ddl import quote
from baas.collections.models import Collection
from baas.collections.records import auth_fields, rows, rules, store, writes
from baas.collections.records.events import emit_after_commit
from baas.collections.records.payload import Submission
from baas.collections.records.steps import WRITE_STEPS

UNSUPPORTED = "Unsupported collection type."
T = TypeVar("T")
# A write that finds its row or its collection changed under it starts again (``_Stale``).
ATTEMPTS = 5
CONTENDED = "The record kept changing while this write was made. Please try again."


class _Stale(Exception):
    """Inside the write's transaction, the row or the collection's schema is not what the
    write was prepared from: a concurrent write or schema change got in first."""


def _lock_schema(collection: Collection, compare: bool = True) -> None:
    """Inside a write's transaction: the collection still has the schema the write used.

    PostgreSQL: a share lock on the collection row, so a schema change (which locks it
    FOR UPDATE) waits for the write and the write for it. SQLite: the IMMEDIATE
    transaction already serialises writers.
    """
    share = " FOR SHARE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT schema_version FROM {quote('_collections')} WHERE id = %s{share}",
            [collection.id],
        )
        found = cursor.fetchone()
    if found is None:
        raise NotFound()
    if compare and found[0] != collection.schema_version:
        raise _Stale()


def _retrying(
    collection: Collection,
    attempt: Callable[[Collection, bool], T],
    submission: Submission | None = None,
) -> T:
    """Run one write attempt; again, with the collection read afresh, while it was stale.

    Attempts are optimistic (``locked`` False: prepared from unlocked reads, uploads
    outside the transaction). The last one is not: it runs in one transaction that
    takes the collection's and the row's locks before it reads, so a record under
    constant concurrent writes is still written, in turn.

    A database error is a stale schema too when the collection's schema version moved
    meanwhile (a column the attempt read or wrote was dropped or renamed: SQLite says
    "no such column", PostgreSQL "column does not exist"); otherwise it is raised.
    """
    for number in range(1, ATTEMPTS + 1):
        locked = number == ATTEMPTS
        try:
            # Inside an outer transaction (a batch) the attempt gets a savepoint, so a
            # failed statement leaves the transaction usable (PostgreSQL aborts it).
            if locked or connection.in_atomic_block:
                with transaction.atomic():
                    if locked:  # the schema cannot change under this attempt
                        _lock_schema(collection, compare=False)
                        collection = _reloaded(collection)
                    return attempt(collection, locked)
            return attempt(collection, locked)
        except _Stale:
            pass
        except DatabaseError as exc:
            if (
                isinstance(exc, DataError)
                or _schema_version(collection) == collection.schema_version
            ):
                raise
        collection = _reloaded(collection)
        for files in submission.files.values() if submission else []:
            for file in files:
                file.seek(0)
    raise ApiError(CONTENDED, status=409)


def _prepares_inside(collection: Collection, submission: Submission) -> bool:
    """Whether an update's preparation may run inside its write transaction: it stores
    no file, hashes or checks no password (Argon2 would hold the write lock) and each
    write step says it has nothing to do outside the database (``prepares_inside``)."""
    if submission.files or collection.is_auth:
        return False
    if any(f["type"] == "password" and f["name"] in submission.values for f in collection.fields):
        return False
    return all(
        getattr(step, "prepares_inside", _outside)(collection, submission) for step in WRITE_STEPS
    )


def _outside(collection: Collection, submission: Submission) -> bool:
    return False  # a step that does not say: its preparation may work outside


def _read_for_write(collection: Collection, record_id: str) -> dict[str, Any]:
    """Inside the write's transaction: the schema is still the one the write uses, and the
    row, read under its lock (on SQLite in one statement: ``rows.fetch_for_write``)."""
    if connection.vendor == "sqlite":
        found = rows.fetch_for_write(collection, record_id)
        if found is None:
            raise NotFound()
        if found[1] != collection.schema_version:
            raise _Stale()
        return found[0]
    _lock_schema(collection)  # the collection's row first, as a schema change takes it
    existing = rows.fetch_one(collection, record_id, lock=True)
    if existing is None:
        raise NotFound()
    return existing


def _reloaded(collection: Collection) -> Collection:
    fresh = Collection.objects.filter(pk=collection.pk).first()
    if fresh is None:
        raise NotFound()
    return fresh


def _schema_version(collection: Collection) -> int | None:
    return (
        Collection.objects.filter(pk=collection.pk).values_list("schema_version", flat=True).first()
    )


@dataclass
class Call:
    """Who is asking and how: the auth plus what ``@request.*`` may read."""

    viewer: AuthContext
    method: str = "GET"
    context: str = "default"
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def info(self, body: dict[str, Any] | None = None) -> Any:
        return rules.request_info(
            self.viewer,
            method=self.method,
            context=self.context,
            query=self.query,
            headers=self.headers,
            body=body,
        )


def _allowed(call: Call, collection: Collection, action: str) -> None:
    """API keys carry a scope (collections, actions) on top of their superuser rights."""
    if not call.viewer.allows(collection, action):
        raise Forbidden("The API key is not allowed to perform this action.")


class RecordService:
    # ---- reads ------------------------------------------------------------------
    def list_records(
        self,
        collection: Collection,
        call: Call,
        *,
        filter_text: str | None,
        sort_text: str | None,
        page: Page,
        search_text: str | None = None,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """``search_text``: full-text search (``baas.collections.search``), ranked by
        relevance after the client's sort, before the default order."""
        _allowed(call, collection, "list")
        query = rules.list_query(collection, call.viewer, call.info(), filter_text, sort_text)
        where, where_params = query.where, query.params
        order, order_params = list(query.order), list(query.order_params)
        if search_text:
            found_search = search.compile_search(collection, search_text)
            where, where_params = rules.combine(
                (where, where_params), (found_search.where, found_search.params)
            )
            order.append(found_search.rank)
            order_params += found_search.rank_params
        order_sql = ", ".join(
            [*order, f"{quote('t')}.{quote('id')}"] if order else self._default_order(collection)
        )
        params = where_params + order_params
        found = rows.fetch(collection, where, params, order_sql, page.per_page, page.offset)
        total = None if page.skip_total else rows.count(collection, where, where_params)
        return found, total

    def _default_order(self, collection: Collection) -> list[str]:
        """No ``sort``: insertion order, as the binary lists (its table scan follows the
        rowid; checked against pocketbase 0.40.6, bench/PROFILE.md §9). SQLite: the rowid.
        PostgreSQL keeps no stable row order (``ctid`` moves on update): ``created``, then
        id, which differs only for records created in the same millisecond. Views (no
        rowid) keep newest first."""
        created = collection.field("created")
        from baas.collections import naming

        t, record_id = quote("t"), f"{quote('t')}.{quote('id')}"
        if not collection.is_view and connection.vendor == "sqlite":
            return [f"{t}.{quote('_rowid_')}"]
        if created and created["type"] == "autodate":
            # NULLS FIRST: the order of the column's default index (fields/autodate.py);
            # the column is NOT NULL, so the rows come in the same order.
            direction = "DESC" if collection.is_view else "ASC NULLS FIRST"
            return [f"{t}.{quote(naming.column_name(created))} {direction}", record_id]
        return [record_id]

    def get_record(
        self, collection: Collection, record_id: str, call: Call, *, rule_name: str = "viewRule"
    ) -> dict[str, Any]:
        _allowed(
            call, collection, {"viewRule": "view", "deleteRule": "delete"}.get(rule_name, "view")
        )
        where, params = rules.rule_condition(collection, rule_name, call.viewer, call.info())
        row = rows.fetch_one(collection, record_id, where, params)
        if row is None:
            raise NotFound()
        return row

    def visible_ids(self, collection: Collection, ids: list[str], call: Call) -> set[str]:
        """Which of ``ids`` the caller may view (used by expand and realtime)."""
        if not ids:
            return set()
        try:
            where, params = rules.rule_condition(collection, "viewRule", call.viewer, call.info())
        except Exception:  # a locked rule hides everything from non-superusers
            return set()
        marks = ", ".join(["%s"] * len(ids))
        condition = f"{quote('t')}.{quote('id')} IN ({marks})" + (
            f" AND ({where})" if where else ""
        )
        from baas.collections import naming

        sql = f"SELECT {quote('t')}.{quote('id')} FROM {quote(naming.table_name(collection.id))} AS {quote('t')} WHERE {condition}"
        with connection.cursor() as cursor:
            cursor.execute(sql, [*ids, *params])
            return {r[0] for r in cursor.fetchall()}

    # ---- writes -----------------------------------------------------------------
    def create_record(
        self, collection: Collection, submission: Submission, call: Call
    ) -> dict[str, Any]:
        if collection.is_view:
            raise BadRequest(UNSUPPORTED)
        _allowed(call, collection, "create")
        if collection.rule("createRule") is None and not call.viewer.is_superuser:
            raise rules.Forbidden(rules.SUPERUSERS_ONLY)
        return _retrying(
            collection, lambda c, _locked: self._create_once(c, submission, call), submission
        )

    def _create_once(
        self, collection: Collection, submission: Submission, call: Call
    ) -> dict[str, Any]:
        row, body, errors = writes.prepare_row(collection, submission, None)
        auth_fields.apply_password_fields(collection, submission, row, None, errors)
        auth_fields.apply_auth_rules(collection, submission, row, None, call.viewer, False, errors)
        try:
            for step in WRITE_STEPS:
                step.prepare(collection, submission, row, None, errors)
            errors = {**writes.validate_row(collection, row, set(body), True), **errors}
            self._check_relations(collection, row, set(body), errors)
            if errors:
                raise ValidationFailed("Failed to create record.", errors)
            with transaction.atomic():
                _lock_schema(collection)
                self._insert(collection, row, body, call)
        except BaseException:
            for step in WRITE_STEPS:
                step.failed(collection, row, None)
            raise
        return row

    def _insert(
        self, collection: Collection, row: dict[str, Any], body: dict[str, Any], call: Call
    ) -> None:
        # A given id is checked first, so a duplicate names only ``id``; a generated one
        # (15 random characters) is left to the primary key, whose violation
        # ``store.insert`` reports the same way.
        if "id" in body and row.get("id") and store.existing_ids(collection.id, [row["id"]]):
            raise ValidationFailed(
                "Failed to create record.",
                {"id": field_error("validation_not_unique", "Value must be unique.")},
            )
        store.insert(collection, row)
        if not call.viewer.is_superuser and collection.rule("createRule"):
            where, params = rules.compile_rule(
                collection, collection.rule("createRule") or "", call.info(body)
            )
            if rows.fetch_one(collection, row["id"], where, params) is None:
                raise BadRequest("Failed to create record.")
        for step in WRITE_STEPS:
            step.written(collection, row, None)
        emit_after_commit(collection, "create", row)

    def update_record(
        self, collection: Collection, record_id: str, submission: Submission, call: Call
    ) -> dict[str, Any]:
        if collection.is_view:
            raise BadRequest(UNSUPPORTED)
        _allowed(call, collection, "update")
        return _retrying(
            collection,
            lambda c, locked: self._update_once(c, record_id, submission, call, locked),
            submission,
        )

    def _update_once(
        self,
        collection: Collection,
        record_id: str,
        submission: Submission,
        call: Call,
        locked: bool = False,
    ) -> dict[str, Any]:
        """Prepared from an unlocked read (uploads are stored outside the transaction);
        written only if, under the row lock, the row is still what it was prepared from.

        A write whose preparation does nothing outside the database (no upload, no
        password to hash or check, no hook handler) is read once, under the row lock, and
        prepared inside its transaction: the lock makes it the compare-and-set."""
        if locked:  # the caller holds the schema lock, in its transaction
            existing = rows.fetch_one(collection, record_id, lock=True)
            if existing is None:
                raise NotFound()
            return self._apply_update(collection, record_id, submission, call, existing)
        if _prepares_inside(collection, submission):
            with transaction.atomic():
                existing = _read_for_write(collection, record_id)
                return self._apply_update(collection, record_id, submission, call, existing)
        existing = rows.fetch_one(collection, record_id)
        if existing is None:
            raise NotFound()
        return self._apply_update(collection, record_id, submission, call, existing, reread=True)

    def _apply_update(
        self,
        collection: Collection,
        record_id: str,
        submission: Submission,
        call: Call,
        existing: dict[str, Any],
        reread: bool = False,
    ) -> dict[str, Any]:
        """``reread``: ``existing`` came from an unlocked read; the write takes its own
        transaction and checks the row under the lock first (else ``existing`` was read
        under the row lock of the transaction this runs in)."""
        row, body, errors = writes.prepare_row(collection, submission, existing)
        if submission.files:
            # Checked before any upload is stored, so a refused request stores nothing;
            # uploads then run outside the transaction (a big file never holds the
            # SQLite write lock), and the rule is checked again inside it.
            self._check_update_rule(collection, record_id, call, body)
        manager = self._is_manager(collection, record_id, call, body)
        auth_fields.apply_password_fields(collection, submission, row, existing, errors)
        auth_fields.apply_auth_rules(
            collection, submission, row, existing, call.viewer, manager, errors
        )
        try:
            for step in WRITE_STEPS:
                step.prepare(collection, submission, row, existing, errors)
            if reread:
                with transaction.atomic():
                    _lock_schema(collection)
                    if rows.fetch_one(collection, record_id, lock=True) != existing:
                        raise _Stale()
                    self._write_update(collection, record_id, call, body, row, existing, errors)
            else:
                self._write_update(collection, record_id, call, body, row, existing, errors)
        except BaseException:
            for step in WRITE_STEPS:
                step.failed(collection, row, existing)
            raise
        return row

    def _write_update(
        self,
        collection: Collection,
        record_id: str,
        call: Call,
        body: dict[str, Any],
        row: dict[str, Any],
        existing: dict[str, Any],
        errors: dict[str, Any],
    ) -> None:
        """Inside the transaction, the row read under its lock: rule, validation, write."""
        self._check_update_rule(collection, record_id, call, body, read=True)
        errors = {**writes.validate_row(collection, row, set(body), False), **errors}
        self._check_relations(collection, row, set(body), errors)
        if errors:
            raise ValidationFailed("Failed to update record.", errors)
        changed = {name for name in row if row.get(name) != existing.get(name)}
        store.update(collection, row, changed)
        for step in WRITE_STEPS:
            step.written(collection, row, existing)
        emit_after_commit(collection, "update", row)

    def _check_update_rule(
        self,
        collection: Collection,
        record_id: str,
        call: Call,
        body: dict[str, Any],
        read: bool = False,
    ) -> None:
        """404 unless the row exists and passes the update rule (wire-api §3.6).

        ``read``: the row was just read in this transaction, so without a condition
        (a superuser, an empty rule) there is nothing left to check."""
        where: str = ""
        params: list[Any] = []
        if not call.viewer.is_superuser:
            where, params = rules.rule_condition(
                collection, "updateRule", call.viewer, call.info(body)
            )
        if read and not where:
            return
        if rows.fetch_one(collection, record_id, where, params) is None:
            raise NotFound()

    def _is_manager(
        self, collection: Collection, record_id: str, call: Call, body: dict[str, Any]
    ) -> bool:
        manage_rule = collection.rule("manageRule") if collection.is_auth else None
        if not manage_rule or call.viewer.is_guest:
            return False
        where, params = rules.compile_rule(collection, manage_rule, call.info(body))
        return rows.fetch_one(collection, record_id, where, params) is not None

    def _check_relations(
        self, collection: Collection, row: dict[str, Any], touched: set[str], errors: dict[str, Any]
    ) -> None:
        for relation in collection.fields:
            name = relation["name"]
            if relation["type"] != "relation" or name not in touched or name in errors:
                continue
            value = row.get(name)
            ids = value if isinstance(value, list) else ([value] if value else [])
            if ids and len(store.existing_ids(relation["collectionId"], ids)) != len(set(ids)):
                errors[name] = field_error(
                    "validation_missing_rel_records",
                    "Failed to find all relation records with the provided ids.",
                )

    def delete_record(self, collection: Collection, record_id: str, call: Call) -> None:
        if collection.is_view:
            raise BadRequest(UNSUPPORTED)

        def delete(current: Collection, _locked: bool) -> None:
            with transaction.atomic():
                _lock_schema(current)
                row = self.get_record(current, record_id, call, rule_name="deleteRule")
                self._delete_cascading(current, row, set())

        _retrying(collection, delete)

    def _delete_cascading(
        self, collection: Collection, row: dict[str, Any], seen: set[tuple[str, str]]
    ) -> None:
        key = (collection.id, row["id"])
        if key in seen:
            return
        seen.add(key)
        for other in Collection.objects.exclude(type="view"):
            for relation in other.fields:
                if relation["type"] == "relation" and relation.get("collectionId") == collection.id:
                    self._release(other, relation, row["id"], seen)
        store.delete(collection, row["id"])
        for step in WRITE_STEPS:
            step.deleted(collection, row)
        emit_after_commit(collection, "delete", row)

    def _release(
        self,
        other: Collection,
        relation: dict[str, Any],
        target_id: str,
        seen: set[tuple[str, str]],
    ) -> None:
        """What deleting ``target_id`` does to records of ``other`` that point at it."""
        from baas.collections import naming

        column = naming.column_name(relation)
        if is_join_field(relation):
            sql = f"SELECT record_id FROM {quote(naming.join_table_name(other.id, relation['id']))} WHERE target_id = %s"
        else:
            sql = f"SELECT id FROM {quote(naming.table_name(other.id))} WHERE {quote(column)} = %s"
        with connection.cursor() as cursor:
            cursor.execute(sql, [target_id])
            referrers = [r[0] for r in cursor.fetchall()]
        for referrer_id in referrers:
            referrer = rows.fetch_one(other, referrer_id)
            if referrer is None or (other.id, referrer_id) in seen:
                continue
            if relation.get("cascadeDelete"):
                self._delete_cascading(other, referrer, seen)
                continue
            value = referrer.get(relation["name"])
            remaining = [v for v in value if v != target_id] if isinstance(value, list) else ""
            if relation.get("required") and not remaining:
                raise BadRequest(
                    "Failed to delete record. Make sure that the record is not part of a required relation reference."
                )
            referrer[relation["name"]] = remaining
            store.update(other, referrer, {relation["name"]})
            emit_after_commit(other, "update", referrer)

    def delete_all(self, collection: Collection) -> None:
        """Truncate: every record goes through the same cascade and event path."""
        with transaction.atomic():
            seen: set[tuple[str, str]] = set()
            for row in rows.fetch(collection):
                self._delete_cascading(collection, row, seen)
