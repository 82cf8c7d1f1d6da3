"""Cron schedules (croniter): five fields or a macro, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from croniter import croniter

MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")


def is_valid(expression: object) -> bool:
    if not isinstance(expression, str):
        return False
    text = expression.strip()
    if text in MACROS:
        return True
    return len(text.split()) == 5 and croniter.is_valid(text)


def next_run(expression: str, after: datetime) -> datetime:
    """The first moment strictly after ``after`` that matches ``expression``."""
    moment = croniter(expression.strip(), after.astimezone(UTC)).get_next(datetime)
    assert isinstance(moment, datetime)
    return moment
