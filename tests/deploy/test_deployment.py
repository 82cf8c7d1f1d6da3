"""The production set-up of ``deploy/`` and ``docs/deployment.md``, brought up on loopback.

PostgreSQL (a database of its own), Redis (a database number of its own), SeaweedFS
for S3, the web processes, the Celery worker and beat, and nginx (Debian's, installed
if missing) with the checked-in site config, set up by the page's own commands
(``documented.py``): its environment-file block fills ``/etc/baas/baas.env`` from
``deploy/baas.env.example`` and every process reads that file; its units block copies
``deploy/systemd`` and names the units to enable, which the test starts (one web
process per ``baas-web@PORT`` named, on a free port); its superuser command makes
the superuser the test signs in as; its nginx block installs the site, puts the
upstream ports in and checks it with ``nginx -t``. Every process runs the exact
command of its unit file's ``ExecStart`` (with the install paths and the instance's
port put in), so the units cannot rot; systemd itself is not in the container.

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
from tests.deploy import documented

pytestmark = pytest.mark.deploy

DEPLOY = services.REPO / "deploy"
ENV_EXAMPLE = DEPLOY / "baas.env.example"
INSTALL_BIN = documented.INSTALL_BIN
DATA_DIR = "/var/lib/baas"
# The superuser docs/deployment.md's command makes.
SUPERUSER, SU_PASSWORD = "admin@example.com", "a long password"
PASSWORD = "password123"  # deploy.mjs's users
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


def read_unit(units: Path, name: str) -> Unit:
    """``ExecStart``, ``Environment`` and ``WorkingDirectory`` of a unit file."""
    values: dict[str, list[str]] = {}
    for line in (units / name).read_text().splitlines():
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


def env_file(host: documented.Host, values: dict[str, str | None]) -> dict[str, str]:
    """The page's environment-file block, ``editor`` putting ``values`` in; the file's values."""
    host.run(documented.ENV_FILE, {"env": values}, services.baas_env())
    path = host.etc / "baas" / "baas.env"
    assert path.stat().st_mode & 0o777 == 0o640, oct(path.stat().st_mode)
    assert (host.etc / "baas").stat().st_mode & 0o777 == 0o750
    written = documented.read_env_file(path)
    example = documented.read_env_file(ENV_EXAMPLE)
    assert set(written) == set(example) - {k for k, v in values.items() if v is None}
    left = {k for k, v in written.items() if v == example[k] and k != "BAAS_LOG_FORMAT"}
    assert not left, f"example values the edit left in baas.env: {sorted(left)}"
    return written


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


def nginx_conf(workdir: Path, sites: Path) -> Path:
    """The main config: Debian's shape (``include sites-enabled/*``), paths in ``workdir``."""
    workdir.mkdir()
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
        f"    include {sites}/*;\n}}\n"
    )
    return workdir / "nginx.conf"


@contextmanager
def nginx(binary: str, conf: Path, port: int) -> Iterator[Process]:
    """nginx in the foreground with ``conf`` (checked by the page's ``nginx -t``)."""
    workdir = conf.parent
    base = [binary, "-p", str(workdir), "-e", str(workdir / "error.log"), "-c", str(conf)]
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
    host = documented.Host(tmp_path / "host", tmp_path / "nginx" / "nginx.conf", nginx_binary())
    host.prepare()
    with ExitStack() as stack:
        database = stack.enter_context(postgres_database())
        # docs/deployment.md §6: /etc/baas/baas.env from the example, every value replaced
        # (no SMTP server here: its lines are left out, and mail goes to the log).
        smtp = ("HOST", "PORT", "USERNAME", "PASSWORD", "SENDER")
        values: dict[str, str | None] = {
            "BAAS_SECRET_KEY": SECRET,
            "DATABASE_URL": database,
            "REDIS_URL": redis,
            "BAAS_S3_ENDPOINT": s3.endpoint,
            "BAAS_S3_BUCKET": s3.bucket,
            "BAAS_S3_ACCESS_KEY": s3.access_key,
            "BAAS_S3_SECRET_KEY": s3.secret_key,
            "BAAS_S3_REGION": s3.region,
            "BAAS_DIR": str(data_dir),
            "BAAS_ALLOWED_HOSTS": "*",
            **{f"BAAS_SMTP_{name}": None for name in smtp},
        }
        env = {**services.baas_env(), **env_file(host, values)}

        # §7: the units, copied where systemd reads them; the test starts what it enables.
        host.run(documented.UNITS, {}, services.baas_env())
        units = host.root / "etc" / "systemd" / "system"
        enabled = host.enabled()
        web_names = [name for name in enabled if name.startswith("baas-web@")]
        assert len(web_names) >= 2, enabled  # a rolling restart needs another process
        assert sorted(set(enabled) - set(web_names)) == ["baas-beat", "baas-worker"], enabled
        web_unit = read_unit(units, "baas-web@.service")
        ports = services.free_ports(len(web_names) + 1)
        web = [
            Process(f"{name} on {port}", command(web_unit, data_dir, str(port)),
                    unit_env(web_unit, env, data_dir), tmp_path / f"web-{port}.log")
            for name, port in zip(web_names, ports, strict=False)
        ]  # fmt: skip
        for process in web:  # all at once, as systemd starts them (migrations take turns)
            process.start()
            stack.callback(process.stop)
        web_urls = [f"http://127.0.0.1:{port}" for port in ports[: len(web)]]
        for url, process in zip(web_urls, web, strict=True):
            wait_healthy(url, process)
        # The first superuser, with the page's command.
        superuser = documented.block(documented.SUPERUSER).code
        assert f'{SUPERUSER} "{SU_PASSWORD}"' in superuser, superuser
        host.run(documented.SUPERUSER, {}, services.baas_env())

        processes = {}
        for name in ("baas-worker.service", "baas-beat.service"):
            unit = read_unit(units, name)
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

        # §8: the site installed, edited (the upstream ports, a loopback listen address)
        # and checked by the page's `nginx -t`; then nginx runs with it.
        listen = ports[-1]
        site = {"ports": ports[: len(web)], "listen": listen}
        nginx_conf(host.nginx_conf.parent, host.etc / "nginx" / "sites-enabled")
        host.run(documented.NGINX, {"site": site}, services.baas_env())
        assert not (host.etc / "nginx" / "sites-enabled" / "default").exists()
        assert "reload nginx" in host.calls.read_text()
        proxy = stack.enter_context(nginx(host.nginx_binary, host.nginx_conf, listen))
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


