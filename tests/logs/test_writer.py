"""The buffered writer: entries wait as plain tuples and reach the table in multi-row
INSERTs, every value as it was given."""

from __future__ import annotations

import pytest

from baas.logs import writer
from baas.logs.models import ERROR, INFO, RequestLog


@pytest.mark.django_db
def test_a_flush_writes_every_pending_entry_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer, "FLUSH_SIZE", 10_000)  # nothing written before the flush
    monkeypatch.setattr(writer, "FLUSH_SECONDS", 3600.0)
    data = {"type": "request", "url": "/api/x?q=é “quoted”", "status": 404, "execTime": 1.25}
    writer.add(ERROR, "GET /api/x", {**data, "nested": {"list": [1, None, True]}})
    for number in range(249):  # three INSERTs of at most 100 rows
        writer.add(INFO, f"GET /api/{number}", {"status": 200, "n": number})
    assert RequestLog.objects.count() == 0
    writer.flush()
    assert RequestLog.objects.count() == 250
    first = RequestLog.objects.get(message="GET /api/x")
    assert first.level == ERROR
    assert first.data == {**data, "nested": {"list": [1, None, True]}}
    assert len(first.id) == 15 and first.created.endswith("Z")
    assert RequestLog.objects.get(message="GET /api/248").data == {"status": 200, "n": 248}
    assert writer._pending == []


def test_wire_now_is_the_wire_format_even_on_a_whole_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import re
    from datetime import UTC, datetime

    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z", writer.wire_now())

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def]
            return datetime(2026, 1, 2, 3, 4, 5, 0, tzinfo=UTC)

    monkeypatch.setattr(writer, "datetime", Frozen)
    assert writer.wire_now() == "2026-01-02 03:04:05.000Z"
