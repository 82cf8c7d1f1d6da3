"""What a ``baas serve`` worker holds: the modules it loads before its first request, and
the free heap memory it gives back (bench/PROFILE.md, "Fifth pass: memory")."""

from __future__ import annotations

import json

from tests import services

# What a worker loads: ``Router.load()`` (Django, the WSGI app, the fast path, the
# realtime handler), then the URL configuration, as on its first request.
LOAD_A_WORKER = """
import json, sys
from baas.server import Router
Router().load()
from django.urls import get_resolver
get_resolver().url_patterns
from django.db import connection
from rest_framework import compat
print(json.dumps({
    "modules": sorted(name for name, module in sys.modules.items() if module is not None),
    "vendor": connection.vendor,
    "drf_postgres_fields": compat.postgres_fields is not None,
}))
"""

# Loaded by the first request that needs them, not by every worker.
LOADED_ON_DEMAND = {
    "fido2": "passkeys (baas.auth.passkeys)",
    "httpx": "a webhook delivery (baas.webhooks.delivery)",
    "rich": "loaded by httpx",
}


def _worker_state() -> dict:
    with services.shared_data("baas-worker-") as (data, env):
        env["BAAS_DIR"] = str(data)
        out = services.python_output(LOAD_A_WORKER, env)
    state: dict = json.loads(out.strip().splitlines()[-1])
    return state


def _loaded(modules: list[str], package: str) -> bool:
    return any(m == package or m.startswith(package + ".") for m in modules)


def test_a_worker_leaves_passkeys_and_http_clients_to_the_requests_that_need_them():
    state = _worker_state()
    loaded = {p: why for p, why in LOADED_ON_DEMAND.items() if _loaded(state["modules"], p)}
    assert loaded == {}
    assert _loaded(state["modules"], "baas.auth.api.extras")  # the routes themselves are there


def test_a_worker_loads_psycopg_only_on_postgresql():
    """DRF's compat module imports ``django.contrib.postgres.fields`` (and with it
    psycopg and libpq, 9-10 MB) whenever it can; an SQLite-mode process has no model
    field of it, so settings mark it unavailable there, and only there."""
    state = _worker_state()
    on_postgresql = state["vendor"] == "postgresql"
    assert state["drf_postgres_fields"] is on_postgresql
    assert _loaded(state["modules"], "psycopg") is on_postgresql
    assert _loaded(state["modules"], "django.contrib.postgres.fields") is on_postgresql


# Argon2 hashes (19 MiB each, freed after every hash) with objects kept in between, as
# a worker's sign-ins leave its heaps: free memory that glibc keeps in the process until
# something trims it. One thread, so the heap's layout is the same on every run.
TRIM = """
import json, time
import argon2
from baas.server import start_trimming, tune_malloc

tune_malloc()
hasher = argon2.PasswordHasher(time_cost=1, memory_cost=19456, parallelism=1)
kept = []

def sign_ins():
    for i in range(10):
        hasher.hash(f"password {i}")
        kept.append([bytes(700) for _ in range(3000)])

def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096

sign_ins()
sign_ins()
del kept[::2]
before = rss()
started = [start_trimming(0.05), start_trimming(0.05)]
deadline = time.monotonic() + 30
while rss() > before - 16 * 2**20 and time.monotonic() < deadline:
    time.sleep(0.05)
print(json.dumps({"before": before, "after": rss(), "started": started}))
"""


def test_a_worker_gives_free_heap_memory_back():
    env = services.baas_env()
    env.pop("MALLOC_ARENA_MAX", None)
    state = json.loads(services.python_output(TRIM, env))
    assert state["started"] == [True, False]  # one trimming thread per process
    assert state["after"] <= state["before"] - 16 * 2**20, state
