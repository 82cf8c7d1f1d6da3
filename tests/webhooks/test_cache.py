"""The per-process cache of enabled webhooks (bench/PROFILE.md, fourth pass): every write
sees each committed change of the webhooks at once, in this process and in every other
one, and nothing uncommitted is ever cached."""

from __future__ import annotations

import pytest
import requests
from django.db import transaction

from baas.collections.models import Collection
from baas.webhooks import service
from baas.webhooks.models import ANY_COLLECTION, Webhook
from tests import services

URL = "http://127.0.0.1:9/hook"


def _posts() -> Collection:
    return Collection(id="pbc_posts", name="posts", type="base")


@pytest.mark.django_db
def test_a_new_changed_or_deleted_webhook_is_seen_by_the_next_write() -> None:
    posts = _posts()
    assert service.matching(posts, "create") == []  # the cache is warm, and empty
    hook = Webhook.objects.create(collection="posts", events=["create"], url=URL)
    assert [h.id for h in service.matching(posts, "create")] == [hook.id]
    assert service.matching(posts, "update") == []
    hook.enabled = False
    hook.save()
    assert service.matching(posts, "create") == []
    hook.enabled = True
    hook.events = ["create", "update"]
    hook.save()
    assert [h.id for h in service.matching(posts, "update")] == [hook.id]
    hook.delete()
    assert service.matching(posts, "update") == []


@pytest.mark.django_db
def test_any_collection_leaves_system_collections_out() -> None:
    hook = Webhook.objects.create(collection=ANY_COLLECTION, events=["create"], url=URL)
    by_id = Webhook.objects.create(collection="pbc_posts", events=["create"], url=URL)
    assert [h.id for h in service.matching(_posts(), "create")] == [hook.id, by_id.id]
    system = Collection(id="pbc_system", name="_things", type="base", system=True)
    assert service.matching(system, "create") == []


@pytest.mark.django_db
def test_inside_a_transaction_the_database_is_read_and_nothing_is_cached() -> None:
    posts = _posts()
    assert service.matching(posts, "create") == []
    with transaction.atomic():
        Webhook.objects.create(collection="posts", events=["create"], url=URL)
        assert len(service.matching(posts, "create")) == 1
        transaction.set_rollback(True)
    assert service.matching(posts, "create") == []


def test_a_webhook_made_on_one_server_fires_on_every_worker_of_another() -> None:
    """Server A adds, disables and deletes a webhook; each next write on server B (two
    workers, caches warm) queues a delivery exactly while the webhook is enabled."""
    with (
        services.shared_data("baas-hooks-") as (data, env),
        services.baas_server(data, env=env) as a,
    ):
        assert a.cli("superuser", "upsert", "root@example.com", "password123").returncode == 0
        su = {
            "Authorization": requests.post(
                f"{a}/api/collections/_superusers/auth-with-password",
                json={"identity": "root@example.com", "password": "password123"},
                timeout=10,
            ).json()["token"]
        }
        created = requests.post(
            f"{a}/api/collections",
            json={"name": "live", "createRule": "", "fields": [{"name": "a", "type": "text"}]},
            headers=su,
            timeout=10,
        )
        assert created.status_code == 200, created.text
        with services.baas_server(data, env=env, workers=2) as b:

            def creates(count: int = 8) -> None:  # several, so both workers write some
                for _ in range(count):
                    made = requests.post(
                        f"{b}/api/collections/live/records", json={"a": "x"}, timeout=10
                    )
                    assert made.status_code == 200, made.text

            def queued(hook_id: str) -> int:
                found = requests.get(
                    f"{a}/api/webhooks/{hook_id}/deliveries", headers=su, timeout=10
                )
                assert found.status_code == 200, found.text
                return int(found.json()["totalItems"])

            creates()  # every worker's cache holds "no webhooks"
            hook = requests.post(
                f"{a}/api/webhooks",
                json={"collection": "live", "events": ["create"], "url": URL},
                headers=su,
                timeout=10,
            )
            assert hook.status_code == 200, hook.text
            hook_id = hook.json()["id"]
            creates()
            assert queued(hook_id) == 8
            off = requests.patch(
                f"{a}/api/webhooks/{hook_id}", json={"enabled": False}, headers=su, timeout=10
            )
            assert off.status_code == 200, off.text
            creates()
            assert queued(hook_id) == 8
            on = requests.patch(
                f"{a}/api/webhooks/{hook_id}", json={"enabled": True}, headers=su, timeout=10
            )
            assert on.status_code == 200, on.text
            creates(4)
            assert queued(hook_id) == 12
