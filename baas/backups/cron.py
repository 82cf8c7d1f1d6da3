"""Five-field cron expressions (``minute hour day month weekday``) and the peer's macros.

The grammar is the one ``settings_api.validation`` accepts: ``*``, numbers, ranges,
steps and lists. Like the peer's scheduler (``tools/cron``), a moment matches when
*every* field matches (no special OR between day and weekday). Times are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# (lowest, highest) per field; a weekday of 7 is Sunday, as 0.
BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


class CronError(ValueError):
    pass


@dataclass(frozen=True)
class Schedule:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]

    def matches(self, moment: datetime) -> bool:
        weekday = moment.isoweekday() % 7  # Sunday = 0
        return (
            moment.minute in self.minutes
            and moment.hour in self.hours
            and moment.day in self.days
            and moment.month in self.months
            and weekday in self.weekdays
        )


def parse(expression: str) -> Schedule:
    text = MACROS.get(expression.strip(), expression.strip())
    parts = text.split()
    if len(parts) != 5:
        raise CronError(f"expected 5 fields, got {len(parts)}")
    sets = [_field(part, low, high) for part, (low, high) in zip(parts, BOUNDS, strict=True)]
    weekdays = frozenset(0 if day == 7 else day for day in sets[4])
    return Schedule(sets[0], sets[1], sets[2], sets[3], weekdays)


def _field(text: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        values |= _item(item, low, high)
    return frozenset(values)


def _item(item: str, low: int, high: int) -> set[int]:
    base, _, step_text = item.partition("/")
    step = _number(step_text, 1, high) if step_text else 1
    if base == "*":
        start, end = low, high
    elif "-" in base:
        first, _, last = base.partition("-")
        start, end = _number(first, low, high), _number(last, low, high)
        if start > end:
            raise CronError(f"range {base} runs backwards")
    else:
        start = _number(base, low, high)
        end = high if step_text else start
    return set(range(start, end + 1, step))


def _number(text: str, low: int, high: int) -> int:
    if not text.isdigit():
        raise CronError(f"{text!r} is not a number")
    value = int(text)
    if not low <= value <= high:
        raise CronError(f"{value} is outside {low}-{high}")
    return value


def is_due(expression: str, moment: datetime) -> bool:
    """True if ``expression`` fires in ``moment``'s minute; a bad expression never fires."""
    try:
        return parse(expression).matches(moment)
    except CronError:
        return False
