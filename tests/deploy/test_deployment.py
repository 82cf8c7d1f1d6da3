"""The production set-up of ``deploy/`` and ``docs/deployment.md``, brought up on loopback.

PostgreSQL (a database of its own), Redis (a database number of its own), SeaweedFS
for S3, three web processes, the Celery worker and beat, and nginx (Debian's,
installed if missing) with the checked-in site config. Every process runs the exact
command of its unit file's ``ExecStart`` (read from ``deploy/systemd``, with the
install paths and the instance's port put in), so the units cannot rot; systemd
itself is not in the container. The site config is the checked-in one with the
upstream ports and the listen address replaced.

The official JS SDK (``deploy.mjs``) then works through nginx: sign-up, sign-in,
CRUD, a file up and down (stored on S3), and realtime on one connection through
nginx receiving the writes made on each web process; the same over a WebSocket
through nginx. While another SDK client
keeps making requests through nginx, one web process is stopped with SIGTERM (as
``systemctl restart`` does) and started again: no request fails. Everything is torn
down at the end.

It runs as its own CI step (``make test-deploy``), not in ``make test``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests import services
from tests.reliability.live import PASSWORD, SUPERUSER

pytestmark = pytest.mark.deploy

DEPLOY = services.REPO / "deploy"
UNITS = DEPLOY / "systemd"
SITE = DEPLOY / "nginx" / "baas.conf"
ENV_EXAMPLE = DEPLOY / "baas.env.example"
INSTALL_BIN = "/opt/baas/.venv/bin/"
DATA_DIR = "/var/lib/baas"
WEB_PROCESSES = 3
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_DB = 12  # apart from the suite's (15) and the machine's default (0)
SECRET = "deploy-test-secret-9a3c6b7c4e1a9b3f6d2e8a5c0b7d4f1e"


# ---- the unit files --------------------------------------------------------------------------


@dataclass
class Unit:
    name: str
    exec_start: list[str]
    environment: dict[str, str]
    working_directory: str


def read_unit(name: str) -> Unit:
    """``ExecStart``, ``Environment`` and ``WorkingDirectory`` of a unit file."""
    values: dict[str, list[str]] = {}
    for line in (UNITS / name).read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith(("#", ";")):
            values.setdefault(key.strip(), []).append(value.strip())
    assert len(values.get("ExecStart", [])) == 1, f"{name}: one ExecStart"
    assert values.get("EnvironmentFile") == ["/etc/baas/baas.env"], name
    environment = dict(
        item.split("=", 1) for v in values.get("Environment", []) for item in shlex.split(v)
    )
    return Unit(
        name, shlex.split(values["ExecStart"][0]), environment, values["WorkingDirectory"][0]
    )


def command(unit: Unit, data_dir: Path, instance: str = "") -> list[str]:
    """The unit's ``ExecStart`` on this machine: our venv, our data dir, ``%i`` filled in."""

    def local(arg: str) -> str:
        if arg.startswith(INSTALL_BIN):
            arg = str(services.BIN / arg[len(INSTALL_BIN) :])
        return arg.replace(DATA_DIR, str(data_dir)).replace("%i", instance)

    args = [local(arg) for arg in unit.exec_start]
    assert Path(args[0]).exists(), f"{unit.name}: {args[0]} is not installed by pip install"
    return args


def unit_env(unit: Unit, base: dict[str, str], data_dir: Path) -> dict[str, str]:
    env = dict(base)
    env.update({k: v.replace(DATA_DIR, str(data_dir)) for k, v in unit.environment.items()})
    return env


def example_keys() -> set[str]:
    keys = set()
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            keys.add(line.split("=", 1)[0].strip())
    return keys


