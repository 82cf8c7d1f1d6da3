"""Who may see a record event, and what they see (wire-api §6.4). Sync: runs in a thread.

Each delivery is gated by the collection's rule (listRule for ``/*``, viewRule for
``/<id>``) with the subscriber's auth and ``@request.context = "realtime"``, plus the
subscription's own ``filter``. The SQL of both comes from the record service's rule
module (``records.rules``); this module only asks the database whether the event's
row satisfies them.

Batched: every distinct condition of one event is a column of one ``SELECT`` (a few
hundred per query), so a thousand guests cost one evaluation and a thousand users
one query. The row is the event's snapshot, as a one-row derived table: that is
what a delete must be checked against (the stored row is gone after the commit),
and it keeps create/update checks about the state the event describes. For a delete,
the record's multi-relation values are given the same way (the join tables no longer
hold them).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, replace
from typing import Any

import orjson
from django.db import close_old_connections, connection
from django.db.models import Field

from baas.api.errors import ApiError
from baas.api.fields_picker import parse_fields, pick
from baas.auth.context import GUEST, AuthContext
from baas.collections import dynamic, naming
from baas.collections.columns import is_join_field
from baas.collections.ddl import quote
from baas.collections.fields import get_field_type
from baas.collections.models import Collection
from baas.collections.records import rows, rules
from baas.collections.records.serialize import can_see_email, serialize
from baas.collections.records.service import Call
from baas.realtime.subscriptions import Subscription

log = logging.getLogger("baas.realtime")

CONDITIONS_PER_QUERY = 200
Condition = tuple[str, list[Any]]


@dataclass(frozen=True)
class Delivery:
    """One (client, subscription) that matched an event's topic."""

    auth: AuthContext
    subscription: Subscription
    rule: str  # "listRule" | "viewRule"


def resolve_auth(token: str) -> AuthContext:
    """The subscriber's auth from the POST's ``Authorization`` (invalid = guest). An API
    key keeps its scope: every delivery is checked against it (``_condition``)."""
    from baas.auth import apikeys
    from baas.auth.middleware import resolve_token, token_from_header

    close_old_connections()
    token = token_from_header(token) if token else ""
    if not token:
        return GUEST
    if apikeys.looks_like_key(token):
        return apikeys.authenticate(token)
    return resolve_token(token)


def shape_event(
    collection_id: str, action: str, row: dict[str, Any], deliveries: list[Delivery]
) -> list[bytes | None]:
    """For each delivery, the ``data:`` JSON to send, or None when it must not be sent."""
    close_old_connections()
    collection = Collection.objects.filter(id=collection_id).defer("created", "updated").first()
    if collection is None:
        return [None] * len(deliveries)
    groups: dict[Any, list[int]] = {}
    for index, delivery in enumerate(deliveries):
        groups.setdefault(_request_key(delivery), []).append(index)
    firsts = [deliveries[indexes[0]] for indexes in groups.values()]
    live_keys = _live_keys(firsts)
    calls = [_call(d) for d in firsts]
    conditions = [_condition(collection, d, call) for d, call in zip(firsts, calls, strict=True)]
    managing = [
        _manager_condition(collection, d, call) for d, call in zip(firsts, calls, strict=True)
    ]
    allowed = evaluate(collection, row, [c for c in conditions + managing if c is not None], action)
    shaped: dict[Any, bytes] = {}
    out: list[bytes | None] = [None] * len(deliveries)
    for delivery, call, condition, manages, indexes in zip(
        firsts, calls, conditions, managing, groups.values(), strict=True
    ):
        if condition is None or not allowed[_key(condition)]:
            continue
        if delivery.auth.api_key and delivery.auth.id not in live_keys:
            continue  # revoked or expired since the connection authenticated
        manager = manages is not None and allowed[_key(manages)]
        key = _shape_key(collection, row, delivery, manager)
        if key not in shaped:
            shaped[key] = _payload(collection, action, row, delivery, call, manager)
        for index in indexes:
            out[index] = shaped[key]
    return out


def _request_key(delivery: Delivery) -> Any:
    """Subscribers that must get the same answer: the same auth object (every guest
    shares one), rule and options. A thousand guests on ``posts/*`` are one check."""
    sub = delivery.subscription
    return (
        delivery.rule,
        id(delivery.auth),
        sub.valid,
        tuple(sorted(sub.query.items())),
        tuple(sorted(sub.headers.items())),
    )


def _live_keys(deliveries: list[Delivery]) -> set[str]:
    from baas.auth import apikeys

    return apikeys.still_valid({d.auth.id for d in deliveries if d.auth.api_key})


def _call(delivery: Delivery) -> Call:
    sub = delivery.subscription
    return Call(
        viewer=delivery.auth,
        method="GET",
        context="realtime",
        query=dict(sub.query),
        headers=dict(sub.headers),
    )


def _condition(collection: Collection, delivery: Delivery, call: Call) -> Condition | None:
    """The rule and filter as SQL, or None when access is denied outright."""
    if not delivery.subscription.valid:
        return None
    if not delivery.auth.allows(collection, "list" if delivery.rule == "listRule" else "view"):
        return None  # an API key's scope, as the records API checks it
    info = call.info()
    try:
        return rules.combine(
            rules.rule_condition(collection, delivery.rule, delivery.auth, info),
            rules.client_filter(collection, delivery.subscription.filter, delivery.auth, info),
        )
    except ApiError:  # a locked rule, or a filter that does not compile
        return None
    except Exception:
        log.exception("realtime rule check failed for %s", collection.name)
        return None


