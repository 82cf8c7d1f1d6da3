"""Embedded mode's bus lists the other processes' sockets once per change of their
directory (a stat per message, not a scan): a process that starts or goes away is
seen by the next message, and a change in the last second is never trusted to the
directory's coarse mtime."""

from __future__ import annotations

import os
import time
from pathlib import Path

from baas.realtime.bus import SocketTransport


def transport(directory: Path) -> SocketTransport:
    t = SocketTransport.__new__(SocketTransport)
    t.directory = directory
    t.connections = {}
    t._listed = None
    return t


def age(directory: Path, seconds: float = 10) -> None:
    old = time.time() - seconds
    os.utime(directory, (old, old))


def test_a_process_that_starts_or_leaves_is_seen_by_the_next_message(tmp_path: Path) -> None:
    (tmp_path / "aaaaaaaa.sock").touch()
    (tmp_path / "me000000.sock").touch()
    age(tmp_path)
    bus = transport(tmp_path)
    assert bus._targets(None, "me000000") == ["aaaaaaaa"]
    assert bus._listed is not None  # an old listing is kept
    (tmp_path / "bbbbbbbb.sock").touch()
    assert sorted(bus._targets(None, "me000000")) == ["aaaaaaaa", "bbbbbbbb"]
    age(tmp_path)
    (tmp_path / "aaaaaaaa.sock").unlink()
    assert bus._targets(None, "me000000") == ["bbbbbbbb"]


def test_a_recent_change_is_listed_again_until_it_is_old(tmp_path: Path) -> None:
    (tmp_path / "aaaaaaaa.sock").touch()  # the directory changed just now
    bus = transport(tmp_path)
    assert bus._targets(None, "x") == ["aaaaaaaa"]
    assert bus._listed is None  # not trusted: a socket made in the same tick keeps the mtime
    stamp = os.stat(tmp_path).st_mtime_ns
    (tmp_path / "bbbbbbbb.sock").touch()
    os.utime(tmp_path, ns=(stamp, stamp))  # as if made within the same mtime tick
    assert sorted(bus._targets(None, "x")) == ["aaaaaaaa", "bbbbbbbb"]


def test_a_message_to_one_process_needs_no_listing(tmp_path: Path) -> None:
    bus = transport(tmp_path / "missing")
    assert bus._targets("pppppppp", "x") == ["pppppppp"]
    assert bus._targets(None, "x") == []