# ---- processes -----------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen | None = None

    def start(self) -> Process:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.args, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, cwd=services.REPO, start_new_session=True,
            )  # fmt: skip
        return self

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM to the unit's processes (systemd's KillMode=control-group), then wait."""
        if self.proc is not None:
            services.stop_process(self.proc, signal.SIGTERM, timeout)
            return self.proc.returncode
        return None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def wait_healthy(url: str, process: Process, timeout: float = 90) -> None:
    def healthy() -> bool:
        if not process.alive():
            raise services.ServiceError(f"{process.name} exited:\n{process.log()[-3000:]}")
        try:
            return httpx.get(f"{url}/api/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    services.wait_until(healthy, timeout, f"{process.name} at {url}")


def wait_in_log(process: Process, text: str, timeout: float) -> None:
    def found() -> bool:
        if not process.alive():
            raise services.ServiceError(f"{process.name} exited:\n{process.log()[-3000:]}")
        return text in process.log()

    services.wait_until(found, timeout, f"{text!r} in the log of {process.name}")


# ---- nginx ---------------------------------------------------------------------------------


def nginx_binary() -> str:
    """Debian's nginx, installed with apt-get when it is missing (CI runs as root)."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if found:
        return found
    assert os.geteuid() == 0, "nginx is missing: apt-get install nginx (as root)"
    apt = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=apt, timeout=300)
    subprocess.run(["apt-get", "install", "-y", "-qq", "nginx"], check=True, env=apt, timeout=600)
    found = shutil.which("nginx", path="/usr/sbin:/sbin:/usr/bin")
    assert found, "apt-get installed nginx but there is no nginx binary"
    return found


def render_site(ports: list[int], listen: int) -> str:
    """The checked-in site with our upstream ports and a loopback listen address."""
    site = SITE.read_text()
    servers = re.findall(r"^\s*server 127\.0\.0\.1:\d+(.*);$", site, flags=re.M)
    assert servers, "no upstream servers in the site config"
    upstream = "".join(f"    server 127.0.0.1:{port}{servers[0]};\n" for port in ports)
    site, count = re.subn(r"(?:^\s*server 127\.0\.0\.1:\d+.*;\n)+", upstream, site, flags=re.M)
    assert count == 1, "the upstream servers are not one block"
    site, count = re.subn(r"^\s*listen 80;$", f"    listen 127.0.0.1:{listen};", site, flags=re.M)
    assert count == 1, "no `listen 80;` in the site config"
    return re.sub(r"^\s*listen \[::\]:80;\n", "", site, flags=re.M)


