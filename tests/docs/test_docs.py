"""The docs cannot rot: the site builds with --strict and every code sample runs.

- Every fenced block in docs/*.md is a JavaScript, shell or Python sample that runs
  against a live ``baas serve`` (a page is one script, samples.py), a Dart sample checked
  against the real pocketbase Dart SDK's API (dart_api.py), an example (a JSON payload
  or answer) that the page's rig checks against what the live server really sends
  (rigs.py), or one of the blocks in ``SHOWN`` below, each with the reason it is shown
  rather than run.
- Dart samples also run: translated to JavaScript against a live server (test_dart_run.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests import services
from tests.auth.smtp_sink import Mailbox, smtp_sink
from tests.docs import dart_api, rigs_npm_and_db
from tests.docs.rigs import RIGS, PageRig
from tests.docs.samples import (
    DOCS,
    REPO,
    Block,
    blocks,
    for_server,
    page_script,
    pages,
    serve_command,
    write_files,
)
from tests.reliability.live import Instance, instance
from tests.sdk.conftest import SDK_DIR

# Blocks shown for reading, never run: (page, first line) → why.
SHOWN: dict[tuple[str, str], str] = {
    ("getting-started.md", "make run"): (
        "`make run` starts the server in the foreground; the test runs that same server "
        "itself (test_make_run_serves_what_the_samples_use checks the command)"
    ),
    (
        "files.md",
        "/api/files/<collection>/<record id>/<file name>[?thumb=100x100][&download=1][&token=…]",
    ): ("a URL pattern, not code; the samples below request each of its forms"),
    ("realtime.md", "write (REST, batch, cascade, truncate, a baas command, a Celery task)"): (
        "an ASCII diagram of the event flow, not code"
    ),
    ("rules.md", 'expr      := group ( ("&&" | "||") group )*'): (
        "the grammar, in EBNF: every production is exercised by the rule samples below it"
    ),
    ("sdk-dart.md", "dependencies:"): (
        "a pubspec.yaml excerpt: no Dart toolchain here to resolve it (the version it "
        "names is checked against the API surface file by test_pubspec_names_the_checked_sdk)"
    ),
    (
        "export-import.md",
        "OUT_DIR/collections.json             a JSON list of every collection, in the collections",
    ): ("the layout of an export folder, not code: the samples above write one and import it"),
    (
        "deployment.md",
        "apt-get install -y python3 python3-venv libmagic1 postgresql redis-server nginx git",
    ): (
        "installs packages and adds a system user on the host; the test machine has those "
        "packages (make test-deploy installs Debian's nginx when it is missing)"
    ),
    ("deployment.md", "git clone https://example.com/baas.git /opt/baas"): (
        "the install from a clone, as `make setup` does in this checkout; make test-deploy "
        "checks that every unit's ExecStart program is in the virtualenv after it"
    ),
    ("deployment.md", "sudo -u postgres createuser --pwprompt baas"): (
        "asks for a password on a terminal as the postgres system user; make test-deploy "
        "makes its own database and puts its URL in the environment file"
    ),
    ("deployment.md", "install -d -m 0750 -g baas /etc/baas"): (
        "run by make test-deploy (tests/deploy/documented.py) with /etc in a temporary "
        "folder; every process of that deployment reads the file it writes"
    ),
    ("deployment.md", "cp deploy/systemd/* /etc/systemd/system/"): (
        "run by make test-deploy (tests/deploy/documented.py) with a systemctl that records "
        "the units to enable; the test starts those units' ExecStart commands itself"
    ),
    ("deployment.md", "systemctl status 'baas-*'"): (
        "systemd's view of the units (no systemd in a container); make test-deploy waits "
        "for /api/health on every web process and reads their logs"
    ),
    (
        "deployment.md",
        "sudo -u baas sh -c 'set -a; . /etc/baas/baas.env; /opt/baas/.venv/bin/baas "
        'superuser upsert admin@example.com "a long password"\'',
    ): (
        "run by make test-deploy (tests/deploy/documented.py); the deployment's SDK client "
        "signs in as that superuser"
    ),
    ("deployment.md", "cp deploy/nginx/baas.conf /etc/nginx/sites-available/baas"): (
        "run by make test-deploy (tests/deploy/documented.py) with /etc in a temporary "
        "folder, its `nginx -t` on Debian's nginx; that nginx then fronts the deployment"
    ),
    ("deployment.md", "cd /opt/baas && git pull && .venv/bin/pip install ."): (
        "a rolling restart through systemd; make test-deploy stops one web process with "
        "SIGTERM (as systemctl restart does) and starts it again under load, no request failing"
    ),
    (
        "deployment.md",
        "BAAS_SOAK_SECONDS=1800 .venv/bin/python -m pytest -q -s tests/reliability/test_soak.py",
    ): (
        "half an hour: CI runs the same test for 75 s per database (make test); "
        "test_docs_static.py checks the test and its variable exist"
    ),
    ("upgrades.md", "git pull"): (
        "upgrading a checkout in place: the commands are `git pull` and `make run`, which "
        "the test cannot do to its own working tree; what they run (migrations at start) "
        "is the JavaScript sample after it"
    ),
}

ALL_BLOCKS = [b for page in pages() for b in blocks(page)]
RUN_PAGES = sorted(
    {
        b.page
        for b in ALL_BLOCKS
        if b.kind in ("js", "ts", "sh", "python", "graphql") and (b.page, b.first_line) not in SHOWN
    }
)
DART_BLOCKS = [b for b in ALL_BLOCKS if b.kind == "dart"]


def test_every_block_is_run_checked_or_shown_with_a_reason() -> None:
    unexplained = [
        f"{b.where} ({b.lang or 'no language'}): {b.first_line[:60]}"
        for b in ALL_BLOCKS
        if not b.kind
        and (b.page, b.first_line) not in SHOWN
        and b.lang not in RIGS.get(b.page, PageRig).verifies  # checked by the page's rig
    ]
    assert not unexplained, "blocks neither run nor allow-listed:\n" + "\n".join(unexplained)
    shown = {(b.page, b.first_line) for b in ALL_BLOCKS}
    stale = [key for key in SHOWN if key not in shown]
    assert not stale, f"SHOWN entries for blocks that no longer exist: {stale}"
    assert RUN_PAGES and DART_BLOCKS  # the marking did not silently match nothing


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(tmp_path_factory.mktemp("docs") / "site")


def test_site_builds_strict(built_site: Path) -> None:
    for page in ("index.html", "getting-started/index.html", "rules/index.html"):
        assert (built_site / page).is_file(), page


def build_site(target: Path) -> Path:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(target)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return target


@pytest.mark.django_db
def test_console_serves_the_built_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built_site: Path
) -> None:
    from baas.admin_ui.views import docs as docs_view

    client = Client()
    monkeypatch.setattr(docs_view, "SITE_DIR", tmp_path / "missing")
    missing = client.get("/_/docs/")
    assert missing.status_code == 404 and b"make docs" in missing.content

    monkeypatch.setattr(docs_view, "SITE_DIR", built_site)
    assert client.get("/_/docs").status_code == 302
    home = client.get("/_/docs/")
    assert home.status_code == 200 and b"Getting started" in b"".join(home.streaming_content)
    assert client.get("/_/docs/rules").status_code == 302
    rules = client.get("/_/docs/rules/")
    assert rules.status_code == 200 and b"@request.auth.id" in b"".join(rules.streaming_content)
    assert client.get("/_/docs/../pyproject.toml").status_code in (400, 404)  # never served
    assert client.get("/_/docs/nope/").status_code == 404


def test_console_nav_links_to_the_docs() -> None:
    base = (REPO / "baas/admin_ui/templates/admin_ui/base.html").read_text()
    assert 'href="/_/docs/"' in base


def test_make_run_serves_what_the_samples_use() -> None:
    """getting-started's `make run` is `baas serve --http 127.0.0.1:8090`, the server the
    samples address (the test runs that command on a free port instead)."""
    makefile = (REPO / "Makefile").read_text()
    recipe = re.search(r"^run: setup\n\t(.+)$", makefile, re.M)
    assert recipe and recipe.group(1) == "$(BIN)/baas serve --http 127.0.0.1:8090 --dir ./baas_data"
    readme = (REPO / "README.md").read_text()
    started = (DOCS / "getting-started.md").read_text()
    for command in ("make run", ".venv/bin/baas superuser upsert admin@example.com"):
        assert command in readme and command in started, command


def test_pubspec_names_the_checked_sdk() -> None:
    version = dart_api.surface()["version"]
    major_minor = ".".join(version.split(".")[:2])
    assert f"pocketbase: ^{major_minor}" in (DOCS / "sdk-dart.md").read_text()


@pytest.mark.parametrize("block", DART_BLOCKS, ids=lambda b: b.where)
def test_dart_sample(block: Block) -> None:
    """Parsed and checked against the Dart SDK's API surface (dart_api.py). Each page's
    Dart blocks also run, translated to JavaScript, against a live server with a
    stand-in for the SDK (test_dart_run.py says what runs and what is stood in)."""
    problems = dart_api.check(block.code)
    assert not problems, f"{block.where}:\n" + "\n".join(problems)


# --- running the pages -----------------------------------------------------------------


@pytest.fixture(scope="module")
def node_modules() -> Path:
    npm = shutil.which("npm")
    assert npm, "npm is required for the docs samples"
    if not (SDK_DIR / "node_modules" / "pocketbase").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=SDK_DIR, check=True, timeout=300)
    return SDK_DIR / "node_modules"


TS_PAGES = sorted({b.page for b in ALL_BLOCKS if b.kind == "ts"})
HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def typescript() -> Path:
    """tests/docs/node_modules: typescript and the pocketbase SDK (its .d.ts), ``npm ci``."""
    if not (HERE / "node_modules" / "typescript").is_dir():
        npm = shutil.which("npm")
        assert npm, "npm is required for the docs samples"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True, timeout=300)
    return HERE / "typescript.mjs"


def transpile(tool: Path, block: Block) -> str:
    done = subprocess.run(
        ["node", str(tool), "transpile"],
        input=block.code,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("page", TS_PAGES)
def test_typescript_samples_typecheck(page: str, tmp_path: Path, typescript: Path) -> None:
    """A page's TypeScript blocks, as one file, pass `tsc --strict` against the SDK's types."""
    code = "\n".join(b.code for b in blocks(DOCS / page) if b.kind == "ts")
    (tmp_path / "package.json").write_text('{"type": "module"}')
    (tmp_path / "node_modules").symlink_to(HERE / "node_modules")
    (tmp_path / "sample.ts").write_text(code)
    done = subprocess.run(
        ["node", str(typescript), "check", str(tmp_path / "sample.ts")],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def mail_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Mailbox, Path]]:
    """An SMTP sink whose mails are also written as JSON files (askUser reads them)."""
    folder = tmp_path_factory.mktemp("mail")
    with smtp_sink() as box:
        stop = threading.Event()

        def dump() -> None:
            written = 0
            while not stop.wait(0.02):
                with box.lock:
                    new = box.mails[written:]
                for mail in new:
                    written += 1
                    path = folder / f"{time.time_ns()}-{written:04d}.json"
                    tmp = path.with_suffix(".tmp")
                    tmp.write_text(json.dumps({"to": mail.to, "html": mail.html}))
                    tmp.rename(path)

        thread = threading.Thread(target=dump, daemon=True)
        thread.start()
        yield box, folder
        stop.set()
        thread.join(5)


def send_mail_to(box: Mailbox, live: Instance) -> None:
    """The live server sends its mail to the sink: SMTP settings, and in production mode
    (Redis) a Celery worker, which is what sends it there."""
    smtp = {"enabled": True, "host": box.host, "port": box.port, "tls": False}
    assert live.api("PATCH", "/api/settings", json={"smtp": smtp}).status_code == 200
    if live.env.get("REDIS_URL"):
        worker = subprocess.Popen(
            [*services.baas_command(), "worker", "--dir", str(live.data_dir), "--concurrency", "1"],
            env=live.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        live.stack.callback(services.stop_process, worker)


@pytest.mark.parametrize("page", RUN_PAGES)
def test_page_samples_run(
    page: str,
    tmp_path: Path,
    node_modules: Path,
    typescript: Path,
    mail_dir: tuple[Mailbox, Path],
    request: pytest.FixtureRequest,
) -> None:
    box, folder = mail_dir
    for old in folder.iterdir():  # mail from earlier pages' servers
        old.unlink()
    with (
        {**RIGS, **rigs_npm_and_db.RIGS}.get(page, PageRig)(tmp_path) as rig,
        instance(tmp_path, start=False, **rig.env) as live,
    ):
        runnable = [b for b in blocks(DOCS / page) if (b.page, b.first_line) not in SHOWN]
        work = tmp_path / "work"  # shell samples run here, as in a checkout: .venv/bin/baas
        work.mkdir(exist_ok=True)  # a rig may have put the page's input files there
        (work / ".venv").symlink_to(REPO / ".venv")
        live.data_dir.mkdir()
        (work / "baas_data").symlink_to(live.data_dir)
        receiver = services.free_port()
        write_files(runnable, work, receiver)  # hooks files are loaded from the start
        # A page whose shell samples run `baas serve` starts its own server (samples.py).
        own_server = any(b.kind == "sh" and serve_command(b.code) for b in runnable)
        url = f"http://127.0.0.1:{services.free_port()}" if own_server else ""
        if not own_server:
            live.start()
            live.sign_in_superuser()
            if page != "getting-started.md":  # the superuser getting-started makes
                made = live.cli("superuser", "upsert", "admin@example.com", "a long password")
                assert made.returncode == 0, made.stderr
            send_mail_to(box, live)
            url = live.url
        script = tmp_path / "page.mjs"
        rigs_npm_and_db.link_node_modules(tmp_path / "node_modules", node_modules, rig)
        ts = {b: transpile(typescript, b) for b in runnable if b.kind == "ts"}
        database = getattr(rig, "database", "")
        script.write_text(page_script(runnable, url, sys.executable, ts, receiver, database))
        env = {
            **live.env,
            "BAAS_DIR": str(live.data_dir),
            "DOCS_WORKDIR": str(work),
            "DOCS_URL": url,
            "DOCS_MAILDIR": str(folder),
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        }
        done = rigs_npm_and_db.run_script(script, env, timeout=240)  # and what it started
        assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
        assert done.stdout.rstrip().endswith("all samples ran")
        verified = rig.verify(runnable, live)
        assert set(verified) == {b for b in runnable if b.lang in rig.verifies}
        for block in (b for b in runnable if b.kind == "html"):
            browser = request.getfixturevalue("chromium")  # the run's one browser
            WEB_PAGES[block.page](
                for_server(block.code, live.url), live, tmp_path, node_modules, browser
            )


# --- web page samples, used in Chromium as a person would -------------------------------

CDN_SDK = "https://cdn.jsdelivr.net/npm/pocketbase@*/dist/pocketbase.es.mjs"


@contextmanager
def static_site(folder: Path) -> Iterator[str]:
    handler = partial(SimpleHTTPRequestHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", services.free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def posts_web_app(
    html: str, live: Instance, tmp_path: Path, node_modules: Path, browser: Any
) -> None:
    """getting-started's index.html: sign in as Alice, post, and see a post made elsewhere."""
    from playwright.sync_api import expect

    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(html)
    sdk = (node_modules / "pocketbase/dist/pocketbase.es.mjs").read_bytes()
    errors: list[str] = []
    with static_site(site) as url:
        page = browser.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # the CDN is not reachable from tests: the same file, from the npm package
        page.route(
            CDN_SDK,
            lambda route: route.fulfill(
                body=sdk,
                content_type="text/javascript",
                headers={"Access-Control-Allow-Origin": "*"},
            ),
        )
        page.goto(url)
        expect(page.locator("#posts li").first).to_have_text("Hello")
        page.fill("#signin [name=email]", "alice@example.com")
        page.fill("#signin [name=password]", "alice's password")
        page.click("#signin button")
        expect(page.locator("#compose")).to_be_visible()
        page.fill("#compose [name=title]", "From the browser")
        page.click("#compose button")
        expect(page.locator("#posts li").first).to_have_text("From the browser")

        token = live.sign_in("users", "alice@example.com", "alice's password")
        author = page.evaluate("JSON.parse(localStorage.pocketbase_auth).record.id")
        made = live.api(
            "POST",
            "/api/collections/posts/records",
            json={"title": "From elsewhere", "author": author},
            headers={"Authorization": token},
        )
        assert made.status_code == 200, made.text
        expect(page.locator("#posts li").first).to_have_text("From elsewhere")  # realtime
        page.reload()
        expect(page.locator("#compose")).to_be_visible()  # still signed in
        page.close()
    assert not errors, errors


WEB_PAGES: dict[str, Callable[[str, Instance, Path, Path, Any], None]] = {
    "getting-started.md": posts_web_app,
}


def test_every_web_page_sample_has_a_walkthrough() -> None:
    pages_with_html = {b.page for b in ALL_BLOCKS if b.kind == "html"}
    assert pages_with_html == set(WEB_PAGES)
