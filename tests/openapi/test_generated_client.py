"""The document drives a generated client: openapi-python-client (PyPI) writes a Python
package from ``/api/openapi.json``, and the test calls the live server through it."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.reliability.live import Instance

GENERATOR = Path(sys.executable).with_name("openapi-python-client")


def _generate(doc: dict[str, Any], tmp: Path, package: str) -> Any:
    source = tmp / "openapi.json"
    source.write_text(json.dumps(doc))
    done = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(source),
            "--output-path",
            str(tmp / package),
            "--meta",
            "none",
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp,
        env={**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(tmp))
    try:
        return importlib.import_module(package)
    finally:
        sys.path.remove(str(tmp))


def test_generated_python_client(server: Instance, tmp_path: Path) -> None:
    doc = server.api("GET", "/api/openapi.json").json()
    pkg = _generate(doc, tmp_path, "baas_client")
    client = importlib.import_module("baas_client.client")
    posts = {
        name: importlib.import_module(f"baas_client.api.posts.posts_{name}")
        for name in ("create", "list", "view", "aggregate", "delete")
    }
    health = importlib.import_module("baas_client.api.system.health")
    guest = client.Client(base_url=server.url, raise_on_unexpected_status=True)
    root = client.AuthenticatedClient(base_url=server.url, token=server.token, prefix="")

    assert health.sync_detailed(client=guest).status_code == 200
    made = posts["create"].sync(
        client=root,
        body=pkg.models.CreatePosts(title="from the client", views=7, published=True),
    )
    assert isinstance(made, pkg.models.RecordPosts), made
    assert (made.title, made.views, made.published) == ("from the client", 7, True)
    assert made.collection_name == "posts"

    listed = posts["list"].sync(client=guest, filter_="views = 7", per_page=5)
    assert isinstance(listed, pkg.models.ListPosts), listed
    assert [item.id for item in listed.items] == [made.id]
    child = posts["create"].sync(
        client=root, body=pkg.models.CreatePosts(title="child", published=True, parent=made.id)
    )
    expanded = posts["view"].sync(child.id, client=guest, expand="parent")
    assert isinstance(expanded.expand.parent, pkg.models.RecordPosts), expanded
    assert expanded.expand.parent.title == "from the client"

    counted = posts["aggregate"].sync(client=guest, fn="count,sum(views)", filter_="views = 7")
    assert isinstance(counted, pkg.models.AggregateList), counted
    assert counted.items[0].count == 1
    assert counted.items[0].sum_.additional_properties == {"views": 7}

    missing = posts["view"].sync_detailed("nope", client=guest)
    assert missing.status_code == 404
    assert isinstance(missing.parsed, pkg.models.Error) and missing.parsed.status == 404
    denied = posts["create"].sync_detailed(
        client=guest, body=pkg.models.CreatePosts(title="guests may not")
    )
    assert denied.status_code == 400  # createRule: signed-in callers only
    assert posts["delete"].sync_detailed(child.id, client=root).status_code == 204
    assert posts["delete"].sync_detailed(made.id, client=root).status_code == 204
