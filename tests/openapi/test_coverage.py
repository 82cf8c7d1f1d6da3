"""Every URL pattern served under ``/api`` is in the superuser's OpenAPI document, with
every method its view answers, or is listed in ``EXCLUDED`` with the reason; the hooks'
custom routes are described as the hooks directory registers them."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_spec_validator import validate

URL = "/api/openapi.json"
METHODS = ("get", "post", "put", "patch", "delete")
EXCLUDED = {
    "/api/": "the catch-all that answers any other /api path with the error envelope's 404",
    "/api/hooks/<path:path>": "one view for the hooks' custom routes; each registered route "
    "is described on its own (test_registered_hook_routes_are_described)",
}
# Served by the ASGI side (baas.server), not by Django's URL patterns.
ASGI_PATHS = {"/api/realtime": {"get", "post"}, "/api/graphql": {"get", "post"}}
ASGI_EXCLUDED = {
    "/api/ws": "a WebSocket (docs/realtime.md): OpenAPI 3.1 describes no WebSocket protocol",
}
# Function views: the methods they answer (class-based views are read from the class).
FUNCTION_VIEWS = {
    "/api/health": {"get"},
    "/api/graphql": {"get", "post"},
    "/api/oauth2-redirect": {"get", "post"},
    "/api/files/<str:collection>/<str:record_id>/<str:filename>": {"get"},
}


def _walk(patterns: list[Any], prefix: str) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for entry in patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _walk(list(entry.url_patterns), prefix + route)
        elif isinstance(entry, URLPattern):
            found.append((prefix + route, entry.callback))
    return found


def api_patterns() -> dict[str, set[str]]:
    """``{"/api/…" route: methods}`` for every Django URL pattern under /api."""
    out: dict[str, set[str]] = {}
    for route, callback in _walk(get_resolver().url_patterns, "/"):
        route = route.replace("^", "")
        if not route.startswith("/api/"):
            continue
        view_class = getattr(callback, "view_class", None)
        if view_class is not None:
            out[route] = {m for m in METHODS if hasattr(view_class, m)}
        else:
            out[route] = FUNCTION_VIEWS.get(route, {"get"})
    return out


def _route_regex(route: str) -> re.Pattern[str]:
    parts = re.split(r"<(?:\w+:)?\w+>", route)
    return re.compile("[^/]+".join(re.escape(p) for p in parts) + "/?")


def _documented(doc: dict[str, Any], route: str) -> set[str]:
    """The methods the document gives the paths this route serves: a templated path
    (``{collection}``) or one per collection (``/api/collections/posts/records``)."""
    pattern = _route_regex(route)
    methods: set[str] = set()
    for path, item in doc["paths"].items():
        if pattern.fullmatch(re.sub(r"\{\w+\}", "x", path)):
            methods |= {m for m in item if m in METHODS}
    return methods


@pytest.fixture
def doc(api: Any, cast: Any, make_collection: Any) -> dict[str, Any]:
    make_collection({"name": "posts", "fields": [{"name": "title", "type": "text"}]})
    found = api.get(URL, token=cast.superuser)
    assert found.status_code == 200, found.content
    body: dict[str, Any] = found.json()
    return body


@pytest.mark.django_db
def test_every_api_url_pattern_is_described_or_excluded_with_a_reason(doc):
    patterns = api_patterns()
    assert "/api/graphql" in patterns and "/api/x/api-keys" in patterns  # the walk works
    missing = {}
    for route, methods in sorted(patterns.items()):
        if route in EXCLUDED:
            continue
        described = _documented(doc, route)
        if not methods <= described:
            missing[route] = sorted(methods - described)
    assert missing == {}
    assert set(EXCLUDED) <= set(patterns), "an exclusion names a pattern that is gone"


@pytest.mark.django_db
def test_the_asgi_paths_are_described_or_excluded(doc):
    for path, methods in ASGI_PATHS.items():
        assert methods <= set(doc["paths"][path]), path
    for path in ASGI_EXCLUDED:
        assert path not in doc["paths"]


@pytest.mark.django_db
def test_graphql_webhooks_push_jobs_and_keys_have_bodies_and_auth(doc):
    validate(doc)
    paths = doc["paths"]
    graphql = paths["/api/graphql"]["post"]
    assert graphql["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/GraphQLRequest"
    }
    assert {"200", "400", "default"} <= set(graphql["responses"])
    for path, method in (
        ("/api/webhooks", "post"),
        ("/api/jobs", "post"),
        ("/api/push/send", "post"),
        ("/api/x/api-keys", "post"),
    ):
        operation = paths[path][method]
        assert "requestBody" in operation, path
        assert {} not in operation["security"], path  # a token or key is required
    assert paths["/api/x/api-keys"]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "properties"
    ]["actions"]["items"]["enum"] == ["list", "view", "create", "update", "delete"]


@pytest.mark.django_db
def test_the_public_document_leaves_out_the_administration(api, cast, make_collection):
    from baas.settings_api import service as app_settings

    app_settings.update({"openapi": {"public": True}})
    try:
        paths = api.get(URL).json()["paths"]
    finally:  # the settings are cached per process: leave them as found
        app_settings.update({"openapi": {"public": False}})
    assert "/api/graphql" in paths and "/api/push/devices" in paths
    for admin in ("/api/x/api-keys", "/api/webhooks", "/api/jobs", "/api/backups", "/api/crons"):
        assert admin not in paths


ROUTES = """
from baas.hooks import route

@route("GET", "/hello/{name}")
def hello(ctx):
    return {"hello": ctx.params["name"]}

@route("POST", "/hello/{name}")
def hello_back(ctx):
    return None
"""


@pytest.mark.django_db
def test_registered_hook_routes_are_described(api, cast, tmp_path: Path):
    empty, hooks = tmp_path / "empty", tmp_path / "hooks"
    empty.mkdir()
    hooks.mkdir()
    (hooks / "routes.py").write_text(textwrap.dedent(ROUTES))
    with override_settings(BAAS_HOOKS_DIR=empty):
        before = api.get(URL, token=cast.superuser).json()["paths"]
    assert not [p for p in before if p.startswith("/api/hooks/")]
    with override_settings(BAAS_HOOKS_DIR=hooks):  # another directory: loaded at once
        doc = api.get(URL, token=cast.superuser).json()
        assert api.get("/api/hooks/hello/ann").json() == {"hello": "ann"}
    item = doc["paths"]["/api/hooks/hello/{name}"]
    assert set(item) == {"get", "post"}
    assert item["get"]["parameters"][0]["name"] == "name"
    validate(doc)
