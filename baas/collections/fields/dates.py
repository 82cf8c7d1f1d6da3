"""The wire's date format (wire-api §0): ``YYYY-MM-DD HH:MM:SS.sssZ``, UTC, "" when empty."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

WIRE_FORMAT = "%Y-%m-%d %H:%M:%S"


def to_wire(moment: datetime) -> str:
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{moment.strftime(WIRE_FORMAT)}.{moment.microsecond // 1000:03d}Z"


def now_wire() -> str:
    return to_wire(datetime.now(UTC))


def parse(value: Any) -> datetime | None:
    """Accept the forms the contract lists; None when unparseable."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def normalize(value: Any) -> str | None:
    """A wire string for valid input, "" for empty, None for garbage."""
    if value is None or value == "":
        return ""
    moment = parse(value)
    return to_wire(moment) if moment else None


def rfc3339(wire: str) -> str:
    moment = parse(wire)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else wire