@contextmanager
def nginx(workdir: Path, site: str, port: int) -> Iterator[Process]:
    binary = nginx_binary()
    workdir.mkdir()
    (workdir / "baas.conf").write_text(site)
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = "".join(
        f"    {kind}_temp_path {workdir / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (workdir / "nginx.conf").write_text(
        f"{user}worker_processes 2;\npid {workdir / 'nginx.pid'};\n"
        f"error_log {workdir / 'error.log'} info;\nevents {{ worker_connections 1024; }}\n"
        f"http {{\n    log_format upstreams '$status $upstream_addr $upstream_status $request';\n"
        f"    access_log {workdir / 'access.log'} upstreams;\n{temp}"
        f"    include {workdir / 'baas.conf'};\n}}\n"
    )
    base = [
        binary,
        "-p",
        str(workdir),
        "-e",
        str(workdir / "error.log"),
        "-c",
        str(workdir / "nginx.conf"),
    ]
    checked = subprocess.run([*base, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    process = Process(
        "nginx", [*base, "-g", "daemon off;"], dict(os.environ), workdir / "stdout.log"
    )
    process.start()
    try:
        services.wait_until(lambda: services.port_open("127.0.0.1", port), 20, "nginx")
        yield process
    finally:
        process.stop()


# ---- the set-up ----------------------------------------------------------------------------


def redis_db(url: str, db: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))


def flush_redis(url: str) -> None:
    import redis as redis_client

    connection = redis_client.Redis.from_url(url)
    try:
        connection.flushdb()
    finally:
        connection.close()


@contextmanager
def postgres_database() -> Iterator[str]:
    url = os.environ.get("DATABASE_URL", "")
    url = url if url.startswith(("postgres", "pgsql")) else DEFAULT_POSTGRES
    name = f"baas_deploy_{os.getpid()}"
    services.drop_stale_databases(url, "baas_deploy_")
    try:
        yield services.create_database(url, name)
    finally:
        services.drop_database(url, name)


@dataclass
class Deployment:
    url: str
    web: list[Process]
    web_urls: list[str]
    worker: Process
    beat: Process
    nginx: Process
    s3: services.S3Server


@pytest.fixture
def deployment(
    tmp_path: Path, s3_server: services.S3Server, redis_url: str
) -> Iterator[Deployment]:
    s3 = services.S3Server(
        s3_server.endpoint, "baas-deploy", s3_server.access_key, s3_server.secret_key
    )
    client = s3.client()
    with suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=s3.bucket)
    redis = services.ensure_redis(redis_db(redis_url, REDIS_DB))
    flush_redis(redis)  # no queued task of an earlier run (this database number is ours)
    data_dir = tmp_path / "var-lib-baas"
    with ExitStack() as stack:
        database = stack.enter_context(postgres_database())
        env = services.baas_env(
            BAAS_SECRET_KEY=SECRET,
            DATABASE_URL=database,
            REDIS_URL=redis,
            BAAS_S3_ENDPOINT=s3.endpoint,
            BAAS_S3_BUCKET=s3.bucket,
            BAAS_S3_ACCESS_KEY=s3.access_key,
            BAAS_S3_SECRET_KEY=s3.secret_key,
            BAAS_S3_REGION=s3.region,
            BAAS_DIR=str(data_dir),
            BAAS_ALLOWED_HOSTS="*",
        )
        documented = example_keys()
        missing = {
            k for k in env if k.startswith(("BAAS_", "DATABASE_URL", "REDIS_URL"))
        } - documented
        assert not missing, f"not in deploy/baas.env.example: {missing}"

        web_unit = read_unit("baas-web@.service")
        ports = services.free_ports(WEB_PROCESSES + 1)
        web = [
            Process(f"baas-web@{port}", command(web_unit, data_dir, str(port)),
                    unit_env(web_unit, env, data_dir), tmp_path / f"web-{port}.log")
            for port in ports[:WEB_PROCESSES]
        ]  # fmt: skip
        for process in web:  # all at once, as systemd starts them (migrations take turns)
            process.start()
            stack.callback(process.stop)
        web_urls = [f"http://127.0.0.1:{port}" for port in ports[:WEB_PROCESSES]]
        for url, process in zip(web_urls, web, strict=True):
            wait_healthy(url, process)
        done = services.run_baas("superuser", "upsert", SUPERUSER, PASSWORD, env=web[0].env)
        assert done.returncode == 0, done.stderr

        processes = {}
        for name in ("baas-worker.service", "baas-beat.service"):
            unit = read_unit(name)
            processes[name] = Process(
                name,
                command(unit, data_dir),
                unit_env(unit, env, data_dir),
                tmp_path / f"{name}.log",
            ).start()
            stack.callback(processes[name].stop)
        worker, beat = processes["baas-worker.service"], processes["baas-beat.service"]
        wait_in_log(worker, " ready.", 60)
        wait_in_log(beat, "beat: Starting", 60)

        listen = ports[-1]
        proxy = stack.enter_context(
            nginx(tmp_path / "nginx", render_site(ports[:WEB_PROCESSES], listen), listen)
        )
        url = f"http://127.0.0.1:{listen}"
        assert httpx.get(f"{url}/api/health", timeout=5).status_code == 200
        yield Deployment(url, web, web_urls, worker, beat, proxy, s3)


# ---- the test ------------------------------------------------------------------------------


