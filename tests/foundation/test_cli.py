"""The ``baas`` command line, run as a subprocess the way a person runs it."""

from __future__ import annotations

import socket
import sqlite3
import subprocess

import pytest
import requests

from baas import __version__
from tests import services
from tests.services import baas_env, run_baas

STRONG_SECRET = "cli-test-secret-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
UNREACHABLE_PG = "postgresql://postgres@127.0.0.1:1/nowhere"
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def assert_one_line_error(
    result: subprocess.CompletedProcess, needle: str, code: int | None = None
) -> str:
    """Failed, with exactly one line on stderr that names ``needle``, and no traceback."""
    assert result.returncode != 0, result.stdout
    if code is not None:
        assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]
    return lines[0]


def test_version():
    result = run_baas("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"baas {__version__}"


def test_help_lists_the_commands():
    result = run_baas("--help")
    assert result.returncode == 0
    for command in ("serve", "migrate", "worker", "superuser"):
        assert command in result.stdout


BAD_ARGUMENTS = [
    ([], "COMMAND"),
    (["frobnicate"], "frobnicate"),
    (["serve", "--http", "nonsense"], "--http"),
    (["serve", "--http", "127.0.0.1:99999"], "--http"),
    (["serve", "--workers", "0"], "--workers"),
    (["superuser"], "ACTION"),
    (["superuser", "upsert", "only-an-email@example.com"], "password"),
    (["migrate", "down"], "direction"),
]


@pytest.mark.parametrize("args, needle", BAD_ARGUMENTS)
def test_bad_arguments_are_one_line_and_exit_2(args, needle):
    assert_one_line_error(run_baas(*args), needle, code=2)


CONFIG_ERRORS = [
    # (command, environment, the variable the message must name)
    (["migrate"], {"DATABASE_URL": "mysql://root@127.0.0.1/test"}, "DATABASE_URL"),
    (["migrate"], {"DATABASE_URL": "postgresql://postgres@127.0.0.1:port/x"}, "DATABASE_URL"),
    (["migrate"], {"DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/"}, "DATABASE_URL"),
    (["serve"], {"DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test"}, "BAAS_SECRET_KEY"),
    (["serve"], {"DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test", "BAAS_SECRET_KEY": "changeme"}, "BAAS_SECRET_KEY"),
    (["serve"], {"REDIS_URL": "http://127.0.0.1:6379"}, "REDIS_URL"),
    (["serve"], {"BAAS_S3_ENDPOINT": "http://127.0.0.1:1", "BAAS_SECRET_KEY": STRONG_SECRET}, "BAAS_S3_BUCKET"),
]  # fmt: skip


@pytest.mark.parametrize("args, env, variable", CONFIG_ERRORS)
def test_configuration_errors_name_the_variable(tmp_path, args, env, variable):
    result = run_baas(*args, "--dir", str(tmp_path / "data"), env=baas_env(**env))
    line = assert_one_line_error(result, variable, code=2)
    assert line.startswith("baas: configuration error:")


@pytest.mark.parametrize(
    "command", [["migrate"], ["serve"], ["superuser", "delete", "a@example.com"]]
)
def test_an_unreachable_postgresql_is_named_with_what_failed(tmp_path, command):
    env = baas_env(DATABASE_URL=UNREACHABLE_PG, BAAS_SECRET_KEY=STRONG_SECRET)
    line = assert_one_line_error(run_baas(*command, env=env), "DATABASE_URL")
    assert "127.0.0.1:1/nowhere" in line
    assert "refused" in line.lower() or "failed" in line.lower()


def test_the_database_password_is_not_printed(tmp_path):
    url = "postgresql://postgres:hunter2-secret@127.0.0.1:1/nowhere"
    env = baas_env(DATABASE_URL=url, BAAS_SECRET_KEY=STRONG_SECRET)
    line = assert_one_line_error(run_baas("migrate", env=env), "DATABASE_URL")
    assert "hunter2" not in line


def test_an_unreachable_redis_stops_serve_naming_redis_url(tmp_path):
    env = baas_env(REDIS_URL=UNREACHABLE_REDIS, BAAS_SECRET_KEY=STRONG_SECRET)
    result = run_baas("serve", "--dir", str(tmp_path), env=env)
    line = assert_one_line_error(result, "REDIS_URL", code=1)
    assert "127.0.0.1:1" in line


def test_worker_needs_redis(tmp_path):
    assert_one_line_error(run_baas("worker", "--dir", str(tmp_path)), "REDIS_URL", code=1)


def test_a_data_dir_that_is_a_file_is_named(tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    assert_one_line_error(run_baas("migrate", "--dir", str(not_a_dir)), "BAAS_DIR", code=2)


def test_a_busy_port_is_named(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_baas("serve", "--dir", str(tmp_path), "--http", f"127.0.0.1:{port}")
    assert_one_line_error(result, f"--http 127.0.0.1:{port}", code=1)


def test_migrate_applies_once_then_has_nothing_to_do(tmp_path):
    first = run_baas("migrate", "--dir", str(tmp_path / "data"))
    assert first.returncode == 0, first.stderr
    assert "Applied baas_collections.0001_initial" in first.stdout
    second = run_baas("migrate", "--dir", str(tmp_path / "data"))
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "No new migrations to apply."


def test_embedded_mode_keeps_sqlite_in_wal_mode_inside_the_data_dir(tmp_path):
    data = tmp_path / "data"
    result = run_baas("--dir", str(data), "migrate")  # --dir before the command works too
    assert result.returncode == 0, result.stderr
    assert (data / "data.db").is_file()
    assert (data / ".secret_key").stat().st_mode & 0o077 == 0  # owner-only
    with sqlite3.connect(data / "data.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT count(*) FROM django_migrations").fetchone()[0] > 0


def test_database_url_takes_the_database_out_of_the_data_dir(tmp_path):
    db_file = tmp_path / "elsewhere.db"
    env = baas_env(DATABASE_URL=f"sqlite:///{db_file}", BAAS_SECRET_KEY=STRONG_SECRET)
    result = run_baas("migrate", "--dir", str(tmp_path / "data"), env=env)
    assert result.returncode == 0, result.stderr
    assert db_file.is_file()
    assert not (tmp_path / "data" / "data.db").exists()
    with sqlite3.connect(db_file) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_superuser_made_by_the_cli_signs_in_to_the_server_on_the_same_dir(tmp_path):
    data = str(tmp_path / "data")
    created = run_baas(
        "superuser", "upsert", "admin@example.com", "first-password-123", "--dir", data
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip().endswith('Successfully saved superuser "admin@example.com"!')
    updated = run_baas(
        "--dir", data, "superuser", "upsert", "admin@example.com", "second-password-456"
    )
    assert updated.returncode == 0, updated.stderr

    with services.baas_server(tmp_path / "data") as server:
        sign_in = f"{server}/api/collections/_superusers/auth-with-password"
        ok = requests.post(
            sign_in, json={"identity": "admin@example.com", "password": "second-password-456"}
        )
        old = requests.post(
            sign_in, json={"identity": "admin@example.com", "password": "first-password-123"}
        )
    assert ok.status_code == 200, ok.text
    assert ok.json()["record"]["email"] == "admin@example.com"
    assert old.status_code == 400


def test_superuser_delete_says_whether_there_was_one(tmp_path):
    data = str(tmp_path / "data")
    assert (
        run_baas(
            "superuser", "upsert", "gone@example.com", "some-password-123", "--dir", data
        ).returncode
        == 0
    )
    deleted = run_baas("superuser", "delete", "gone@example.com", "--dir", data)
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.strip() == 'Successfully deleted superuser "gone@example.com"!'
    again = run_baas("superuser", "delete", "gone@example.com", "--dir", data)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == 'Superuser "gone@example.com" is missing or already deleted.'


def test_superuser_upsert_with_bad_input_is_one_line_naming_the_fields(tmp_path):
    data = str(tmp_path / "data")
    assert run_baas("migrate", "--dir", data).returncode == 0
    line = assert_one_line_error(
        run_baas("superuser", "upsert", "not-an-email", "short", "--dir", data), "email"
    )
    assert "password" in line


def test_worker_starts_with_beat_and_stops_on_sigterm(tmp_path, redis_url):
    env = baas_env(REDIS_URL=redis_url, BAAS_SECRET_KEY=STRONG_SECRET)
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [*services.baas_command(), "worker", "--concurrency", "1", "--dir", str(tmp_path / "data")],
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    try:
        services.wait_until(lambda: b" ready." in log_path.read_bytes(), 60, "the Celery worker")
        assert b"beat: Starting" in log_path.read_bytes()
    finally:
        services.stop_process(proc, timeout=30)
    assert proc.returncode == 0, log_path.read_text()
