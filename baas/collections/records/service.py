"""RecordService: every read and write of records, with the collection's rules (DESIGN §5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from baas.api.errors import BadRequest, Forbidden, NotFound, ValidationFailed, field_error
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
        created = collection.field("created")
        from baas.collections import naming

        if created and created["type"] == "autodate":
            return [
                f"{quote('t')}.{quote(naming.column_name(created))} DESC",
                f"{quote('t')}.{quote('id')}",
            ]
        return [f"{quote('t')}.{quote('id')}"]

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
                self._insert(collection, row, body, call)
        except BaseException:
            for step in WRITE_STEPS:
                step.failed(collection, row, None)
            raise
        return row

    def _insert(
        self, collection: Collection, row: dict[str, Any], body: dict[str, Any], call: Call
    ) -> None:
        if row.get("id") and store.existing_ids(collection.id, [row["id"]]):
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
        existing = self._locked(collection, record_id)
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
            with transaction.atomic():
                self._check_update_rule(collection, record_id, call, body)
                errors = {**writes.validate_row(collection, row, set(body), False), **errors}
                self._check_relations(collection, row, set(body), errors)
                if errors:
                    raise ValidationFailed("Failed to update record.", errors)
                changed = {name for name in row if row.get(name) != existing.get(name)}
                store.update(collection, row, changed)
                for step in WRITE_STEPS:
                    step.written(collection, row, existing)
                emit_after_commit(collection, "update", row)
        except BaseException:
            for step in WRITE_STEPS:
                step.failed(collection, row, existing)
            raise
        return row

    def _check_update_rule(
        self, collection: Collection, record_id: str, call: Call, body: dict[str, Any]
    ) -> None:
        """404 unless the row exists and passes the update rule (wire-api §3.6)."""
        where: str = ""
        params: list[Any] = []
        if not call.viewer.is_superuser:
            where, params = rules.rule_condition(
                collection, "updateRule", call.viewer, call.info(body)
            )
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

    def _locked(self, collection: Collection, record_id: str) -> dict[str, Any]:
        row = rows.fetch_one(collection, record_id)
        if row is None:
            raise NotFound()
        return row

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
        with transaction.atomic():
            row = self.get_record(collection, record_id, call, rule_name="deleteRule")
            self._delete_cascading(collection, row, set())

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