def deploy_user_token(deployment: Deployment) -> str:
    return httpx.post(
        f"{deployment.url}/api/collections/users/auth-with-password",
        json={"identity": "deploy-user@example.com", "password": PASSWORD},
        timeout=10,
    ).json()["token"]


def write_on_each_process(deployment: Deployment, token: str, via: str) -> set[str]:
    """One post made directly on each web process; their titles."""
    titles = set()
    for index, backend in enumerate(deployment.web_urls):
        title = f"{via} via process {index}"
        answer = httpx.post(
            f"{backend}/api/collections/deploy_posts/records",
            json={"title": title},
            headers={"Authorization": token},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        titles.add(title)
    return titles


def websocket_through_nginx(deployment: Deployment) -> None:
    from websockets.sync.client import connect

    token = deploy_user_token(deployment)
    url = deployment.url.replace("http://", "ws://") + "/api/ws"
    with connect(url, open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        ws.send(json.dumps({"type": "subscribe", "topics": ["deploy_posts/*"], "ref": 1}))
        assert json.loads(ws.recv(timeout=10))["type"] == "ok"
        titles = write_on_each_process(deployment, token, "websocket")
        seen = set()
        while seen != titles:
            message = json.loads(ws.recv(timeout=15))
            assert message["type"] == "event", message
            seen.add(message["data"]["record"]["title"])


def graphql_subscription_through_nginx(deployment: Deployment) -> None:
    """A GraphQL subscription (graphql-transport-ws) through nginx's /api/graphql location
    receives a write made on each web process."""
    from websockets.sync.client import connect

    token = deploy_user_token(deployment)
    url = deployment.url.replace("http://", "ws://") + "/api/graphql"
    with connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:  # type: ignore[list-item]
        ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": token}}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        query = "subscription { deploy_posts { action record { title } } }"
        ws.send(json.dumps({"id": "s", "type": "subscribe", "payload": {"query": query}}))
        # One connection's operations run in order: once this query is answered, the
        # subscription is in place.
        ws.send(
            json.dumps({"id": "q", "type": "subscribe", "payload": {"query": "{ __typename }"}})
        )
        while True:
            message = json.loads(ws.recv(timeout=10))
            if message.get("id") == "q" and message["type"] == "complete":
                break
        titles = write_on_each_process(deployment, token, "graphql")
        seen = set()
        while seen != titles:
            message = json.loads(ws.recv(timeout=15))
            assert message["type"] == "next" and message["id"] == "s", message
            event = message["payload"]["data"]["deploy_posts"]
            assert event["action"] == "create"
            seen.add(event["record"]["title"])


def test_production_setup_behind_nginx(
    deployment: Deployment, node_modules: Path, tmp_path: Path
) -> None:
    stop_file = tmp_path / "stop-load"
    env = dict(
        os.environ,
        BAAS_URL=deployment.url,
        BACKENDS=",".join(deployment.web_urls),
        SU_EMAIL=SUPERUSER,
        SU_PASSWORD=SU_PASSWORD,
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
    graphql_subscription_through_nginx(deployment)
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
