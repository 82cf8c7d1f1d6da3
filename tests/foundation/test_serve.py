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


def _mapped_files(pid: int) -> str:
    with open(f"/proc/{pid}/maps") as maps:
        return maps.read()


def test_serve_main_process_leaves_django_to_its_workers(tmp_path):
    """The checks and migrations run in a child that exits; granian's main process only
    watches the workers, so it never loads Django (nor the SQLite driver, nor Argon2):
    a tenth of a worker's memory instead of a worker's (bench/PROFILE.md, memory)."""
    import psutil

    data = tmp_path / "data"
    with services.baas_server(data, env=services.baas_env(), workers=2) as server:
        assert requests.get(f"{server}/api/health", timeout=5).json() == HEALTHY
        main = psutil.Process(server.process.pid)
        workers = main.children()
        assert len(workers) == 2  # the preparing child is gone
        for worker in workers:  # each worker loaded what it serves with, and no more
            assert "_sqlite3" in _mapped_files(worker.pid)
            assert "psycopg" not in _mapped_files(worker.pid)  # nor libpq (settings.py)
        assert "_sqlite3" not in _mapped_files(main.pid)
        assert "argon2" not in _mapped_files(main.pid)
        assert main.memory_info().rss < min(w.memory_info().rss for w in workers) / 2


def test_serve_speaks_http1_and_refuses_http2_prior_knowledge(baas_server):
    """HTTP/1.1 only: an open connection costs granian 16 KB instead of 27 KB (10,000 SSE
    clients: 110 MB less). Browsers speak HTTP/2 only over TLS, ended by a proxy."""
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(str(baas_server))
    with socket.create_connection((url.hostname, url.port), timeout=10) as conn:
        conn.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert conn.recv(64).startswith(b"HTTP/1.1 200")
    with socket.create_connection((url.hostname, url.port), timeout=10) as conn:
        conn.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        answer = conn.recv(64)
    assert not answer.startswith(b"\x00")  # no HTTP/2 SETTINGS frame