def node(mode: str, env: dict[str, str]) -> subprocess.Popen:
    node_bin = shutil.which("node")
    assert node_bin, "node is required (Node.js 20 is on this machine kind)"
    return subprocess.Popen(
        [node_bin, str(Path(__file__).parent / "deploy.mjs"), mode],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def logs(deployment: Deployment) -> str:
    parts = [*deployment.web, deployment.worker, deployment.beat]
    text = "".join(f"--- {p.name} ---\n{p.log()[-2500:]}\n" for p in parts)
    error_log = deployment.nginx.log_path.parent / "error.log"
    return text + f"--- nginx ---\n{error_log.read_text(errors='replace')[-2500:]}"


def websocket_through_nginx(deployment: Deployment) -> None:
    from websockets.sync.client import connect

    token = httpx.post(
        f"{deployment.url}/api/collections/users/auth-with-password",
        json={"identity": "deploy-user@example.com", "password": PASSWORD},
        timeout=10,
    ).json()["token"]
    url = deployment.url.replace("http://", "ws://") + "/api/ws"
    with connect(url, open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        ws.send(json.dumps({"type": "subscribe", "topics": ["deploy_posts/*"], "ref": 1}))
        assert json.loads(ws.recv(timeout=10))["type"] == "ok"
        titles = set()
        for index, backend in enumerate(deployment.web_urls):
            title = f"websocket via process {index}"
            answer = httpx.post(
                f"{backend}/api/collections/deploy_posts/records",
                json={"title": title},
                headers={"Authorization": token},
                timeout=10,
            )
            assert answer.status_code == 200, answer.text
            titles.add(title)
        seen = set()
        while seen != titles:
            message = json.loads(ws.recv(timeout=15))
            assert message["type"] == "event", message
            seen.add(message["data"]["record"]["title"])


def test_production_setup_behind_nginx(
    deployment: Deployment, node_modules: Path, tmp_path: Path
) -> None:
    stop_file = tmp_path / "stop-load"
    env = dict(
        os.environ,
        BAAS_URL=deployment.url,
        BACKENDS=",".join(deployment.web_urls),
        SU_EMAIL=SUPERUSER,
        SU_PASSWORD=PASSWORD,
        SDK_MODULES=str(node_modules),
        STOP_FILE=str(stop_file),
    )

    app = node("app", env)
    out, err = app.communicate(timeout=180)
    assert app.returncode == 0, f"{out}\n{err}\n{logs(deployment)}"
    result = json.loads(out.strip().splitlines()[-1])
    assert result["ok"] is True

    # The file is on S3, under the record's folder.
    listed = deployment.s3.client().list_objects_v2(Bucket=deployment.s3.bucket)
    keys = [item["Key"] for item in listed.get("Contents", [])]
    assert any(key.endswith(f"{result['record']}/{result['file']}") for key in keys), keys
    # Realtime over WebSocket through nginx (the upgrade passes), a write on each process.
    websocket_through_nginx(deployment)
    # The job started through the API ran on the Celery worker.
    wait_in_log(deployment.worker, "baas.backups.cleanup_logs", 30)

    # A rolling restart of one web process while a client keeps making requests.
    load = node("load", env)
    assert load.stdout is not None
    assert json.loads(load.stdout.readline()) == {"started": True}, (
        load.stderr.read() if load.stderr else ""
    )
    time.sleep(2)
    restarted = deployment.web[0]
    assert restarted.stop() == 0, restarted.log()[-3000:]  # SIGTERM: a clean exit
    time.sleep(1)  # requests go on while it is down
    restarted.start()
    wait_healthy(deployment.web_urls[0], restarted)
    access_log = deployment.nginx.log_path.parent / "access.log"
    back_at = access_log.stat().st_size
    time.sleep(6)  # past nginx's fail_timeout: the process is back in the rotation
    stop_file.touch()
    out, err = load.communicate(timeout=60)
    assert load.returncode == 0, f"{out}\n{err}"
    counts = json.loads(out.strip().splitlines()[-1])
    assert counts["failed"] == [], f"{counts}\n{logs(deployment)}"
    assert counts["ok"] > 20, counts  # requests went on through the restart

    # nginx routed around the stopped process and back to it once it was up again.
    port = deployment.web_urls[0].rsplit(":", 1)[1]
    with open(access_log, "rb") as lines:
        lines.seek(back_at)
        after = lines.read().decode()
    assert f"127.0.0.1:{port} " in after or after.count(f"127.0.0.1:{port}\n"), after[-2000:]
    assert all(not line.startswith("5") for line in access_log.read_text().splitlines())

    # Beat sends the cron tick (every 30 s) to the worker, which runs it.
    wait_in_log(deployment.beat, "Sending due task baas.backups.tick", 45)
    wait_in_log(deployment.worker, "baas.backups.tick", 30)
