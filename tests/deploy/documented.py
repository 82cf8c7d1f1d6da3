"""docs/deployment.md's set-up commands, run as the page writes them.

The page's shell blocks that configure the host (the environment file, the units, the
first superuser, the nginx site) run under bash with the host's paths moved into a
temporary root: ``/etc/…`` becomes ``<root>/etc/…``, ``/opt/baas/.venv/bin/`` the
checkout's virtualenv, the ``baas`` group the current user's group, and ``sudo -u baas``
is dropped. They run in the checkout, as the page runs them in ``/opt/baas``. Three
commands stand in for the host's own (first on ``PATH``):

- ``editor`` makes the edits the page asks for: it fills ``baas.env`` with the test's
  values (every key it sets must be in the file) and puts the test's upstream ports
  and listen address in the nginx site;
- ``systemctl`` records what it was asked (the test then starts what
  ``enable --now`` named, from the unit files the page copied);
- ``nginx`` is Debian's nginx with a main config that includes
  ``<root>/etc/nginx/sites-enabled/*``, as Debian's ``/etc/nginx/nginx.conf`` does.

Blocks the test cannot run (packages, a system user, ``git clone``, systemd's own
status and restarts) are listed in tests/docs/test_docs.py's ``SHOWN`` with the check
that stands for them.
"""

from __future__ import annotations

import grp
import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests import services
from tests.docs.samples import DOCS, Block, blocks

PAGE = DOCS / "deployment.md"
INSTALL_BIN = "/opt/baas/.venv/bin/"

# The blocks run here, by their first line (test_docs.py's SHOWN names this module).
ENV_FILE = "install -d -m 0750 -g baas /etc/baas"
UNITS = "cp deploy/systemd/* /etc/systemd/system/"
SUPERUSER = "sudo -u baas sh -c 'set -a; . /etc/baas/baas.env; "
NGINX = "cp deploy/nginx/baas.conf /etc/nginx/sites-available/baas"
RUN = (ENV_FILE, UNITS, SUPERUSER, NGINX)


def block(first_line: str) -> Block:
    """The page's shell block starting with ``first_line`` (exactly one)."""
    found = [b for b in blocks(PAGE) if b.kind == "sh" and b.first_line.startswith(first_line)]
    assert len(found) == 1, f"docs/deployment.md: {len(found)} blocks start with {first_line!r}"
    return found[0]


def render_site(site: str, ports: list[int], listen: int) -> str:
    """The site with our upstream ports and a loopback listen address (what the page's
    ``editor /etc/nginx/sites-available/baas`` step does: server_name, the ports)."""
    servers = re.findall(r"^\s*server 127\.0\.0\.1:\d+(.*);$", site, flags=re.M)
    assert servers, "no upstream servers in the site config"
    upstream = "".join(f"    server 127.0.0.1:{port}{servers[0]};\n" for port in ports)
    site, count = re.subn(r"(?:^\s*server 127\.0\.0\.1:\d+.*;\n)+", upstream, site, flags=re.M)
    assert count == 1, "the upstream servers are not one block"
    site, count = re.subn(r"^\s*listen 80;$", f"    listen 127.0.0.1:{listen};", site, flags=re.M)
    assert count == 1, "no `listen 80;` in the site config"
    return re.sub(r"^\s*listen \[::\]:80;\n", "", site, flags=re.M)


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines, as systemd's ``EnvironmentFile=`` reads this file."""
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f"{path}: not KEY=VALUE: {line!r}"
            values[key.strip()] = value.strip()
    return values


@dataclass
class Host:
    """A temporary root standing for the machine's ``/etc``, and the shims."""

    root: Path
    nginx_conf: Path  # the main config the nginx shim uses
    nginx_binary: str

    @property
    def etc(self) -> Path:
        return self.root / "etc"

    @property
    def calls(self) -> Path:
        return self.root / "systemctl.calls"

    def prepare(self) -> None:
        for folder in ("systemd/system", "nginx/sites-available", "nginx/sites-enabled"):
            (self.etc / folder).mkdir(parents=True)
        # Debian's nginx ships a default site the page removes.
        (self.etc / "nginx/sites-enabled/default").write_text("# Debian's default site\n")
        bin_dir = self.root / "bin"
        bin_dir.mkdir()
        python = shlex.quote(sys.executable)
        shims = {
            "editor": f'exec {python} -m tests.deploy.documented edit "$1"\n',
            "systemctl": f'echo "$*" >> {shlex.quote(str(self.calls))}\n',
            "nginx": (
                f"exec {shlex.quote(self.nginx_binary)} -p {shlex.quote(str(self.nginx_conf.parent))}"
                f' -c {shlex.quote(str(self.nginx_conf))} "$@"\n'
            ),
        }
        for name, body in shims.items():
            shim = bin_dir / name
            shim.write_text(f"#!/bin/sh\n{body}")
            shim.chmod(0o755)

    def localise(self, code: str) -> str:
        group = grp.getgrgid(os.getgid()).gr_name
        code = code.replace("sudo -u baas ", "").replace("-g baas ", f"-g {group} ")
        code = code.replace(INSTALL_BIN, str(services.BIN) + "/")
        return re.sub(r"(?<![\w.])/etc/", f"{self.etc}/", code)

    def run(self, first_line: str, edits: dict[str, object], env: dict[str, str]) -> str:
        """Run the page's block; ``edits`` tells ``editor`` what to put in (by file name)."""
        code = self.localise(block(first_line).code)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", code],
            cwd=services.REPO,
            env={
                **env,
                "PATH": f"{self.root / 'bin'}:{env.get('PATH', os.environ['PATH'])}",
                "DEPLOY_EDITS": json.dumps(edits),
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"docs/deployment.md `{first_line}`:\n{done.stderr}"
        return done.stdout

    def enabled(self) -> list[str]:
        """The units the page's ``systemctl enable --now`` named, in its order."""
        calls = self.calls.read_text().splitlines() if self.calls.exists() else []
        assert "daemon-reload" in calls, calls
        [enable] = [c for c in calls if c.startswith("enable --now ")]
        return enable.split()[2:]


def edit(path: Path) -> None:
    """The ``editor`` shim: the edits a person makes, from ``DEPLOY_EDITS``."""
    edits = json.loads(os.environ["DEPLOY_EDITS"])
    if path.name == "baas.env":
        values: dict[str, str | None] = edits["env"]
        lines = path.read_text().splitlines()
        seen = set()
        for index, line in enumerate(lines):
            key = line.partition("=")[0].strip()
            if not line.startswith("#") and key in values:
                seen.add(key)
                value = values[key]  # None: the setting is not used (commented out)
                lines[index] = f"# {line}" if value is None else f"{key}={value}"
        missing = set(values) - seen
        assert not missing, f"not in deploy/baas.env.example: {sorted(missing)}"
        path.write_text("\n".join(lines) + "\n")
    elif path.parent.name == "sites-available":
        site = edits["site"]
        assert isinstance(site, dict)
        path.write_text(render_site(path.read_text(), site["ports"], site["listen"]))
    else:
        raise AssertionError(f"the page edits {path}, which the test does not know")


if __name__ == "__main__":
    assert sys.argv[1] == "edit", sys.argv
    edit(Path(sys.argv[2]))
