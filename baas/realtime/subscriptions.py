"""Subscription strings (wire-api §6.2–6.3): ``topic[?options=<urlencoded JSON>]``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

import orjson

from baas.api.errors import ValidationFailed, field_error

OPTIONS_MARK = "?options="
MAX_TOPICS = 1000
MAX_TOPIC_LENGTH = 2500
MAX_CLIENT_ID_LENGTH = 255
OAUTH2_TOPIC = "@oauth2"


@dataclass(frozen=True)
class Subscription:
    key: str  # exactly as the client sent it: the SSE event name (wire-api §6.4)
    topic: str  # the part before ``?options=``
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    valid: bool = True  # options that do not parse: the subscription gets no record events

    @property
    def filter(self) -> str | None:
        return self.query.get("filter") or None

    @property
    def expand(self) -> str | None:
        return self.query.get("expand") or None

    @property
    def fields(self) -> str | None:
        return self.query.get("fields") or None


def parse(key: str) -> Subscription:
    topic, mark, raw = key.partition(OPTIONS_MARK)
    if not mark:
        return Subscription(key=key, topic=key)
    try:
        # parsed as a query value: the Dart SDK encodes spaces as '+' (encodeQueryComponent)
        options = orjson.loads(unquote_plus(raw))
    except orjson.JSONDecodeError:
        return Subscription(key=key, topic=topic, valid=False)
    if not isinstance(options, dict):
        return Subscription(key=key, topic=topic, valid=False)
    return Subscription(
        key=key,
        topic=topic,
        query=_strings(options.get("query")),
        # wire-api §6.3: header keys are snake_cased for @request.headers.*
        headers={
            k.lower().replace("-", "_"): v for k, v in _strings(options.get("headers")).items()
        },
    )


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    out: dict[str, str] = {}
    for key, item in value.items():
        if item is None:
            continue
        out[str(key)] = item if isinstance(item, str) else orjson.dumps(item).decode()
    return out


def validate_request(body: Any) -> tuple[str, list[str]]:
    """``{clientId, subscriptions}`` checked as the peer does (wire-api §6.2)."""
    if not isinstance(body, dict):
        body = {}
    client_id = body.get("clientId")
    client_id = client_id if isinstance(client_id, str) else ""
    raw = body.get("subscriptions")
    topics = [t if isinstance(t, str) else str(t) for t in raw] if isinstance(raw, list) else []
    errors: dict[str, Any] = {}
    if not client_id:
        errors["clientId"] = field_error("validation_required", "Cannot be blank.")
    elif len(client_id) > MAX_CLIENT_ID_LENGTH:
        errors["clientId"] = field_error(
            "validation_length_out_of_range",
            f"The length must be between 1 and {MAX_CLIENT_ID_LENGTH}.",
            {"min": 1, "max": MAX_CLIENT_ID_LENGTH},
        )
    if len(topics) > MAX_TOPICS:
        errors["subscriptions"] = field_error(
            "validation_length_too_long",
            f"The length must be no more than {MAX_TOPICS}.",
            {"max": MAX_TOPICS},
        )
    else:
        long = {
            str(i): field_error(
                "validation_length_too_long",
                f"The length must be no more than {MAX_TOPIC_LENGTH}.",
                {"max": MAX_TOPIC_LENGTH},
            )
            for i, topic in enumerate(topics)
            if len(topic) > MAX_TOPIC_LENGTH
        }
        if long:
            errors["subscriptions"] = long
    if errors:
        raise ValidationFailed(None, errors)
    return client_id, list(dict.fromkeys(topics))
