"""The signature header and the backoff schedule."""

from __future__ import annotations

import time

from django.test import override_settings

from baas.config import WebhookConfig
from baas.webhooks import signing
from baas.webhooks.delivery import backoff

BODY = b'{"event":"create"}'


def test_a_signature_verifies_only_for_its_secret_body_and_time() -> None:
    header = signing.sign("s3cret", BODY)
    assert signing.verify("s3cret", BODY, header)
    assert not signing.verify("other", BODY, header)
    assert not signing.verify("s3cret", BODY + b" ", header)
    old = signing.sign("s3cret", BODY, int(time.time()) - 3600)
    assert not signing.verify("s3cret", BODY, old)
    assert signing.verify("s3cret", BODY, old, tolerance=7200)


def test_malformed_headers_are_refused() -> None:
    for header in ("", "t=abc,v1=00", "v1=00", "t=1", "garbage"):
        assert not signing.verify("s3cret", BODY, header)


def test_any_matching_v1_passes() -> None:
    good = signing.sign("s3cret", BODY)
    t = good.split(",")[0]
    assert signing.verify("s3cret", BODY, f"{t},v1=deadbeef,{good.split(',')[1]}")


def test_backoff_doubles_up_to_the_cap() -> None:
    with override_settings(BAAS_WEBHOOKS=WebhookConfig(backoff=10, backoff_max=60)):
        assert [backoff(n) for n in range(1, 6)] == [10, 20, 40, 60, 60]
