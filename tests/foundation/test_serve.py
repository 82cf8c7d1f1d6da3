"""``baas serve``: a real granian server in a subprocess, on one origin and port."""

from __future__ import annotations

import signal
import sqlite3

import pytest
import requests

from tests import services
from tests.foundation.test_health import HEALTHY, NOT_FOUND, SECURITY_HEADERS


def test_serve_answers_health_through_granian(baas_server):
    response = requests.get(f"{baas_server}/api/health", timeout=5)
    assert response.status_code == 200
    assert response.json() == HEALTHY
    assert response.headers["server"] == "granian"
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def test_serve_answers_head_with_the_length_and_no_body(baas_server):
    response = requests.head(f"{baas_server}/api/health", timeout=5)
    assert response.status_code == 200
    assert response.headers["content-length"] == str(
        len(requests.get(f"{baas_server}/api/health").content)
    )
    assert response.content == b""


@pytest.mark.parametrize("path", ["/api/nope", "/api/realtimex/unknown"])
def test_serve_answers_unknown_paths_with_the_json_404(baas_server, path):
    response = requests.post(f"{baas_server}{path}", data=b"x" * 100_000, timeout=5)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_serve_keeps_connections_alive(baas_server):
    with requests.Session() as session:
        for _ in range(20):
            assert session.get(f"{baas_server}/api/health", timeout=5).status_code == 200


def test_serve_in_embedded_mode_uses_sqlite_wal_in_its_dir_and_stops_on_sigterm(tmp_path):
    data = tmp_path / "data"
    with services.baas_server(data, env=services.baas_env(), workers=2) as server:
        assert requests.get(f"{server}/api/health", timeout=5).json() == HEALTHY
        with sqlite3.connect(data / "data.db") as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert db.execute("SELECT count(*) FROM django_migrations").fetchone()[0] > 0
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=20) == 0
    assert "Server started at http://127.0.0.1:" in server.log()
    assert "Traceback" not in server.log()