def _manager_condition(collection: Collection, delivery: Delivery, call: Call) -> Condition | None:
    """An auth collection's manageRule for a signed-in subscriber: managers see the
    email whatever ``emailVisibility`` says (wire-api §2.2), as the record service does."""
    manage_rule = collection.rule("manageRule") if collection.is_auth else None
    if not manage_rule or delivery.auth.is_guest or delivery.auth.is_superuser:
        return None
    try:
        return rules.compile_rule(collection, manage_rule, call.info())
    except Exception:
        log.exception("realtime manageRule check failed for %s", collection.name)
        return None


def _key(condition: Condition) -> tuple[str, bytes]:
    return condition[0], orjson.dumps(condition[1], default=str)


def _shape_key(
    collection: Collection, row: dict[str, Any], delivery: Delivery, manager: bool
) -> Any:
    sub, auth = delivery.subscription, delivery.auth
    if sub.expand:  # expanded relations are rule-checked with this very caller
        who: Any = (auth.collection.id if auth.collection else "", auth.id)
        return (
            who,
            manager,
            sub.expand,
            sub.fields,
            tuple(sorted(sub.query.items())),
            tuple(sorted(sub.headers.items())),
        )
    email = collection.is_auth and can_see_email(collection, row, auth, manager=manager)
    return auth.is_superuser, email, sub.fields


def _payload(
    collection: Collection,
    action: str,
    row: dict[str, Any],
    delivery: Delivery,
    call: Call,
    manager: bool,
) -> bytes:
    from baas.collections.records.expand import expand_rows

    record = serialize(collection, row, delivery.auth, show_email=True if manager else None)
    sub = delivery.subscription
    if sub.expand:
        try:
            expand_rows(collection, [row], [record], sub.expand, call)
        except Exception:  # wire-api §2.3: expansion never fails the delivery
            log.exception("realtime expand failed for %s", collection.name)
    if sub.fields:
        with contextlib.suppress(ApiError):  # a malformed picker leaves the record whole
            record = pick(record, parse_fields(sub.fields))
    return orjson.dumps({"action": action, "record": record})


# ---- evaluating conditions against the event's row -----------------------------------------


def evaluate(
    collection: Collection, row: dict[str, Any], conditions: list[Condition], action: str
) -> dict[tuple[str, bytes], bool]:
    """``{condition key: holds}``; an empty condition always holds."""
    result: dict[tuple[str, bytes], bool] = {}
    pending: list[Condition] = []
    for condition in conditions:
        key = _key(condition)
        if key in result:
            continue
        result[key] = not condition[0]
        if condition[0]:
            pending.append(condition)
    if not pending:
        return result
    source_sql, source_params = snapshot_table(collection, row)
    for start in range(0, len(pending), CONDITIONS_PER_QUERY):
        chunk = pending[start : start + CONDITIONS_PER_QUERY]
        ctes, cte_params = _join_ctes(collection, row, chunk) if action == "delete" else ("", [])
        columns = ", ".join(f"CASE WHEN ({sql}) THEN 1 ELSE 0 END" for sql, _ in chunk)
        sql = f"{ctes}SELECT {columns} FROM ({source_sql}) AS {quote('t')}"
        params = [*cte_params, *(p for _, ps in chunk for p in ps), *source_params]
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                found = cursor.fetchone()
        except Exception:
            log.exception("realtime access check failed for %s", collection.name)
            found = None
        for index, condition in enumerate(chunk):
            result[_key(condition)] = bool(found and found[index])
    return result


def snapshot_table(collection: Collection, row: dict[str, Any]) -> tuple[str, list[Any]]:
    """``SELECT CAST(%s AS <type>) AS <column>, …``: the row as the table would hold it."""
    model = dynamic.get_model(collection)
    parts: list[str] = []
    params: list[Any] = []
    for field in rows.column_fields(collection):
        field_type = get_field_type(field["type"])
        assert field_type is not None
        column = naming.column_name(field)
        model_field = model._meta.get_field(column)
        assert isinstance(model_field, Field)
        db_type = model_field.db_type(connection) or "text"
        value = model_field.get_db_prep_value(
            field_type.to_db(field, row.get(field["name"])), connection
        )
        parts.append(f"CAST(%s AS {db_type}) AS {quote(column)}")
        params.append(value)
    return "SELECT " + ", ".join(parts), params


def _join_ctes(
    collection: Collection, row: dict[str, Any], conditions: list[Condition]
) -> tuple[str, list[Any]]:
    """For a deleted record: its multi-relation values, shadowing the emptied join tables."""
    text = " ".join(sql for sql, _ in conditions)
    parts: list[str] = []
    params: list[Any] = []
    for field in collection.fields:
        if not is_join_field(field):
            continue
        table = quote(naming.join_table_name(collection.id, field["id"]))
        if table not in text:
            continue
        targets = [t for t in row.get(field["name"]) or [] if isinstance(t, str)]
        selects = [
            "SELECT CAST(%s AS varchar(255)) AS record_id, CAST(%s AS varchar(255)) AS target_id, "
            "CAST(%s AS integer) AS position"
        ] * max(len(targets), 1)
        body = " UNION ALL ".join(selects)
        if targets:
            for position, target in enumerate(targets):
                params += [row["id"], target, position]
        else:
            body += " WHERE 1 = 0"
            params += [row["id"], "", 0]
        parts.append(f"{table} AS ({body})")
    return (f"WITH {', '.join(parts)} " if parts else ""), params


def with_auth_update(auth: AuthContext, action: str, row: dict[str, Any]) -> AuthContext:
    """wire-api §6.2: a changed ``tokenKey`` or a deleted auth record drops the auth."""
    if action == "delete" or row.get("tokenKey") != (auth.record or {}).get("tokenKey"):
        return GUEST
    return replace(auth, record=dict(row))
