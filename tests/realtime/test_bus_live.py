"""Embedded mode sends record events only to the processes holding realtime clients
(bench/PROFILE.md, fourth pass): a hub keeps ``<processId>.live`` next to its socket while
it has a client, a writer queues nothing when no other process has one, and a hub with
no client drops the record events of its own process at once. Every other message still
goes to every process."""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from typing import Any

from baas.realtime import bus
from baas.realtime.bus import Publisher
from baas.realtime.clients import Client
from baas.realtime.hub import Hub
from tests.realtime.test_bus_listing import age, transport


def test_record_events_go_only_to_processes_marked_live(tmp_path: Path) -> None:
    for name in ("aaaaaaaa", "bbbbbbbb", "me000000"):
        (tmp_path / f"{name}.sock").touch()
    age(tmp_path)
    t = transport(tmp_path)
    assert not t.may_have_clients("me000000")
    assert sorted(t._targets(None, "me000000")) == ["aaaaaaaa", "bbbbbbbb"]
    (tmp_path / "bbbbbbbb.live").touch()
    (tmp_path / "gone0000.live").touch()  # a marker without a socket: no process
    assert t.may_have_clients("me000000")
    assert t._targets(None, "me000000", live_only=True) == ["bbbbbbbb"]
    assert sorted(t._targets(None, "me000000")) == ["aaaaaaaa", "bbbbbbbb"]
    age(tmp_path)
    (tmp_path / "bbbbbbbb.live").unlink()
    assert t._targets(None, "me000000", live_only=True) == []


def test_a_writer_queues_no_record_event_when_no_process_is_live(tmp_path: Path) -> None:
    publisher = Publisher.__new__(Publisher)
    publisher.process_id = "me000000"
    publisher.local_sink = None
    publisher.transport = transport(tmp_path)
    publisher.queue = queue.Queue()
    publisher.dropped = 0
    publisher.thread = threading.Thread()  # never started: nothing is sent
    publisher._ensure_thread = lambda: None  # type: ignore[method-assign]
    (tmp_path / "aaaaaaaa.sock").touch()
    publisher.publish({"k": "record", "c": "c", "n": "n", "a": "create", "r": {"id": "x"}})
    publisher.publish({"k": "custom", "topic": "t", "data": 1, "to": None})
    assert [item[3] for item in list(publisher.queue.queue)] == [False]  # the custom one
    (tmp_path / "aaaaaaaa.live").touch()
    publisher.publish({"k": "record", "c": "c", "n": "n", "a": "create", "r": {"id": "x"}})
    assert [item[3] for item in list(publisher.queue.queue)] == [False, True]


def test_a_hub_is_marked_live_while_it_holds_a_client(settings: Any, tmp_path: Path) -> None:
    settings.BAAS_DATA_DIR = str(tmp_path)
    settings.BAAS_REDIS_URL = None
    hub = Hub()
    hub.publisher = Publisher.__new__(Publisher)  # this test's own, with no thread
    hub.process_id = "hub00000"
    hub.loop_thread = threading.get_ident()
    bus.socket_dir().mkdir(parents=True, exist_ok=True)
    marker = bus.socket_dir() / "hub00000.live"
    record = {"k": "record", "c": "c", "n": "n", "a": "create", "r": {"id": "x"}}
    try:
        hub.receive(dict(record))
        assert hub.inbox.qsize() == 0  # no client here: dropped at once
        hub.receive({"k": "custom", "topic": "t", "data": 1})
        assert hub.inbox.qsize() == 1
        first, second = Client(id="a" * 40, ip="127.0.0.1"), Client(id="b" * 40, ip="127.0.0.1")
        hub.add(first)
        hub.add(second)
        assert marker.exists()
        hub.receive(dict(record))
        assert hub.inbox.qsize() == 2
        hub.remove(first)
        assert marker.exists()
        hub.remove(second)
        assert not marker.exists()
    finally:
        hub.executor.shutdown(wait=False)
